"""Hostile questions (tests/data/hostile_questions.json) through the Python API and the CLI.

Every case must give a valid status (`invalid` with a message saying what to do where nothing
useful can be asked), an answer that can be printed as UTF-8 JSON, the safety notice first when
there is one, and Markdown in which nothing from the input is HTML, an image or a live link.
Over-long input is refused before any model work: the fake embedder counts its calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import SEED_CORPUS, FakeEmbedder
from hostile import assert_inert, assert_valid_answer, links, load_cases, question, source_links, untrusted

from bot import Bot, Settings
from bot.answer import escape
from bot.build import build

ROOT = Path(__file__).resolve().parents[1]
CASES = load_cases()
# Bugs found by these cases, in files this suite does not own: each stays a strict xfail until fixed.
KNOWN_BUGS: dict[str, str] = {}


def _param(case: dict):  # type: ignore[no-untyped-def]
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case["id"]])] if case["id"] in KNOWN_BUGS else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.fixture(scope="module")
def fake_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    fake = FakeEmbedder()
    settings = Settings.load(corpus=SEED_CORPUS, index=tmp_path_factory.mktemp("hostile") / "index", min_score=0.2)
    build(settings, fake)
    return Bot.load(settings.index, embedder=fake, settings=settings)


def test_the_case_file_covers_every_class():
    assert len(CASES) >= 60 and len({c["id"] for c in CASES}) == len(CASES)
    kinds = Counter(c["kind"] for c in CASES)
    for kind in ("empty", "size", "control", "surrogate", "bidi", "emoji", "combining", "html", "markdown",
                 "js-url", "injection", "sql", "safety"):
        assert kinds[kind] >= 3, kind
    sizes = {len(question(c)) for c in CASES}
    assert {102_400, 10_485_760, 50_000} <= sizes


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_python_api(fake_bot, case):
    text = question(case)
    calls = fake_bot.embedder.calls
    began = time.perf_counter()
    answer = fake_bot.ask(text)
    assert time.perf_counter() - began < 2.0
    assert_valid_answer(answer.to_dict(), case)
    if len(text) > fake_bot.settings.max_question_chars:
        assert fake_bot.embedder.calls == calls, "the model ran on an over-long message"
        assert "limit is 2,000" in answer.markdown
    if answer.status == "invalid":
        assert fake_bot.embedder.calls == calls


def test_hostile_follow_ups_stay_inert(fake_bot):
    """A hostile earlier turn is carried into the search of a follow-up: it must stay inert there too."""
    history = [question(c) for c in CASES if len(question(c)) <= 2000 and c["kind"] in ("html", "markdown", "js-url")]
    for earlier in history:
        answer = fake_bot.ask("and what about the symptoms?", history=[earlier, {"role": "assistant", "content": "<b>x</b>"}])
        assert answer.status in ("answered", "no_answer")
        assert_inert(untrusted(answer.markdown), links(answer))


@pytest.mark.parametrize("live", ["<script>x</script>", "[a](javascript:alert(1))", "![a](a.png)", "see http://evil.example",
                                  "www.evil.example", "<https://evil.example>", "[a]: /x\n\n[a]", "<!-- x -->"])
def test_the_oracle_catches_live_markup(live):
    with pytest.raises(AssertionError):
        assert_inert(live)
    assert_inert(escape(live))


def test_limit_comes_from_settings(fake_bot):
    bot = Bot(fake_bot.index, fake_bot.embedder, Settings.load(max_question_chars=10))
    assert bot.ask("What is Klonopin?").status == "invalid"
    assert bot.ask("Klonopin?").status != "invalid"


@pytest.mark.model
@pytest.mark.parametrize("case", [_param(c) for c in CASES if c["expect"] == "answered" or c.get("safety")
                                  or c["kind"] in ("combining", "emoji")])
def test_real_model(seed_bot, case):
    answer = seed_bot.ask(question(case))
    assert_valid_answer(answer.to_dict(), case)
    if case["expect"] == "answered":
        assert answer.status == "answered"
        assert answer.hits[0].passage.section == "Klonopin Withdrawal Symptoms"


def run_cli(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, cwd=ROOT, env=env,
                          timeout=600)


@pytest.mark.model
@pytest.mark.parametrize("io_encoding", [None, "utf-8:strict"])
def test_cli_batch(seed_index, io_encoding):
    """Every case on standard input, one line each, as raw UTF-8 (lone surrogates as the invalid bytes they become)."""
    cases = [c for c in CASES if c["id"] not in KNOWN_BUGS]
    lines = [question(c).replace("\r", " ").replace("\n", " ") for c in cases]
    stdin = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    out = run_cli("ask", "--json", "--index", str(seed_index), stdin=stdin,
                  env={"PYTHONIOENCODING": io_encoding} if io_encoding else {})
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    answers = out.stdout.decode("utf-8").splitlines()  # strict: the output is valid UTF-8
    assert len(answers) == len(cases)
    for case, line in zip(cases, answers):
        assert_valid_answer(json.loads(line), case)


@pytest.mark.model
def test_cli_single_question_argv(seed_index):
    """One question as an argument, as a shell passes it: bytes (here invalid UTF-8 too) up to the argument limit."""
    picked = {"100KB": True, "surrogateescape-bytes": True, "javascript-md-link": True, "script-around-question": False}
    for case in (c for c in CASES if c["id"] in picked):
        as_json = picked[case["id"]]
        out = run_cli("ask", question(case), *(["--json"] if as_json else []), "--index", str(seed_index))
        assert out.returncode == 0 and b"Traceback" not in out.stderr, (case["id"], out.stderr[-1000:])
        if as_json:
            assert_valid_answer(json.loads(out.stdout.decode("utf-8")), case)
        else:
            assert "From the documents" in out.stdout.decode("utf-8")
            printed = out.stdout.decode("utf-8")
            assert_inert(untrusted(printed), source_links(printed, "klonopin-addiction-treatment.txt"))


@pytest.mark.model
def test_cli_batch_keeps_one_line_per_line(seed_index):
    """A carriage return or other line separator inside a line does not split it: answers stay aligned with questions."""
    stdin = "klonopin\rwithdrawal\nwhat\u2028is\u2029klonopin\x85?\n\x0c\x1c\x1d\x1e\n".encode()
    out = run_cli("ask", "--json", "--index", str(seed_index), stdin=stdin)
    assert out.returncode == 0, out.stderr
    statuses = [json.loads(line)["status"] for line in out.stdout.decode().splitlines()]
    assert statuses == ["answered", "answered", "invalid"]
