"""The read-only source view: one indexed document as a page of the app, with a quoted passage
marked, where the citation of a document without a web address leads (`links.source_view`:
`/source/<doc>?passage=<start>-<end>#passage`).

The page shows the document's title, its file name, its review date (and "review overdue" when
it is), then its text with the characters [start, end) in a `<mark id="passage">`: the browser
scrolls to it on load (the `#passage` fragment; CSS keeps a few lines above it in view), no
script needed. It is one readable column down to a 375px phone.

Only documents of the served index are shown, by their exact id (the path in the corpus folder
the index gave them), so no other file can be reached through the URL. The text is read from
the corpus folder when it still holds what was indexed; otherwise (a file edited since, a
replica without the corpus) the document's passages from the index stand in, joined in order.
Everything from the document is HTML-escaped. Left out: the original layout (a PDF or a web page
shows as its plain text) and documents that are not in the index.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from .locale import Locale
from .review import Review
from .sources import Sources

STYLE = """
body { margin: 0; font: 17px/1.55 system-ui, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #fff; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.35em; margin: .2em 0; overflow-wrap: anywhere; }
.meta { color: #52525b; font-size: .9em; margin: 0 0 1em; overflow-wrap: anywhere; }
.overdue { color: #8a1c14; font-weight: 700; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #ffe58a; color: inherit; padding: .1em 0; }
#passage { scroll-margin-top: 25vh; }
#passage:target { background: #ffd84d; }
"""


class SourceView:
    """Pages of the documents of one index version. `documents` is the manifest's "documents"
    (id → rows [first, end) of its passages and its review dates as written)."""

    def __init__(self, sources: Sources, documents: Mapping[str, Mapping[str, Any]], texts: Locale,
                 stale_months: int = 0) -> None:
        """`sources`: the Sources panel's reader of the same index version: its corpus documents
        (read once, cached) and passages."""
        self.sources, self.passages, self.documents = sources, sources.passages, documents
        self.texts, self.stale_months = texts, stale_months
        self._text = lru_cache(maxsize=32)(self._read)

    def page(self, doc: str, passage: str | None = None, today: date | None = None) -> str | None:
        """The page of `doc` with `passage` ("start-end") marked; None when the index has no such document."""
        if doc not in self.documents:
            return None
        title, text, pieces = self._text(doc)
        span = _span(passage, pieces)
        info = self.documents[doc]
        review = Review.of(info.get("reviewed"), info.get("review_by"))
        meta = [html.escape(doc)]
        if label := review.label():
            meta.append(html.escape(self.texts.reviewed.format(date=label)))
        if review.state(self.stale_months, today) == "stale":
            meta.append(f'<span class="overdue">{html.escape(self.texts.review_overdue)}</span>')
        if span:
            s, e = span
            body = (html.escape(text[:s]) + f'<mark id="passage">{html.escape(text[s:e])}</mark>'
                    + html.escape(text[e:]))
        else:
            body = html.escape(text)
        return (f'<!doctype html>\n<html lang="{html.escape(self.texts.language)}">\n<head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
                f'<body><main><h1>{html.escape(title)}</h1>\n<p class="meta">{" · ".join(meta)}</p>\n'
                f'<div class="text">{body}</div></main></body>\n</html>\n')

    def _read(self, doc: str) -> tuple[str, str, tuple[tuple[int, int, int], ...]]:
        """The document's title and text: the corpus file's when it still holds every indexed passage
        where the index says, else the passages themselves, in order, a blank line between them; and
        where the text holds each piece of the document: (start, end, where it starts in the text)."""
        first, end = self.documents[doc]["rows"]
        passages = self.passages.get(list(range(first, end))) if hasattr(self.passages, "get") \
            else [self.passages[i] for i in range(first, end)]
        title = passages[0].title if passages else doc
        found = self.sources.document(doc)  # None: no corpus here, or the file is unreadable now
        if found is not None and all(found.text[p.start:p.end] == p.text for p in passages):
            return found.title, found.text, ((0, len(found.text), 0),)
        text, pieces = "", []
        for p in passages:
            if text:
                text += "\n\n"
            pieces.append((p.start, p.end, len(text)))
            text += p.text
        return title, text, tuple(pieces)


def _span(passage: str | None, pieces: Sequence[tuple[int, int, int]]) -> tuple[int, int] | None:
    """The page's characters of the document's [start, end) ("start-end"), when one piece holds them."""
    m = re.fullmatch(r"(\d{1,9})-(\d{1,9})", passage or "")
    if not m:
        return None
    s, e = int(m[1]), int(m[2])
    return next(((at + s - first, at + e - first) for first, last, at in pieces if first <= s < e <= last), None)
