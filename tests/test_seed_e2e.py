"""End to end with the real bundled model on the shipped corpus: the 19 seed questions, via the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from shared_data import shared_file

from bot.evaluate import load_queries, seed_verdict

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("eval", "seed", "queries.jsonl")  # in the evaluation data beside the repository


def run_cli(*args: str, stdin: str = "", index: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "bot", *args] + (["--index", str(index)] if index else [])
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


@pytest.fixture(scope="module")
def seed_queries() -> Path:
    """The seed questions file of the evaluation data (the test is skipped without it)."""
    return shared_file(*QUERIES)


@pytest.fixture(scope="module", params=["faiss", "milvus"])
def batch_answers(request, seed_queries, seed_index, tmp_path_factory):
    """The 19 seed questions through the CLI, with the vectors in FAISS and in Milvus (Lite)."""
    queries = load_queries(seed_queries)
    index = seed_index
    if request.param == "milvus":  # built by the CLI too: Milvus Lite lets one process at a time open its file
        folder = tmp_path_factory.mktemp("seed-milvus")
        index = folder / "index"
        built = run_cli("index", "--corpus", str(ROOT / "corpus"), "--store", "milvus", "--milvus-uri",
                        str(folder / "seed.db"), index=index)
        assert built.returncode == 0, built.stderr
    out = run_cli("ask", "--json", stdin="".join(q["question"] + "\n" for q in queries), index=index)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(queries)
    return list(zip(queries, map(json.loads, lines)))


@pytest.mark.data
def test_all_nineteen_seed_questions_meet_their_rule(batch_answers):
    failures = {q["qid"]: reason for q, a in batch_answers if (reason := seed_verdict(q, a))}
    assert failures == {}
    assert len(batch_answers) == 19


@pytest.mark.data
def test_emergency_notice_comes_first_with_numbers(batch_answers):
    for q, a in batch_answers:
        if q["kind"] == "emergency":
            assert a["markdown"].startswith(a["safety"]["message"])
            assert "911" in a["safety"]["message"] and "1-800-222-1222" in a["safety"]["message"]
        if q["kind"] == "crisis":
            assert "988" in a["safety"]["message"]


def test_every_passage_fits_the_model(seed_bot, real_embedder):
    limit = real_embedder.max_seq_length
    for p in seed_bot.index.passages:
        assert real_embedder.count_tokens(p.context) + 2 <= limit


def test_single_question_cli_and_python_api_agree(seed_index, seed_bot):
    out = run_cli("ask", "What is Klonopin?", "--json", index=seed_index)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == seed_bot.ask("What is Klonopin?").to_dict()


def test_cli_missing_index_exits_nonzero_with_fix(tmp_path):
    out = run_cli("ask", "What is Klonopin?", index=tmp_path / "none")
    assert out.returncode == 2
    assert "python -m bot index" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.data
def test_cli_eval_prints_seed_metrics(seed_queries, seed_index):
    out = run_cli("eval", str(seed_queries), index=seed_index)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["seed"]["passed"] == 19


def test_cli_index_reports_up_to_date(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Tiny\n\nDrink water.\n", encoding="utf-8")
    first = run_cli("index", "--corpus", str(corpus), index=tmp_path / "i")
    assert first.returncode == 0 and "1 passages from 1 documents" in first.stdout
    again = run_cli("index", "--corpus", str(corpus), index=tmp_path / "i")
    assert again.returncode == 0 and "already up to date" in again.stdout


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("My mother has been taking Klonopin every night for about six years because of panic attacks. Her new "
         "doctor wants her to come off it and she is really scared about the whole thing. We have read a lot online "
         "and are confused. What withdrawal symptoms should we expect?", "Klonopin Withdrawal Symptoms"),
        ("My brother got hooked on his klonopin after his prescription ran out and started buying it. He says he "
         "wants to stop now. How is this kind of addiction treated?", "Klonopin Addiction Treatment"),
        ("what are klonopn withdrawl symptms", "Klonopin Withdrawal Symptoms"),
        ("what happens if someone overdoses on clonazepam", "Klonopin Overdose Symptoms"),
    ],
)
def test_story_typo_and_generic_name_questions(seed_bot, message, section):
    answer = seed_bot.ask(message)
    assert answer.status == "answered"
    assert answer.hits[0].passage.section == section
