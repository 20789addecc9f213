"""The development set: phrases written as frightened people type them on phones, before the
patterns were widened, so it checks that the rules generalise beyond their tuning lists
(data/safety_phrases*.json). Held-out phrases live in benchmarks/data/safety_heldout.json and are
never read here.

Every crisis, emergency and poisoning phrase gets its kind from `Locales.load().detect`, the
screen the app runs (English and Spanish rules together); a poisoning read as an emergency
passes, since both notices say to call. Every ordinary phrase gets no notice.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.locale import Locales

DEV = json.loads((Path(__file__).parent / "data" / "safety_phrases_dev.json").read_text("utf-8"))
KINDS = ("emergency", "poisoning", "crisis")
CASES = [(lang, kind, phrase) for lang in DEV for kind in (*KINDS, "ordinary") for phrase in DEV[lang][kind]]


@pytest.fixture(scope="module")
def locales() -> Locales:
    return Locales.load()


def test_the_dev_set_is_big_enough():
    for lang in ("en", "es"):
        sizes = {kind: len(DEV[lang][kind]) for kind in (*KINDS, "ordinary")}
        assert sizes["crisis"] >= 40 and sizes["poisoning"] >= 30 and sizes["emergency"] >= 25, sizes
        assert sizes["ordinary"] >= 60, sizes
        assert all(len(set(DEV[lang][k])) == len(DEV[lang][k]) for k in sizes), f"{lang}: duplicates"


IDS = [f"{lang}-{kind}-{i}" for i, (lang, kind, _) in enumerate(CASES)]


@pytest.mark.parametrize(("lang", "kind", "phrase"), CASES, ids=IDS)
def test_every_dev_phrase_gets_its_kind(locales, lang, kind, phrase):
    got = locales.detect(phrase)
    if kind == "ordinary":
        assert got is None, f"false alarm ({got}) on {phrase!r}"
    elif kind == "poisoning":
        assert got in ("poisoning", "emergency"), f"{phrase!r} got {got}"
    else:
        assert got == kind, f"{phrase!r} got {got}, not {kind}"
