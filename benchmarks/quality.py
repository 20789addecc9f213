"""Answer quality, in one run: MedQuAD dev retrieval and the seed questions for BM25 alone,
dense alone, their reciprocal rank fusion and the shipped hybrid pipeline, plus the abstention
trade-off that chooses the "no answer" rule.

    python benchmarks/quality.py            # all of it (indexes are built once and cached)
    python benchmarks/quality.py --limit 200 # a quick look on the first 200 dev questions
    python benchmarks/quality.py --store milvus  # the same with the vectors in Milvus Lite

Writes benchmarks/results/quality.md (the README's table), quality.json and quality.png
(quality-milvus.* with --store milvus).
Reads ../shared/eval/ (MedQuAD corpus and dev questions, the seed questions).

Abstention sets: answerable = the seed's answerable questions (seed index) and the MedQuAD dev
questions (MedQuAD index); unanswerable = the seed's off-topic questions, the MedQuAD dev
questions asked of the seed index (other diseases), and benchmarks/data/offtopic.txt asked of
both indexes. The rule "answer when the best passage's cosine ≥ t" is chosen to maximise
Youden's J, answered + declined - 1 (each rate averaged over its sets), taking the middle of
any plateau.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

EVAL = ROOT.parent / "shared" / "eval"
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "results"
MODES = ("bm25", "dense", "rrf", "hybrid")


def open_bot(corpus: Path, name: str, embedder: SentenceTransformerEmbedder, store: str = "faiss", **overrides: object) -> Bot:
    if store == "milvus":  # the same index with its vectors moved into Milvus Lite (no re-embedding: they are reused)
        overrides |= {"vector_store": "milvus", "milvus_uri": str(CACHE / f"{name}-milvus.db")}
        build(Settings.load(corpus=corpus, index=CACHE / name), embedder, progress=True)
        if not (CACHE / f"{name}-milvus").exists():
            shutil.copytree(CACHE / name, CACHE / f"{name}-milvus", symlinks=True)
        name = f"{name}-milvus"
    settings = Settings.load(corpus=corpus, index=CACHE / name, **overrides)
    report = build(settings, embedder, progress=True)
    print(f"{name}: {report.passages} passages ({report.embedded} embedded, {report.seconds:.0f} s)", file=sys.stderr)
    return Bot.load(settings=settings, embedder=embedder)


def best_scores(bot: Bot, questions: list[str]) -> list[float]:
    """The cosine of the best passage of each question under the shipped retrieval."""
    return [hits[0].score if (hits := bot._retrieve(bot.analyse(q), 1, "hybrid")) else -1.0 for q in questions]


def rates(sets: dict[str, list[float]], t: float, answerable: bool) -> float:
    """Share answered (answerable sets) or declined (the others) at threshold t, averaged over the
    sets so that the 15 seed questions weigh as much as the 1,000 MedQuAD ones."""
    return float(np.mean([np.mean([(s >= t) == answerable for s in scores]) for scores in sets.values()]))


def choose_rule(answerable: dict[str, list[float]], unanswerable: dict[str, list[float]]) -> dict[str, object]:
    """The threshold maximising Youden's J (answered + declined - 1); on a plateau, its middle."""
    curve = [(t, rates(answerable, t, True), rates(unanswerable, t, False)) for t in np.round(np.arange(0.0, 0.8, 0.01), 2)]
    best = max(a + d for _, a, d in curve)
    plateau = [t for t, a, d in curve if a + d >= best - 1e-9]
    t = float(np.round(np.median(plateau), 2))
    return {"rule": {"min_score": t, "answered": rates(answerable, t, True), "declined": rates(unanswerable, t, False)},
            "cosine_curve": [(float(t), a, d) for t, a, d in curve]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N MedQuAD dev questions")
    parser.add_argument("--store", choices=["faiss", "milvus"], default="faiss",
                        help="where the vectors live (milvus: Milvus Lite files in benchmarks/cache)")
    args = parser.parse_args()
    began = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    seed_queries = load_queries(EVAL / "seed" / "queries.jsonl")
    dev = load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")[: args.limit or None]
    seed_bot = open_bot(ROOT / "corpus", "seed-index", embedder, args.store)
    mq_bot = open_bot(EVAL / "medquad" / "corpus", "medquad-index", embedder, args.store)

    rows = {}
    for mode in MODES:
        seed_bot.settings = replace(seed_bot.settings, retrieval=mode)
        seed = evaluate(seed_bot, seed_queries)["seed"]
        rows[mode] = {**rank_metrics(mq_bot, dev, mode=mode), "seed_passed": seed["passed"], "seed_total": seed["total"],
                      "seed_failed": [r["qid"] for r in seed["results"] if not r["passed"]]}
        print(mode, rows[mode], file=sys.stderr)
    seed_bot.settings = replace(seed_bot.settings, retrieval="hybrid")

    offtopic = (ROOT / "benchmarks" / "data" / "offtopic.txt").read_text().splitlines()
    answerable = {
        "seed answerable (seed index)": best_scores(seed_bot, [q["question"] for q in seed_queries if q["kind"] == "answerable"]),
        "MedQuAD dev (MedQuAD index)": best_scores(mq_bot, [q["question"] for q in dev]),
    }
    unanswerable = {
        "seed off-topic (seed index)": best_scores(seed_bot, [q["question"] for q in seed_queries
                                                              if q["kind"] == "out_of_scope"]),
        "MedQuAD dev (seed index)": best_scores(seed_bot, [q["question"] for q in dev]),
        "general off-topic (seed index)": best_scores(seed_bot, offtopic),
        "general off-topic (MedQuAD index)": best_scores(mq_bot, offtopic),
    }
    abstention = choose_rule(answerable, unanswerable)
    t = seed_bot.settings.min_score
    shipped = {"min_score": t, "answered": rates(answerable, t, True), "declined": rates(unanswerable, t, False),
               "per_set": {name: float(np.mean([(s >= t) == (name in answerable) for s in scores]))
                           for name, scores in {**answerable, **unanswerable}.items()}}
    suffix = "" if args.store == "faiss" else f"-{args.store}"
    (CACHE / f"abstention-scores{suffix}.json").write_text(json.dumps({"answerable": answerable, "unanswerable": unanswerable}))
    result = {"ranking": rows, "abstention": {**abstention, "shipped": shipped,
              "sizes": {name: len(v) for name, v in {**answerable, **unanswerable}.items()}},
              "dev_questions": len(dev), "seconds": round(time.perf_counter() - began)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    result["store"] = args.store
    (RESULTS / f"quality{suffix}.json").write_text(json.dumps(result, indent=2))
    (RESULTS / f"quality{suffix}.md").write_text(markdown(result))
    plot(result, RESULTS / f"quality{suffix}.png")
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
    lines += ["", "Abstention: the share of each question set the shipped rule (answer when the best passage's cosine "
              f"≥ {shipped['min_score']:.2f}) answers or declines:", "",
              "| question set | questions | answered (answerable sets) or declined (the others) |", "|---|---:|---:|"]
    lines += [f"| {name} | {a['sizes'][name]} | {rate:.3f} |" for name, rate in shipped["per_set"].items()]
    lines += ["", f"Averaged over the sets: {shipped['answered']:.3f} of answerable questions answered, "
              f"{shipped['declined']:.3f} of unanswerable ones declined (the threshold chosen on this data: "
              f"{rule['min_score']:.2f})."]
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
    right.plot(curve[:, 1], curve[:, 2], marker=".", label="cosine threshold t (0 to 0.79)")
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
