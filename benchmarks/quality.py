"""Answer quality, in one run: MedQuAD dev retrieval, the consumer questions (graded judgments
on the MedQuAD corpus) and the seed questions for BM25 alone, dense alone, their reciprocal rank
fusion and the shipped hybrid pipeline; the share of answerable and of "right topic, not covered"
questions each one answers; and the abstention trade-off that chooses the "no answer" rule.

    python benchmarks/quality.py            # all of it (indexes are built once and cached)
    python benchmarks/quality.py --limit 200 # a quick look on the first 200 dev questions
    python benchmarks/quality.py --store milvus  # the same with the vectors in Milvus Lite
    python benchmarks/quality.py --sets seed consumer  # only some sets (seed alone needs no MedQuAD index)

Writes benchmarks/results/quality.md (the README's table), quality.json and quality.png
(quality-milvus.* with --store milvus; quality-<sets>.* with --sets, so a partial run never
overwrites the full one).
Reads ../shared/eval/ (MedQuAD corpus and dev questions, the consumer questions, the seed
questions) and benchmarks/data/ (the near-topic and lay seed sets; make_near_topic.py makes the
MedQuAD one).

Coverage (who answers what): each set is asked through `Bot.ask` with the retrieval switched,
and the share whose status is "answered" is reported: answerable sets (seed answerable, the lay
rewordings of seed_answerable_lay.jsonl, MedQuAD dev, the consumer sets) should be answered,
the near-topic sets (seed_near_topic.jsonl on the seed index, medquad_near_topic.jsonl on the
MedQuAD index) and the general off-topic questions declined. For the lay seed questions the
share whose first quote comes from one of the sections listed for it is given too.

Abstention sets: answerable = the seed's answerable questions and their lay rewordings (seed
index), the MedQuAD dev questions and the consumer questions (MedQuAD index); unanswerable =
the seed's off-topic questions, the MedQuAD dev questions asked of the seed index (other
diseases), and benchmarks/data/offtopic.txt asked of both indexes. The rule "answer when the
best passage comes close enough (`Hit.relevance`: its cosine, or its best sentence's) ≥ t" takes
the highest t at which every answerable set keeps at least 99% answered (`--rechoose` chooses
again from the scores the last run cached, without the model).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, DATA, EVAL, RESULTS, open_bot  # noqa: E402
from benchmarks.coverage import load_sets as coverage_sets  # noqa: E402
from bot import Bot  # noqa: E402
from bot.embed import SentenceTransformerEmbedder  # noqa: E402
from bot.evaluate import evaluate, graded_metrics, load_queries, rank_metrics  # noqa: E402

MODES = ("bm25", "dense", "rrf", "hybrid")
SETS = ("dev", "consumer", "seed", "near")  # what --sets chooses among
CONSUMER = {"MEDIQA": "mediqa.jsonl", "LiveQA train": "liveqa-train.jsonl"}


def best_scores(bot: Bot, questions: list[str]) -> list[float]:
    """How close the best passage of each question comes under the shipped retrieval (`Hit.relevance`:
    its cosine, or its best sentence's when higher), what `min_score` is compared with."""
    return [hits[0].relevance if (hits := bot.search(q, k=1, mode="hybrid")) else -1.0 for q in questions]


def rates(sets: dict[str, list[float]], t: float, answerable: bool) -> float:
    """Share answered (answerable sets) or declined (the others) at threshold t, averaged over the
    sets so that the 15 seed questions weigh as much as the 1,000 MedQuAD ones."""
    return float(np.mean([np.mean([(s >= t) == answerable for s in scores]) for scores in sets.values()]))


#: every answerable set keeps at least this share answered by `min_score` (the coverage check after
#: it may decline up to 5% more: together they keep the issue's 95%)
KEEP = 0.99


def choose_rule(answerable: dict[str, list[float]], unanswerable: dict[str, list[float]]) -> dict[str, object]:
    """The highest threshold at which every answerable set keeps at least KEEP answered: as many
    unanswerable questions declined as the answerable ones allow. (Youden's J over the averages,
    used before, let one set of lay questions drop to 93% while the others stayed near 100%.)"""
    curve = [(t, rates(answerable, t, True), rates(unanswerable, t, False)) for t in np.round(np.arange(0.0, 0.8, 0.01), 2)]
    kept = [t for t, _, _ in curve if all(np.mean([s >= t for s in v]) >= KEEP for v in answerable.values())]
    t = float(max(kept)) if kept else 0.0
    return {"rule": {"min_score": t, "answered": rates(answerable, t, True), "declined": rates(unanswerable, t, False)},
            "cosine_curve": [(float(t), a, d) for t, a, d in curve]}


def rechoose(suffix: str = "") -> dict:
    """The threshold chosen again from the scores the last full run cached (no model run), and
    the results files written again with it."""
    result = json.loads((RESULTS / f"quality{suffix}.json").read_text())
    scores = json.loads((CACHE / f"abstention-scores{suffix}.json").read_text())
    result["abstention"].update(choose_rule(scores["answerable"], scores["unanswerable"]))
    return result


def coverage(bot: Bot, questions: list[str], modes: tuple[str, ...] = MODES,
             sections: list[list[str]] | None = None) -> dict[str, dict[str, float]]:
    """Per mode: the share of `questions` `Bot.ask` answers (status "answered") and, when the
    answering `sections` are given, the share whose first quote comes from one of them."""
    answered = {m: 0 for m in modes}
    right = {m: 0 for m in modes}
    shipped = bot.settings
    try:
        for i, question in enumerate(questions):  # question by question, so its embedding is reused
            for mode in modes:
                bot.settings = replace(shipped, retrieval=mode)
                reply = bot.ask(question)
                if reply.status == "answered":
                    answered[mode] += 1
                    right[mode] += bool(sections and reply.hits and reply.hits[0].passage.section in sections[i])
    finally:
        bot.settings = shipped
    n = max(len(questions), 1)
    return {m: {"answered": answered[m] / n, **({"first_quote_right": right[m] / n} if sections else {})} for m in modes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N MedQuAD dev questions")
    parser.add_argument("--store", choices=["faiss", "milvus"], default="faiss",
                        help="where the vectors live (milvus: Milvus Lite files in benchmarks/cache)")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS),
                        help="question sets to run (default all): dev = MedQuAD dev, consumer = MEDIQA and LiveQA, "
                             "seed = the seed questions and lay sets, near = the MedQuAD near-topic set; "
                             "the abstention rule is chosen only when dev and seed both run")
    parser.add_argument("--rechoose", action="store_true",
                        help="only choose the threshold again from the scores the last full run cached")
    args = parser.parse_args()
    if args.rechoose:
        result = rechoose("" if args.store == "faiss" else f"-{args.store}")
        write(result, "" if args.store == "faiss" else f"-{args.store}")
        return
    chosen = [s for s in SETS if s in args.sets]
    began = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    seed_queries = load_queries(EVAL / "seed" / "queries.jsonl")
    dev = load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")[: args.limit or None] if "dev" in chosen else []
    seed_bot = open_bot(ROOT / "corpus", "seed-index", embedder, args.store)
    needs_medquad = {"dev", "consumer", "near"} & set(chosen)
    mq_bot = open_bot(EVAL / "medquad" / "corpus", "medquad-index", embedder, args.store) if needs_medquad else None
    consumer = {name: load_queries(EVAL / "consumer" / file) for name, file in CONSUMER.items()} if "consumer" in chosen else {}
    lay = load_queries(DATA / "seed_answerable_lay.jsonl")
    seed_answerable = [q for q in seed_queries if q["kind"] == "answerable"]

    rows: dict[str, dict] = {}
    graded: dict[str, dict[str, dict]] = {name: {} for name in consumer}
    seed_ranking: dict[str, dict] = {}
    for mode in MODES:
        row: dict = {}
        if dev:
            row |= rank_metrics(mq_bot, dev, mode=mode)
        if "seed" in chosen:
            seed_bot.settings = replace(seed_bot.settings, retrieval=mode)
            seed = evaluate(seed_bot, seed_queries)["seed"]
            row |= {"seed_passed": seed["passed"], "seed_total": seed["total"],
                    "seed_failed": [r["qid"] for r in seed["results"] if not r["passed"]]}
            seed_ranking[mode] = rank_metrics(seed_bot, seed_answerable, mode=mode)
        rows[mode] = row
        for name, queries in consumer.items():
            graded[name][mode] = graded_metrics(mq_bot, queries, mode=mode)
        print(mode, rows[mode], {name: graded[name][mode] for name in graded}, file=sys.stderr)
    seed_bot.settings = replace(seed_bot.settings, retrieval="hybrid")

    offtopic = (DATA / "offtopic.txt").read_text().splitlines()
    covered: dict[str, dict] = {}  # set name → {"answerable": bool, "questions": n, "modes": {mode: shares}}

    def cover(name: str, bot: Bot, questions: list[str], answerable: bool, sections: list[list[str]] | None = None) -> None:
        covered[name] = {"answerable": answerable, "questions": len(questions),
                         "modes": coverage(bot, questions, sections=sections)}
        print(name, covered[name], file=sys.stderr)

    if "seed" in chosen:
        cover("seed answerable (seed index)", seed_bot, [q["question"] for q in seed_answerable], True,
              [[q["section"]] for q in seed_answerable])
        cover("seed lay answerable (seed index)", seed_bot, [q["question"] for q in lay], True, [q["sections"] for q in lay])
    if dev:
        cover("MedQuAD dev (MedQuAD index)", mq_bot, [q["question"] for q in dev], True)
    for name, queries in consumer.items():
        cover(f"{name} consumer (MedQuAD index)", mq_bot, [q["question"] for q in queries], True)
    if "seed" in chosen:
        _, near_seed = coverage_sets(medquad=False)[1]["seed, near topic"]  # the set coverage.py chooses on
        cover("seed near-topic (seed index)", seed_bot, near_seed, False)
        cover("general off-topic (seed index)", seed_bot, offtopic, False)
    if "near" in chosen:
        near = load_queries(DATA / "medquad_near_topic.jsonl")
        cover("MedQuAD near-topic (MedQuAD index)", mq_bot, [q["question"] for q in near], False)
    if needs_medquad:
        cover("general off-topic (MedQuAD index)", mq_bot, offtopic, False)

    result: dict = {"sets": chosen, "ranking": rows, "seed_ranking": seed_ranking, "consumer": graded,
                    "coverage": covered, "dev_questions": len(dev)}
    suffix = "" if args.store == "faiss" else f"-{args.store}"
    if "dev" in chosen and "seed" in chosen:
        answerable = {
            "seed answerable (seed index)": best_scores(seed_bot, [q["question"] for q in seed_answerable]),
            "MedQuAD dev (MedQuAD index)": best_scores(mq_bot, [q["question"] for q in dev]),
            "seed lay rewordings (seed index)": best_scores(seed_bot, [q["question"] for q in lay]),
            "consumer questions (MedQuAD index)": best_scores(mq_bot, [q["question"] for file in CONSUMER.values()
                                                                    for q in load_queries(EVAL / "consumer" / file)]),
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
        scores = {"answerable": answerable, "unanswerable": unanswerable}
        (CACHE / f"abstention-scores{suffix}.json").write_text(json.dumps(scores))
        result["abstention"] = {**abstention, "shipped": shipped,
                                "sizes": {name: len(v) for name, v in {**answerable, **unanswerable}.items()}}
    if chosen != list(SETS):
        suffix += "-" + "-".join(chosen)
    result["seconds"] = round(time.perf_counter() - began)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result["store"] = args.store
    write(result, suffix)


def write(result: dict, suffix: str) -> None:
    (RESULTS / f"quality{suffix}.json").write_text(json.dumps(result, indent=2))
    (RESULTS / f"quality{suffix}.md").write_text(markdown(result))
    if "abstention" in result:
        plot(result, RESULTS / f"quality{suffix}.png")
    print(markdown(result))


NAMES = {"bm25": "BM25 alone", "dense": "dense alone", "rrf": "RRF of the two", "hybrid": "**shipped hybrid**"}


def markdown(result: dict) -> str:
    lines: list[str] = []
    ranking = result["ranking"]
    if result["dev_questions"]:
        seed = "seed" in result["sets"]
        lines += [f"MedQuAD dev ({result['dev_questions']} questions, section level)"
                  + (" and the 19 seed questions:" if seed else ":"), "",
                  "| retrieval | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 | doc hit@5 |" + (" seed passed |" if seed else ""),
                  "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if seed else "")]
        for mode, r in ranking.items():
            passed = f" {r['seed_passed']}/{r['seed_total']} |" if seed else ""
            lines.append(f"| {NAMES[mode]} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['hit@10']:.3f} | {r['mrr@10']:.3f} | "
                         f"{r['ndcg@10']:.3f} | {r['doc_hit@5']:.3f} |{passed}")
        lines.append("")
    elif "seed" in result["sets"]:
        lines += ["Seed questions passed: " + ", ".join(f"{NAMES[m]} {r['seed_passed']}/{r['seed_total']}"
                                                        for m, r in ranking.items()), ""]
    lines += ["Every set side by side (first passage of each section, cut at 10). Consumer sets: graded judgments, "
              "nDCG@10 with gain = grade, MRR@10 and hit@1 counting grade ≥ 2, top-1 grade = the first section's "
              "grade (0 unjudged). MedQuAD dev and seed answerable: one gold section each (grade 1, so no top-1 grade).", "",
              "| question set | questions | retrieval | nDCG@10 | MRR@10 | hit@1 | top-1 grade |",
              "|---|---:|---|---:|---:|---:|---:|"]
    per_set = []
    if result["dev_questions"]:
        per_set.append(("MedQuAD dev", ranking))
    if result.get("seed_ranking"):
        per_set.append(("seed answerable", result["seed_ranking"]))
    per_set += [(f"{name} (consumer)", by_mode) for name, by_mode in result["consumer"].items()]
    for name, by_mode in per_set:
        for mode, r in by_mode.items():
            grade = f"{r['top1_grade']:.2f}" if "top1_grade" in r else "–"
            lines.append(f"| {name} | {r['queries']} | {NAMES[mode]} | {r['ndcg@10']:.3f} | {r['mrr@10']:.3f} | "
                         f"{r['hit@1']:.3f} | {grade} |")
    if result["coverage"]:
        modes = list(next(iter(result["coverage"].values()))["modes"])
        lines += ["", "Coverage: the share of each set `Bot.ask` treats as it should with each retrieval and the "
                  "shipped rules: answered (status answered) for the answerable sets, declined for the others "
                  "(near-topic: right topic, aspect not covered). All should be near 1. For the seed sets, in "
                  "brackets: first quote from a section that answers it.", "",
                  "| question set | should be | questions | " + " | ".join(NAMES[m] for m in modes) + " |",
                  "|---|---|---:|" + "---:|" * len(modes)]
        for name, c in result["coverage"].items():
            cells = []
            for m in modes:
                shares = c["modes"][m]
                share = shares["answered"] if c["answerable"] else 1 - shares["answered"]
                cells.append(f"{share:.3f}" + (f" ({shares['first_quote_right']:.3f})"
                                                              if "first_quote_right" in shares else ""))
            lines.append(f"| {name} | {'answered' if c['answerable'] else 'declined'} | {c['questions']} | "
                         + " | ".join(cells) + " |")
    if "abstention" in result:
        a = result["abstention"]
        rule, shipped = a["rule"], a["shipped"]
        lines += ["", "Abstention: the share of each question set the shipped rule (answer when the best passage's cosine, "
                  f"or its best sentence's, is ≥ {shipped['min_score']:.2f}) answers or declines:", "",
                  "| question set | questions | answered (answerable sets) or declined (the others) |", "|---|---:|---:|"]
        lines += [f"| {name} | {a['sizes'][name]} | {rate:.3f} |" for name, rate in shipped["per_set"].items()]
        lines += ["", f"Averaged over the sets: {shipped['answered']:.3f} of answerable questions answered, "
                  f"{shipped['declined']:.3f} of unanswerable ones declined (the threshold chosen on this data, the highest "
                  f"keeping every answerable set ≥ {KEEP:.0%} answered: {rule['min_score']:.2f})."]
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
