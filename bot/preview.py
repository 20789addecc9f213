"""Link previews: what a forum or a messenger shows when someone pastes the chat's address.

Gradio's page template carries two sets of Open Graph and Twitter tags, one saying "Gradio –
Click to try out the app!" with an image on another site. `LinkPreview` (ASGI middleware)
removes every `og:` and `twitter:` tag from the HTML of the chat pages and puts one set in their
place: the page's own title and description (the bot's, in the page's language), escaped. Only
the pages it is given are touched, and only their HTML; everything else passes as it is.
Left out: an image (none is shipped) and `og:url` (the public address is not known here).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SOCIAL = re.compile(r'<meta\s[^>]*?(?:property|name)\s*=\s*"(?:og|twitter):[^"]*"[^>]*>\s*', re.I | re.S)
_CHARSET = re.compile(r"<meta\s+charset=[^>]*>", re.I)


@dataclass(frozen=True)
class Preview:
    """The title and description a page shows in link previews."""

    title: str
    description: str

    def tags(self) -> str:
        title, description = html.escape(self.title, quote=True), html.escape(self.description, quote=True)
        return (f'<meta property="og:type" content="website" />'
                f'<meta property="og:title" content="{title}" />'
                f'<meta property="og:description" content="{description}" />'
                f'<meta name="twitter:card" content="summary" />'
                f'<meta name="twitter:title" content="{title}" />'
                f'<meta name="twitter:description" content="{description}" />')


def with_preview(page: str, preview: Preview) -> str:
    """`page` (HTML) with its social tags replaced by one set of `preview`'s, after the charset."""
    page = _SOCIAL.sub("", page)
    at = m.end() if (m := _CHARSET.search(page)) else page.lower().find("<head>") + len("<head>")
    return page[:at] + preview.tags() + page[at:]


class LinkPreview:
    """Rewrites the social tags of the HTML of the pages in `pages` ({path: Preview}; a path with
    or without its trailing slash)."""

    def __init__(self, app: Any, *, pages: Mapping[str, Preview]) -> None:
        self.app = app
        self.pages = {p.rstrip("/") or "/": v for p, v in pages.items()}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        preview = self.pages.get(scope.get("path", "").rstrip("/") or "/") if scope["type"] == "http" else None
        if preview is None or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        # the page uncompressed, so that its text can be read
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if b"text/html" not in headers.get(b"content-type", b"") or headers.get(b"content-encoding"):
                    start = None
                    return await send(message)
                start = message
                return None
            if start is None:
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            body = with_preview(b"".join(chunks).decode("utf-8"), preview).encode("utf-8")
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None

        await self.app(scope, receive, capture)
