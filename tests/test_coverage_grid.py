"""The coverage benchmark's grid counts a message as `Bot.ask` answers it: question by question
(answered when one of its questions is), and a story by the gain its length calls for."""

from __future__ import annotations

import numpy as np

from benchmarks import coverage as grid
from bot.coverage import Coverage

POINT = (15, 6.0, 0.06, 0.65, 10, 15, 12, 6.0, 20)


def part(found: Coverage, *, answered: bool = True) -> dict:
    return {"answered": answered, "found": found}


def story(gain: float, length: int) -> Coverage:
    """A message of `length` words with one missing word (Zipf 4) whose removal raises the match by `gain`."""
    return Coverage("klonopin", "pregnant", ("pregnant",), (0,), (4.0,), length, 0.5, (gain,),
                    joint=tuple((z, gain) for z in grid.ZIPF))


def test_a_message_is_answered_when_one_of_its_questions_is_and_a_story_needs_a_larger_gain():
    kept = Coverage("klonopin", "what are the withdrawal symptoms", length=6)
    unmet = Coverage("klonopin", "how is it diagnosed", length=5, unmet=("diagnosed",))  # an aspect no quote meets
    rows = [
        {"question": "two questions, one answered", "answered": True, "parts": [part(unmet), part(kept)]},
        {"question": "two questions, both declined", "answered": True, "parts": [part(unmet), part(unmet)]},
        {"question": "one declined", "answered": True, "parts": [part(unmet)]},
        # 18 words: past max words 15, a gain of 0.07 is under 0.06 x 18 / 15 = 0.072; 0.08 is over it
        {"question": "a story, small gain", "answered": True, "parts": [part(story(0.07, 18))]},
        {"question": "a story, large gain", "answered": True, "parts": [part(story(0.08, 18))]},
        {"question": "longer than story words", "answered": True, "parts": [part(story(0.5, 21))]},
        {"question": "one below min_score", "answered": False, "parts": [part(kept, answered=False)]},
    ]
    expected = [True, False, False, True, False, True, False]
    assert grid.answered(rows, POINT).tolist() == expected
    assert grid.answered_slowly(rows, POINT).tolist() == expected
    index = tuple(axis.index(value) for axis, value in zip(grid.AXES, (*POINT[:6], POINT[6:8], POINT[8])))
    assert grid.shares(rows, True)[index] == np.float32(np.mean(expected))
    assert grid.shares(rows, False)[index] == np.float32(1) - np.float32(np.mean(expected))
