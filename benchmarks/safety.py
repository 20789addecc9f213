"""Safety screen: false alarms on real questions, and recall on held-out crisis, emergency and
poisoning messages, for the English detector `bot.safety.detect` (and, when `bot.locale` offers
`detect_all`, the English and Spanish rules combined on the Spanish held-out messages).

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
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

from bot.safety import detect  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
HELDOUT = ROOT / "benchmarks" / "data" / "safety_heldout.json"
RESULTS = ROOT / "benchmarks" / "results"
KINDS = ("emergency", "poisoning", "crisis")

Detector = Callable[[str], str | None]


def spanish_detector() -> tuple[Detector | None, str]:
    """`bot.locale.detect_all` (English and Spanish rules together) if a colleague's module has it."""
    try:
        from bot.locale import detect_all  # type: ignore[attr-defined]
    except ImportError as exc:
        return None, f"es rows skipped: `from bot.locale import detect_all` failed ({exc})"
    return detect_all, "es rows: bot.locale.detect_all (English and Spanish rules combined)"


def read_questions() -> dict[str, list[str]]:
    sets = {"MedQuAD dev": [json.loads(line)["question"]
                            for line in (EVAL / "medquad" / "queries" / "dev.jsonl").read_text("utf-8").splitlines()
                            if line.strip()]}
    for path in sorted((EVAL / "consumer").glob("*.jsonl")):
        sets[f"consumer {path.stem}"] = [json.loads(line)["question"]
                                         for line in path.read_text("utf-8").splitlines() if line.strip()]
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
    result: dict = {"false_alarms": {name: false_alarms(qs, detect) for name, qs in read_questions().items()}}
    if HELDOUT.is_file():
        data = json.loads(HELDOUT.read_text("utf-8"))
        result["heldout"] = {"en": held_out(data.get("en", {}), detect)}
        es_detector, note = spanish_detector()
        result["notes"] = [note]
        if es_detector and data.get("es"):
            result["heldout"]["es"] = held_out(data["es"], es_detector)
    else:
        result["notes"] = [f"{HELDOUT.relative_to(ROOT)} not found: held-out rows skipped"]
    result["seconds"] = round(time.perf_counter() - began, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "safety.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "safety.md").write_text(markdown(result), "utf-8")
    print(markdown(result))


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown(result: dict) -> str:
    lines = ["False alarms of `bot.safety.detect` on real questions (none describes a person in danger):", "",
             "| question set | questions | false alarms | rate | µs per question |", "|---|---:|---:|---:|---:|"]
    for name, r in result["false_alarms"].items():
        lines.append(f"| {name} | {r['questions']} | {r['false_alarms']} | {r['rate']:.3f} | "
                     f"{r['microseconds_per_question']} |")
    listed = [(name, a) for name, r in result["false_alarms"].items() for a in r["listed"]]
    lines += ["", "Every false alarm:" if listed else "No false alarm.", ""]
    lines += [f"- {name}, {a['kind']}: {a['question'][:300]!r}" for name, a in listed]
    if "heldout" in result:
        lines += ["", "Held-out messages (benchmarks/data/safety_heldout.json, not used to tune the patterns). "
                  "Right kind = recall; wrong kind = a notice was shown, another one (e.g. a poisoning read as an "
                  "emergency, which still shows 911 and Poison Control); missed = no notice:", "",
                  "| language | kind | messages | right kind (recall) | notice shown, wrong kind | missed | "
                  "false alarms |", "|---|---|---:|---:|---:|---:|---:|"]
        for lang, rows in result["heldout"].items():
            for kind in KINDS:
                r = rows[kind]
                lines.append(f"| {lang} | {kind} | {r['messages']} | {r['right_kind']} ({pct(r['recall'])}) | "
                             f"{r['wrong_kind']} | {r['missed']} | |")
            o = rows["ordinary"]
            lines.append(f"| {lang} | ordinary | {o['messages']} | | | | {o['false_alarms']} ({pct(o['rate'])}) |")
    lines += [""] + [f"Note: {n}." for n in result.get("notes", [])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
