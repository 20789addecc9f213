"""Choose the hybrid retrieval weights on MedQuAD dev, from data.

    python benchmarks/tune.py [--limit N]

For every dev question the candidates' features are computed once (cosine, BM25 scaled to the
best candidate, whether the section heading matches the asked aspect); then every point of a
small grid of (lexical_weight, aspect_weight, section_weight) is scored offline: section-level
hit@1 and MRR@10. Prints the best points; the shipped defaults in bot/config.py come from here.
Uses the MedQuAD index cached by benchmarks/quality.py (built if missing).
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import CACHE, EVAL, open_bot  # noqa: E402
from bot.embed import SentenceTransformerEmbedder  # noqa: E402
from bot.evaluate import load_queries  # noqa: E402


def candidate_features(bot, question: str, gold_doc: str, gold_section: str) -> dict[str, np.ndarray]:
    """The shipped retrieval's candidates and features (`Retriever.features`), and which are gold."""
    r = bot.retriever
    q = bot.analyse(question)
    vector = bot.vector(q.text)
    cosine = dict(zip(*bot.index.store.search(vector, bot.settings.candidates)))
    pids, table = r.features(q, vector, cosine, r.lexical(q.lexical, bot.settings.candidates))
    sections = [(p.doc, p.section) for p in bot.index.get(pids)]
    keys = {s: i for i, s in enumerate(dict.fromkeys(sections))}
    return {
        **{name: table[:, i] for i, name in enumerate(("cos", "lex", "asp", "typ", "sen"))},
        "sec": np.array([keys[s] for s in sections]),
        "gold": np.array([(gold_doc == d or gold_doc.endswith("/" + d)) and s == gold_section for d, s in sections]),
    }


def score(features: list[dict[str, np.ndarray]], wl: float, wa: float, wt: float, wsen: float,
          ws: float = 0.0) -> tuple[float, float]:
    hit1 = mrr = 0.0
    for f in features:
        s = f["cos"] + wl * f["lex"] + wa * f["asp"] + wt * f["typ"] + wsen * f["sen"]
        best: dict[int, list[float]] = {}
        for sec, value in zip(f["sec"], s):
            best.setdefault(int(sec), []).append(float(value))
        section_score = {k: max(v) + ws * (sorted(v)[-2] if len(v) > 1 else 0.0) for k, v in best.items()}
        ranked = sorted(section_score, key=lambda k: -section_score[k])[:10]
        gold = {int(sec) for sec, g in zip(f["sec"], f["gold"]) if g}
        rank = next((i for i, k in enumerate(ranked, 1) if k in gold), None)
        if rank:
            hit1 += rank == 1
            mrr += 1 / rank
    return hit1 / len(features), mrr / len(features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--point", action="append", default=[], metavar="WL,WA,WT,WSEN",
                        help="also score these weights (lexical, aspect, answer type, sentence)")
    args = parser.parse_args()
    bot = open_bot(EVAL / "medquad" / "corpus", "medquad-index", SentenceTransformerEmbedder())
    dev = load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")[: args.limit or None]
    cached = CACHE / f"tune-features-{bot.index.path.resolve().name}-{len(dev)}.pkl"
    if cached.exists():
        features = pickle.loads(cached.read_bytes())
    else:
        features = [candidate_features(bot, q["question"], q["doc"], q["section"]) for q in dev]
        cached.write_bytes(pickle.dumps(features))
    grid = itertools.product([0.0, 0.4, 0.8, 1.0, 1.5, 2.0], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], [0.0, 0.05, 0.1],
                             [0.0, 0.05, 0.1, 0.2], [0.0, 0.05])
    results = sorted(((*score(features, *w), *w) for w in grid), key=lambda r: r[0] + r[1], reverse=True)
    print("| hit@1 | MRR@10 | lexical_weight | aspect_weight | answer_type_weight | sentence_weight | section_weight |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for h, m, *w in results[:15]:
        print(f"| {h:.3f} | {m:.3f} | " + " | ".join(map(str, w)) + " |")
    for point in args.point:
        w = [float(x) for x in point.split(",")]
        print(f"{point}: hit@1, MRR@10 = {score(features, *w)}")
    s = bot.settings
    print(f"shipped defaults: {score(features, s.lexical_weight, s.aspect_weight, s.answer_type_weight, s.sentence_weight)}")


if __name__ == "__main__":
    main()
