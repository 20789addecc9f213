"""The consumer questions as a caller of `python -m bot ask --json` sees them, in one run: each
retrieval (`BOT_RETRIEVAL`) with ten passages per reply (`BOT_TOP_K=10`), the whole pipeline
answering (the "no answer" rule and the coverage check included). A declined question shows no
passages, so it scores 0; `quality.py` ranks the same questions without declining any.

    python benchmarks/consumer_ask.py   # needs the MedQuAD index quality.py builds (cached)

Writes benchmarks/results/consumer_ask.md and consumer_ask.json: per set and retrieval, the
questions declined, nDCG@10 and the first quote's grade, from the passages of each reply.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import EVAL, RESULTS, open_bot  # noqa: E402
from bot import Bot, Settings  # noqa: E402
from bot.embed import make_embedder  # noqa: E402
from bot.evaluate import graded_scores, index_docs, load_queries, section_grades, sections  # noqa: E402

MODES = (("hybrid", "**shipped hybrid**"), ("dense", "dense alone"), ("rrf", "RRF of the two"), ("bm25", "BM25 alone"))


def scores(bot: Bot, queries: list[dict], docs: set[str]) -> dict[str, float]:
    """Means over `queries` of the graded scores of each reply's passages (sections, first passage
    of each, in the reply's order), and the share declined."""
    totals = {"declined": 0.0, "ndcg@10": 0.0, "top1_grade": 0.0}
    for q in queries:
        reply = bot.ask(q["question"])
        totals["declined"] += reply.status != "answered"
        found = graded_scores(sections(reply.hits), section_grades(q["qrels"], docs))
        totals["ndcg@10"] += found["ndcg@10"]
        totals["top1_grade"] += found["top1_grade"]
    return {k: round(v / max(len(queries), 1), 3) for k, v in totals.items()}


def main() -> None:
    bot = open_bot(EVAL / "medquad" / "corpus", "medquad-index", make_embedder(Settings.load()), top_k=10)
    docs, shipped = index_docs(bot), bot.settings
    sets = {path.stem: [q for q in load_queries(path) if q.get("qrels")] for path in sorted((EVAL / "consumer").glob("*.jsonl"))}
    result = {}
    for name, queries in sets.items():
        for mode, _ in MODES:
            bot.settings = replace(shipped, retrieval=mode)
            result[f"{name}/{mode}"] = {"questions": len(queries), **scores(bot, queries, docs)}
            print(name, mode, result[f"{name}/{mode}"], flush=True)
    bot.settings = shipped
    lines = ["Consumer questions through `Bot.ask` (as `python -m bot ask --json` with `BOT_TOP_K=10`), each "
             "retrieval in one run; a declined question scores 0:", "",
             "| set | questions | retrieval | declined | nDCG@10 | top-1 grade |", "|---|---:|---|---:|---:|---:|"]
    for name in sets:
        for mode, label in MODES:
            r = result[f"{name}/{mode}"]
            lines.append(f"| {name} | {r['questions']} | {label} | {r['declined']:.3f} | {r['ndcg@10']:.3f} | "
                         f"{r['top1_grade']:.2f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "consumer_ask.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "consumer_ask.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
