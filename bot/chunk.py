"""`Document` → `Passage`s of whole sentences, with offsets into the document text.

Each section is split into blocks (paragraphs and list items), each block into sentences with
blingfire (offline, about 4 M characters a second, knows "e.g.", "Dr." and "0.5 mg"), and
sentences are packed greedily into passages of at most `max_tokens` word pieces, counting
the "title › section" line that is embedded with them. A passage ends where a paragraph ends
(unless the paragraph is a short line such as "Symptoms include:"), and a run of list items
is kept together until it is half full, so quotes read as whole thoughts.

`document.text[p.start:p.end] == p.text` holds for every passage. The one exception to "never
cut a sentence" is a single sentence longer than the model can read: it is cut between words,
because a passage the model truncates would be searched on text it never saw.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import blingfire

from .schema import Document, Passage, Span

#: bump when passages would come out differently, so existing indexes are rebuilt
VERSION = 2
TokenCounter = Callable[[str], int]
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+)")
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]
ITEM, PARAGRAPH = 1, 2
_MIN_PARAGRAPH_TOKENS = 16  # a shorter paragraph joins the next one rather than stand alone
_MAX_CHARS_PER_TOKEN = 24  # a word piece is rarely longer: the window a long word is cut within
# titles blingfire ends a sentence after ("Dr. Smith"): the next sentence is glued back on
_ABBREV = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|St|Sr|Jr|vs|approx|No|Fig|Vol)\.)\Z")


def chunk_document(doc: Document, count_tokens: TokenCounter, max_tokens: int) -> list[Passage]:
    passages = []
    for section in doc.sections:
        header = count_tokens(f"{doc.title} › {section.heading}") + 1 + _SPECIAL_TOKENS
        budget = max(max_tokens - header, 16)
        for group in _pack(doc.text, section.start, section.end, count_tokens, budget):
            start, end = group[0][0], group[-1][1]
            passages.append(
                Passage(
                    doc=doc.id,
                    title=doc.title,
                    section=section.heading,
                    url=doc.url,
                    start=start,
                    end=end,
                    text=doc.text[start:end],
                    sentences=tuple((s - start, e - start) for s, e, _ in group),
                )
            )
    return passages


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int]]:
    """Absolute (start, end, boundary) of each sentence of text[start:end], whitespace trimmed.

    boundary: PARAGRAPH when a blank line (or the end) follows, ITEM at the end of a list item
    or line block, 0 inside a block.
    """
    end = len(text) if end is None else end
    region = text[start:end]
    pos = 0
    for brk in [*_BLOCK_BREAK.finditer(region), None]:
        block_end = brk.start() if brk else len(region)
        block = region[pos:block_end]
        spans = _trimmed(block, blingfire.text_to_sentences_and_offsets(block)[1]) if block.strip() else []
        last = PARAGRAPH if brk is None or "\n" in brk.group()[1:] else ITEM
        for i, (s, e) in enumerate(spans):
            yield start + pos + s, start + pos + e, last if i == len(spans) - 1 else 0
        pos = brk.end() if brk else len(region)


def _trimmed(block: str, offsets: list[tuple[int, int]]) -> list[Span]:
    out = []
    for s, e in offsets:
        while s < e and block[s].isspace():
            s += 1
        while e > s and block[e - 1].isspace():
            e -= 1
        if e > s:
            if out and _ABBREV.search(block[out[-1][0] : out[-1][1]]):
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
    if not out or out[-1][1] < len(block.rstrip()) or out[0][0] > len(block) - len(block.lstrip()):
        # blingfire dropped characters it could not place: keep the block as one sentence
        lead = len(block) - len(block.lstrip())
        return [(lead, len(block.rstrip()))]
    return out


def _pack(text: str, start: int, end: int, count: TokenCounter, budget: int) -> Iterator[list[tuple[int, int, int]]]:
    group: list[tuple[int, int, int]] = []
    used = 0
    for s, e, para_end, n in _fitting(text, start, end, count, budget):
        if group and used + n > budget:
            yield group
            group, used = [], 0
        group.append((s, e, n))
        used += n
        if (para_end == PARAGRAPH and used >= _MIN_PARAGRAPH_TOKENS) or (para_end and used >= budget // 2):
            yield group
            group, used = [], 0
    if group:
        yield group


def _fitting(text: str, start: int, end: int, count: TokenCounter, budget: int) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, boundary, tokens) of each sentence, any sentence over the budget cut between words."""
    for s, e, para_end in sentences(text, start, end):
        if (n := count(text[s:e])) <= budget:
            yield s, e, para_end, n
            continue
        piece_start = s
        words = list(re.finditer(r"\S+", text[s:e]))
        for w in words:
            ws, we = s + w.start(), s + w.end()
            if count(text[piece_start:we]) > budget and ws > piece_start:
                piece_end = _rstrip(text, piece_start, ws)
                yield piece_start, piece_end, 0, count(text[piece_start:piece_end])
                piece_start = ws
            while (cut := _cut(text, piece_start, we, count, budget)) < we:  # one word longer than the budget
                piece_end = _rstrip(text, piece_start, cut)  # a cut just past a space: the space is no one's
                yield piece_start, piece_end, 0, count(text[piece_start:piece_end])
                piece_start = cut
                while piece_start < we and text[piece_start].isspace():
                    piece_start += 1
        if piece_start < e:
            yield piece_start, e, para_end, count(text[piece_start:e])


def _cut(text: str, start: int, end: int, count: TokenCounter, budget: int) -> int:
    """The furthest point ≤ end such that text[start:cut] fits the budget, found by bisection
    inside a window of budget × _MAX_CHARS_PER_TOKEN characters, so that cutting a megabyte-long
    word costs time linear in its length, not quadratic."""
    hi = min(end, start + budget * _MAX_CHARS_PER_TOKEN)
    if count(text[start:hi]) <= budget:
        return hi
    lo = start + 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[start:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
