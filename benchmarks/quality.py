"""Answer quality, in one run: MedQuAD dev retrieval and the seed questions for BM25 alone,
dense alone, their reciprocal rank fusion and the shipped hybrid pipeline, plus the abstention
trade-off that chooses the "no answer" rule.

    python benchmarks/quality.py            # all of it (indexes are built once and cached)
    python benchmarks/quality.py --limit 200 # a quick look on the first 200 dev questions

Writes benchmarks/results/quality.md (the README's table), quality.json and quality.png.
Reads ../shared/eval/ (MedQuAD corpus and dev questions, the seed questions).

Abstention sets: answerable = the seed's answerable questions (seed index) and the MedQuAD dev
questions (MedQuAD index); unanswerable = the seed's off-topic questions, the MedQuAD dev
questions asked of the seed index (other diseases), and benchmarks/data/offtopic.txt asked of
both indexes. The rule "answer when the best passage's cosine ≥ t and the share of topic words
the corpus knows ≥ c" is chosen on a grid to maximise the smaller of the two rates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

from bot import Bot, Settings  # noqa: E402
from bot.embed import SentenceTransformerEmbedder  # noqa: E402
from bot.evaluate import evaluate, load_queries, rank_metrics  # noqa: E402
from bot.index import build  # noqa: E402
from bot.query import coverage  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "results"
MODES = ("bm25", "dense", "rrf", "hybrid")


def open_bot(corpus: Path, name: str, embedder: SentenceTransformerEmbedder, **overrides: object) -> Bot:
    settings = Settings.load(corpus=corpus, index=CACHE / name, **overrides)
    report = build(settings, embedder, progress=True)
    print(f"{name}: {report.passages} passages ({report.embedded} embedded, {report.seconds:.0f} s)", file=sys.stderr)
    return Bot.load(settings=settings, embedder=embedder)


def features(bot: Bot, questions: list[str]) -> np.ndarray:
    """(best cosine, topic coverage) of each question under the shipped retrieval."""
    rows = []
    for question in questions:
        q = bot.analyse(question)
        hits = bot._retrieve(q, 3, "hybrid")
        rows.append((hits[0].score if hits else -1.0, coverage(q.text, bot.index.words)))
    return np.array(rows)


def choose_rule(answerable: np.ndarray, unanswerable: np.ndarray) -> dict[str, object]:
    best: dict[str, object] = {}
    curve = []
    for t in np.round(np.arange(0.0, 0.80, 0.01), 2):
        answered = float(np.mean(answerable[:, 0] >= t))
        declined = float(np.mean(unanswerable[:, 0] < t))
        curve.append((float(t), answered, declined))
        for c in np.round(np.arange(0.0, 1.01, 0.05), 2):
            a = float(np.mean((answerable[:, 0] >= t) & (answerable[:, 1] >= c)))
            d = float(np.mean(~((unanswerable[:, 0] >= t) & (unanswerable[:, 1] >= c))))
            if not best or min(a, d) > min(best["answered"], best["declined"]) + 1e-9:  # type: ignore[operator]
                best = {"min_score": float(t), "min_coverage": float(c), "answered": a, "declined": d}
    return {"rule": best, "cosine_curve": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N MedQuAD dev questions")
    args = parser.parse_args()
    began = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    seed_queries = load_queries(EVAL / "seed" / "queries.jsonl")
    dev = load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")[: args.limit or None]
    seed_bot = open_bot(ROOT / "corpus", "seed-index", embedder)
    mq_bot = open_bot(EVAL / "medquad" / "corpus", "medquad-index", embedder)

    rows = {}
    for mode in MODES:
        seed_bot.settings = replace(seed_bot.settings, retrieval=mode)
        seed = evaluate(seed_bot, seed_queries)["seed"]
        rows[mode] = {**rank_metrics(mq_bot, dev, mode=mode), "seed_passed": seed["passed"], "seed_total": seed["total"],
                      "seed_failed": [r["qid"] for r in seed["results"] if not r["passed"]]}
        print(mode, rows[mode], file=sys.stderr)
    seed_bot.settings = replace(seed_bot.settings, retrieval="hybrid")

    offtopic = (ROOT / "benchmarks" / "data" / "offtopic.txt").read_text().splitlines()
    answerable = np.vstack([
        features(seed_bot, [q["question"] for q in seed_queries if q["kind"] == "answerable"]),
        features(mq_bot, [q["question"] for q in dev]),
    ])
    unanswerable = np.vstack([
        features(seed_bot, [q["question"] for q in seed_queries if q["kind"] == "out_of_scope"]),
        features(seed_bot, [q["question"] for q in dev]),
        features(seed_bot, offtopic),
        features(mq_bot, offtopic),
    ])
    abstention = choose_rule(answerable, unanswerable)
    t, c = seed_bot.settings.min_score, seed_bot.settings.min_coverage
    shipped = {
        "answered": float(np.mean((answerable[:, 0] >= t) & (answerable[:, 1] >= c))),
        "declined": float(np.mean(~((unanswerable[:, 0] >= t) & (unanswerable[:, 1] >= c)))),
        "min_score": t, "min_coverage": c,
    }
    result = {"ranking": rows, "abstention": {**abstention, "shipped": shipped,
              "sizes": {"answerable": len(answerable), "unanswerable": len(unanswerable)}},
              "dev_questions": len(dev), "seconds": round(time.perf_counter() - began)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "quality.md").write_text(markdown(result))
    plot(result, RESULTS / "quality.png")
    print(markdown(result))


def markdown(result: dict) -> str:
    names = {"bm25": "BM25 alone", "dense": "dense alone", "rrf": "RRF of the two", "hybrid": "**shipped hybrid**"}
    lines = [f"MedQuAD dev ({result['dev_questions']} questions, section level) and the 19 seed questions:", "",
             "| retrieval | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 | doc hit@5 | seed passed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for mode, r in result["ranking"].items():
        lines.append(f"| {names[mode]} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['hit@10']:.3f} | {r['mrr@10']:.3f} | "
                     f"{r['ndcg@10']:.3f} | {r['doc_hit@5']:.3f} | {r['seed_passed']}/{r['seed_total']} |")
    a = result["abstention"]
    rule, shipped = a["rule"], a["shipped"]
    lines += ["", f"Abstention ({a['sizes']['answerable']} answerable, {a['sizes']['unanswerable']} unanswerable questions):", "",
              "| rule | min cosine | min topic coverage | answerable answered | unanswerable declined |",
              "|---|---:|---:|---:|---:|",
              f"| best on the grid | {rule['min_score']:.2f} | {rule['min_coverage']:.2f} | {rule['answered']:.3f} | "
              f"{rule['declined']:.3f} |",
              f"| **shipped** | {shipped['min_score']:.2f} | {shipped['min_coverage']:.2f} | {shipped['answered']:.3f} | "
              f"{shipped['declined']:.3f} |"]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    modes = list(result["ranking"])
    for i, metric in enumerate(("hit@1", "hit@5", "mrr@10")):
        left.bar(np.arange(len(modes)) + i * 0.27, [result["ranking"][m][metric] for m in modes], 0.27, label=metric)
    left.set_xticks(np.arange(len(modes)) + 0.27, modes)
    left.set_ylim(0, 1)
    left.set_title("MedQuAD dev, section level")
    left.legend(loc="lower right")
    curve = np.array(result["abstention"]["cosine_curve"])
    right.plot(curve[:, 1], curve[:, 2], marker=".", label="cosine threshold alone")
    shipped = result["abstention"]["shipped"]
    right.scatter([shipped["answered"]], [shipped["declined"]], color="red", zorder=3, label="shipped rule")
    right.set_xlabel("answerable questions answered (coverage)")
    right.set_ylabel("unanswerable questions declined")
    right.set_title("Abstention trade-off")
    right.grid(alpha=0.3)
    right.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
