"""Score the bot on a queries file: the seed rules, or IR metrics on MedQuAD-style queries.

Two formats are recognised by their fields. Seed queries carry a `kind` (answerable,
out_of_scope, emergency, crisis) and are judged by the rules of the seed README, each result
with the reason it failed. MedQuAD-style queries carry a gold `doc` and `section`; the ranked
passages (no abstention) are scored at section level — hit@1/5/10, MRR@10, nDCG@10, with
several passages of one section counted once — and at document level (hit@5).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .pipeline import Bot
from .retrieve import Mode


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


def _same_doc(gold: str, doc: str) -> bool:
    # gold paths may be relative to a folder above the corpus ("corpus/1_x/0001.md")
    return gold == doc or gold.endswith("/" + doc)


def rank_metrics(bot: Bot, queries: Iterable[dict[str, Any]], *, mode: Mode | None = None) -> dict[str, Any]:
    totals = dict.fromkeys(["hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "doc_hit@5"], 0.0)
    n = 0
    for q in queries:
        n += 1
        hits = bot.search(q["question"], k=30, mode=mode)
        sections = list(dict.fromkeys((h.passage.doc, h.passage.section) for h in hits))[:10]
        rank = next((i for i, (d, s) in enumerate(sections, 1) if _same_doc(q["doc"], d) and s == q["section"]), None)
        if rank:
            totals["hit@1"] += rank == 1
            totals["hit@5"] += rank <= 5
            totals["hit@10"] += 1
            totals["mrr@10"] += 1 / rank
            totals["ndcg@10"] += 1 / math.log2(rank + 1)
        totals["doc_hit@5"] += any(_same_doc(q["doc"], d) for d, _ in sections[:5])
    return {"queries": n, **{k: round(v / max(n, 1), 4) for k, v in totals.items()}}


def evaluate(bot: Bot, queries: list[dict[str, Any]], *, mode: Mode | None = None) -> dict[str, Any]:
    seed = [q for q in queries if "kind" in q]
    ranked = [q for q in queries if "kind" not in q and q.get("section")]
    report: dict[str, Any] = {}
    if seed:
        results = []
        for q in seed:
            reason = seed_verdict(q, bot.ask(q["question"]).to_dict())
            results.append({"qid": q.get("qid"), "kind": q["kind"], "passed": reason is None, "reason": reason})
        report["seed"] = {"passed": sum(r["passed"] for r in results), "total": len(results), "results": results}
    if ranked:
        report["ranking"] = rank_metrics(bot, ranked, mode=mode)
    return report


def table(report: dict[str, Any]) -> str:
    """A readable summary of `evaluate`'s report."""
    lines = []
    if "seed" in report:
        s = report["seed"]
        lines.append(f"seed: {s['passed']}/{s['total']} passed")
        lines += [f"  FAIL {r['qid']} ({r['kind']}): {r['reason']}" for r in s["results"] if not r["passed"]]
    if "ranking" in report:
        r = report["ranking"]
        lines.append("| queries | " + " | ".join(k for k in r if k != "queries") + " |")
        lines.append("|---:|" + "---:|" * (len(r) - 1))
        lines.append(f"| {r['queries']} | " + " | ".join(f"{v:.3f}" for k, v in r.items() if k != "queries") + " |")
    return "\n".join(lines)
