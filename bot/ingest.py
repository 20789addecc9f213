"""Corpus files → `Document`s with sections and character offsets.

Formats: `.md` (YAML front matter: title, url, source, reviewed, lang; headings parsed with
markdown-it-py so that `#` inside code blocks is not a heading), `.txt` (first line is the
title; a short line alone between blank lines with no closing punctuation is a heading),
`.html` (h1–h6 headings; script, style and navigation dropped, with BeautifulSoup) and `.pdf`
(pypdf, one section per page). A file that cannot be read is skipped with a warning naming it,
and so is one over `max_file_mb` (BOT_MAX_FILE_MB), a symlink that loops, dangles or leads out of the corpus
folder (a corpus is published word for word, so a link must not pull in a file from elsewhere;
a link to another file inside the corpus is followed), and a directory link is not followed.

Left out: OCR of scanned PDFs, and Markdown rendering (a document's text is its source text,
so quotes are verbatim and offsets point into what the help desk wrote).
"""

from __future__ import annotations

import datetime
import errno
import logging
import re
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

from .schema import Document, Section

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING_MAX_WORDS = 12
#: a longer line is not a heading, and a longer title is shortened: the "title › section" line
#: embedded with every passage must leave room for the passage in the model's 256 word pieces
_HEADING_MAX_CHARS = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def iter_files(corpus: Path) -> Iterator[Path]:
    """Corpus files in a stable order; hidden files and unknown suffixes are ignored.

    Symlinks are yielded even when they loop or dangle, so that `problem` can name them.
    """
    for path in sorted(corpus.rglob("*")):  # does not descend into linked directories
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SUFFIXES and (path.is_symlink() or path.is_file()):
            yield path


def problem(path: Path, corpus: Path, max_file_mb: float) -> str | None:
    """Why a corpus file must be skipped without reading it, or None if it may be read."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            loop = "loop" in str(exc).lower() or getattr(exc, "errno", None) == errno.ELOOP
            return "the symlink loops back on itself" if loop else "the symlink points to nothing"
        if not target.is_relative_to(corpus.resolve()):
            return "the symlink leads out of the corpus folder; copy the file into it instead"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size > max_file_mb * 2**20:
        return f"{size / 2**20:.0f} MB is over the {max_file_mb:g} MB limit for one file; split it into smaller files"
    return None


def load_corpus(corpus: Path, *, max_file_mb: float,
                skip: Container[str] = ()) -> tuple[list[Document], list[str]]:
    """Read every supported file but those in `skip` (document ids); return the documents and
    one warning per file that could not be read."""
    docs, warnings = [], []
    for path in iter_files(corpus):
        doc_id = path.relative_to(corpus).as_posix()
        if doc_id in skip:
            continue
        try:
            if reason := problem(path, corpus, max_file_mb):
                raise ValueError(reason)
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
    """Only http(s) links are kept: a `javascript:` or `data:` URL must never become a link.

    Nor may one break out of the Markdown link it is put in: no spaces, quotes, angle brackets,
    backslashes or control characters (parentheses are percent-encoded where it is used).
    """
    url = value.strip() if isinstance(value, str) else ""
    return url if re.match(r"https?://[^\s<>\"'\\\x00-\x1f\x7f]+\Z", url, re.I) else None


def _scalar(value: object) -> str | None:
    """A front-matter value as text, if it is a single value (a list or mapping is not a title)."""
    if isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool):
        return _valid(str(value)).strip() or None
    return None


def _valid(text: str) -> str:
    """Lone surrogates (YAML's "\\ud800" escapes, broken PDF text) become U+FFFD: same length, so offsets hold."""
    return _SURROGATE.sub("\ufffd", text)


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
        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            what = getattr(exc, "problem", None) or type(exc).__name__
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark else ""  # +1 for 1-based, +1 for the opening ---
            raise ValueError(f"its front matter between the --- lines is not valid YAML: {what}{where}") from None
        meta = loaded if isinstance(loaded, dict) else {}
        body_start = m.end()
    text = raw[body_start:]
    lines = _line_offsets(text)
    tokens = MarkdownIt("commonmark").parse(text)
    headings = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map and len(tokens[i + 1].content.strip()) <= _HEADING_MAX_CHARS:
            first, last = tok.map
            body = lines[last] if last < len(lines) else len(text)
            headings.append((tokens[i + 1].content.strip(), lines[first], body, tok.tag))
    h1 = next((h[0] for h in headings if h[3] == "h1"), "")
    title = _short(_scalar(meta.get("title"))) or h1 or Path(doc_id).stem
    url = safe_url(meta.get("url"))
    return Document(
        id=doc_id,
        title=title,
        text=text,
        sections=_sections(text, [h[:3] for h in headings], title),
        url=url,
        source=_scalar(meta.get("source")),
        reviewed=_scalar(meta.get("reviewed")),
        review_by=_scalar(meta.get("review_by")),
        lang=language_code(meta.get("lang")),
    )


def _short(text: str | None) -> str | None:
    """A title cut to `_HEADING_MAX_CHARS` at a word boundary (a title is named, never quoted)."""
    if text is None or len(text) <= _HEADING_MAX_CHARS:
        return text
    cut = text[: _HEADING_MAX_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip() + "…"


def _is_heading(line: str) -> bool:
    line = line.strip()
    return (bool(line) and len(line.split()) <= _HEADING_MAX_WORDS and len(line) <= _HEADING_MAX_CHARS
            and line[-1] not in ".!?:;,\"'”)")


def _read_text(text: str, doc_id: str) -> Document:
    starts = _line_offsets(text)  # lines end at "\n" only, as the offsets do (not at \r, \f or U+2028)
    lines = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)]) if a < len(text)]
    title_idx = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_idx is None:
        return Document(doc_id, Path(doc_id).stem, text, ())
    title = lines[title_idx].strip()
    body_start = starts[title_idx] + len(lines[title_idx])
    if len(title) > _HEADING_MAX_CHARS:  # a paragraph, not a title: the file's name is the title
        title, body_start = Path(doc_id).stem, starts[title_idx]
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
    lang = language_code(soup.html.get("lang") if soup.html else None)
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    canonical = soup.find("link", rel="canonical")
    for tag in soup([*_DROP, "title"]):
        tag.decompose()
    parts: list[str] = []
    headings: list[tuple[str, int, int]] = []
    pos = 0
    for name, words in _runs(soup):
        if parts:
            pos += 2  # the blank line joining blocks
        if name in ("h1", "h2", "h3", "h4", "h5", "h6") and len(words) <= _HEADING_MAX_CHARS:
            headings.append((words, pos, pos + len(words)))
        parts.append(words)
        pos += len(words)
    text = "\n\n".join(parts)
    title = _short(head_title) or (headings[0][0] if headings else Path(doc_id).stem)
    url = safe_url(canonical.get("href") if canonical else None)
    return Document(doc_id, title, text, _sections(text, headings, title), url=url, lang=lang)


def language_code(value: Any) -> str | None:
    """The primary language subtag of a declared language ("es-MX" → "es"), or None if unusable."""
    code = str(value or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def _runs(soup: Any) -> Iterator[tuple[str | None, str]]:
    """(tag name of the nearest block, its words) for each run of text in one block, in page order.

    One pass over the text nodes, so it stays linear however deeply a page nests its tags, and
    text beside a nested block (`<li>Item<ul><li>…</li></ul></li>`) is kept, not lost.
    """
    from bs4 import CData, NavigableString

    blocks = set(_BLOCKS)
    nearest: dict[int, Any] = {}  # id(tag) → its nearest block (itself if it is one), memoised

    def block_of(tag: Any) -> Any:
        path = []
        while tag is not None and tag.name not in blocks:
            if id(tag) in nearest:
                tag = nearest[id(tag)]
                break
            path.append(tag)
            tag = tag.parent
        for t in path:
            nearest[id(t)] = tag
        return tag

    current, strings = None, []
    for node in soup.descendants:
        if type(node) not in (NavigableString, CData) or not node.strip():
            continue  # comments, doctype and blank text
        block = block_of(node.parent)
        if strings and block is not current:
            yield (current.name if current is not None else None), " ".join(" ".join(strings).split())
            strings = []
        current = block
        strings.append(str(node))
    if strings:
        yield (current.name if current is not None else None), " ".join(" ".join(strings).split())


def _read_pdf(path: Path, doc_id: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(str(path))
        try:  # an owner password alone (no password to open it) is fine
            locked = reader.is_encrypted and not reader.decrypt("")
        except DependencyError:  # AES needs the optional `cryptography` package
            locked = True
        page_texts = [] if locked else [_valid(page.extract_text() or "").strip() for page in reader.pages]
        info_title = "" if locked else _valid(str((reader.metadata.title if reader.metadata else None) or ""))
    except PdfReadError as exc:
        raise ValueError(f"not a readable PDF ({exc}); export or save it again") from None
    if locked:
        raise ValueError("the PDF is encrypted; save an unprotected copy")
    pages, headings, pos = [], [], 0
    for number, page_text in enumerate(page_texts, start=1):
        if not page_text:
            continue
        if pages:
            pos += 2
        headings.append((f"Page {number}", pos, pos))
        pages.append(page_text)
        pos += len(page_text)
    text = "\n\n".join(pages)
    title = _short(info_title.strip()) or Path(doc_id).stem
    return Document(doc_id, title, text, _sections(text, headings, title))
