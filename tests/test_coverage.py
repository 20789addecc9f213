"""The coverage check: a question's topic and what it asks, the words the documents lack, and the
decision on the seed document with the real model and the shipped threshold, in both directions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import SEED_CORPUS

from bot import Bot, Settings
from bot.coverage import check, split
from bot.index import build
from bot.schema import Hit, Passage

TITLE = "Facts About Klonopin Addiction Treatment"

def hit(text: str, doc: str = "d.txt", section: str = "Risks") -> Hit:
    return Hit(Passage(doc, TITLE, section, None, 0, len(text), text), 1, 0.5)


def test_split_takes_the_topic_out_by_stem():
    assert split("Is Klonopin safe to take during pregnancy?", TITLE) == ("Klonopin", "Is safe to take during pregnancy")
    assert split("is klonopin addictive", TITLE) == ("klonopin addictive", "is")  # addictive ~ Addiction
    assert split("my brother sees several doctors", TITLE) == ("", "my brother sees several doctors")


def test_check_names_the_missing_words_around_the_rarest():
    held = {"klonopin", "take", "dose", "weight"}

    def stems(hits):
        from bot.index import bm25_tokens

        return frozenset(bm25_tokens([" ".join(sorted(held))])[0]), frozenset({"symptoms", "overview"})

    hits = [hit("Klonopin is taken at the prescribed dose.")]
    found = check("Is Klonopin safe to take during pregnancy?", hits, stems)
    assert found.topic == "Klonopin" and found.asked == "pregnancy" and found.specificity is not None
    assert check("is klonopin covered by insurance", hits, stems, specific=5.5).asked == "covered by insurance"
    assert check("klonopin and weight gain", hits, stems, specific=5.5).asked == "gain"  # weight is held
    assert check("klonopin and weight gain", hits, stems, specific=4.5).asked == ""  # "gain" is too common to count
    assert check("what dose of klonopin should i take", hits, stems).asked == ""  # every word is held
    assert check("anything", [], stems).asked == ""
    lacking = check("How is klonopin addiction diagnosed?", hits, stems)  # no heading covers diagnosis
    assert lacking.asked == "diagnosed" and lacking.specificity == 0.0  # the question's own word
    assert check("What are the symptoms of taking a klonopin dose?", hits, stems).asked == ""


@pytest.fixture(scope="module")
def seed_bot(tmp_path_factory, real_embedder) -> Bot:
    root = tmp_path_factory.mktemp("coverage")
    settings = Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data")
    build(settings, real_embedder)
    return Bot.load(settings=settings, embedder=real_embedder)


@pytest.mark.model
def test_with_the_check_on_the_topic_without_what_is_asked_gets_one_plain_sentence(seed_bot):
    seed_bot.settings = replace(seed_bot.settings, coverage_threshold=1.0)  # any missing specific word declines
    try:
        answer = seed_bot.ask("Is Klonopin safe to take during pregnancy?")
        assert answer.status == "no_answer" and answer.hits == ()
        assert answer.uncovered == {"topic": "Klonopin", "asked": "pregnancy"}
        assert answer.markdown.startswith("The documents talk about Klonopin, but not about pregnancy.")
        assert answer.to_dict()["uncovered"] == answer.uncovered and "could not find" not in answer.markdown
        held = seed_bot.ask("What are the withdrawal symptoms of Klonopin?")  # every word is in the document
        assert held.status == "answered" and held.uncovered is None and held.to_dict()["uncovered"] is None
        spanish = seed_bot.ask("¿Es seguro tomar Klonopin durante el embarazo?")
        assert spanish.uncovered and spanish.uncovered["asked"] == "embarazo"  # named back through the glossary
        assert spanish.markdown.startswith("Los documentos hablan de")
        crisis = seed_bot.ask("i want to die, does klonopin cause weight gain")
        assert crisis.safety and "but not about" not in crisis.markdown  # nothing cold after a notice
    finally:
        seed_bot.settings = replace(seed_bot.settings, coverage_threshold=Settings().coverage_threshold)


@pytest.mark.model
def test_with_the_shipped_settings_the_seed_questions_are_all_answered(seed_bot):
    import json

    from conftest import SHARED

    path = SHARED / "eval" / "seed" / "queries.jsonl"
    if not path.is_file():
        pytest.skip("the evaluation data is not beside the repository")
    for line in path.read_text("utf-8").splitlines():
        query = json.loads(line)
        if query["kind"] == "answerable":
            assert seed_bot.ask(query["question"]).status == "answered", query["question"]
