"""Choose the coverage check from data: when do the documents hold the topic but not what is asked?

    python benchmarks/coverage.py               # seed sets, and MedQuAD and consumer sets when
                                                # benchmarks/quality.py has built benchmarks/cache/medquad-index
    python benchmarks/coverage.py --no-medquad  # the seed document's sets only (seconds)

Every question is asked with the check off, and `Bot.coverage` records the two signals of
`bot/coverage.py`: how rare in everyday English the rarest question word is that the quoted
passages' documents lack (`specificity`, a Zipf frequency), and how close in meaning the rest of
the question (its topic words taken away) is to the best quoted passage (`similarity`). A
question is then declined at settings (Z, t) when it was not answered anyway (the `min_score`
rule) or when some word rarer than Z is missing and the similarity is below t.

Sets that must be answered: the seed questions (../shared/eval/seed), the lay rewordings of
questions the seed document answers (benchmarks/data/seed_answerable_lay.jsonl), MedQuAD dev
and the consumer questions with a judged answer (grade >= 2). Sets that must be declined: the
seed document's and MedQuAD's "right topic, not covered" questions
(benchmarks/data/*_near_topic.jsonl) and off-topic questions (benchmarks/data/offtopic.txt).

The settings kept are those that decline the most near-topic questions (mean over those sets)
while every answerable set keeps at least 95% answered; each set's figure is also shown with the
settings chosen on the OTHER sets (leave one set out), the honest estimate for questions not
seen. benchmarks/data/seed_fresh_coverage.jsonl (questions written apart, both kinds) is only
reported, never used to choose. Writes benchmarks/results/coverage.md, coverage.json and
coverage.png (the trade-off).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

from bot import Bot, Settings  # noqa: E402
from bot.embed import make_embedder  # noqa: E402
from bot.evaluate import load_queries  # noqa: E402
from bot.index import build  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
DATA = ROOT / "benchmarks" / "data"
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "results"
ZIPF = (4.0, 4.5, 5.0, 5.5, 6.0)
THRESHOLDS = np.round(np.arange(-0.1, 0.71, 0.01), 2)
KEEP = 0.95


def signals(bot: Bot, questions: list[str]) -> list[dict]:
    """Per question: answered with the check off?, and the check's two signals."""
    shipped = bot.settings  # every missing word is recorded (Z = 99); the grid decides which count
    bot.settings = replace(shipped, coverage_threshold=0.0, coverage_specificity=99.0)
    rows = []
    for q in questions:
        answer = bot.ask(q)
        searched = answer.searched_for or q
        found = bot.coverage(searched, bot.search(searched, k=10))
        rows.append({"question": q, "answered": answer.status == "answered", "specificity": found.specificity,
                     "similarity": found.similarity, "asked": found.asked})
    bot.settings = shipped
    return rows


def answered(rows: list[dict], z: float, t: float) -> np.ndarray:
    return np.array([r["answered"] and not (r["specificity"] is not None and r["specificity"] < z
                                            and r["similarity"] < t) for r in rows])


def choose(answerable: dict[str, list[dict]], unanswerable: dict[str, list[dict]]) -> tuple[float, float]:
    """(Z, t) declining the most of the near-topic sets with every answerable set >= KEEP answered."""
    best, pick = -1.0, (0.0, -1.0)
    for z in ZIPF:
        for t in THRESHOLDS:
            if all(answered(rows, z, t).mean() >= KEEP for rows in answerable.values()):
                declined = np.mean([1 - answered(rows, z, t).mean() for rows in unanswerable.values()])
                if declined > best + 1e-9 or (abs(declined - best) < 1e-9 and (z, t) < pick):
                    best, pick = declined, (z, float(t))
    return pick


def questions(path: Path) -> list[str]:
    return [q["question"] for q in load_queries(path)]


def load_sets(medquad: bool) -> tuple[dict[str, tuple[str, list[str]]], dict[str, tuple[str, list[str]]]]:
    """{set: (corpus, questions)} that must be answered, and those that must be declined."""
    seed = [q["question"] for q in load_queries(EVAL / "seed" / "queries.jsonl") if q.get("kind") == "answerable"]
    offtopic = [line.strip() for line in (DATA / "offtopic.txt").read_text("utf-8").splitlines() if line.strip()]
    answerable = {"seed questions": ("seed", seed)}
    unanswerable = {"off-topic (seed corpus)": ("seed", offtopic)}
    if (DATA / "seed_answerable_lay.jsonl").is_file():
        answerable["seed, lay rewordings"] = ("seed", questions(DATA / "seed_answerable_lay.jsonl"))
    if (DATA / "seed_near_topic.jsonl").is_file():
        unanswerable["seed, near topic"] = ("seed", questions(DATA / "seed_near_topic.jsonl"))
    if medquad:
        answerable["MedQuAD dev"] = ("medquad", questions(EVAL / "medquad" / "queries" / "dev.jsonl"))
        for path in sorted((EVAL / "consumer").glob("*.jsonl")):
            gold = [q["question"] for q in load_queries(path) if any(r.get("grade", 0) >= 2 for r in q.get("qrels", []))]
            answerable[f"consumer {path.stem}"] = ("medquad", gold)
        if (DATA / "medquad_near_topic.jsonl").is_file():
            unanswerable["MedQuAD, near topic"] = ("medquad", questions(DATA / "medquad_near_topic.jsonl"))
        unanswerable["off-topic (MedQuAD corpus)"] = ("medquad", offtopic)
    return answerable, unanswerable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-medquad", action="store_true", help="only the seed document's sets")
    args = parser.parse_args()
    medquad = not args.no_medquad and (CACHE / "medquad-index").exists()
    answerable_q, unanswerable_q = load_sets(medquad)
    bots: dict[str, Bot] = {}
    settings = Settings.load()
    embedder = make_embedder(settings)
    seed_settings = Settings.load(corpus=ROOT / "corpus", index=CACHE / "seed-index")
    build(seed_settings, embedder)
    bots["seed"] = Bot.load(settings=seed_settings, embedder=embedder)
    if medquad:
        bots["medquad"] = Bot.load(settings=Settings.load(corpus=EVAL / "medquad" / "corpus", index=CACHE / "medquad-index"),
                                   embedder=embedder)
    answerable = {name: signals(bots[c], qs) for name, (c, qs) in answerable_q.items()}
    unanswerable = {name: signals(bots[c], qs) for name, (c, qs) in unanswerable_q.items()}
    fresh = load_queries(DATA / "seed_fresh_coverage.jsonl") if (DATA / "seed_fresh_coverage.jsonl").is_file() else []
    reported = {f"fresh, {kind} (reported only)": (signals(bots["seed"], [q["question"] for q in fresh
                                                                          if q["answerable"] == must]), must)
                for kind, must in (("answerable", True), ("near topic", False))} if fresh else {}
    z, t = choose(answerable, unanswerable)
    held_out = {}
    everything = {**{k: (v, True) for k, v in answerable.items()}, **{k: (v, False) for k, v in unanswerable.items()}}
    for name, (rows, must_answer) in everything.items():
        others_a = {k: v for k, v in answerable.items() if k != name}
        others_u = {k: v for k, v in unanswerable.items() if k != name} or unanswerable
        zo, to = choose(others_a, others_u)
        share = answered(rows, zo, to).mean()
        held_out[name] = float(share if must_answer else 1 - share)
    for name, (rows, must_answer) in reported.items():
        held_out[name] = float(answered(rows, z, t).mean() if must_answer else 1 - answered(rows, z, t).mean())
    table = []
    for name, (rows, must_answer) in {**everything, **reported}.items():
        before = float(np.mean([r["answered"] for r in rows]))
        after = float(answered(rows, z, t).mean())
        table.append({"set": name, "questions": len(rows), "must": "answer" if must_answer else "decline",
                      "right_before": before if must_answer else 1 - before,
                      "right_after": after if must_answer else 1 - after, "right_held_out": held_out[name]})
    curve = {str(zz): [[float(tt), float(np.mean([answered(r, zz, tt).mean() for r in answerable.values()])),
                        float(np.mean([1 - answered(r, zz, tt).mean() for r in unanswerable.values()]))]
                       for tt in THRESHOLDS] for zz in ZIPF}
    result = {"chosen": {"specific": z, "threshold": t}, "table": table, "curve": curve,
              "declined_examples": [{"question": r["question"], "asked": r["asked"]}
                                    for rows in unanswerable.values() for r in rows
                                    if r["answered"] and not answered([r], z, t)[0]][:40],
              "answerable_declined": [{"question": r["question"], "asked": r["asked"]}
                                      for rows in answerable.values() for r in rows
                                      if r["answered"] and not answered([r], z, t)[0]][:40]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coverage.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "coverage.md").write_text(markdown(result), "utf-8")
    plot(curve, z, t)
    print(markdown(result))


def markdown(result: dict) -> str:
    c = result["chosen"]
    lines = [f"Chosen: a question is declined when a word rarer than Zipf {c['specific']} is missing from the quoted "
             f"passages' documents and the rest of the question has a cosine below {c['threshold']:.2f} with the best "
             f"quoted passage (BOT_COVERAGE_THRESHOLD={c['threshold']:.2f}).", "",
             "| set | questions | must be | right before (min_score only) | right with the check | "
             "right, settings chosen without this set |", "|---|---:|---|---:|---:|---:|"]
    for r in result["table"]:
        must = "answered" if r["must"] == "answer" else "declined"
        lines.append(f"| {r['set']} | {r['questions']} | {must} | {r['right_before']:.3f} | {r['right_after']:.3f} | "
                     f"{r['right_held_out']:.3f} |")
    lines += ["", "Near-topic questions the check now declines (the words it names):", ""]
    lines += [f"- {e['question']!r} → not about {e['asked']!r}" for e in result["declined_examples"][:15]]
    lines += ["", "Answerable questions it declines:", ""]
    lines += [f"- {e['question']!r} → not about {e['asked']!r}" for e in result["answerable_declined"][:15]] or ["- none"]
    return "\n".join(lines) + "\n"


def plot(curve: dict, z: float, t: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for zz, points in curve.items():
        pts = np.array(points)
        ax.plot(pts[:, 2], pts[:, 1], label=f"Zipf < {zz}", lw=2 if float(zz) == z else 1)
    ax.axhline(KEEP, color="grey", ls=":", lw=1)
    chosen = np.array(curve[str(z)])
    row = chosen[np.argmin(abs(chosen[:, 0] - t))]
    ax.plot(row[2], row[1], "ko")
    ax.annotate(f"chosen: t={t:.2f}", (row[2], row[1]), textcoords="offset points", xytext=(6, -12))
    ax.set_xlabel("share declined, sets that must be declined (mean)")
    ax.set_ylabel("share answered, answerable sets (mean)")
    ax.set_title("Coverage check: the trade-off as the threshold t rises")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "coverage.png", dpi=110)


if __name__ == "__main__":
    main()
