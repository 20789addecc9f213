"""Safety screen: false alarms on real questions, and recall on held-out crisis, emergency and
poisoning messages, side by side for three screens: what the app runs (`Locales.detect`: the
English rules and every locale's `[detect]` rules), the English rules alone (`bot.safety.detect`),
and a keyword baseline (a message holding one of a dozen alarming words, in either language).

    python benchmarks/safety.py

False alarms: every notice `detect` gives on the 1,000 MedQuAD dev questions and on the consumer
questions (../shared/eval/consumer/*.jsonl) is a false alarm (none of them describes a person
in danger), and each one is listed. Held-out: benchmarks/data/safety_heldout.json, written apart
from the patterns and never used to tune them: per kind, the share given the right notice
(recall), the share given another notice ("notice shown, wrong kind": a poisoning read as an
emergency still shows 911 and Poison Control, so it is not a miss), the misses, and the false
alarms on its ordinary messages. Held-out messages are counted, not listed, so that they stay
held out.

Writes benchmarks/results/safety.md and safety.json.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import re  # noqa: E402

from benchmarks.common import EVAL, RESULTS  # noqa: E402
from bot.evaluate import load_queries  # noqa: E402
from bot.locale import Locales  # noqa: E402
from bot.safety import detect  # noqa: E402

HELDOUT = ROOT / "benchmarks" / "data" / "safety_heldout.json"
KINDS = ("emergency", "poisoning", "crisis")

Detector = Callable[[str], str | None]


_KEYWORDS = [  # the simplest screen: a word list, in English and Spanish
    ("crisis", re.compile(r"suicid|kill (?:my|him|her)self|want to die|matarme|quiero morir", re.I)),
    ("poisoning", re.compile(r"swallowed|poison|trag(?:o|ó)|envenen", re.I)),
    ("emergency", re.compile(r"overdos|sobredosis|not breathing|no respira|unconscious|inconsciente|seizure|"
                             r"convulsi|won'?t wake|no despierta", re.I)),
]


def keywords(message: str) -> str | None:
    return next((kind for kind, pattern in _KEYWORDS if pattern.search(message)), None)


def detectors() -> dict[str, Detector]:
    locales = Locales.load()
    locales.detect("warm up: the language model loads once, at start, not per question")
    return {"app": locales.detect, "English rules": detect, "keywords": keywords}


def read_questions() -> dict[str, list[str]]:
    sets = {"MedQuAD dev": [q["question"] for q in load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")]}
    for path in sorted((EVAL / "consumer").glob("*.jsonl")):
        sets[f"consumer {path.stem}"] = [q["question"] for q in load_queries(path)]
    return sets


def false_alarms(questions: list[str], detector: Detector) -> dict:
    began = time.perf_counter()
    alarms = [{"kind": kind, "question": q} for q in questions if (kind := detector(q))]
    seconds = time.perf_counter() - began
    return {"questions": len(questions), "false_alarms": len(alarms), "rate": len(alarms) / max(len(questions), 1),
            "microseconds_per_question": round(1e6 * seconds / max(len(questions), 1)), "listed": alarms}


def held_out(phrases: dict[str, list[str]], detector: Detector) -> dict:
    """Per kind: right notice, another notice (wrong kind), no notice; ordinary: any notice."""
    rows = {}
    for kind in KINDS:
        found = [detector(m) for m in phrases.get(kind, [])]
        n = len(found)
        right = sum(f == kind for f in found)
        wrong = sum(f is not None and f != kind for f in found)
        rows[kind] = {"messages": n, "right_kind": right, "wrong_kind": wrong, "missed": n - right - wrong,
                      "recall": right / n if n else None, "notice_shown": (right + wrong) / n if n else None,
                      "wrong_kind_as": {k: sum(f == k for f in found) for k in KINDS if k != kind}}
    ordinary = [detector(m) for m in phrases.get("ordinary", [])]
    alarms = sum(f is not None for f in ordinary)
    rows["ordinary"] = {"messages": len(ordinary), "false_alarms": alarms,
                        "rate": alarms / len(ordinary) if ordinary else None,
                        "as": {k: sum(f == k for f in ordinary) for k in KINDS}}
    return rows


def main() -> None:
    began = time.perf_counter()
    screens = detectors()
    questions = read_questions()
    result: dict = {"screens": list(screens), "false_alarms": {
        screen: {name: false_alarms(qs, fn) for name, qs in questions.items()} for screen, fn in screens.items()}}
    if HELDOUT.is_file():
        data = json.loads(HELDOUT.read_text("utf-8"))
        result["heldout"] = {screen: {lang: held_out(data.get(lang, {}), fn) for lang in ("en", "es")}
                             for screen, fn in screens.items()}
    result["seconds"] = round(time.perf_counter() - began, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "safety.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "safety.md").write_text(markdown(result), "utf-8")
    print(markdown(result))


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def markdown(result: dict) -> str:
    screens = result["screens"]
    app = result["false_alarms"]["app"]
    lines = ["False alarms on real questions (none describes a person in danger); µs per question for the app:", "",
             "| question set | questions | " + " | ".join(screens) + " | µs (app) |",
             "|---|---:|" + "---:|" * (len(screens) + 1)]
    for name, r in app.items():
        counts = " | ".join(str(result["false_alarms"][s][name]["false_alarms"]) for s in screens)
        lines.append(f"| {name} | {r['questions']} | {counts} | {r['microseconds_per_question']} |")
    listed = [(name, a) for name, r in app.items() for a in r["listed"]]
    lines += ["", "Every false alarm of the app:" if listed else "The app gave no false alarm.", ""]
    lines += [f"- {name}, {a['kind']}: {a['question'][:300]!r}" for name, a in listed]
    if "heldout" in result:
        lines += ["", "Held-out messages (benchmarks/data/safety_heldout.json, written apart and never used to tune "
                  "the rules): the share that got a notice (right kind / any kind: a poisoning read as an emergency "
                  "still shows 911 and Poison Control), and false alarms on its ordinary messages:", "",
                  "| language | kind | messages | " + " | ".join(screens) + " |", "|---|---|---:|" + "---:|" * len(screens)]
        for lang in ("en", "es"):
            for kind in KINDS:
                rows = [result["heldout"][s][lang][kind] for s in screens]
                cells = " | ".join(f"{pct(r['recall'])} / {pct((r['right_kind'] + r['wrong_kind']) / r['messages'])}"
                                   for r in rows)
                lines.append(f"| {lang} | {kind} | {rows[0]['messages']} | {cells} |")
            rows = [result["heldout"][s][lang]["ordinary"] for s in screens]
            cells = " | ".join(f"{r['false_alarms']} ({pct(r['rate'])})" for r in rows)
            lines.append(f"| {lang} | ordinary (false alarms) | {rows[0]['messages']} | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
