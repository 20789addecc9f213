"""The "Sources" panel of an answer: each quoted passage inside a little of its document.

For every cited passage it shows where it is (document, section, line, character offsets)
and the passage with up to `CONTEXT` characters of the document before and after it, so a
reader can check that the quote was not taken out of context. The document text is read
from the corpus folder when it holds the text the index was built from; if a file changed or
vanished since (a replica carries no corpus), the neighbouring passages of the index stand in.

Everything that comes from a document is escaped, as in `answer.py`. Left out: any Gradio
(the app only places this Markdown in an accordion).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from .answer import escape
from .ingest import read_document
from .schema import Document, Hit, Passage

CONTEXT = 240  # characters of surrounding text on each side


class Sources:
    """Renders the Sources panel for the hits of an answer, from the corpus and the index."""

    def __init__(self, corpus: Path, passages: Sequence[Passage]) -> None:
        self.corpus = Path(corpus)
        self.passages = passages
        self.document = lru_cache(maxsize=64)(self._read)

    def _read(self, doc_id: str) -> Document | None:
        """The corpus file `doc_id` read as a document (cached as `document`); None when it is
        outside the corpus folder, missing or unreadable now (the index's passages stand in)."""
        path = self.corpus / doc_id
        try:
            return read_document(path, doc_id) if path.resolve().is_relative_to(self.corpus.resolve()) else None
        except Exception:  # unreadable now: fall back to the index's neighbours
            return None

    def around(self, p: Passage, pid: int = -1) -> tuple[str, str, int | None]:
        """Text just before and just after the passage, and its line number when known. `pid`,
        the passage's row when known: a document's passages are neighbouring rows, so only rows
        pid - 1 and pid + 1 are read (from Milvus, on a replica without the corpus), not all."""
        doc = self.document(p.doc)
        if doc is not None and doc.text[p.start:p.end] == p.text:
            before, after = doc.text[max(0, p.start - CONTEXT):p.start], doc.text[p.end:p.end + CONTEXT]
            return _tail(before, p.start > CONTEXT), _head(after, p.end + CONTEXT < len(doc.text)), \
                doc.text.count("\n", 0, p.start) + 1
        rows = [i for i in (pid - 1, pid + 1) if 0 <= i < len(self.passages)] if pid >= 0 else None
        near = self.passages if rows is None else [self.passages[i] for i in rows]
        same = [q for q in near if q.doc == p.doc]
        prev = max((q for q in same if q.end <= p.start), key=lambda q: q.end, default=None)
        nxt = min((q for q in same if q.start >= p.end), key=lambda q: q.start, default=None)
        before = _tail(prev.text[-CONTEXT:], len(prev.text) > CONTEXT) + "\n\n" if prev else ""
        after = "\n\n" + _head(nxt.text[:CONTEXT], len(nxt.text) > CONTEXT) if nxt else ""
        return before, after, None

    def markdown(self, hits: Sequence[Hit]) -> str:
        """One block per cited passage: its citation, its location, then it in its context."""
        return "\n\n".join(self._one(h) for h in hits)

    def _one(self, hit: Hit) -> str:
        p = hit.passage
        before, after, line = self.around(p, hit.pid)
        where = [escape(p.doc)] + ([f"line {line}"] if line else []) + [f"characters {p.start:,}–{p.end:,}"]
        body = escape(before) + _strong(p.text) + escape(after)
        quoted = "\n".join("> " + row for row in body.splitlines())
        return f"**[{hit.rank}] {escape(p.title)} › {escape(p.section)}**  \n{' · '.join(where)}\n\n{quoted}"


def _tail(text: str, cut: bool) -> str:
    """The end of `text`, starting at a word boundary, with an ellipsis if it was cut."""
    if cut and (m := re.search(r"\s", text)):
        text = text[m.end():]
    return ("…" if cut else "") + text


def _head(text: str, cut: bool) -> str:
    if cut and (m := re.search(r"\s\S*$", text)):
        text = text[:m.start()]
    return text + ("…" if cut else "")


def _strong(text: str) -> str:
    """The passage in bold, line by line (Markdown emphasis cannot span a blank line)."""
    return "\n".join(f"{line[:len(line) - len(line.lstrip())]}**{escape(line.strip())}**" if line.strip() else line
                     for line in text.split("\n"))
