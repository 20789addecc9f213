"""Corpus files → `Document`s with sections and character offsets.

Formats: `.md` (YAML front matter: title, url, source, reviewed; headings parsed with
markdown-it-py so that `#` inside code blocks is not a heading), `.txt` (first line is the
title; a short line alone between blank lines with no closing punctuation is a heading),
`.html` (h1–h6 headings; script, style and navigation dropped, with BeautifulSoup) and `.pdf`
(pypdf, one section per page). A file that cannot be read is skipped with a warning naming it.

Left out: OCR of scanned PDFs, and Markdown rendering (a document's text is its source text,
so quotes are verbatim and offsets point into what the help desk wrote).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from .schema import Document, Section

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING_MAX_WORDS = 12


def iter_files(corpus: Path) -> Iterator[Path]:
    """Corpus files in a stable order; hidden files and unknown suffixes are ignored."""
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SUFFIXES and path.is_file():
            yield path


def load_corpus(corpus: Path) -> tuple[list[Document], list[str]]:
    """Read every supported file; return the documents and one warning per skipped file."""
    docs, warnings = [], []
    for path in iter_files(corpus):
        doc_id = path.relative_to(corpus).as_posix()
        try:
            doc = read_document(path, doc_id)
        except Exception as exc:  # one bad file must never stop the corpus
            warnings.append(f"skipped {doc_id}: {exc}")
            log.warning("skipped %s: %s", doc_id, exc)
            continue
        if not doc.text.strip():
            warnings.append(f"skipped {doc_id}: no text in it")
            log.warning("skipped %s: no text in it", doc_id)
            continue
        docs.append(doc)
    return docs, warnings


def read_document(path: Path, doc_id: str) -> Document:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path, doc_id)
    text = decode(path.read_bytes(), doc_id)
    if suffix in (".md", ".markdown"):
        return _read_markdown(text, doc_id)
    if suffix in (".html", ".htm"):
        return _read_html(text, doc_id)
    return _read_text(text, doc_id)


def decode(data: bytes, doc_id: str) -> str:
    """UTF-8 (with or without BOM); Windows-1252 as a fallback; binary data refused."""
    if b"\x00" in data[:8192]:
        raise ValueError("looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text; save it as UTF-8") from None
    log.warning("%s is not UTF-8; read it as Windows-1252 (save it as UTF-8 to silence this)", doc_id)
    return text


def safe_url(value: object) -> str | None:
    """Only http(s) links are kept: a `javascript:` or `data:` URL must never become a link."""
    url = str(value).strip() if value else ""
    return url if re.match(r"https?://[^\s<>\"']+\Z", url, re.I) else None


def _sections(text: str, headings: list[tuple[str, int, int]], title: str) -> tuple[Section, ...]:
    """Sections from (heading, heading_start, body_start); text before the first heading sits under the title."""
    out = []
    first = headings[0][1] if headings else len(text)
    if text[:first].strip():
        out.append(Section(title, 0, first))
    for i, (heading, _, body) in enumerate(headings):
        end = headings[i + 1][1] if i + 1 < len(headings) else len(text)
        out.append(Section(heading, body, end))
    return tuple(out)


def _line_offsets(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\n", text)]
    return starts


def _read_markdown(raw: str, doc_id: str) -> Document:
    import yaml
    from markdown_it import MarkdownIt

    meta: dict = {}
    body_start = 0
    if m := _FRONT_MATTER.match(raw):
        loaded = yaml.safe_load(m.group(1))
        meta = loaded if isinstance(loaded, dict) else {}
        body_start = m.end()
    text = raw[body_start:]
    lines = _line_offsets(text)
    tokens = MarkdownIt("commonmark").parse(text)
    headings = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            first, last = tok.map
            body = lines[last] if last < len(lines) else len(text)
            headings.append((tokens[i + 1].content.strip(), lines[first], body, tok.tag))
    h1 = next((h[0] for h in headings if h[3] == "h1"), "")
    title = str(meta.get("title") or "").strip() or h1 or Path(doc_id).stem
    url = safe_url(meta.get("url"))
    return Document(
        id=doc_id,
        title=title,
        text=text,
        sections=_sections(text, [h[:3] for h in headings], title),
        url=url,
        source=str(meta["source"]) if meta.get("source") else None,
        reviewed=str(meta["reviewed"]) if meta.get("reviewed") else None,
    )


def _is_heading(line: str) -> bool:
    line = line.strip()
    return bool(line) and len(line.split()) <= _HEADING_MAX_WORDS and line[-1] not in ".!?:;,\"'”)"


def _read_text(text: str, doc_id: str) -> Document:
    lines = text.splitlines(keepends=True)
    starts = _line_offsets(text)
    title_idx = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_idx is None:
        return Document(doc_id, Path(doc_id).stem, text, ())
    title = lines[title_idx].strip()
    body_start = starts[title_idx] + len(lines[title_idx])
    headings = []
    for i in range(title_idx + 1, len(lines)):
        blank_before = not lines[i - 1].strip()
        blank_after = i + 1 >= len(lines) or not lines[i + 1].strip()
        if blank_before and blank_after and i + 1 < len(lines) and _is_heading(lines[i]):
            headings.append((lines[i].strip(), starts[i], starts[i] + len(lines[i])))
    sections = _sections(text, headings, title)
    if sections and sections[0].heading == title and sections[0].start == 0:
        # the title line itself is not part of its section's body
        sections = (Section(title, body_start, sections[0].end), *sections[1:])
    return Document(doc_id, title, text, sections)


_DROP = ["script", "style", "nav", "header", "footer", "aside", "noscript", "form", "template", "svg", "iframe"]
_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td", "th", "dd", "dt",
           "div", "section", "article", "main", "body", "figcaption", "caption"]


def _read_html(raw: str, doc_id: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    canonical = soup.find("link", rel="canonical")
    for tag in soup(_DROP):
        tag.decompose()
    parts: list[str] = []
    headings: list[tuple[str, int, int]] = []
    pos = 0
    for block in soup.find_all(_BLOCKS) or [soup]:  # a fragment with no tags is one block
        if block.find(_BLOCKS):  # only leaf blocks, so no text is taken twice
            continue
        words = " ".join(block.get_text(" ").split())
        if not words:
            continue
        if parts:
            pos += 2  # the blank line joining blocks
        if block.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            headings.append((words, pos, pos + len(words)))
        parts.append(words)
        pos += len(words)
    text = "\n\n".join(parts)
    title = head_title or (headings[0][0] if headings else Path(doc_id).stem)
    url = safe_url(canonical.get("href") if canonical else None)
    return Document(doc_id, title, text, _sections(text, headings, title), url=url)


def _read_pdf(path: Path, doc_id: str) -> Document:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted; save an unprotected copy")
    pages, headings, pos = [], [], 0
    for number, page in enumerate(reader.pages, start=1):
        page_text = (page.extract_text() or "").strip()
        if not page_text:
            continue
        if pages:
            pos += 2
        headings.append((f"Page {number}", pos, pos))
        pages.append(page_text)
        pos += len(page_text)
    text = "\n\n".join(pages)
    info_title = (reader.metadata.title if reader.metadata else None) or ""
    title = info_title.strip() or Path(doc_id).stem
    return Document(doc_id, title, text, _sections(text, headings, title))
