"""The answer's JSON (DESIGN.md), described once: `Answer.to_dict` builds it through these models
and the web API's OpenAPI description shows them, so the two cannot drift apart.

Keys and their order are the contract other tools rely on: question, status, safety, passages,
markdown, disclaimer, and (added later, as DESIGN.md allows) language, uncovered and parts; in a
passage, link, reviewed, review_by and stale after its first keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SafetyOut(BaseModel):
    kind: Literal["emergency", "crisis"]
    message: str = Field(description="Markdown; shown first")


class PassageOut(BaseModel):
    rank: int
    score: float = Field(description="cosine similarity of question and passage")
    text: str = Field(description="verbatim passage; text == document[start:end]")
    highlights: list[list[int]] = Field(description="[start, end) spans of the best sentences inside text")
    doc: str = Field(description="path relative to the corpus folder")
    title: str
    section: str
    url: str | None
    start: int
    end: int
    link: str = Field(description=(
        "where the citation leads: the url with a text fragment (#:~:text=) of the quoted sentence, a PDF's "
        "#page=N, or (no url) the app's source view, /source/<doc>?passage=<start>-<end>#passage, relative"))
    reviewed: str | None = Field(description="when the document was last reviewed (YYYY-MM-DD; null: no date)")
    review_by: str | None = Field(description="when it should be reviewed again (YYYY-MM-DD; null: no date)")
    stale: bool = Field(description="the review is overdue (review_by passed, or older than BOT_STALE_MONTHS)")


class PartOut(BaseModel):
    question: str = Field(description="one question of the message, as typed")
    status: Literal["answered", "no_answer"]
    passages: list[int] = Field(description="ranks of this question's quotes in the answer's passages")
    uncovered: dict[str, str] | None = Field(description="as the answer's uncovered, for this question")


class AnswerOut(BaseModel):
    """The JSON of an answer: keys are only ever added, never renamed or removed."""

    question: str
    status: Literal["answered", "no_answer", "invalid"]
    safety: SafetyOut | None
    passages: list[PassageOut]
    markdown: str = Field(description="what the chat shows: notice, quotes, [n] citations, sources, disclaimer")
    disclaimer: str
    language: str = Field(description="language of the reply's own texts (the question's when a locale has it): en, es…")
    uncovered: dict[str, str] | None = Field(description=(
        'when the documents hold the topic but not what is asked: {"topic": "Klonopin", "asked": "pregnancy"}'))
    parts: list[PartOut] | None = Field(description=(
        "null for one question; for a message holding several, each question in order with its own "
        "quotes (ranks into passages, numbered across the answer) or what is not covered"))

