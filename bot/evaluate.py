"""Score the bot on a queries file: the seed rules, or IR metrics on MedQuAD-style or graded queries.

Three formats are recognised by their fields. Seed queries carry a `kind` (answerable,
out_of_scope, emergency, crisis) and are judged by the rules of the seed README, each result
with the reason it failed. MedQuAD-style queries carry a gold `doc` and `section`; the ranked
passages (no abstention) are scored at section level — hit@1/5/10, MRR@10, nDCG@10, with
several passages of one section counted once — and at document level (hit@5). Consumer
queries carry graded `qrels` ([{doc, section, grade}]) and are scored as the consumer README
says: nDCG@10 with gain = grade, MRR@10 and hit@1 counting grade >= 2, and the mean grade of
the first section (0 when unjudged). `doc_qrels` (page-level grades) are not scored.

Judged docs may be relative to a folder above the corpus ("corpus/3_GHR_QA/0000058.md" where
the index holds "3_GHR_QA/0000058.md"): each is mapped to the index document it names by
dropping leading folders until the index holds it. The answers' abstention is not scored here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from .pipeline import Bot
from .retrieve import Mode
from .schema import Hit

RELEVANT = 2  # the grade from which a judged section counts as relevant for MRR and hit@1


def load_queries(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def seed_verdict(query: dict[str, Any], result: dict[str, Any]) -> str | None:
    """None when the answer meets its kind's rule, else the reason it does not."""
    kind, status, passages = query["kind"], result["status"], result["passages"]
    if not result["disclaimer"] or result["disclaimer"] not in result["markdown"]:
        return "the disclaimer is missing"
    if kind == "answerable":
        if status != "answered":
            return f"status is {status}, expected answered"
        top = passages[0]
        if (top["doc"], top["section"]) != (query["doc"], query["section"]):
            return f"first passage is from {top['doc']} › {top['section']}, expected {query['section']}"
        if query["must_quote"] not in top["text"]:
            return f"first passage does not contain {query['must_quote']!r}"
    elif kind == "out_of_scope":
        if status != "no_answer":
            return f"status is {status}, expected no_answer"
    elif kind in ("emergency", "crisis"):
        safety = result["safety"]
        if not safety or safety["kind"] != kind:
            return f"safety is {safety and safety['kind']}, expected {kind}"
        if not result["markdown"].startswith(safety["message"]):
            return "the safety notice does not come first"
    return None


def same_doc(gold: str, doc: str) -> bool:
    # gold paths may be relative to a folder above the corpus ("corpus/1_x/0001.md")
    return gold == doc or gold.endswith("/" + doc)


def sections_ranked(bot: Bot, question: str, *, mode: Mode | None = None, depth: int = 10) -> list[tuple[str, str]]:
    """The (doc, section) of the ranked passages, the first passage of each section kept, cut at `depth`."""
    return sections(bot.search(question, k=3 * depth, mode=mode))[:depth]


def sections(hits: Iterable[Hit]) -> list[tuple[str, str]]:
    """The (doc, section) of passages in their order, the first passage of each section kept."""
    return list(dict.fromkeys((h.passage.doc, h.passage.section) for h in hits))


def index_doc(gold: str, docs: Collection[str]) -> str:
    """The index's id of a judged doc: itself, or with leading folders dropped until the index
    holds it (judgments relative to a folder above the corpus); itself when none matches."""
    parts = gold.split("/")
    return next(("/".join(parts[i:]) for i in range(len(parts)) if "/".join(parts[i:]) in docs), gold)


def graded_scores(ranked: Sequence[tuple[str, str]], grades: dict[tuple[str, str], int], *, depth: int = 10) -> dict[str, float]:
    """nDCG@depth (gain = grade, ideal = the judgments sorted by grade), MRR@depth and hit@1
    (grade >= 2 relevant) and the first section's grade (0 unjudged) of one ranked section list,
    already deduplicated; unjudged sections have grade 0."""
    got = [grades.get(key, 0) for key in ranked[:depth]]
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(got, 1))
    ideal = sum(g / math.log2(i + 1) for i, g in enumerate(sorted(grades.values(), reverse=True)[:depth], 1))
    rank = next((i for i, g in enumerate(got, 1) if g >= RELEVANT), None)
    return {"ndcg@10": dcg / ideal if ideal else 0.0, "mrr@10": 1 / rank if rank else 0.0,
            "hit@1": float(rank == 1), "top1_grade": float(got[0]) if got else 0.0}


def index_docs(bot: Bot) -> set[str]:
    """The documents of the bot's index (what `index_doc` maps judged paths onto)."""
    return set(bot.index.manifest.get("files") or ()) or {p.doc for p in bot.index.passages}


def section_grades(qrels: Iterable[dict[str, Any]], docs: Collection[str]) -> dict[tuple[str, str], int]:
    """A query's graded judgments as {(index doc, section): grade}, the highest when repeated."""
    grades: dict[tuple[str, str], int] = {}
    for r in qrels:
        key = (index_doc(r["doc"], docs), r["section"])
        grades[key] = max(grades.get(key, 0), int(r["grade"]))
    return grades


def graded_metrics(bot: Bot, queries: Iterable[dict[str, Any]], *, mode: Mode | None = None) -> dict[str, Any]:
    """Means over the queries of `graded_scores`, for queries with graded `qrels`."""
    docs = index_docs(bot)
    totals = dict.fromkeys(["ndcg@10", "mrr@10", "hit@1", "top1_grade"], 0.0)
    n = 0
    for q in queries:
        n += 1
        grades = section_grades(q["qrels"], docs)
        for name, value in graded_scores(sections_ranked(bot, q["question"], mode=mode), grades).items():
            totals[name] += value
    return {"queries": n, **{k: round(v / max(n, 1), 4) for k, v in totals.items()}}


def rank_metrics(bot: Bot, queries: Iterable[dict[str, Any]], *, mode: Mode | None = None) -> dict[str, Any]:
    totals = dict.fromkeys(["hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "doc_hit@5"], 0.0)
    n = 0
    for q in queries:
        n += 1
        sections = sections_ranked(bot, q["question"], mode=mode)
        rank = next((i for i, (d, s) in enumerate(sections, 1) if same_doc(q["doc"], d) and s == q["section"]), None)
        if rank:
            totals["hit@1"] += rank == 1
            totals["hit@5"] += rank <= 5
            totals["hit@10"] += 1
            totals["mrr@10"] += 1 / rank
            totals["ndcg@10"] += 1 / math.log2(rank + 1)
        totals["doc_hit@5"] += any(same_doc(q["doc"], d) for d, _ in sections[:5])
    return {"queries": n, **{k: round(v / max(n, 1), 4) for k, v in totals.items()}}


def evaluate(bot: Bot, queries: list[dict[str, Any]], *, mode: Mode | None = None) -> dict[str, Any]:
    seed = [q for q in queries if "kind" in q]
    ranked = [q for q in queries if "kind" not in q and q.get("section")]
    graded = [q for q in queries if "kind" not in q and q.get("qrels")]
    report: dict[str, Any] = {}
    if seed:
        results = []
        for q in seed:
            reason = seed_verdict(q, bot.ask(q["question"]).to_dict())
            results.append({"qid": q.get("qid"), "kind": q["kind"], "passed": reason is None, "reason": reason})
        report["seed"] = {"passed": sum(r["passed"] for r in results), "total": len(results), "results": results}
    if ranked:
        report["ranking"] = rank_metrics(bot, ranked, mode=mode)
    if graded:
        report["graded"] = graded_metrics(bot, graded, mode=mode)
    return report


def table(report: dict[str, Any]) -> str:
    """A readable summary of `evaluate`'s report."""
    lines = []
    if "seed" in report:
        s = report["seed"]
        lines.append(f"seed: {s['passed']}/{s['total']} passed")
        lines += [f"  FAIL {r['qid']} ({r['kind']}): {r['reason']}" for r in s["results"] if not r["passed"]]
    for key in ("ranking", "graded"):
        if key in report:
            r = report[key]
            if key == "graded":
                lines.append("graded (consumer) metrics:")
            lines.append("| queries | " + " | ".join(k for k in r if k != "queries") + " |")
            lines.append("|---:|" + "---:|" * (len(r) - 1))
            lines.append(f"| {r['queries']} | " + " | ".join(f"{v:.3f}" for k, v in r.items() if k != "queries") + " |")
    return "\n".join(lines)
