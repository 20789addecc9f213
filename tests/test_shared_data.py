"""Tests that need the evaluation data are skipped without it, saying what is missing and where to
put it; in CI such a skip fails the run (tests/shared_data.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
INNER = '''
import pytest
from shared_data import shared_file


@pytest.mark.data
def test_needs_data():
    shared_file("eval", "no-such-set", "queries.jsonl")


def test_skips_for_another_reason():
    pytest.skip("not about the data")
'''


@pytest.mark.parametrize("ci", [False, True])
def test_a_missing_data_file_skips_the_test_and_fails_it_in_ci(tmp_path: Path, ci: bool):
    (tmp_path / "conftest.py").write_text("from shared_data import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    data: needs the evaluation data\n")
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(TESTS)} | ({"CI": "true"} if ci else {})
    run = subprocess.run([sys.executable, "-m", "pytest", "-rsf", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    missing = TESTS.parent.parent / "shared" / "eval" / "no-such-set" / "queries.jsonl"
    if ci:
        assert run.returncode == 1 and "1 failed, 1 skipped" in run.stdout, run.stdout
        assert "CI runs every test marked `data`, and this one was skipped" in run.stdout, run.stdout
    else:
        assert run.returncode == 0 and "2 skipped" in run.stdout, run.stdout
    assert f"needs the evaluation data: {missing} is missing" in run.stdout.replace("\n", ""), run.stdout
