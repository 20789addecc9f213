"""The evaluation data kept beside the repository (a folder named `shared` next to it), for the
tests marked `data`.

Without it those tests are skipped, each saying which file is missing and where to put it, so
that a fresh clone's `make test` passes. In CI (the variable `CI` set, as `.ci/run` does) the
data must be there: a skipped `data` test is reported as a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_file(*parts: str) -> Path:
    """The file `SHARED/parts...`; skips the calling test when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"needs the evaluation data: {path} is missing; put the evaluation data in {SHARED} "
                    f"(beside the repository) so that {'/'.join(parts)} is there")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """In CI, a skip of a test marked `data` fails the run, with the reason it was skipped."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and item.get_closest_marker("data") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI runs every test marked `data`, and this one was skipped: {reason}"
    return None
