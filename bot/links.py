"""Where a citation leads: the link of a quoted passage, to the exact sentence where it can.

- A document with an http(s) `url`: that page with a text fragment (`#:~:text=`, the Text
  Fragments spec), built from the verbatim quoted text, so the browser scrolls to it and
  highlights it: the highlighted sentence when there is one, else the passage; a text longer
  than `WHOLE` characters is named by its first and last words (`textStart,textEnd`). Every
  character but letters, digits and `._~` is percent-encoded (`-`, `,` and `&` are the
  directive's own syntax), and runs of white space become one space, as the page shows them.
- A PDF page (`ingest` makes one section "Page N" per page) with a `url`: that URL with `#page=N`.
- Anything else (no URL, or one that is not http(s)): the app's read-only source view,
  `/source/<doc>?passage=<start>-<end>#passage`, relative to where the app is served; it shows
  the document with the passage marked (`bot/source_view.py`).

Every link is also a safe Markdown link target: `(`, `)`, spaces and `<>` are percent-encoded.
Left out: checking that a page still holds the text (a page edited since it was indexed opens at
its top, as a plain link would).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

SOURCE = "/source/"  # the source view's route
WHOLE = 300  # characters of a quote written out whole in a text fragment
EDGE_WORDS = 5  # words of each end of a longer one
_PAGE = re.compile(r"Page (\d+)")


def text_fragment(text: str) -> str:
    """The `text=` directive's value for `text` (without the `#:~:` prefix)."""
    words = text.split()
    if len(" ".join(words)) <= WHOLE or len(words) <= 2 * EDGE_WORDS:
        return "text=" + _encode(" ".join(words))
    return "text=" + _encode(" ".join(words[:EDGE_WORDS])) + "," + _encode(" ".join(words[-EDGE_WORDS:]))


def _encode(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")


def with_fragment(url: str, directive: str) -> str:
    """`url` with a fragment directive; an existing #fragment is kept before it, an old directive dropped."""
    url = url.split(":~:", 1)[0]
    return url + (":~:" if "#" in url else "#:~:") + directive


def page_number(doc: str, section: str) -> int | None:
    """N of a PDF's "Page N" section, else None."""
    m = _PAGE.fullmatch(section)
    return int(m[1]) if m and doc.lower().endswith(".pdf") else None


def source_view(doc: str, start: int, end: int) -> str:
    """The app's own page of `doc`, with the characters [start, end) marked and in view."""
    return f"{SOURCE}{quote(doc, safe='/')}?passage={start}-{end}#passage"


def passage_link(doc: str, url: str | None, section: str, text: str, highlights: Sequence[tuple[int, int]],
                 start: int, end: int) -> str:
    """Where the citation of this passage leads (see the module's docstring)."""
    if not url or not re.match(r"(?i)https?://", url):
        return source_view(doc, start, end)
    base = _markdown_safe(url)
    if (page := page_number(doc, section)) is not None:
        return base.split("#", 1)[0] + f"#page={page}"
    quoted = text[highlights[0][0]:highlights[-1][1]] if highlights else text
    return with_fragment(base, text_fragment(quoted.strip() and quoted or text))


def _markdown_safe(url: str) -> str:
    return re.sub(r"[()<>\s]", lambda m: quote(m[0], safe=""), url)
