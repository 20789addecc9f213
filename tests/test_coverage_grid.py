"""The coverage benchmark's grid counts a message as `Bot.ask` answers it: question by question
(answered when one of its questions is), and never declined under a safety notice."""

from __future__ import annotations

import numpy as np

from benchmarks import coverage as grid
from bot.coverage import Coverage

POINT = (15, 6.0, 0.06, 0.65, 10, 15, 12, 6.0)


def part(found: Coverage, *, answered: bool = True, checked: bool = True) -> dict:
    return {"answered": answered, "checked": checked, "found": found}


def test_a_message_is_answered_when_one_of_its_questions_is_and_never_declined_under_a_notice():
    kept = Coverage("klonopin", "what are the withdrawal symptoms", length=6)
    unmet = Coverage("klonopin", "how is it diagnosed", length=5, unmet=("diagnosed",))  # an aspect no quote meets
    rows = [
        {"question": "two questions, one answered", "answered": True, "parts": [part(unmet), part(kept)]},
        {"question": "two questions, both declined", "answered": True, "parts": [part(unmet), part(unmet)]},
        {"question": "one declined", "answered": True, "parts": [part(unmet)]},
        {"question": "one under a notice", "answered": True, "parts": [part(unmet, checked=False)]},
        {"question": "one below min_score", "answered": False, "parts": [part(kept, answered=False)]},
    ]
    expected = [True, False, False, True, False]
    assert grid.answered(rows, POINT).tolist() == expected
    assert grid.answered_slowly(rows, POINT).tolist() == expected
    index = tuple(axis.index(value) for axis, value in zip(grid.AXES, (*POINT[:6], POINT[6:])))
    assert grid.shares(rows, True)[index] == np.float32(np.mean(expected))
    assert grid.shares(rows, False)[index] == np.float32(1 - np.mean(expected))
