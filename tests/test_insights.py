"""The help-desk page's analysis (bot/insights.py): grouping by meaning, counts, the chart's data,
the stale list, safety messages counted apart; and the grouping threshold, chosen on labelled pairs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from bot.insights import (
    SAME_MEANING,
    DocumentInfo,
    Quote,
    clusters,
    documents,
    group,
    summarize,
    timeline,
    unanswered,
)

T = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 9) -> str:
    return datetime(2025, 3, day, hour, tzinfo=UTC).isoformat(timespec="seconds")


def ask(question: str, status: str = "no_answer", day: int = 10, safety: str | None = None, **more) -> dict:
    passages = [{"doc": "a.md", "section": "S", "start": 0, "end": 5}] if status == "answered" else []
    return {"time": at(day), "event": "ask", "question": question, "status": status, "passages": passages,
            "via": "chat", "safety": safety, "unanswered_parts": [], **more}


def vote(question: str, thumb: str, day: int = 10, safety: str | None = None) -> dict:
    return {**ask(question, "answered", day, safety), "event": "vote", "vote": thumb}


def table_embed(vectors: dict[str, list[float]]):
    """An embedder that knows a few texts: each text's unit vector, and a log of what it was asked."""
    asked: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        asked.append(list(texts))
        out = np.array([vectors[t] for t in texts], dtype=np.float64)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    embed.asked = asked  # type: ignore[attr-defined]
    return embed


def test_average_linkage_does_not_chain():
    """A~B and B~C are close, A~C is not: A and B join, C stays apart (a single-linkage chain would
    have put all three together)."""
    sim = np.array([[1, 0.85, 0.5], [0.85, 1, 0.85], [0.5, 0.85, 1]])
    vectors = np.linalg.cholesky(sim)  # rows whose dot products are exactly `sim`
    assert sorted(clusters(vectors, 0.8)) == [[0, 1], [2]]
    assert sorted(clusters(vectors, 0.4)) == [[0, 1, 2]]
    assert sorted(clusters(vectors, 0.9)) == [[0], [1], [2]]


def test_unanswered_questions_are_grouped_by_meaning_latest_wording_first():
    embed = table_embed({"Is Klonopin safe in pregnancy?": [1, 0.1, 0], "can i take klonopin while pregnant": [1, 0, 0.1],
                         "Does Klonopin cause hair loss?": [0, 1, 0], "is klonopin SAFE in pregnancy": [1, 0.1, 0]})
    questions = [("Is Klonopin safe in pregnancy?", datetime(2025, 3, 1, tzinfo=UTC)),
                 ("Does Klonopin cause hair loss?", datetime(2025, 3, 2, tzinfo=UTC)),
                 ("can i take klonopin while pregnant", datetime(2025, 3, 5, tzinfo=UTC)),
                 ("is klonopin SAFE in pregnancy", datetime(2025, 3, 3, tzinfo=UTC))]
    groups = group(questions, embed, threshold=0.9)
    assert [(g.latest, g.count) for g in groups] == [("can i take klonopin while pregnant", 3),
                                                     ("Does Klonopin cause hair loss?", 1)]
    assert groups[0].wordings == ("is klonopin SAFE in pregnancy",)  # one wording for both spellings, the latest
    assert groups[0].last == datetime(2025, 3, 5, tzinfo=UTC)
    assert len(embed.asked[0]) == 3  # the same words in other case are embedded once
    assert group([], embed) == []


def test_safety_messages_are_counted_apart_never_listed():
    events = [ask("i dont want to live anymore", safety="crisis"), ask("He took all my pills", safety="emergency"),
              {**ask("I don't want to live anymore"), "safety": None} | {"safety": "crisis"},
              {k: v for k, v in ask("i dont want to be alive anymore").items() if k != "safety"},  # an older line
              vote("i dont want to live anymore", "down", safety="crisis"),
              ask("Is ibuprofen safe?"), ask("Klonopin withdrawal?", "answered"),
              ask("Is it addictive? And safe in pregnancy?", "answered", unanswered_parts=["And safe in pregnancy?"])]
    assert [q for q, _ in unanswered(events)] == ["Is ibuprofen safe?", "And safe in pregnancy?"]
    found = summarize(events, embed=table_embed({"Is ibuprofen safe?": [1, 0], "And safe in pregnancy?": [0, 1]}),
                      quote=lambda p: Quote(p["doc"], p["section"], p["start"], p["end"]), docs=[],
                      stale_months=0, today=T.date())
    assert found.notices == {"emergency": 1, "crisis": 3}
    assert [g.latest for g in found.groups] == ["And safe in pregnancy?", "Is ibuprofen safe?"]
    assert found.voted == ()  # the thumb on the crisis reply
    assert (found.asked, found.answered) == (3, 2)


def test_down_voted_answers_carry_their_quotes():
    """Votes on the same words are one answer, shown with the latest wording and quotes; an
    answer with thumbs up only is not listed."""
    events = [vote("How long does withdrawal last?", "down"), vote("how long does withdrawal last", "down", day=11),
              vote("How long does withdrawal last?", "up", day=11), vote("Is it addictive?", "up")]
    found = summarize(events, embed=table_embed({}), docs=[], stale_months=0, today=T.date(),
                      quote=lambda p: Quote(p["doc"], p["section"], p["start"], p["end"], "Doc A", "Quoted."))
    assert [(v.question, v.down, v.up) for v in found.voted] == [("How long does withdrawal last?", 2, 1)]
    assert found.voted[0].quotes == (Quote("a.md", "S", 0, 5, "Doc A", "Quoted."),)


def test_the_timeline_counts_each_day_to_today_and_weeks_over_a_long_span():
    events = [ask("a", "answered", day=8), ask("b", day=8), ask("c", "answered", day=10),
              ask("help", day=10, safety="emergency"), vote("c", "up", day=10), vote("c", "down", day=10),
              vote("c", "down", day=10)]
    days = timeline(events, date(2025, 3, 11))
    assert [p.start.day for p in days] == [8, 9, 10, 11]
    assert [(p.asked, p.answered, p.unanswered, p.up, p.down) for p in days] == [
        (2, 1, 1, 0, 0), (0, 0, 0, 0, 0), (2, 1, 0, 1, 2), (0, 0, 0, 0, 0)]
    assert [p.share for p in days] == [0.5, None, 1.0, None]
    weeks = timeline(events, date(2025, 6, 1))
    assert weeks[0].start == date(2025, 3, 3) and all(p.start.weekday() == 0 for p in weeks)  # Mondays
    assert weeks[1].asked == 2 and sum(p.asked for p in weeks) == 4 and weeks[-1].start == date(2025, 5, 26)
    assert timeline([], date(2025, 3, 11)) == []


def test_documents_with_their_review_state_and_the_answers_that_quoted_them():
    docs = [DocumentInfo("a.md", "Doc A", "2023-01-15"), DocumentInfo("b.md", "Doc B", "2025-01-01"),
            DocumentInfo("c.md", "Doc C", None, "2025-02-01"), DocumentInfo("d.md", "Doc D"),
            DocumentInfo("e.md", "Doc E", known=False)]
    events = [ask("q1", "answered"), ask("q2", "answered"), vote("q2", "down"),
              {**ask("q3", "answered"), "passages": [{"doc": "b.md"}, {"doc": "b.md"}, {"doc": "a.md"}]}]
    rows = documents(docs, events, stale_months=12, today=date(2025, 3, 10))
    assert [(d.doc, d.reviewed, d.state, d.answers) for d in rows] == [
        ("a.md", "January 2023", "stale", 3), ("b.md", "January 2025", "current", 1),
        ("c.md", None, "stale", 0), ("d.md", None, "undated", 0), ("e.md", None, None, 0)]
    assert [d.state for d in documents(docs, [], stale_months=0, today=date(2025, 3, 10))][:2] == ["current", "current"]
    found = summarize([], embed=table_embed({}), quote=lambda p: Quote("", "", 0, 0), docs=docs, stale_months=12,
                      today=date(2025, 3, 10))
    assert [d.doc for d in found.stale] == ["a.md", "c.md"]


#: labelled pairs: (same meaning?, a, b). Written for the threshold, not for any test's example;
#: the different ones are mostly near misses (same drug, same form, another thing asked).
PAIRS = [(True, a, b) for a, b in [
    ("Is Klonopin safe during pregnancy?", "can i take clonazepam while pregnant"),
    ("Can I drink alcohol on Klonopin?", "is it ok to have a beer while taking klonopin"),
    ("How long does Klonopin withdrawal last?", "how many weeks do klonopin withdrawal symptoms go on"),
    ("Is ibuprofen safe with Klonopin?", "can I take advil together with klonopin"),
    ("What is the price of Klonopin?", "how much does klonopin cost"),
    ("Can Klonopin be taken while breastfeeding?", "is klonopin safe when nursing a baby"),
    ("Does insurance cover rehab for Klonopin?", "will my health insurance pay for klonopin addiction treatment"),
    ("What are the side effects of sertraline?", "zoloft side effects"),
    ("Can my dog take Klonopin?", "is klonopin safe for dogs"),
    ("How do I get a refill of my prescription?", "how can i refill my prescription"),
    ("Can I drive after taking Klonopin?", "is it safe to drive on klonopin"),
    ("What should I do if I miss a dose?", "i forgot to take my dose what now"),
    ("Does Klonopin cause weight gain?", "will klonopin make me gain weight"),
    ("Is melatonin safe with Klonopin?", "can i take melatonin and klonopin together"),
    ("Where is the nearest pharmacy?", "find a pharmacy near me"),
    ("How long does Klonopin stay in urine?", "how long is klonopin detectable in a urine test"),
    ("Can teenagers take Klonopin?", "is klonopin safe for a teen"),
    ("What does Klonopin look like?", "what color is a klonopin pill"),
]] + [(False, a, b) for a, b in [
    ("Is Klonopin safe during pregnancy?", "Is Klonopin safe with alcohol?"),
    ("Can I drink alcohol on Klonopin?", "Can I drive on Klonopin?"),
    ("How long does Klonopin withdrawal last?", "What are the symptoms of Klonopin withdrawal?"),
    ("Is ibuprofen safe with Klonopin?", "Is melatonin safe with Klonopin?"),
    ("What is the price of Klonopin?", "What is the dose of Klonopin?"),
    ("Can Klonopin be taken while breastfeeding?", "Can Klonopin cause memory loss?"),
    ("Does insurance cover rehab for Klonopin?", "How long does rehab for Klonopin take?"),
    ("What are the side effects of sertraline?", "What are the side effects of Klonopin?"),
    ("Can my dog take Klonopin?", "Can my child take Klonopin?"),
    ("How do I get a refill of my prescription?", "How do I stop taking my prescription?"),
    ("Does Klonopin cause weight gain?", "Does Klonopin cause hair loss?"),
    ("Where is the nearest pharmacy?", "Where is the nearest hospital?"),
    ("How long does Klonopin stay in urine?", "How long does Klonopin stay in hair?"),
    ("Can teenagers take Klonopin?", "Can the elderly take Klonopin?"),
    ("What does Klonopin look like?", "What does Klonopin treat?"),
    ("What is the weather today?", "How is Klonopin addiction treated?"),
    ("Is Xanax stronger than Klonopin?", "Is Valium stronger than Klonopin?"),
    ("How do I taper off Klonopin?", "How do I taper off Xanax?"),
]]


@pytest.mark.model
def test_the_grouping_threshold_is_the_best_on_the_labelled_pairs(real_embedder):
    """SAME_MEANING gets as many pairs right as the best threshold on a 0.01 grid does, and joins
    at most one pair of different questions (a wrong join hides a question from the help desk)."""
    same = np.array([s for s, _, _ in PAIRS])
    a, b = real_embedder.embed([p[1] for p in PAIRS]), real_embedder.embed([p[2] for p in PAIRS])
    cos = (a * b).sum(axis=1)

    def right(t: float) -> int:
        return int(((cos >= t) == same).sum())

    best = max(right(t) for t in np.arange(0.5, 0.95, 0.01))
    assert right(SAME_MEANING) == best, (right(SAME_MEANING), best)
    assert int(((cos >= SAME_MEANING) & ~same).sum()) <= 1
    assert right(SAME_MEANING) >= 0.8 * len(PAIRS)
