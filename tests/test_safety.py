"""Tests for bot.safety: the English detection of emergencies, poisonings and crises (the texts:
tests/test_locale.py)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from bot.locale import Locales
from bot.safety import (
    detect,
    is_addiction_question,
)

PHRASES = json.loads((Path(__file__).parent / "data" / "safety_phrases.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def locales() -> Locales:
    locales = Locales.load()
    locales.for_message("warm up: the language model loads once")
    return locales


# --- detection ------------------------------------------------------------------------------


def test_phrase_lists_are_big_enough():
    sizes = {"emergency": 50, "poisoning": 30, "crisis": 50, "ordinary": 90}
    assert all(len(PHRASES[kind]) >= size for kind, size in sizes.items())


@pytest.mark.parametrize("message", PHRASES["emergency"])
def test_emergency_phrasings(message):
    assert detect(message) == "emergency"


@pytest.mark.parametrize("message", PHRASES["poisoning"])
def test_poisoning_phrasings(message):
    assert detect(message) == "poisoning"


@pytest.mark.parametrize("message", PHRASES["crisis"])
def test_crisis_phrasings(message):
    assert detect(message) == "crisis"


@pytest.mark.parametrize("message", PHRASES["ordinary"])
def test_ordinary_questions_do_not_trigger(message):
    assert detect(message) is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("My dad took a whole bottle of Klonopin and won't wake up", "emergency"),
        ("I want to end my life", "crisis"),
        ("What is Klonopin?", None),
        ("What happens if you overdose on Klonopin?", None),
        ("Is it dangerous to mix Klonopin with alcohol?", None),
        ("What are the withdrawal symptoms of Klonopin?", None),
        ("Should Klonopin be stopped all at once or tapered?", None),
        ("What is the best recipe for banana bread?", None),
    ],
)
def test_seed_messages(message, expected):
    assert detect(message) == expected


@pytest.mark.parametrize(
    "message",
    ["What should I do if someone overdoses?", "what to do if someone stops breathing"],
)
def test_asking_what_to_do_in_an_overdose_gets_the_emergency_notice(message):
    # Decided: a first-aid question's right answer *is* the notice (call 911, Poison Control),
    # and the asker may be facing it now; a general "what happens if" question stays ordinary.
    assert detect(message) == "emergency"
    assert detect("What happens if someone overdoses?") is None


def test_asking_for_a_lethal_amount_gets_the_crisis_notice():
    # Decided: asking how much it takes "to die" is a known warning sign; asking about an
    # overdose in general is not, and stays with retrieval.
    assert detect("How many klonopin does it take to die?") == "crisis"
    assert detect("how much klonopin would it take to kill me") == "crisis"
    assert detect("How much klonopin does it take to overdose?") is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("I took 30 klonopin on purpose and I can't breathe", "crisis"),
        ("my dad isn't breathing. I think he wanted to die", "crisis"),
    ],
)
def test_crisis_wins_over_emergency(message, expected):
    assert detect(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my toddler swallowed one of my pills", "poisoning"),
        ("my toddler swallowed one of my pills and is not breathing", "emergency"),
        ("grandma took her pills twice and is very hard to wake", "poisoning"),
        ("grandma took her pills twice and we can't wake her", "emergency"),
        ("my toddler swallowed my pills. I want to die", "crisis"),
        ("my daughter swallowed a whole bottle of pills", "emergency"),  # a teen's intent is unknown
        ("I took 20 of my pills and it was not an accident", "crisis"),
    ],
)
def test_precedence_crisis_then_emergency_signs_then_poisoning(message, expected):
    # Decided: signs of an emergency now beat a poisoning (911 first), and "hard to wake" after
    # an accidental double dose stays a poisoning until the person cannot be woken.
    assert detect(message) == expected


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("he overdosd", "emergency"),
        ("she ovredosed on klonopin", "emergency"),
        ("my dad isnt breathng", "emergency"),
        ("my son is unresponsve", "emergency"),
        ("i am suicidel", "crisis"),
        ("i want to kil myself", "crisis"),
        ("my mom wont wake up", "emergency"),
        ("he's ODing right now", "emergency"),
        ("HE ISN’T BREATHING!!!!!", "emergency"),
        ("pleeeease help my brother is convulsinggggg", "emergency"),
    ],
)
def test_typos_and_everyday_spellings(typo, expected):
    assert detect(typo) == expected


@pytest.mark.parametrize(
    ("near_miss", "trigger"),
    [
        ("my doctor is not treating me well", "my doctor is not breathing"),
        ("he's conscious of the side effects", "he's unconscious"),
        ("my rent is overdue", "my dad overdosed"),
    ],
)
def test_real_words_are_not_pulled_to_trigger_words(near_miss, trigger):
    assert detect(near_miss) is None
    assert detect(trigger) == "emergency"


def test_mixing_with_alcohol_needs_alarming_symptoms():
    assert detect("I drank 2 beers with my klonopin and feel a little drowsy, is that ok?") is None
    assert detect("I drank 2 beers with my klonopin and now I can't stay awake") == "emergency"
    assert detect("I'm very drowsy and confused after my klonopin") is None  # no alcohol


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my father is confused and very sleepy after his klonopin, is that an overdose", "poisoning"),
        ("he took klonopin and is very drowsy, is that an overdose?", "poisoning"),
        ("my dad is really sleepy and confused after taking his klonopin", "poisoning"),
        ("my mom gets very sleepy on klonopin, is that normal", None),  # a side effect, no overdose asked
        ("is it normal to be very drowsy after taking klonopin", None),  # asked in general
        ("I'm very drowsy after my klonopin, is that too much?", None),  # of oneself: a side effect
    ],
)
def test_someone_else_drowsy_or_confused_after_a_medicine_is_a_suspected_overdose(message, expected):
    assert detect(message) == expected


# --- addiction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "How long does Klonopin withdrawal last?",
        "am i adicted to klonopin",
        "How do I taper off clonazepam?",
        "my son is hooked on benzos",
        "I relapsed after 3 months clean",
        "Is Klonopin addictive?",
        "how do i quit klonopin",
        "I want to stop taking klonopin",
        "is there a rehab for benzo dependance?",
        "I get cravings for my klonopin",
        "Should Klonopin be stopped all at once or tapered?",
        "what is klonopin misuse",
        "withdrawl symptoms from clonazepam",
    ],
)
def test_addiction_questions(message):
    assert is_addiction_question(message)


@pytest.mark.parametrize(
    "message",
    [
        "What is Klonopin?",
        "What is the usual dose of Klonopin for panic disorder?",
        "Can I drive after taking clonazepam?",
        "What is the best recipe for banana bread?",
        "It was quite a long day",
        "The treatment was independent of my dose",
        "",
    ],
)
def test_not_addiction_questions(message):
    assert not is_addiction_question(message)


# --- robustness -----------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\x00" * 1000,
    "\ud800",
    "\udfff overdose \ud800",
    "😀" * 100_000,
    "\u202e\u202dwhat is klonopin",
    "a" * 10_000_000,
    "'" * 5000,
    "?" * 100_000,
    "\n" * 100_000,
    "ﬁ" * 10_000,
    "a a a " * 1_000_000,
]


@pytest.mark.parametrize("message", HOSTILE, ids=lambda m: f"{m[:10]!r}x{len(m)}")
def test_hostile_strings_never_crash_and_stay_fast(message, locales):
    start = time.perf_counter()
    assert detect(message) is None
    assert locales.check(message, locales.default) is None
    assert is_addiction_question(message) in (True, False)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "message",
    [
        "\x00I want to die\x00",
        "\u202eI want to die",
        "I am sui\u200bcidal",
        "I'm suícidal",
        "Ｉ ｗａｎｔ ｔｏ ｄｉｅ",
        "\ud800 i want to kill myself \udfff",
    ],
)
def test_hostile_wrapping_does_not_hide_a_crisis(message):
    assert detect(message) == "crisis"


def test_long_message_is_scanned_at_head_and_tail():
    filler = "I have been on klonopin for a while. " * 10_000
    assert detect("my friend is not breathing. " + filler) == "emergency"
    assert detect(filler + "I want to end my life") == "crisis"


def test_random_garbage_never_crashes():
    rng = random.Random(1234)
    alphabet = "abc xyz'’.?!\n\x00\u202e\u200b😀é0123456789" + "\u0301\u0308\u0327"
    for _ in range(500):
        message = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        assert detect(message) in (None, "emergency", "poisoning", "crisis")
        assert is_addiction_question(message) in (True, False)
    surrogates = "".join(chr(rng.randint(0xD800, 0xDFFF)) for _ in range(200))
    assert detect(surrogates) is None
