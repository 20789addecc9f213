"""Question analysis: the question inside a story, spelling fixes, synonyms, aspects."""

from __future__ import annotations

from bot.query import analyse, aspects, correct

VOCAB = {"klonopin": 9, "clonazepam": 3, "withdrawal": 4, "symptoms": 6, "acromegaly": 1, "benzodiazepine": 2}
KNOWN = {"what", "are", "the", "of", "symptoms", "withdrawal", "mother", "scared"}


def test_misspelled_names_are_corrected_to_corpus_words():
    assert correct(["klonopn", "klonipin", "acromegally", "clonazapam"], VOCAB, KNOWN) == {
        "klonopn": "klonopin", "klonipin": "klonopin", "acromegally": "acromegaly", "clonazapam": "clonazepam"}


def test_known_words_and_short_words_are_left_alone():
    assert correct(["scared", "mother", "xyz", "bread"], VOCAB, KNOWN) == {}


def test_analyse_fixes_text_and_adds_synonyms_to_lexical_only():
    q = analyse("what are klonopn withdrawl symptoms", VOCAB, KNOWN)
    assert q.text == "what are klonopin withdrawal symptoms"
    assert "clonazepam" not in q.lexical, "both names are in the corpus: no expansion"
    xanax = analyse("is xanax addictive", {**VOCAB, "alprazolam": 2}, KNOWN)
    assert "alprazolam" in xanax.lexical and "alprazolam" not in xanax.text
    assert {"withdrawal", "symptoms"} <= q.aspects


def test_a_story_is_searched_whole():
    story = ("My mother has been taking Klonopin every night for about six years because of panic attacks. "
             "Her new doctor wants her to come off it. What withdrawal symptoms should we expect?")
    assert analyse(story, VOCAB, KNOWN).text == story


def test_aspects_of_questions_and_headings():
    assert aspects("How is Klonopin addiction treated?") >= {"treatment"}
    assert aspects("Klonopin Addiction Treatment", heading=True) == {"treatment"}
    assert aspects("Who is at risk?", heading=True) == {"risk"}
    assert "frequency" in aspects("How many people are affected by acromegaly?")
    assert aspects("Symptoms", heading=True) == {"symptoms"}
