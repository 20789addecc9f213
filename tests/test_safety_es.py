"""Tests for the Spanish (US) locale: its safety rules run by bot.safety_rules, and its texts.

The phrases in data/safety_phrases_es.json are the tuning set; held-out phrases live in
benchmarks/. Speed is measured in benchmarks too, not here.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
import unicodedata
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.locale import Locales
from bot.safety_rules import Rules, load_rules

LOCALES = Path(__file__).parents[1] / "bot" / "locales"
ES, EN = LOCALES / "es-US.toml", LOCALES / "en-US.toml"
PHRASES = json.loads((Path(__file__).parent / "data" / "safety_phrases_es.json").read_text("utf-8"))
DATA = tomllib.loads(ES.read_text("utf-8"))

@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(DATA["detect"], language="es", source=str(ES))


# --- detection ------------------------------------------------------------------------------


def test_phrase_lists_are_big_enough():
    minimum = {"emergency": 45, "poisoning": 25, "crisis": 45, "ordinary": 70}
    assert {kind: len(PHRASES[kind]) >= n for kind, n in minimum.items()} == dict.fromkeys(minimum, True)


@pytest.mark.parametrize("kind", ["emergency", "poisoning", "crisis"])
def test_every_phrase_gets_its_kind(rules, kind):
    wrong = {m: rules.detect(m) for m in PHRASES[kind] if rules.detect(m) != kind}
    assert wrong == {}


@pytest.mark.parametrize("message", PHRASES["ordinary"])
def test_ordinary_spanish_does_not_trigger_spanish_rules(rules, message):
    assert rules.detect(message) is None


@pytest.mark.parametrize("message", PHRASES["ordinary"])
def test_ordinary_spanish_gets_no_notice_from_the_app(message):
    """What the app runs: the rules of the message's language (all of them when it is unclear)."""
    assert Locales.load().detect(message) is None


@pytest.mark.parametrize("kind", ["emergency", "poisoning", "crisis"])
def test_the_app_finds_every_spanish_phrase(kind):
    locales = Locales.load()
    assert {m: locales.detect(m) for m in PHRASES[kind] if locales.detect(m) != kind} == {}


@pytest.mark.parametrize(("message", "expected"), [
    ("mi hijo se tomó 3 pastillas y no respira", "emergency"),  # a sign beats a poisoning
    ("mi hija se comió una pastilla y está muy dormida", "poisoning"),  # sleepy is not a sign
    ("me tomé 20 pastillas a propósito y no puedo respirar", "crisis"),  # crisis beats all
    ("mi esposo tomó 15 clonazepam", "emergency"),  # an amount, said of an adult
    ("¿qué pasa si alguien toma una sobredosis? AYUDA mi hermano tuvo una sobredosis", "emergency"),
    ("¿Qué pasa si mi mamá tomó doble dosis?", "poisoning"),  # past tense: it happened
    ("¿Qué pasa si tomo doble dosis?", None),  # present: a question
])
def test_precedence_and_general_questions(rules, message, expected):
    assert rules.detect(message) == expected


def test_sms_spelling_and_accents_are_normalised(rules):
    assert rules.sentences("¡¡Kiero MORIRMEEE!! xq nadie me entiende") == ["quiero morirme",
                                                                           "porque nadie me entiende"]
    assert rules.detect("K HAGO mi bebé NO RESPIRAAA") == "emergency"


def test_only_the_head_and_tail_of_a_huge_message_are_read(rules):
    filler = "una pregunta sobre el clonazepam. " * 400
    assert rules.detect(filler + "mi hijo no respira") == "emergency"  # in the tail
    assert rules.detect("mi hijo no respira. " + filler) == "emergency"  # in the head
    assert rules.detect(filler + "mi hijo no respira. " + filler) is None  # the middle is skipped


# --- load_rules -----------------------------------------------------------------------------


def _table(**changes):
    table = {"crisis": ["quiero morir"], "emergency": ["no respira"], "poisoning": ["doble dosis"]}
    return {**table, **changes}


@pytest.mark.parametrize(("table", "says"), [
    (_table(emergency=["no (respira"]), "emergency[0]"),
    (_table(general=["ok", "[a-"]), "general[1]"),
    (_table(replace=[["(q", "que"]]), "replace[0]"),
    (_table(replace=[["q", "\\3"]]), "replace[0]"),
    (_table(combine=[{"kind": "emergency", "all": ["ok", "(("]}]), "combine[0] all[1]"),
    (_table(define={"pills": "(pastillas"}), "poisoning"),
])
def test_a_bad_regex_names_the_file_and_the_key(table, says):
    if "define" in table:  # a broken definition shows up where it is used
        table["poisoning"] = ["%pills%"]
    with pytest.raises(ConfigError) as err:
        load_rules(table, language="xx", source="/help/desk/xx-XX.toml")
    assert "/help/desk/xx-XX.toml" in str(err.value) and says in str(err.value)


@pytest.mark.parametrize(("table", "says"), [
    ("not a table", "must be a table"),
    (_table(emergencia=["x"]), "emergencia"),  # a typo would silently switch a list off
    ({"crisis": ["x"], "emergency": ["y"]}, "lacks poisoning"),
    (_table(crisis=[]), "lacks crisis"),
    (_table(crisis="quiero morir"), "crisis must be a list"),
    (_table(replace=[["q"]]), "replace[0] must be a pair"),
    (_table(combine=[{"kind": "panic", "all": ["x"]}]), "combine[0]"),
    (_table(poisoning=["%nope%"]), "%nope%"),
    (_table(define={"Pills": "x"}), "define.Pills"),
])
def test_a_bad_shape_names_the_file_and_says_how_to_fix_it(table, says):
    with pytest.raises(ConfigError) as err:
        load_rules(table, language="xx", source="xx-XX.toml")
    assert "xx-XX.toml" in str(err.value) and says in str(err.value)


def test_definitions_and_combinations_work():
    rules = load_rules(_table(define={"pills": "pastillas?", "many": "muchas %pills%"},
                              emergency=["se tomo %many%"],
                              combine=[{"kind": "emergency", "all": ["vino", "%pills%", "vomita"]}]),
                       language="xx", source="xx.toml")
    assert rules.detect("Se tomó muchas pastillas") == "emergency"
    assert rules.detect("Tomó vino. Y pastillas. Ahora vomita") == "emergency"
    assert rules.detect("Tomó vino y pastillas") is None


# --- the locale file ------------------------------------------------------------------------


def _strings(data: dict) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("section", ["top", "ui"])
def test_every_english_key_is_translated_with_the_same_placeholders(section):
    en = tomllib.loads(EN.read_text("utf-8"))
    en, es = (_strings(d if section == "top" else d["ui"]) for d in (en, DATA))
    assert set(en) - set(es) == set()
    assert {k: _placeholders(es[k]) for k in en} == {k: _placeholders(v) for k, v in en.items()}
    assert all(v.strip() for v in es.values())


def test_locale_identity():
    assert (DATA["locale"], DATA["language"], DATA["name"]) == ("es-US", "es", "Español")


def test_helpline_links_are_only_the_checked_numbers():
    text = "\n".join([*_strings(DATA).values(), *_strings(DATA["ui"]).values()])  # not the comments
    targets = re.findall(r"\]\(((?:tel|sms):[^)]*)\)", text)  # Markdown link targets
    numbers = {re.fullmatch(r"(?:tel|sms):(\+?\d+)", t)[1] if re.fullmatch(r"(?:tel|sms):\+?\d+", t) else t
               for t in targets}
    assert numbers == {"911", "988", "+18002221222", "+18006624357"}
    assert len(targets) == len(re.findall(r"(?:tel|sms):\+?\d", text))  # no number outside a link


@pytest.mark.parametrize("key", ["emergency", "poisoning", "crisis"])
def test_each_notice_opens_with_the_action_in_one_short_line(key):
    first = DATA[key].strip().splitlines()[0]
    assert first.startswith("**") and len(first) <= 130


def test_glossary_keys_are_folded_and_values_english():
    glossary = DATA["glossary"]
    assert len(glossary) >= 150
    folded = {k: "".join(c for c in unicodedata.normalize("NFKD", k.lower()) if not unicodedata.combining(c))
              for k in glossary}
    assert [k for k, f in folded.items() if k != f] == []
    assert all(re.fullmatch(r"[a-z][a-z '-]*", v) for v in glossary.values())
    assert {glossary[w] for w in ("sintomas", "abstinencia", "sobredosis", "dejar de tomar")} == {
        "symptoms", "withdrawal", "overdose", "stop taking"}


def test_the_locale_loader_accepts_the_file():
    from bot.locale import load_locale

    locale = load_locale(ES)
    assert locale.rules is not None and locale.rules.detect("mi hijo no respira") == "emergency"
