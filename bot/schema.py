"""The records that flow through the pipeline: Document → Passage → Hit → Answer.

All are frozen dataclasses and carry their provenance end to end: a ranked hit still knows
its document, title, section, URL and character offsets, so every quote can be traced back.
`Answer.to_dict()` is the JSON contract of DESIGN.md, built through `contract.AnswerOut`, the one
description of that shape (the web API's OpenAPI shows the same models).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from .contract import AnswerOut, PartOut, PassageOut, SafetyOut
from .links import passage_link
from .review import Review

Status = Literal["answered", "no_answer", "invalid"]
SafetyKind = Literal["emergency", "crisis"]
Span = tuple[int, int]


@dataclass(frozen=True)
class Section:
    """A heading and the character span [start, end) of its body in `Document.text`."""

    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One corpus file, read into plain text. `id` is its path relative to the corpus folder."""

    id: str
    title: str
    text: str
    sections: tuple[Section, ...]
    url: str | None = None
    source: str | None = None
    reviewed: str | None = None  # when the text was last reviewed, as written in its front matter
    review_by: str | None = None  # when it should be reviewed again, as written
    lang: str | None = None  # its language ("es"), from front matter or <html lang>; None: the default locale's


@dataclass(frozen=True)
class Passage:
    """Whole sentences of one section; `text == document.text[start:end]` always holds.

    `sentences` are the spans of the sentences inside `text`, computed once at index time so
    that highlighting the best sentence costs nothing per query.
    """

    doc: str
    title: str
    section: str
    url: str | None
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...] = ()

    @property
    def context(self) -> str:
        """What is embedded and indexed: the title › section line, then the verbatim text."""
        return f"{self.title} › {self.section}\n{self.text}"

    @property
    def sentence_texts(self) -> tuple[str, ...]:
        """What each sentence vector is embedded from, in the order of `sentences`: the sentence
        alone, stripped (no title line: it is compared with what a question asks, not its topic).
        A passage without spans is one sentence, its whole text."""
        return tuple(self.text[s:e].strip() for s, e in self.sentences or ((0, len(self.text)),))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "sentences": [list(s) for s in self.sentences]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Passage:
        return cls(**{**data, "sentences": tuple(tuple(s) for s in data.get("sentences", ()))})


@dataclass(frozen=True)
class Hit:
    """A passage as retrieved: it wraps the passage and only adds rank and scores."""

    passage: Passage
    rank: int
    score: float  # cosine similarity between question and passage, in [-1, 1]
    fused: float = 0.0  # the fusion score that decided the rank
    highlights: tuple[Span, ...] = ()
    pid: int = field(default=-1, compare=False)  # its row in the index (its vector's id); -1 unknown
    #: the question's cosine with each sentence of the passage (order of `passage.sentences`); () unknown
    sentence_scores: tuple[float, ...] = field(default=(), compare=False)
    #: its document's review dates (None: not known), and whether that review is overdue
    review: Review | None = field(default=None, compare=False)
    stale: bool = field(default=False, compare=False)

    @property
    def link(self) -> str:
        """Where its citation leads: the quoted sentence on the document's page, or the source view."""
        p = self.passage
        return passage_link(p.doc, p.url, p.section, p.text, self.highlights, p.start, p.end)

    @property
    def relevance(self) -> float:
        """How close the passage comes to the question: its own cosine, or its best sentence's
        when higher (a lay question often matches one sentence of a long passage). What
        `min_score` is compared with."""
        return max(self.score, *self.sentence_scores) if self.sentence_scores else self.score


@dataclass(frozen=True)
class Safety:
    kind: SafetyKind
    message: str


@dataclass(frozen=True)
class Part:
    """One question of a message holding several: its words, whether the documents answer it,
    the ranks of its quotes among the answer's passages, and what they do not cover of it."""

    question: str
    status: Status
    ranks: tuple[int, ...]
    uncovered: dict[str, str] | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    status: Status
    safety: Safety | None
    hits: tuple[Hit, ...]
    markdown: str
    disclaimer: str
    searched_for: str | None = field(default=None, compare=False)
    language: str = "en"  # the language of the reply's own texts (the question's, when a locale has it)
    #: when the documents hold the topic but not what is asked: {"topic": "Klonopin", "asked": "pregnancy"}
    uncovered: dict[str, str] | None = field(default=None, compare=False)
    #: a message holding several questions, answered one by one; None for one question
    parts: tuple[Part, ...] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: question, status, safety, passages, markdown, disclaimer, and (added
        later, as DESIGN.md allows) the reply's language, the uncovered part of the question and
        its parts.

        `parts` is null for a message holding one question (every reply but a few), else one
        entry per question in order: {"question", "status", "passages", "uncovered"}, where
        "passages" lists the ranks of that question's quotes in the top-level `passages` (numbered
        1..n across the whole reply, so every [n] in the markdown is one passage) and "uncovered"
        is what `uncovered` is for a one-question reply. With parts, the top-level `status` is
        "answered" when any part is, else "no_answer", and the top-level `uncovered` is null."""
        return AnswerOut(
            question=self.question,
            status=self.status,
            safety=None if self.safety is None else SafetyOut(kind=self.safety.kind, message=self.safety.message),
            passages=[PassageOut(rank=h.rank, score=round(h.score, 4), text=h.passage.text,
                                 highlights=[list(span) for span in h.highlights], doc=h.passage.doc,
                                 title=h.passage.title, section=h.passage.section, url=h.passage.url,
                                 start=h.passage.start, end=h.passage.end, link=h.link,
                                 reviewed=_iso(h.review and h.review.reviewed),
                                 review_by=_iso(h.review and h.review.review_by), stale=h.stale)
                      for h in self.hits],
            markdown=self.markdown,
            disclaimer=self.disclaimer,
            language=self.language,
            uncovered=self.uncovered,
            parts=None if self.parts is None else [
                PartOut(question=p.question, status=p.status, passages=list(p.ranks), uncovered=p.uncovered)
                for p in self.parts],
        ).model_dump()


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
