"""Does the bolded sentence answer what is asked? Highlights on the seed document, against baselines.

    python benchmarks/highlights.py     # seconds; writes benchmarks/results/highlights.md

Questions: the seed's answerable questions (../shared/eval/seed, judged by their `must_quote`)
and the lay questions the seed document answers, each with the words of the sentences that
answer it (benchmarks/data/seed_answer_sentences.jsonl: one or more exact extracts of the
document; written by reading the document for each question, before any rule was compared).

For each question the bot is asked as shipped, and its first quote is judged:

- **answer quoted**: one of the answer sentences is in the first quoted passage (retrieval);
- **answer bolded**: one of them is inside the sentence the bot bolds (`answer.highlights`).

The same first quotes are bolded by the simple rules beside it, in the same run: the passage's
first sentence, the sentence with the best cosine alone, and the sentence holding the most of
the question's words alone. "Bolded, when quoted" is the share that counts for highlights: of
the questions whose answer is in the first quote, how many have it bolded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import DATA, EVAL, RESULTS, open_bot  # noqa: E402
from bot import Settings  # noqa: E402
from bot.embed import make_embedder  # noqa: E402
from bot.schema import Hit, Span  # noqa: E402
from bot.text import bm25_tokens  # noqa: E402


def questions() -> list[dict]:
    seed = [{"qid": q["qid"], "question": q["question"], "answers": [q["must_quote"]]}
            for q in map(json.loads, (EVAL / "seed" / "queries.jsonl").read_text("utf-8").splitlines())
            if q.get("kind") == "answerable"]
    lay = [json.loads(line) for line in (DATA / "seed_answer_sentences.jsonl").read_text("utf-8").splitlines()]
    return seed + lay


def spans(hit: Hit) -> tuple[Span, ...]:
    return hit.passage.sentences or ((0, len(hit.passage.text)),)


def first_sentence(question: str, hit: Hit) -> Span:
    return spans(hit)[0]


def best_cosine(question: str, hit: Hit) -> Span:
    s = spans(hit)
    return s[max(range(len(s)), key=lambda i: (hit.sentence_scores[i], -i))]


def most_words(question: str, hit: Hit) -> Span:
    s = spans(hit)
    wanted = set(bm25_tokens([question])[0])
    words = bm25_tokens([hit.passage.text[a:b] for a, b in s])
    return s[max(range(len(s)), key=lambda i: (len(wanted & set(words[i])), -i))]


BASELINES = {"first sentence": first_sentence, "best cosine alone": best_cosine, "most question words alone": most_words}


def main() -> None:
    bot = open_bot(ROOT / "corpus", "seed-index", make_embedder(Settings.load()))
    asked = questions()
    rows: dict[str, list[bool]] = {name: [] for name in ["shipped", *BASELINES]}
    quoted: list[bool] = []
    misses = []
    for q in asked:
        answer = bot.ask(q["question"])
        hit = answer.hits[0] if answer.status == "answered" and answer.hits else None
        text = hit.passage.text if hit else ""
        quoted.append(any(a in text for a in q["answers"]))
        chosen = {"shipped": hit.highlights[0] if hit and hit.highlights else None,
                  **{name: rule(answer.searched_for or q["question"], hit) if hit else None for name, rule in BASELINES.items()}}
        for name, span in chosen.items():
            rows[name].append(span is not None and any(a in text[span[0]:span[1]] for a in q["answers"]))
        if quoted[-1] and not rows["shipped"][-1]:
            span = chosen["shipped"]
            misses.append((q["question"], text[span[0]:span[1]] if span else ""))
    n, in_first = len(asked), sum(quoted)
    lines = [f"Highlights on the seed document: {n} questions ({sum(q['qid'].startswith('pub') for q in asked)} seed, "
             f"the others lay), the answer in the first quote for {in_first} of them (answer quoted {in_first / n:.3f}).", "",
             "| bolds | answer bolded | bolded, when quoted |", "|---|---:|---:|"]
    for name, right in rows.items():
        label = "**shipped** (`answer.highlights`)" if name == "shipped" else name
        when = sum(r for r, s in zip(right, quoted) if s) / max(in_first, 1)
        lines.append(f"| {label} | {sum(right) / n:.3f} | {when:.3f} |")
    lines += ["", "The answer quoted but not bolded (the shipped rule):", ""]
    lines += [f"- {question!r} → bolded {bold[:120]!r}" for question, bold in misses]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "highlights.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
