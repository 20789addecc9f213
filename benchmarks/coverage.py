"""Choose the coverage check from data: when do the documents hold the topic but not what is asked?

    python benchmarks/coverage.py               # seed sets, and MedQuAD and consumer sets when
                                                # benchmarks/quality.py has built benchmarks/cache/medquad-index
    python benchmarks/coverage.py --no-medquad  # the seed document's sets only (seconds)

Every question is asked with the check off, and `Bot.coverage` records its signals (see
bot/coverage.py): the question's length, the words the quoted passages' documents never use and
how common each is in everyday English, the question's best cosine with a quoted sentence, and
how that changes when each missing word is taken out, and when all are (at each specificity),
whether a number or code of the name asked about is written by no quote, and whether a missing
word is one everyday English never uses.
`coverage.declines` is then evaluated on a grid of its nine settings: longest question checked
(words), specificity (Zipf), gain, sentence cosine, longest question the sentence cosine is
checked in, longest question checked for an unmet aspect (words; `coverage.unmet`), longest
question declined when the quoted passages use none of its asking words rarer than a Zipf
frequency (`coverage.unquoted`), with that frequency, and longest story whose missing words still
decline it (the gain needed growing with its length): millions of points, scored by broadcasting.

Sets that must be answered: the seed questions (../shared/eval/seed), the lay rewordings of
questions the seed document answers (benchmarks/data/seed_answerable_lay.jsonl, and the answerable
half of seed_fresh_coverage.jsonl), MedQuAD dev and the consumer questions with a judged answer
(grade >= 2). Sets that must be declined: the seed document's and MedQuAD's "right topic, not
covered" questions (benchmarks/data/*_near_topic.jsonl, and the other half of
seed_fresh_coverage.jsonl) and off-topic questions (benchmarks/data/offtopic.txt).

A message holding several questions is checked as `Bot.ask` answers it: question by question
(`dialogue.questions`, each later one a follow-up of those before), and it counts as answered when
one of its questions is; a message under a safety notice is checked whole. The settings kept are
those that decline the most near-topic questions (mean over those sets) while every answerable set
keeps at least 95% answered (the goal; with a margin, 96%, the best point declines 0.823 and 0.879
of the two near-topic sets); each set's figure is also shown with the settings chosen on the OTHER
sets (leave one set out), the honest estimate for questions not seen.
benchmarks/data/seed_reported_coverage.jsonl (questions written apart after the rule was built,
both kinds) is only reported, never used to choose. Writes benchmarks/results/coverage.md,
coverage.json and coverage.png (the trade-off).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, DATA, EVAL, RESULTS, open_bot  # noqa: E402
from bot import Bot, Settings, dialogue  # noqa: E402
from bot.coverage import UNKNOWN_ZIPF, declines, named, unquoted  # noqa: E402
from bot.embed import make_embedder  # noqa: E402
from bot.evaluate import load_queries  # noqa: E402
from bot.pipeline import clean_question  # noqa: E402

ZIPF = (4.0, 4.5, 5.0, 5.5, 6.0)
GAINS = (-0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.15, 9.0)  # 9: gain never decides
SENTENCES = (0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)  # 0: the sentence cosine never decides
LENGTHS = (10, 12, 15, 20, 25, 30, 999)
ASPECT_LENGTHS = (0, 8, 10, 12, 15, 20, 30, 999)  # 0: the aspect part never decides
QUOTED_ZIPF = (5.0, 5.5, 6.0, 9.0)  # 9: every asking word counts
#: (longest question, Zipf) of the unquoted part; (0, ...): it never decides
QUOTED = [(0, 5.5)] + [(n, z) for n in (10, 12, 15, 20, 25, 30, 999) for z in QUOTED_ZIPF]
STORY_LENGTHS = (0, 20, 25, 30, 999)  # 0: a message longer than max words is never declined by its missing words
KEEP = 0.95
#: (max words, Zipf, gain, sentence, sentence words, aspect words, quoted words, quoted Zipf, story words)
Point = tuple[int, float, float, float, int, int, int, float, int]
SETTINGS = ("max_words", "specificity", "gain", "sentence", "sentence_words", "aspect_words", "quoted_words",
            "quoted_specificity", "story_words")
#: the grid's axes, in the order of a Point (the quoted pair is one axis: `QUOTED`)
AXES = (LENGTHS, ZIPF, GAINS, SENTENCES, LENGTHS, ASPECT_LENGTHS, QUOTED, STORY_LENGTHS)


def signals(bot: Bot, questions: list[str]) -> list[dict]:
    """Per message: answered with the check off?, and per question of it, as `Bot.ask` splits it
    (`dialogue.questions`: each later one asked as a follow-up of those before), answered with the
    check off? and the check's signals (every missing word compared). A message is answered when
    one of its questions is, as the bot shows it."""
    shipped = bot.settings
    bot.settings = replace(shipped, coverage_max_words=0, coverage_specificity=99.0)  # 0: the check off
    rows = []
    for q in questions:
        text = clean_question(q)
        notice = bot.screen(text)[1]
        parts = [text] if notice else dialogue.questions(text, bot.topics)
        found, earlier = [], list[str]()
        for part in parts:
            answer = bot.ask(part, history=earlier) if len(parts) > 1 else bot.ask(q)
            searched = answer.searched_for or part
            found.append({"answered": answer.status == "answered",
                          "found": bot.coverage(bot.analyse(searched).text, bot.search(searched, k=10), joint=ZIPF)})
            earlier.append(part)
        rows.append({"question": q, "answered": any(f["answered"] for f in found), "parts": found})
    bot.settings = shipped
    return rows


@dataclass
class Signals:
    """One set's signals as arrays, one entry per question of its messages (`starts`: where each
    message begins), so a point of the grid is a few vector operations."""

    before: np.ndarray  # answered with the check off
    length: np.ndarray
    sentence: np.ndarray  # best sentence cosine (inf: no word was missing)
    unmet: np.ndarray  # some aspect asked is met by no quoted passage
    unnamed: np.ndarray  # a number or code of the question's name no quoted passage writes
    unknown: np.ndarray  # a missing word everyday English never uses (`coverage.UNKNOWN_ZIPF`)
    unquoted: dict[float, np.ndarray]  # per Zipf: asking words rarer than it, none used by the quoted passages
    best_gain: dict[float, np.ndarray]  # per specificity: the largest gain of a word rarer than it (-inf: none)
    compared: dict[float, np.ndarray]  # per specificity: some missing word rarer than it
    starts: np.ndarray  # the index of each message's first question


_SIGNALS: dict[int, Signals] = {}  # by the id of a set's rows (each set's list is kept all run)


def arrays(rows: list[dict]) -> Signals:
    if (found := _SIGNALS.get(id(rows))) is None:
        parts = [part for r in rows for part in r["parts"]]

        def best(r: dict, z: float) -> float:
            single = [g for zz, g in zip(r["found"].zipf, r["found"].gains) if zz < z]
            return max(single + [g for zz, g in r["found"].joint if zz == z], default=-np.inf) if single else -np.inf

        found = _SIGNALS[id(rows)] = Signals(
            np.array([r["answered"] for r in parts], dtype=bool), np.array([r["found"].length for r in parts]),
            np.array([np.inf if r["found"].sentence is None else r["found"].sentence for r in parts]),
            np.array([bool(r["found"].unmet) for r in parts], dtype=bool),
            np.array([bool(r["found"].unnamed) for r in parts], dtype=bool),
            np.array([r["found"].sentence is not None and min(r["found"].zipf, default=9) <= UNKNOWN_ZIPF for r in parts],
                     dtype=bool),
            {z: np.array([bool(unquoted(r["found"], z)) for r in parts], dtype=bool) for z in QUOTED_ZIPF},
            {z: np.array([best(r, z) for r in parts]) for z in ZIPF},
            {z: np.array([any(zz < z for zz in r["found"].zipf) for r in parts], dtype=bool) for z in ZIPF},
            np.cumsum([0] + [len(r["parts"]) for r in rows[:-1]]))
    return found


def answered(rows: list[dict], p: Point) -> np.ndarray:
    """Which of `rows` the bot answers with the check set at `p` (`coverage.declines`, on arrays;
    `main` checks the two agree at the chosen point): those with a question answered."""
    words, z, g, s, sentence_words, aspect, quoted, zq, story = p
    a = arrays(rows)
    by_words = (((a.length <= words) & ((a.best_gain[z] > g) | a.unnamed)) | _story(a, z, words, g, story)
                | ((a.length <= sentence_words) & a.compared[z] & ((a.sentence < s) | a.unknown)))
    kept = a.before & ~(by_words | (a.unmet & (a.length <= aspect)) | (a.unquoted[zq] & (a.length <= quoted)))
    return np.logical_or.reduceat(kept, a.starts) if len(rows) else kept


def answered_slowly(rows: list[dict], p: Point) -> np.ndarray:
    words, z, g, s, sentence_words, aspect, quoted, zq, story = p
    return np.array([any(r["answered"] and not declines(
        r["found"], specific=z, gain=g, sentence=s, max_words=words, sentence_words=sentence_words, aspect_words=aspect,
        quoted_words=quoted, quoted_specific=zq, story_words=story) for r in m["parts"]) for m in rows])


def _story(a: Signals, z: float, words: np.ndarray | int, g: np.ndarray | float, story: int) -> np.ndarray:
    """Declined as a story (`coverage.declines`): longer than `words`, at most `story` words, a missing
    word's gain over `g` times the length over `words` (broadcasts over arrays of `words` and `g`)."""
    words, g = np.asarray(words, dtype=float), np.asarray(g, dtype=float)
    return ((a.length > words) & (a.length <= story) & (g > 0)
            & (a.best_gain[z] > g * a.length / np.maximum(words, 1)))


def share_right(rows: list[dict], p: Point, must_answer: bool) -> float:
    a = answered(rows, p).mean()
    return float(a if must_answer else 1 - a)


def shares(rows: list[dict], must_answer: bool) -> np.ndarray:
    """The share of `rows` right at every point of the grid: an array with one axis per entry of
    `AXES`, built by broadcasting the parts of `declines` (the grid has millions of points)."""
    a = arrays(rows)
    n = lambda x: np.asarray(x)[:, None]  # noqa: E731
    length = a.length[None, :]
    out = np.empty(tuple(len(axis) for axis in AXES), dtype=np.float32)
    aspect = ~(a.unmet[None, :] & (length <= n(ASPECT_LENGTHS)))  # (aspect, question)
    for zi, z in enumerate(ZIPF):
        by_sentence = ~((length <= n(LENGTHS))[None, :, :]
                        & (a.compared[z] & ((a.sentence[None, :] < n(SENTENCES)) | a.unknown))[:, None, :])
        short = ((length <= n(LENGTHS))[:, None, :]
                 & ((a.best_gain[z][None, :] > n(GAINS)) | a.unnamed[None, :])[None, :, :])  # (words, gain, q)
        for si, story in enumerate(STORY_LENGTHS):
            by_gain = ~(short | _story(a, z, np.asarray(LENGTHS)[:, None, None], np.asarray(GAINS)[None, :, None], story))
            # (words, gain, sentence, sentence words, aspect, q)
            kept = (by_gain[:, :, None, None, None, :] & by_sentence[None, None, :, :, None, :]
                    & aspect[None, None, None, None])
            for ci, (words, zq) in enumerate(QUOTED):
                answered = kept & ~(a.unquoted[zq] & (a.length <= words)) & a.before
                right = np.logical_or.reduceat(answered, a.starts, axis=-1).mean(axis=-1, dtype=np.float32)
                out[:, zi, :, :, :, :, ci, si] = right if must_answer else 1 - right
    return out


def point(flat: int) -> Point:
    """The grid point at a flat index of a `shares` array."""
    idx = np.unravel_index(flat, tuple(len(axis) for axis in AXES))
    w, z, g, s, sw, asp, (qw, qz), story = (axis[i] for axis, i in zip(AXES, idx))
    return (w, z, g, s, sw, asp, qw, qz, story)


def choose(answerable: dict[str, np.ndarray], unanswerable: dict[str, np.ndarray]) -> Point:
    """The point declining the most of the near-topic sets (mean of their `shares`) with every
    answerable set >= KEEP answered; among equals, the first in the grid's order, the one checking
    the fewest questions and words (the simplest: each part off or short first)."""
    near = [v for k, v in unanswerable.items() if "near" in k] or list(unanswerable.values())
    feasible = np.logical_and.reduce([v >= KEEP for v in answerable.values()])
    if not feasible.any():
        raise SystemExit(f"no setting of the grid keeps every answerable set >= {KEEP} answered: widen the grid")
    declined = np.where(feasible, np.round(np.mean(near, axis=0), 9), -1.0)
    return point(int(np.argmax(declined)))  # argmax keeps the first of equals


def questions(path: Path) -> list[str]:
    return [q["question"] for q in load_queries(path)]


def load_sets(medquad: bool) -> tuple[dict[str, tuple[str, list[str]]], dict[str, tuple[str, list[str]]]]:
    """{set: (corpus, questions)} that must be answered, and those that must be declined."""
    seed = [q["question"] for q in load_queries(EVAL / "seed" / "queries.jsonl") if q.get("kind") == "answerable"]
    offtopic = [line.strip() for line in (DATA / "offtopic.txt").read_text("utf-8").splitlines() if line.strip()]
    answerable = {"seed questions": ("seed", seed)}
    unanswerable = {"off-topic (seed corpus)": ("seed", offtopic)}
    more = load_queries(DATA / "seed_fresh_coverage.jsonl") if (DATA / "seed_fresh_coverage.jsonl").is_file() else []
    if (DATA / "seed_answerable_lay.jsonl").is_file():
        answerable["seed, lay rewordings"] = ("seed", questions(DATA / "seed_answerable_lay.jsonl")
                                              + [q["question"] for q in more if q["answerable"]])
    if (DATA / "seed_near_topic.jsonl").is_file():
        unanswerable["seed, near topic"] = ("seed", questions(DATA / "seed_near_topic.jsonl")
                                            + [q["question"] for q in more if not q["answerable"]])
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
    embedder = make_embedder(Settings.load())
    bots["seed"] = open_bot(ROOT / "corpus", "seed-index", embedder)
    if medquad:
        bots["medquad"] = open_bot(EVAL / "medquad" / "corpus", "medquad-index", embedder)
    answerable = {name: signals(bots[c], qs) for name, (c, qs) in answerable_q.items()}
    unanswerable = {name: signals(bots[c], qs) for name, (c, qs) in unanswerable_q.items()}
    fresh = load_queries(DATA / "seed_reported_coverage.jsonl") if (DATA / "seed_reported_coverage.jsonl").is_file() else []
    reported = {f"written apart, {kind} (reported only)": (signals(bots["seed"], [q["question"] for q in fresh
                                                                          if q["answerable"] == must]), must)
                for kind, must in (("answerable", True), ("near topic", False))} if fresh else {}
    grid_a = {name: shares(rows, True) for name, rows in answerable.items()}
    grid_u = {name: shares(rows, False) for name, rows in unanswerable.items()}
    chosen = choose(grid_a, grid_u)
    for rows in [*answerable.values(), *unanswerable.values()]:
        assert (answered(rows, chosen) == answered_slowly(rows, chosen)).all(), "grid arrays disagree with coverage.declines"
    everything = {**{k: (v, True) for k, v in answerable.items()}, **{k: (v, False) for k, v in unanswerable.items()}}
    held_out = {}
    for name, (rows, must_answer) in everything.items():
        others_a = {k: v for k, v in grid_a.items() if k != name}
        others_u = {k: v for k, v in grid_u.items() if k != name} or grid_u
        held_out[name] = share_right(rows, choose(others_a, others_u), must_answer)
    for name, (rows, must_answer) in reported.items():
        held_out[name] = share_right(rows, chosen, must_answer)
    table = []
    for name, (rows, must_answer) in {**everything, **reported}.items():
        before = float(np.mean([r["answered"] for r in rows]))
        table.append({"set": name, "questions": len(rows), "must": "answer" if must_answer else "decline",
                      "right_before": before if must_answer else 1 - before,
                      "right_after": share_right(rows, chosen, must_answer), "right_held_out": held_out[name]})
    mean_a = np.mean(list(grid_a.values()), axis=0, dtype=np.float64)
    mean_n = np.mean([v for k, v in grid_u.items() if "near" in k], axis=0, dtype=np.float64)
    curve = {str(aspect): frontier(list(zip(np.round(mean_a[:, :, :, :, :, i].ravel(), 4).tolist(),
                                            np.round(mean_n[:, :, :, :, :, i].ravel(), 4).tolist())))
             for i, aspect in enumerate(ASPECT_LENGTHS)}
    def asked(r: dict) -> str:  # what the reply to its first question the check turns down names
        first = next(p for p in r["parts"] if p["answered"])
        return named(first["found"], specific=chosen[1], gain=chosen[2], sentence=chosen[3], max_words=chosen[0],
                     sentence_words=chosen[4], quoted_specific=chosen[7], story_words=chosen[8])

    def flipped(sets: dict[str, list[dict]]) -> list[dict]:
        return [{"question": r["question"], "asked": asked(r)} for rows in sets.values()
                for r, kept in zip(rows, answered(rows, chosen)) if r["answered"] and not kept][:40]

    result = {"chosen": dict(zip(SETTINGS, chosen)),
              "table": table,
              "curve": curve, "declined_examples": flipped(unanswerable), "answerable_declined": flipped(answerable)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coverage.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "coverage.md").write_text(markdown(result), "utf-8")
    plot(curve, chosen, table)
    print(markdown(result))


def frontier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The best share declined at each share answered (the upper envelope), left to right."""
    kept: list[tuple[float, float]] = []
    for a, d in sorted(set(points), key=lambda p: (-p[0], -p[1])):
        if not kept or d > kept[-1][1] + 1e-9:
            kept.append((a, d))
    return kept[::-1]


def markdown(result: dict) -> str:
    c = result["chosen"]
    lines = [f"Chosen: in a question of at most {c['max_words']} words, when a word rarer than Zipf {c['specificity']} is "
             f"missing from the quoted passages' documents, the bot declines if taking that word out brings the question "
             f"closer to the best quoted sentence by more than {c['gain']} or (in a question of at most "
             f"{c['sentence_words']} words) no quoted sentence reaches a cosine of {c['sentence']}; and in a question of "
             f"at most {c['aspect_words']} words, when it asks an aspect (diagnosis, "
             f"outlook, treatment...) that no quoted passage about the topic meets by its heading, its words or (for "
             f"\"how long\" and \"how many\") the kind of answer; "
             + (f"and in a question of at most {c['quoted_words']} words, when the quoted passages use none of its "
                f"asking words rarer than Zipf {c['quoted_specificity']} (nothing but its topic and everyday words) "
                if c["quoted_words"] else "the quoted-words part is off ")
             + (f"and in a longer message of at most {c['story_words']} words, when taking its missing words out "
                f"brings it closer by more than the gain times its length over {c['max_words']} "
                if c["story_words"] else "")
             + f"(BOT_COVERAGE_MAX_WORDS={c['max_words']}, "
             f"BOT_COVERAGE_SPECIFICITY={c['specificity']}, BOT_COVERAGE_GAIN={c['gain']}, "
             f"BOT_COVERAGE_SENTENCE={c['sentence']}, BOT_COVERAGE_SENTENCE_WORDS={c['sentence_words']}, "
             f"BOT_COVERAGE_ASPECT_WORDS={c['aspect_words']}, BOT_COVERAGE_QUOTED_WORDS={c['quoted_words']}, "
             f"BOT_COVERAGE_QUOTED_SPECIFICITY={c['quoted_specificity']}, BOT_COVERAGE_STORY_WORDS={c['story_words']}).", "",
             "| set | questions | must be | right before (min_score only) | right with the check | "
             "right, settings chosen without this set |", "|---|---:|---|---:|---:|---:|"]
    for r in result["table"]:
        must = "answered" if r["must"] == "answer" else "declined"
        lines.append(f"| {r['set']} | {r['questions']} | {must} | {r['right_before']:.3f} | {r['right_after']:.3f} | "
                     f"{r['right_held_out']:.3f} |")
    lines += ["", "Near-topic and off-topic questions the check now declines (the words it names):", ""]
    lines += [f"- {e['question']!r} → not about {e['asked']!r}" for e in result["declined_examples"][:15]]
    lines += ["", "Answerable questions it declines:", ""]
    lines += [f"- {e['question']!r} → not about {e['asked']!r}" for e in result["answerable_declined"][:15]] or ["- none"]
    return "\n".join(lines) + "\n"


def plot(curve: dict, chosen: Point, table: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for words, points in curve.items():
        pts = np.array(points)
        label = ("aspect part off" if words == "0" else "aspects: every length" if words == "999"
                 else f"aspects: questions of ≤ {words} words")
        ax.step(pts[:, 1], pts[:, 0], where="post", label=label, lw=2 if int(words) == chosen[5] else 1)
    answered_mean = np.mean([r["right_after"] for r in table if r["must"] == "answer" and "reported" not in r["set"]])
    declined_mean = np.mean([r["right_after"] for r in table if r["must"] == "decline" and "near" in r["set"]
                             and "reported" not in r["set"]])
    ax.plot([declined_mean], [answered_mean], "ko", label="chosen")
    ax.axhline(KEEP, color="grey", ls=":", lw=1)
    ax.set_xlabel("near-topic questions declined (mean of the sets)")
    ax.set_ylabel("answerable questions answered (mean of the sets)")
    ax.set_title("Coverage check: the trade-off, by longest question checked for aspects", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(RESULTS / "coverage.png", dpi=120)


if __name__ == "__main__":
    main()
