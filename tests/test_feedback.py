"""The feedback log and `python -m bot report`: what is written, what is never written, and the tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import Answer, Hit, Passage
from bot.cli import main
from bot.feedback import FILE, FeedbackLog, report

PASSAGE = Passage("a.md", "Doc A", "Withdrawal", None, 10, 42, "Withdrawal can cause insomnia.")


def answer(question: str, status: str = "answered") -> Answer:
    hits = (Hit(PASSAGE, 1, 0.8),) if status == "answered" else ()
    return Answer(question, status, None, hits, "markdown", "disclaimer")  # type: ignore[arg-type]


def lines(log: FeedbackLog) -> list[dict]:
    return [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]


def test_ask_and_vote_events_carry_question_status_passages_and_time_only(tmp_path: Path):
    log = FeedbackLog(tmp_path / "data")
    rec = log.ask(answer("What is withdrawal?"), "chat")
    log.ask(answer("Is ibuprofen safe?", "no_answer"), "api")
    assert rec is not None
    log.vote(rec, "down")
    ask, unanswered, vote = lines(log)
    assert log.path == tmp_path / "data" / FILE
    # nothing about who asked
    assert set(ask) == {"time", "event", "question", "status", "passages", "via", "safety", "unanswered_parts"}
    assert ask["passages"] == [{"doc": "a.md", "section": "Withdrawal", "start": 10, "end": 42}]
    assert (unanswered["status"], unanswered["passages"], unanswered["via"]) == ("no_answer", [], "api")
    assert vote == {**ask, "time": vote["time"], "event": "vote", "vote": "down"}
    assert abs(datetime.fromisoformat(vote["time"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_invalid_input_is_not_logged(tmp_path: Path):
    log = FeedbackLog(tmp_path)
    assert log.ask(answer("", "invalid"), "chat") is None
    assert not log.path.exists()


def test_report_ranks_unanswered_and_down_voted_questions(tmp_path: Path):
    log = FeedbackLog(tmp_path)
    for q in ["Is ibuprofen safe?", "is  IBUPROFEN safe", "What about aspirin?", "Is ibuprofen safe?!"]:
        log.ask(answer(q, "no_answer"), "chat")
    log.ask(answer("Klonopin withdrawal?"), "chat")  # answered: not in the unanswered table
    rec = log.ask(answer("How long does withdrawal last?"), "chat")
    other = log.ask(answer("Is Klonopin addictive?"), "widget")
    assert rec and other
    for vote in ("down", "down", "up"):
        log.vote(rec, vote)  # type: ignore[arg-type]
    log.vote(other, "down")
    log.vote(other, "up")
    rows = report(log)
    assert [(r.question, r.count) for r in rows["unanswered"]] == [("Is ibuprofen safe?!", 3), ("What about aspirin?", 1)]
    assert [(r.question, r.count, r.up) for r in rows["down_voted"]] == [
        ("How long does withdrawal last?", 2, 1), ("Is Klonopin addictive?", 1, 1)]
    assert [r.question for r in report(log, top=1)["unanswered"]] == ["Is ibuprofen safe?!"]


def test_the_unanswered_questions_of_a_message_holding_several_are_reported_each(tmp_path: Path):
    from bot.schema import Part

    log = FeedbackLog(tmp_path)
    message = "Is Klonopin addictive? And is it safe in pregnancy?"
    parts = (Part("Is Klonopin addictive?", "answered", (1,)),
             Part("And is it safe in pregnancy?", "no_answer", (), {"topic": "Klonopin", "asked": "pregnancy"}))
    log.ask(Answer(message, "answered", None, (Hit(PASSAGE, 1, 0.8),), "md", "d", parts=parts), "chat")
    log.ask(Answer("And is it safe in pregnancy", "no_answer", None, (), "md", "d"), "chat")
    assert lines(log)[0]["unanswered_parts"] == ["And is it safe in pregnancy?"]
    assert [(r.question, r.count) for r in report(log)["unanswered"]] == [("And is it safe in pregnancy", 2)]


def test_a_damaged_line_is_skipped(tmp_path: Path):
    log = FeedbackLog(tmp_path)
    log.ask(answer("Is ibuprofen safe?", "no_answer"), "chat")
    with log.path.open("a") as f:
        f.write('{"event": "ask", "question": "half a li\n[1, 2]\n')
    log.ask(answer("Is ibuprofen safe?", "no_answer"), "chat")
    assert [(r.question, r.count) for r in report(log)["unanswered"]] == [("Is ibuprofen safe?", 2)]


def test_prune_drops_entries_older_than_the_retention(tmp_path: Path):
    log = FeedbackLog(tmp_path)
    old = (datetime.now(UTC) - timedelta(days=100)).isoformat(timespec="seconds")
    log.path.write_text(json.dumps({"time": old, "event": "ask", "question": "old", "status": "no_answer"}) + "\n")
    log.ask(answer("new", "no_answer"), "chat")
    assert log.prune(0) == 0 and len(lines(log)) == 2  # 0 keeps everything
    assert log.prune(90) == 1
    assert [e["question"] for e in lines(log)] == ["new"]
    assert log.prune(90) == 0


def test_cli_report_prints_the_tables(tmp_path: Path, capsys):
    log = FeedbackLog(tmp_path)
    log.ask(answer("Is ibuprofen safe?", "no_answer"), "chat")
    rec = log.ask(answer("How long does withdrawal last?"), "chat")
    assert rec
    log.vote(rec, "down")
    assert main(["report", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Unanswered" in out and "     1  Is ibuprofen safe?" in out
    assert "Down-voted" in out and "  1 / 0   How long does withdrawal last?" in out
    assert main(["report", "--data", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unanswered"] == [{"question": "Is ibuprofen safe?", "count": 1, "up": 0}]


def test_cli_report_without_a_log_says_where_it_looked(tmp_path: Path, capsys):
    assert main(["report", "--data", str(tmp_path / "nowhere")]) == 0
    err = capsys.readouterr().err
    assert "no feedback log at" in err and "BOT_DATA" in err


def test_a_crisis_message_is_never_a_question_to_add_documents_for(tmp_path: Path, capsys):
    """The report once listed "i dont want to live anymore" among the questions to add documents
    for. Two ways in: a thumb down on the crisis reply (a vote carries the reply's `safety`, but
    the report listed every vote), and a line written before replies' notices were logged (no
    "safety" key at all). Both are counted as notices, never listed."""
    from bot.schema import Safety

    log = FeedbackLog(tmp_path)
    crisis = Answer("i dont want to live anymore", "no_answer", Safety("crisis", "Call or text 988"), (), "md", "d")
    rec = log.ask(crisis, "chat")
    assert rec is not None and rec["safety"] == "crisis"
    log.vote(rec, "down")
    with log.path.open("a", encoding="utf-8") as f:  # as an older version wrote it: no "safety" key
        for question in ["I don't want to live anymore", "my son swallowed my pills by mistake", "Is ibuprofen safe?"]:
            f.write(json.dumps({"time": "2025-01-02T10:00:00+00:00", "event": "ask", "question": question,
                                "status": "no_answer", "passages": [], "via": "chat"}) + "\n")
    rows = report(log)
    assert [r.question for r in rows["unanswered"]] == ["Is ibuprofen safe?"]
    assert rows["down_voted"] == []
    assert {r.question: r.count for r in rows["safety"]} == {"crisis": 2, "emergency": 1}  # asks only, not the vote
    assert main(["report", "--data", str(tmp_path)]) == 0
    assert "live anymore" not in capsys.readouterr().out
