"""What the help-desk page shows, computed from the feedback log's events: pure functions, no web.

- `group`: the unanswered questions grouped by meaning, with the embedder the bot searches with
  (passed in): average-linkage clustering of their unit vectors, two groups joined while their
  mean cosine is at least `SAME_MEANING`. Each group shows its most recent wording, how often
  it was asked and a few other wordings.
- `voted`: the answers that got a thumb down, with what they quoted (read by `quote`, passed in).
- `timeline`: questions, answered share and thumbs up/down per day (per week past 62 days).
- `documents`: every document with its review date, its state (`bot/review.py`) and how many
  answers cited it; the stale ones are listed apart by the page.
- Messages that got a safety notice are only counted (`Insights.notices`), never listed: what
  such a person needed was a helpline, not a document (`feedback.notice`).

`today` and the documents are passed in. Left out: caching the vectors between two visits (the
page embeds the distinct unanswered wordings again, the most frequent `MAX_WORDINGS` of them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .feedback import notice, question_key
from .review import Review, State
from .schema import Passage

#: two unanswered questions (or groups) are one when their mean cosine is at least this. Chosen on
#: the labelled paraphrase / non-paraphrase pairs of tests/test_insights.py with the bundled model:
#: the best share of pairs right (0.78 and 0.80 tie at 30 of 36), the stricter of the two, since
#: joining two different questions hides one of them, while splitting a paraphrase only lists it twice
SAME_MEANING = 0.80
MAX_WORDINGS = 2000  # distinct unanswered wordings clustered (the most asked); the rest are left out
OTHER_WORDINGS = 4  # other wordings shown per group
Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Group:
    """Unanswered questions that mean the same: the latest wording, times asked, other wordings."""

    latest: str
    count: int
    wordings: tuple[str, ...]  # other wordings, most asked first
    last: datetime | None  # when it was last asked


@dataclass(frozen=True)
class Quote:
    """A passage an answer quoted, as the log names it; `text` read from the index (None: not in it)."""

    doc: str
    section: str
    start: int
    end: int
    title: str = ""
    text: str | None = None


@dataclass(frozen=True)
class Voted:
    """An answer people voted on: its question's latest wording, thumbs down and up, its quotes."""

    question: str
    down: int
    up: int
    status: str
    quotes: tuple[Quote, ...]
    last: datetime | None


@dataclass(frozen=True)
class Period:
    """One day (or week, from `start`): questions asked, answered, not answered, thumbs up and down."""

    start: date
    asked: int = 0
    answered: int = 0
    unanswered: int = 0
    up: int = 0
    down: int = 0

    @property
    def share(self) -> float | None:
        """The answered share of the questions the documents were searched for; None without any."""
        searched = self.answered + self.unanswered
        return self.answered / searched if searched else None


@dataclass(frozen=True)
class DocumentInfo:
    """A document as the page lists it: from the corpus, or (a replica) from the index alone,
    with `known=False` and no dates."""

    doc: str
    title: str
    reviewed: str | None = None
    review_by: str | None = None
    known: bool = True


@dataclass(frozen=True)
class DocumentRow:
    doc: str
    title: str
    reviewed: str | None  # "May 2024", None when undated
    review_by: date | None
    state: State | None  # None: the date is unknown (no corpus here to read it from)
    answers: int  # answers that quoted it


@dataclass(frozen=True)
class Catalog:
    """The index's passages by where they are ((doc, start, end) → row) and its documents' titles,
    in corpus order: made by one pass over the passages (`Catalog.of`)."""

    rows: dict[tuple[str, int, int], int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, passages: Iterable[Passage]) -> Catalog:
        rows, titles = {}, {}
        for i, p in enumerate(passages):
            rows[(p.doc, p.start, p.end)] = i
            titles.setdefault(p.doc, p.title)
        return cls(rows, titles)


@dataclass(frozen=True)
class Insights:
    groups: tuple[Group, ...]
    voted: tuple[Voted, ...]
    timeline: tuple[Period, ...]
    documents: tuple[DocumentRow, ...]
    notices: dict[str, int]  # safety notices by kind: counted, never listed
    asked: int
    answered: int

    @property
    def stale(self) -> tuple[DocumentRow, ...]:
        return tuple(d for d in self.documents if d.state == "stale")


def when(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event["time"]))
    except (KeyError, ValueError):
        return None


def unanswered(events: Iterable[dict[str, Any]]) -> list[tuple[str, datetime | None]]:
    """Each unanswered question with when it was asked, oldest first: a `no_answer` message, or
    each unanswered question of a message holding several; never one that got a safety notice."""
    found = []
    for e in events:
        if e.get("event") != "ask" or notice(e):
            continue
        parts = [str(p) for p in e.get("unanswered_parts") or ()]
        if not parts and e.get("status") == "no_answer":
            parts = [str(e.get("question", ""))]
        found += [(p, when(e)) for p in parts if question_key(p)]
    return found


def group(questions: Sequence[tuple[str, datetime | None]], embed: Embed,
          threshold: float = SAME_MEANING) -> list[Group]:
    """The questions grouped by meaning, most asked first (then most recent). Wordings equal but
    for case, spacing and end punctuation are one wording before any vector is made."""
    counts: Counter[str] = Counter()
    latest: dict[str, tuple[str, datetime | None]] = {}
    for text, at in questions:
        key = question_key(text)
        counts[key] += 1
        if key not in latest or _later(at, latest[key][1]):
            latest[key] = (text, at)
    keys = [k for k, _ in counts.most_common(MAX_WORDINGS)]
    if not keys:
        return []
    vectors = np.asarray(embed([latest[k][0] for k in keys]), dtype=np.float64)
    groups = []
    for members in clusters(vectors, threshold):
        ks = sorted((keys[i] for i in members), key=lambda k: (-counts[k], keys.index(k)))
        newest = max(ks, key=lambda k: (latest[k][1] is not None, latest[k][1] or datetime.min, -ks.index(k)))
        others = tuple(latest[k][0] for k in ks if k != newest)[:OTHER_WORDINGS]
        groups.append(Group(latest[newest][0], sum(counts[k] for k in ks), others, latest[newest][1]))
    return sorted(groups, key=lambda g: (-g.count, -(g.last.timestamp() if g.last else 0), g.latest))


def clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of unit vectors: the two closest clusters (mean
    cosine over all their pairs) are joined while that mean is at least `threshold`."""
    n = len(vectors)
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            break
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])  # Lance-Williams, average
        sim[i, :], sim[:, i] = merged, merged
        sim[j, :], sim[:, j] = -np.inf, -np.inf
        sim[i, i] = -np.inf
        sizes[i] += sizes[j]
        members[i] += members[j]
        members[j] = []
    return [sorted(m) for m in members if m]


def voted(events: Iterable[dict[str, Any]], quote: Callable[[dict[str, Any]], Quote]) -> list[Voted]:
    """Answers with at least one thumb down, most down first; thumbs on a notice's reply are not
    listed. Votes on the same question (by its words) are one answer, with its latest quotes."""
    down: Counter[str] = Counter()
    up: Counter[str] = Counter()
    last: dict[str, dict[str, Any]] = {}
    for e in events:
        key = question_key(str(e.get("question", "")))
        if e.get("event") != "vote" or not key or notice(e):
            continue
        (down if e.get("vote") == "down" else up)[key] += 1
        last[key] = e
    rows = [Voted(str(last[k]["question"]), n, up[k], str(last[k].get("status", "")),
                  tuple(quote(p) for p in last[k].get("passages") or () if isinstance(p, dict)), when(last[k]))
            for k, n in down.items()]
    return sorted(rows, key=lambda v: (-v.down, v.up, v.question))


def timeline(events: Iterable[dict[str, Any]], today: date, *, days: int = 62) -> list[Period]:
    """One `Period` per day from the first event to `today` (per week, from Mondays, when that
    spans more than `days` days); a notice's message counts as asked, not as searched."""
    dated = [(at.date(), e) for e in events if (at := when(e)) is not None]
    if not dated:
        return []
    first = min(d for d, _ in dated)
    weekly = (today - first).days > days
    def bucket(d: date) -> date:
        return d - timedelta(days=d.weekday()) if weekly else d
    step = timedelta(days=7 if weekly else 1)
    counts: dict[date, Counter[str]] = {}
    for d, e in dated:
        c = counts.setdefault(bucket(d), Counter())
        if e.get("event") == "ask":
            c["asked"] += 1
            if not notice(e) and e.get("status") in ("answered", "no_answer"):
                c["answered" if e.get("status") == "answered" else "unanswered"] += 1
        elif e.get("event") == "vote" and not notice(e):
            c["down" if e.get("vote") == "down" else "up"] += 1
    periods, start = [], bucket(first)
    while start <= bucket(max(today, first)):
        periods.append(Period(start, **counts.get(start, Counter())))
        start += step
    return periods


def documents(docs: Sequence[DocumentInfo], events: Iterable[dict[str, Any]], *, stale_months: int,
              today: date) -> list[DocumentRow]:
    """Every document, in the order given, with its review label and state and the number of
    answered questions that quoted it (an answer quoting it twice counts once)."""
    cited: Counter[str] = Counter()
    for e in events:
        if e.get("event") == "ask" and e.get("status") == "answered":
            cited.update({str(p.get("doc")) for p in e.get("passages") or () if isinstance(p, dict)})
    rows = []
    for d in docs:
        review = Review.of(d.reviewed, d.review_by)
        rows.append(DocumentRow(d.doc, d.title, review.label(), review.review_by,
                                review.state(stale_months, today) if d.known else None, cited[d.doc]))
    return rows


def summarize(events: Sequence[dict[str, Any]], *, embed: Embed, quote: Callable[[dict[str, Any]], Quote],
              docs: Sequence[DocumentInfo], stale_months: int, today: date,
              threshold: float = SAME_MEANING) -> Insights:
    """Everything the page shows, from one read of the log."""
    notices: Counter[str] = Counter(kind for e in events if e.get("event") == "ask" and (kind := notice(e)))
    asks = [e for e in events if e.get("event") == "ask" and not notice(e)]
    return Insights(
        groups=tuple(group(unanswered(events), embed, threshold)),
        voted=tuple(voted(events, quote)),
        timeline=tuple(timeline(events, today)),
        documents=tuple(documents(docs, events, stale_months=stale_months, today=today)),
        notices={kind: notices[kind] for kind in sorted(notices, key=lambda k: (k != "emergency", k))},
        asked=len(asks),
        answered=sum(e.get("status") == "answered" for e in asks),
    )


def tables(insights: Insights) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """The page's data as tables (header, rows): what the CSV export writes."""
    return {
        "unanswered": (("question", "times asked", "last asked", "other wordings"),
                       [(g.latest, g.count, _iso(g.last), " | ".join(g.wordings)) for g in insights.groups]),
        "votes": (("question", "thumbs down", "thumbs up", "status", "document", "section", "start", "end", "quote"),
                  [(v.question, v.down, v.up, v.status, q.doc, q.section, q.start, q.end, q.text or "")
                   for v in insights.voted for q in v.quotes or (Quote("", "", 0, 0),)]),
        "documents": (("document", "title", "reviewed", "review by", "state", "answers"),
                      [(d.doc, d.title, d.reviewed or "", d.review_by.isoformat() if d.review_by else "",
                        d.state or "date unknown", d.answers) for d in insights.documents]),
        "timeline": (("from", "asked", "answered", "not answered", "answered share", "thumbs up", "thumbs down"),
                     [(p.start.isoformat(), p.asked, p.answered, p.unanswered,
                       "" if p.share is None else f"{p.share:.2f}", p.up, p.down) for p in insights.timeline]),
    }


def _iso(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at else ""


def _later(a: datetime | None, b: datetime | None) -> bool:
    return b is None or (a is not None and a >= b)
