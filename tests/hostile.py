"""Shared helpers of the hostile-input tests: the question cases and the "nothing is live" oracle."""

from __future__ import annotations

import json
import re
from pathlib import Path

from markdown_it import MarkdownIt

from bot.links import SOURCE
from bot.locale import Locales

DATA = Path(__file__).resolve().parent / "data" / "hostile_questions.json"
STATUSES = {"answered", "no_answer", "invalid"}
_TAG = re.compile(r"<[A-Za-z/!?]")  # the start of an HTML tag, comment or declaration
_LIVE_LINK = re.compile(r"(?<!\\)\]\(")  # `](` not escaped: a Markdown link or image target
_AUTOLINK = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)")  # unescaped: GitHub-style autolinks


def _trusted() -> tuple[str, ...]:
    """The locale files' own Markdown (notices with helpline links): the only links the bot may make."""
    texts = [t for loc in Locales.load().by_code.values()
             for t in (loc.emergency, loc.poisoning, loc.crisis, loc.crisis_support, loc.addiction)]
    return tuple(sorted(texts, key=len, reverse=True))


TRUSTED = _trusted()


def untrusted(markdown: str) -> str:
    """The Markdown with the locale files' own texts taken out: what questions and documents made."""
    for text in TRUSTED:
        markdown = markdown.replace(text, "")
    return markdown


def load_cases() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def question(case: dict) -> str:
    """The case's text; big ones are generated here rather than stored."""
    if "make" in case:
        unit, chars = case["make"]["unit"], case["make"]["chars"]
        return (unit * (chars // len(unit) + 1))[:chars]
    return case["question"]


def links(answer) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Where the answer's citations lead (`Hit.link`): the only links its documents may bring."""
    return tuple(h.link for h in answer.hits)


def source_links(markdown: str, doc: str) -> tuple[str, ...]:
    """The source-view links to `doc` in `markdown` (a CLI's output, where no Answer is at hand)."""
    return tuple(re.findall(rf"\]\(({re.escape(SOURCE + doc)}\?passage=\d+-\d+#passage)\)", markdown))


def assert_inert(markdown: str, urls: tuple[str, ...] = ()) -> None:
    """Nothing in `markdown` is HTML, an image or a live link, except links to the cited documents' `urls`."""
    assert not _TAG.search(markdown), f"raw HTML in {markdown[:300]!r}"
    assert "![" not in markdown, "a Markdown image"
    for m in _LIVE_LINK.finditer(markdown):
        assert any(markdown.startswith(u + ")", m.end()) for u in urls), f"a live link: {markdown[m.start():m.start() + 80]!r}"
    for m in _AUTOLINK.finditer(markdown):
        assert any(markdown.startswith(u, m.start()) for u in urls), f"an autolink: {markdown[m.start():m.start() + 80]!r}"
    # and the same seen by a real CommonMark parser, raw HTML allowed, as a chat renderer would
    for token in _walk(MarkdownIt("commonmark", {"html": True}).parse(markdown)):
        assert token.type not in ("html_inline", "html_block", "image"), f"{token.type}: {token.content[:80]!r}"
        if token.type == "link_open":
            assert token.attrs.get("href") in urls, f"link to {token.attrs.get('href')!r}"


def _walk(tokens):  # type: ignore[no-untyped-def]
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def assert_valid_answer(data: dict, case: dict) -> None:
    """One answer's JSON (as `Answer.to_dict()` gives it) meets the contract for this case."""
    assert set(data) == {"question", "status", "safety", "passages", "markdown", "disclaimer", "language", "uncovered", "parts"}
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # printable and sendable: no lone surrogates
    assert data["status"] in STATUSES
    expect = case["expect"]
    if expect == "invalid":
        assert data["status"] == "invalid", (case["id"], data["status"])
        assert data["passages"] == [] and data["safety"] is None
        assert "Please" in data["markdown"]  # says what to do
    elif expect in ("valid", "answered"):
        assert data["status"] != "invalid", (case["id"], data["markdown"][:200])
    assert data["markdown"].rstrip().endswith("*") and data["disclaimer"].strip() in data["markdown"].replace("\\", "")
    if case.get("safety"):
        assert data["safety"] and data["safety"]["kind"] == case["safety"], case["id"]
    if data["safety"]:
        assert data["markdown"].startswith(data["safety"]["message"])
    assert_inert(untrusted(data["markdown"]), tuple(p["link"] for p in data["passages"]))
