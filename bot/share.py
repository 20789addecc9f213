"""An answer as plain text to take to the doctor: what "Copy with sources" in the chat copies.

`share_text` gives the question, then the answer as shown (the notice, the quoted passages with
their `[n]`, any helpline), then each citation with where it leads, then the disclaimer, as
plain text for an e-mail or a note: Markdown is read, not copied (a link becomes
"text (address)"; a quote keeps its "> "). Where a citation leads is `link` alone, one function:
`Hit.link` (the quoted sentence on the document's page, or the source view); a relative link is
made absolute against `base`.
Left out: the Sources panel (the passages in their context), and HTML (there is none to copy:
the answer's Markdown holds the documents' text escaped).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .schema import Answer, Hit

_CITATIONS = re.compile(r"(?m)^\[\d+\] .*(?:\n\[\d+\] .*)*")  # the numbered source lines of answer.markdown
_md = MarkdownIt("commonmark")


def link(hit: Hit) -> str | None:
    """Where the citation of `hit` leads (`Hit.link`): the quoted sentence on its document's page,
    or this server's source view (a relative link, made absolute against `base`)."""
    return hit.link


def citation(hit: Hit, number: int, base: str = "", where: Callable[[Hit], str | None] = link) -> str:
    """`[n] title › section — link` (the document's file when it has no link)."""
    target = where(hit)
    target = urljoin(base, target) if target and base else target
    return f"[{number}] {hit.passage.title} › {hit.passage.section} — {target or hit.passage.doc}"


def share_text(answer: Answer, asked: str = "Question", base: str = "",
               where: Callable[[Hit], str | None] = link) -> str:
    """The answer as plain text: `asked: question`, the answer as shown with its citations
    (each with its link), and the disclaimer last."""
    lines = "\n".join(citation(h, i, base, where) for i, h in enumerate(answer.hits, 1))
    markdown = answer.markdown
    if answer.hits and _CITATIONS.search(markdown):
        markdown = _CITATIONS.sub(lambda _: lines.replace("\n", "  \n"), markdown, count=1)
    text = plain(_escape_citations(markdown))
    if answer.disclaimer and answer.disclaimer not in text:
        text += "\n\n" + answer.disclaimer
    return f"{asked}: {answer.question.strip()}\n\n{text}\n"


def _escape_citations(markdown: str) -> str:
    """The citation lines as Markdown text: their titles and links are not Markdown."""
    return re.sub(r"(?m)^(\[\d+\] )(.*)$", lambda m: m.group(1) + re.sub(r"([\\`*_\[\]<>&#])", r"\\\1", m.group(2)),
                  markdown)


def plain(markdown: str) -> str:
    """Markdown as plain text: paragraphs apart, quotes as "> ", links as "text (address)"."""
    blocks: list[str] = []
    quote = 0
    for token in _md.parse(markdown):
        if token.type == "blockquote_open":
            quote += 1
        elif token.type == "blockquote_close":
            quote -= 1
        elif token.type == "inline":
            text = _inline(token.children or [])
            blocks.append("\n".join("> " * quote + line for line in text.split("\n")))
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(b for b in blocks if b.strip())


def _inline(tokens: list[Token]) -> str:
    out: list[str] = []
    links: list[tuple[int, str]] = []
    for t in tokens:
        if t.type in ("text", "code_inline", "html_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append("\n" if t.type == "hardbreak" else " ")
        elif t.type == "link_open":
            links.append((len(out), str(t.attrs.get("href", ""))))
        elif t.type == "link_close" and links:
            start, href = links.pop()
            label = "".join(out[start:])
            target = re.sub(r"^(tel|sms|mailto):", "", href)
            if target and target not in (label, label.replace("-", "")) and target.lstrip("+1") not in label.replace("-", ""):
                out.append(f" ({target})")
    return "".join(out).strip()
