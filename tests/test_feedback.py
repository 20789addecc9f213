"""The feedback log and `python -m bot report`: what is written, what is never written, and the tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

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


# --- private by default ------------------------------------------------------------------------

def test_identifiers_are_scrubbed_before_anything_is_written(tmp_path: Path):
    from bot.schema import Part

    log = FeedbackLog(tmp_path)
    message = "I'm jane.doe@example.com, call (555) 123-4567: is Klonopin addictive? Can I email 555.123.4567?"
    parts = (Part("Is Klonopin addictive?", "answered", (1,)),
             Part("Can I email jane.doe@example.com at 555.123.4567?", "no_answer", ()))
    asked = Answer(message, "answered", None, (Hit(PASSAGE, 1, 0.8),), "md", "d", parts=parts)
    rec = log.ask(asked, "chat")
    assert rec
    log.vote(rec, "down")
    log.vote({**rec, "question": "from elsewhere: +44 20 7946 0958"}, "up")  # a record not made by ask
    text = log.path.read_text(encoding="utf-8")
    for identifier in ("jane.doe", "example.com", "555", "4567", "7946"):
        assert identifier not in text
    ask, down, up = lines(log)
    assert ask["question"] == "I'm [email], call [phone]: is Klonopin addictive? Can I email [phone]?"
    assert ask["unanswered_parts"] == ["Can I email [email] at [phone]?"]
    assert (down["question"], up["question"]) == (ask["question"], "from elsewhere: [phone]")
    assert rec["question"] == ask["question"]
    assert asked.question == message  # what the person sees is not changed
    assert [(r.question, r.count) for r in report(log)["unanswered"]] == [("Can I email [email] at [phone]?", 1)]


def test_health_text_is_logged_as_typed(tmp_path: Path):
    log = FeedbackLog(tmp_path)
    question = "Is 0.5mg three times a day too much at 45, since 2019-05-12, 10:30 and 22:00, BP 120/80?"
    log.ask(answer(question, "no_answer"), "chat")
    assert lines(log)[0]["question"] == question


def test_the_scrubber_is_passed_in(tmp_path: Path):
    from bot.privacy import Scrubber

    FeedbackLog(tmp_path / "us").ask(answer("ring 020 7946 0958", "no_answer"), "chat")
    FeedbackLog(tmp_path / "gb", scrub=Scrubber(regions=("GB",))).ask(answer("ring 020 7946 0958", "no_answer"), "chat")
    assert lines(FeedbackLog(tmp_path / "us"))[0]["question"] == "ring 020 7946 0958"
    assert lines(FeedbackLog(tmp_path / "gb"))[0]["question"] == "ring [phone]"


def test_a_question_the_scrubber_fails_on_is_logged_without_its_words(tmp_path: Path, caplog):
    def broken(text: str) -> str:
        raise ValueError("cannot read " + text)

    rec = FeedbackLog(tmp_path, scrub=broken).ask(answer("call 555-123-4567", "no_answer"), "chat")
    assert rec and rec["question"] == "" and lines(FeedbackLog(tmp_path))[0]["question"] == ""
    assert "logged without its words" in caplog.text and "555" not in caplog.text


def test_with_questions_off_the_log_keeps_statuses_and_citations_only(tmp_path: Path, capsys):
    from bot.schema import Part, Safety

    log = FeedbackLog(tmp_path, questions=False)
    rec = log.ask(answer("How long does withdrawal last for jane@example.com?"), "widget")
    assert rec
    log.vote(rec, "down")
    log.ask(answer("Is ibuprofen safe?", "no_answer"), "chat")
    parts = (Part("Is Klonopin addictive?", "answered", (1,)), Part("And in pregnancy?", "no_answer", ()))
    log.ask(Answer("Is Klonopin addictive? And in pregnancy?", "answered", None, (Hit(PASSAGE, 1, 0.8),), "md", "d",
                   parts=parts), "api")
    crisis = Answer("i dont want to live anymore", "answered", Safety("crisis", "Call 988"), (), "md", "d")
    log.ask(crisis, "chat")
    text = log.path.read_text(encoding="utf-8")
    for words in ("withdrawal", "jane", "ibuprofen", "Klonopin", "pregnancy", "live anymore"):
        assert words not in text
    ask, vote, unanswered, several, safety = lines(log)
    assert set(ask) == {"time", "event", "question", "status", "passages", "via", "safety", "unanswered_parts"}  # same keys
    assert (ask["question"], ask["status"], ask["via"], vote["vote"]) == ("", "answered", "widget", "down")
    assert ask["passages"] == [{"doc": "a.md", "section": "Withdrawal", "start": 10, "end": 42}]
    assert (several["question"], several["unanswered_parts"]) == ("", [""])  # counted, not worded
    assert (safety["question"], safety["safety"]) == ("", "crisis")
    rows = report(log)
    assert [(r.question, r.count) for r in rows["unanswered"]] == [("", 2)]
    assert [(r.question, r.count, r.up) for r in rows["down_voted"]] == [("", 1, 0)]
    assert [(r.question, r.count) for r in rows["safety"]] == [("emergency", 0), ("crisis", 1)]
    assert main(["report", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Questions are not logged (BOT_LOG_QUESTIONS=off)" in out
    assert "     2  (words not logged: BOT_LOG_QUESTIONS=off)" in out
    assert "     1  crisis" in out


# --- python -m bot forget ------------------------------------------------------------------------

def written_on(tmp_path: Path, *days: str) -> FeedbackLog:
    """A log with one unanswered question asked on each day (at noon, UTC)."""
    for day in days:
        at = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        FeedbackLog(tmp_path, clock=lambda at=at: at).ask(answer(f"asked on {day}", "no_answer"), "chat")
    return FeedbackLog(tmp_path)


def test_cli_forget_before_a_day_deletes_the_older_entries(tmp_path: Path, capsys):
    log = written_on(tmp_path, "2024-04-30", "2024-05-01", "2024-04-01", "2024-06-15")
    assert main(["forget", "--before", "2024-05-01", "--data", str(tmp_path)]) == 0
    assert f"deleted 2 entries logged before 2024-05-01 from {log.path}" in capsys.readouterr().out
    assert [e["question"] for e in lines(log)] == ["asked on 2024-05-01", "asked on 2024-06-15"]
    assert main(["forget", "--before", "2024-05-01", "--data", str(tmp_path)]) == 0
    assert "deleted 0 entries" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_forget_all_empties_the_log(tmp_path: Path, capsys):
    log = written_on(tmp_path, "2024-04-30", "2030-01-01")
    with log.path.open("a") as f:
        f.write('{"event": "ask", "question": "half a li\n')  # a damaged line goes too
    assert main(["forget", "--all", "--data", str(tmp_path)]) == 0
    assert f"deleted 2 entries from {log.path}" in capsys.readouterr().out
    assert log.path.read_text() == "" and report(log)["unanswered"] == []


@pytest.mark.parametrize("argv", [["--before", "01/05/2024"], ["--before", "2024-13-01"], ["--before", "yesterday"]])
def test_cli_forget_refuses_a_day_it_cannot_read(tmp_path: Path, capsys, argv: list[str]):
    log = written_on(tmp_path, "2024-04-30")
    assert main(["forget", *argv, "--data", str(tmp_path)]) == 2
    assert "--before takes a day as YYYY-MM-DD (e.g. 2024-05-01)" in capsys.readouterr().err
    assert len(lines(log)) == 1


def test_cli_forget_needs_a_day_or_all(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main(["forget", "--data", str(tmp_path)])
    assert "one of the arguments --before --all is required" in capsys.readouterr().err


def test_cli_forget_without_a_log_says_where_it_looked(tmp_path: Path, capsys):
    assert main(["forget", "--all", "--data", str(tmp_path / "nowhere")]) == 0
    assert "nothing to forget" in capsys.readouterr().err


def test_forget_loses_no_line_another_process_appends_meanwhile(tmp_path: Path):
    """The server appends while `python -m bot forget` rewrites the file: every line appended is
    either deleted (and counted) or still there, never lost between the read and the replace."""
    import subprocess
    import sys
    import time
    from datetime import date

    appended = 400
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys; from pathlib import Path; from bot import Answer; from bot.feedback import FeedbackLog\n"
        "log = FeedbackLog(Path(sys.argv[1]))\n"
        "for i in range(int(sys.argv[2])): log.ask(Answer(f'q{i}', 'no_answer', None, (), 'md', 'd'), 'api')\n"
    ), str(tmp_path), str(appended)], cwd=Path(__file__).parent.parent)
    log = FeedbackLog(tmp_path)
    tomorrow = date.today() + timedelta(days=1)
    deleted = 0
    while writer.poll() is None:
        deleted += log.forget(tomorrow)
        time.sleep(0.002)
    assert writer.returncode == 0
    kept = len(lines(log)) if log.path.exists() else 0
    assert deleted > 0 and deleted + kept == appended


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


def test_cli_report_lists_the_stale_sources_of_the_index(tmp_path: Path, capsys, monkeypatch):
    from conftest import FakeEmbedder

    from bot import Settings
    from bot.build import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.md").write_text("---\ntitle: Old\nreviewed: 2020-05-01\n---\n# Dosing\n\nOne tablet a day.\n")
    (corpus / "due.md").write_text("---\ntitle: Due\nreviewed: 2099-01-01\nreview_by: 2021-01-01\n---\n# Use\n\nTake it.\n")
    (corpus / "new.md").write_text("---\ntitle: New\nreviewed: 2099-01-01\n---\n# Use\n\nTake it with water.\n")
    (corpus / "plain.txt").write_text("Plain\n\nNo date at all here.\n")
    index = tmp_path / "index"
    build(Settings.load(corpus=corpus, index=index), FakeEmbedder())
    FeedbackLog(tmp_path).ask(answer("Is ibuprofen safe?", "no_answer"), "chat")
    monkeypatch.setenv("BOT_STALE_MONTHS", "12")
    assert main(["report", "--data", str(tmp_path), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "     1  Is ibuprofen safe?" in out
    tail = out[out.index("Sources to review (reviewed more than 12 months ago or past their review_by date)"):]
    assert "old.md  (reviewed May 2020)" in tail and "due.md  (reviewed January 2099, review by 2021-01-01)" in tail
    assert "new.md" not in tail and "plain.txt" not in tail  # current, and undated (never called stale)
    assert main(["report", "--data", str(tmp_path), "--index", str(index), "--json"]) == 0
    stale = json.loads(capsys.readouterr().out)["stale_sources"]
    assert sorted(s["doc"] for s in stale) == ["due.md", "old.md"]
    monkeypatch.setenv("BOT_STALE_MONTHS", "0")  # only review_by dates count
    assert main(["report", "--data", str(tmp_path / "nolog"), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "Unanswered" not in out and "due.md" in out and "old.md" not in out
