"""The graded (consumer) metrics of bot/evaluate.py against hand-computed values, and the
MedQuAD-style and graded formats scored on a tiny corpus with the fake embedder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.build import build
from bot.evaluate import evaluate, graded_metrics, graded_scores, index_doc, load_queries, sections_ranked, table
from bot.schema import Hit, Passage

PAGES = {
    "pages/fever.md": "# Fever\n\n## Treatment\n\nRest in bed and drink plenty of fluids while the fever lasts, "
                      "and take paracetamol when the temperature climbs above the usual level for you.\n\n"
                      "## Outlook\n\nMost fevers pass within three days without any lasting harm to the body.\n",
    "pages/gout.md": "# Gout\n\n## Causes\n\nGout comes from crystals of uric acid that settle in a joint, "
                     "most often the big toe, after years of high uric acid in the blood.\n",
    "pages/rash.md": "# Rash\n\n## Symptoms\n\nA rash is red, itchy skin with small bumps or blisters on the arms.\n",
}


def passage(doc: str, section: str, text: str = "words") -> Passage:
    return Passage(doc, doc, section, None, 0, len(text), text)


class RankedBot:
    """Stands in for a Bot whose `search` returns a fixed ranked list of (doc, section) passages."""

    def __init__(self, ranked: list[tuple[str, str]], docs: list[str]) -> None:
        self.hits = [Hit(passage(d, s, f"passage {i}"), rank=i, score=0.5) for i, (d, s) in enumerate(ranked, 1)]
        self.index = type("FakeIndex", (), {"manifest": {"files": dict.fromkeys(docs, "sha")}, "passages": []})()

    def search(self, message: str, *, k: int = 10, mode: str | None = None) -> list[Hit]:
        return self.hits[:k]


def test_graded_scores_by_hand() -> None:
    grades = {("a", "A"): 1, ("c", "C"): 3, ("d", "D"): 2, ("e", "E"): 2}  # E is never retrieved
    scores = graded_scores([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")], grades)  # B: unjudged, gain 0
    dcg = 1 / 1 + 0 + 3 / math.log2(4) + 2 / math.log2(5)
    ideal = 3 / 1 + 2 / math.log2(3) + 2 / math.log2(4) + 1 / math.log2(5)
    assert scores["ndcg@10"] == pytest.approx(dcg / ideal) == pytest.approx(0.5905, abs=1e-4)
    assert scores["mrr@10"] == pytest.approx(1 / 3)  # grade 1 at rank 1 is not relevant: grade >= 2 is
    assert scores["hit@1"] == 0.0
    assert scores["top1_grade"] == 1.0


def test_graded_scores_edges() -> None:
    perfect = graded_scores([("c", "C"), ("d", "D")], {("c", "C"): 3, ("d", "D"): 2})
    assert perfect == {"ndcg@10": 1.0, "mrr@10": 1.0, "hit@1": 1.0, "top1_grade": 3.0}
    assert graded_scores([("x", "X")], {("c", "C"): 3}) == {"ndcg@10": 0.0, "mrr@10": 0.0, "hit@1": 0.0, "top1_grade": 0.0}
    assert graded_scores([], {("c", "C"): 3})["top1_grade"] == 0.0
    # the cut at 10: a relevant section at rank 11 counts for nothing
    ranked = [(f"d{i}", "S") for i in range(10)] + [("c", "C")]
    assert graded_scores(ranked, {("c", "C"): 3}) == {"ndcg@10": 0.0, "mrr@10": 0.0, "hit@1": 0.0, "top1_grade": 0.0}


def test_one_passage_per_section_and_judged_docs_relative_to_a_folder_above() -> None:
    # three passages of fever › Treatment, the first at rank 1: it counts once, and the later
    # sections move up (Outlook is second, not fourth)
    ranked = [("pages/fever.md", "Treatment"), ("pages/fever.md", "Treatment"), ("pages/gout.md", "Causes"),
              ("pages/fever.md", "Treatment"), ("pages/fever.md", "Outlook")]
    bot = RankedBot(ranked, list(PAGES))
    assert sections_ranked(bot, "q") == [("pages/fever.md", "Treatment"), ("pages/gout.md", "Causes"),
                                         ("pages/fever.md", "Outlook")]
    query = {"question": "q", "qrels": [{"doc": "corpus/pages/fever.md", "section": "Outlook", "grade": 2},
                                        {"doc": "corpus/pages/fever.md", "section": "Treatment", "grade": 1}]}
    got = graded_metrics(bot, [query])
    dcg = 1 + 2 / math.log2(4)
    ideal = 2 + 1 / math.log2(3)
    assert got == {"queries": 1, "ndcg@10": round(dcg / ideal, 4), "mrr@10": round(1 / 3, 4), "hit@1": 0.0,
                   "top1_grade": 1.0}


def test_index_doc() -> None:
    docs = {"3_GHR_QA/0000058.md", "corpus/x.md"}
    assert index_doc("corpus/3_GHR_QA/0000058.md", docs) == "3_GHR_QA/0000058.md"
    assert index_doc("3_GHR_QA/0000058.md", docs) == "3_GHR_QA/0000058.md"
    assert index_doc("corpus/x.md", docs) == "corpus/x.md"  # the index holds it as it is: kept
    assert index_doc("medquad/corpus/3_GHR_QA/0000058.md", docs) == "3_GHR_QA/0000058.md"
    assert index_doc("elsewhere/y.md", docs) == "elsewhere/y.md"  # unknown: unjudged in effect


@pytest.fixture
def tiny_bot(tmp_path: Path, fake) -> Bot:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    for name, text in PAGES.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    settings = Settings.load(corpus=corpus, index=tmp_path / "index")
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake)


def test_evaluate_on_a_tiny_corpus(tiny_bot: Bot, tmp_path: Path) -> None:
    question = "gout crystals of uric acid in the big toe joint"
    medquad = {"qid": "m1", "question": question, "doc": "corpus/pages/gout.md", "section": "Causes"}
    consumer = {"qid": "c1", "question": question, "qrels": [{"doc": "corpus/pages/gout.md", "section": "Causes", "grade": 3}]}
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in (medquad, consumer)) + "\n")
    for mode in ("bm25", "dense", "rrf", "hybrid"):
        report = evaluate(tiny_bot, load_queries(path), mode=mode)  # type: ignore[arg-type]
        assert set(report["ranking"]) == {"queries", "hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "doc_hit@5"}
        assert report["ranking"]["queries"] == 1  # the graded query is not a MedQuAD one
        assert report["graded"] == {"queries": 1, "ndcg@10": 1.0, "mrr@10": 1.0, "hit@1": 1.0, "top1_grade": 3.0}
        assert report["ranking"]["hit@1"] == 1.0
    assert "graded" in table(report) and "seed" not in report
