"""The help desk's log: what people asked, what the bot did, and their thumbs up or down.

One JSON object per line in `<data>/feedback.jsonl` (`Settings.data`, BOT_DATA). Every answered
or unanswered question is an `ask` event, every thumb a `vote` event, each carrying the
question, the status, the cited passages (document, section, offsets) and a UTC timestamp.
Nothing identifies the person: no IP address, session, cookie or user agent is ever written,
and e-mail addresses, phone numbers and other identifiers typed into a question are replaced
by placeholders before it is written (bot/privacy.py). With `questions=False`
(BOT_LOG_QUESTIONS=off) an event keeps the same keys but no words: "question" is "" and each
unanswered part of a message is "", so the report still counts them. Entries older than
`Settings.log_days` are dropped by `prune` (the app runs it on start), entries older than a
date by `forget` (`python -m bot forget --before DATE`). Entries written before scrubbing
existed, or while questions were logged, are not rewritten: `forget` is the way to remove them.

`report` turns the log into what the help desk acts on: the most frequent questions the
documents could not answer, and the most down-voted ones. Messages that got an emergency or
crisis notice are counted apart, never listed among "documents to add" nor among down-voted
answers (a thumb on a notice's reply is about the helpline): what such a person needed was the
helpline, not a document.

Appends and rewrites (`prune`, `forget`) take a lock on `feedback.jsonl.lock` (threads, and on
POSIX other processes too), so `forget` run beside the server never loses a line it appends.

Left out: rotation across several files; the cross-process lock on Windows (threads only).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from . import safety
from .privacy import scrub as scrub_identifiers
from .schema import Answer

try:
    import fcntl
except ImportError:  # Windows: the lock holds between threads only
    fcntl = None  # type: ignore[assignment]

FILE = "feedback.jsonl"
log = logging.getLogger(__name__)
Vote = Literal["up", "down"]


Scrub = Callable[[str], str]


def record(answer: Answer, via: str, *, scrub: Scrub = scrub_identifiers, questions: bool = True) -> dict[str, Any]:
    """The loggable part of an answer: question, status and cited passages, no identifiers.
    The question's identifiers are replaced by `scrub`; with `questions=False` no words are kept."""
    return private({
        "question": answer.question,
        "status": answer.status,
        "passages": [{"doc": h.passage.doc, "section": h.passage.section, "start": h.passage.start,
                      "end": h.passage.end} for h in answer.hits],
        "via": via,  # chat, widget or api: which door, never who
        "safety": answer.safety.kind if answer.safety else None,
        # a message of several questions: those the documents did not answer, for the report
        "unanswered_parts": [part.question for part in answer.parts or () if part.status == "no_answer"],
    }, scrub=scrub, questions=questions)


def private(rec: dict[str, Any], *, scrub: Scrub = scrub_identifiers, questions: bool = True) -> dict[str, Any]:
    """`rec` with its words scrubbed of identifiers, or emptied with `questions=False`; the same keys.
    Words the scrubber fails on are logged as "" (never as typed), and the question is still answered."""
    def words(text: str) -> str:
        if not questions:
            return ""
        try:
            return scrub(text)
        except Exception as exc:  # no traceback: its message may hold the words
            log.warning("feedback log: a question could not be scrubbed (%s), so it is logged without its words",
                        type(exc).__name__)
            return ""

    return {**rec, "question": words(str(rec.get("question") or "")),
            "unanswered_parts": [words(str(part)) for part in rec.get("unanswered_parts") or ()]}


class FeedbackLog:
    """Appends `ask` and `vote` events to a JSONL file, creating its folder on first write.
    `questions`: False keeps no words of a question (`Settings.log_questions`); `scrub` replaces
    the identifiers in a question's words; `clock`: the time now, in UTC."""

    def __init__(self, data: Path, *, questions: bool = True, scrub: Scrub = scrub_identifiers,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.path = Path(data) / FILE
        self.questions, self.scrub, self.clock = questions, scrub, clock
        self._lock = threading.Lock()

    def ask(self, answer: Answer, via: str, *, unavailable: bool = False) -> dict[str, Any] | None:
        """Log an answered or unanswered question; invalid input is not logged. Returns the record.
        `unavailable`: the documents could not be searched (the vector store was down); logged with
        status "unavailable", so that no question asked during an outage is lost."""
        if answer.status == "invalid" and not unavailable:
            return None
        rec = {**record(answer, via, scrub=self.scrub, questions=self.questions),
               **({"status": "unavailable"} if unavailable else {})}
        self._append({"event": "ask", **rec})
        return rec

    def vote(self, rec: dict[str, Any], vote: Vote) -> None:
        """Log a thumb on the answer `ask` returned `rec` for (scrubbed again: it may come from elsewhere)."""
        self._append({"event": "vote", "vote": vote, **private(rec, scrub=self.scrub, questions=self.questions)})

    def _append(self, event: dict[str, Any]) -> None:
        line = json.dumps({"time": self.clock().isoformat(timespec="seconds"), **event}, ensure_ascii=False)
        with self._locked():
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This log to itself: other threads wait on the lock, other processes on the lock file."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fcntl is None:
                yield
                return
            with self.path.with_name(FILE + ".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event in order; a damaged line (a crash mid-write) is skipped, not fatal."""
        if not self.path.is_file():
            return
        with self.path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event

    def prune(self, days: int) -> int:
        """Drop events older than `days` (0 keeps everything); returns how many were dropped."""
        if days <= 0:
            return 0
        cutoff = self.clock() - timedelta(days=days)
        return self._rewrite(lambda e: _time(e) >= cutoff)

    def forget(self, before: date | None) -> int:
        """Delete the events logged before the day `before` (UTC), or every event with None;
        returns how many were deleted. An event without a readable time is kept, except by None."""
        if before is None:
            return self._rewrite(lambda e: False, always=True)  # damaged lines too
        cutoff = datetime(before.year, before.month, before.day, tzinfo=UTC)
        return self._rewrite(lambda e: _time(e) >= cutoff)

    def _rewrite(self, keep: Callable[[dict[str, Any]], bool], *, always: bool = False) -> int:
        """Keep only the events `keep` accepts, under the lock, so no append comes in between.
        The file is rewritten only when an event goes (damaged lines go with it), or `always`."""
        if not self.path.is_file():
            return 0
        with self._locked():
            events = list(self.events())
            kept = [e for e in events if keep(e)]
            if len(kept) < len(events) or always:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept), encoding="utf-8")
                os.replace(tmp, self.path)  # readers see the old file or the new one, never half
        return len(events) - len(kept)


@dataclass(frozen=True)
class Row:
    question: str  # the latest wording asked
    count: int  # unanswered: times asked; down-voted: thumbs down
    up: int = 0  # down-voted only: thumbs up on the same question


def report(log: FeedbackLog, top: int = 20) -> dict[str, list[Row]]:
    """The most frequent unanswered questions and the most down-voted ones, most first, and how
    many messages got each safety notice (rows "emergency" and "crisis", never their words).

    Questions are grouped by their words (case, spacing and end punctuation ignored); of a
    message holding several questions, each unanswered one counts on its own. Questions logged
    without their words (BOT_LOG_QUESTIONS=off) are counted together, in a row whose question is ""."""
    notices: Counter[str] = Counter()
    unanswered: Counter[str] = Counter()
    down: Counter[str] = Counter()
    up: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for e in log.events():
        question = str(e.get("question") or "")
        key = question_key(question)  # "": the words were not logged
        if kind := notice(e):  # a vote on a notice's reply too: never listed, whatever its thumb
            if e.get("event") == "ask":
                notices[kind] += 1
            continue
        wording[key] = question
        if e.get("event") == "ask" and e.get("status") == "no_answer" and not e.get("unanswered_parts"):
            unanswered[key] += 1
        elif e.get("event") == "ask":  # the unanswered questions of a message holding several
            for part in e.get("unanswered_parts") or ():
                part_key = question_key(str(part))
                wording[part_key] = str(part)
                unanswered[part_key] += 1
        elif e.get("event") == "vote":
            (down if e.get("vote") == "down" else up)[key] += 1
    return {
        "unanswered": [Row(wording[k], n) for k, n in unanswered.most_common(top)],
        "down_voted": [Row(wording[k], n, up[k]) for k, n in down.most_common(top)],
        "safety": [Row(kind, notices[kind]) for kind in ("emergency", "crisis")],
    }


NOT_LOGGED = "(words not logged: BOT_LOG_QUESTIONS=off)"


def notice(event: dict[str, Any]) -> str | None:
    """The safety notice an event's reply carried ("emergency", "crisis"), or None. A line logged
    before replies' notices were recorded has no "safety" key: its question is screened again
    (the English rules), so that such a message is never read as a question to add documents for."""
    if "safety" in event:
        return str(event["safety"]) if event["safety"] else None
    kind = safety.detect(str(event.get("question", "")))
    return "emergency" if kind == "poisoning" else kind  # as the answer's JSON reports a poisoning


def format_report(rows: dict[str, list[Row]], path: Path) -> str:
    lines = []
    if any(not r.question for r in rows["unanswered"] + rows["down_voted"]):
        lines += ["Questions are not logged (BOT_LOG_QUESTIONS=off): those logged without their words are counted together.",
                  ""]
    lines += [f"Unanswered questions (the documents did not cover them), from {path}:"]
    lines += [f"{r.count:6d}  {r.question or NOT_LOGGED}" for r in rows["unanswered"]] or ["        none"]
    lines += ["", "Down-voted answers (thumbs down / up):"]
    lines += [f"{r.count:3d} / {r.up:<3d} {r.question or NOT_LOGGED}" for r in rows["down_voted"]] or ["        none"]
    lines += ["", "Messages that got a safety notice (counted apart: they need a helpline, not a document):"]
    lines += [f"{r.count:6d}  {r.question}" for r in rows.get("safety", [])]
    return "\n".join(lines)


def question_key(question: str) -> str:
    """What groups wordings of one question by their words: case, spacing and end punctuation
    ignored ("" for a question logged without its words). The report and /admin both use it."""
    return " ".join(re.sub(r"[\s?!.]+$", "", question.casefold()).split())


def _time(event: dict[str, Any]) -> datetime:
    try:
        time = datetime.fromisoformat(str(event["time"]))
    except (KeyError, ValueError):
        return datetime.max.replace(tzinfo=UTC)  # undated lines are kept: better to keep than to lose a question
    return time if time.tzinfo else time.replace(tzinfo=UTC)  # a time written by hand, without its zone
