"""Question analysis: the question inside a story, spelling fixes, synonyms, aspects."""

from __future__ import annotations

from bot.query import OVERVIEW, analyse, aspect_words, aspects, correct, preferred_names, section_aspects

VOCAB = {"klonopin": 9, "clonazepam": 3, "withdrawal": 4, "symptoms": 6, "acromegaly": 1, "benzodiazepine": 2}
KNOWN = {"what", "are", "the", "of", "symptoms", "withdrawal", "mother", "scared"}


def test_misspelled_names_are_corrected_to_corpus_words():
    assert correct(["klonopn", "klonipin", "acromegally", "clonazapam"], VOCAB, KNOWN) == {
        "klonopn": "klonopin", "klonipin": "klonopin", "acromegally": "acromegaly", "clonazapam": "clonazepam"}


def test_known_words_and_short_words_are_left_alone():
    assert correct(["scared", "mother", "xyz", "bread"], VOCAB, KNOWN) == {}


def test_a_word_starting_with_another_letter_is_another_word_not_a_typo():
    """"keflex" (a medicine the documents never name) is one letter from "reflex", but a typo rarely
    hits the first letter: it is left as asked, and the coverage check can say it is not covered."""
    assert correct(["keflex", "klonipin"], {**VOCAB, "reflex": 2}, KNOWN) == {"klonipin": "klonopin"}


def test_a_word_one_letter_from_an_english_word_is_not_read_as_a_corpus_word_two_letters_away():
    """"pamplets" misspells "pamphlets" (one letter), which the documents never use; "pimples", two
    letters away, is another word. A corpus term two letters away from nothing English is still mended."""
    vocab = {**VOCAB, "pimples": 3, "benzodiazepine": 2}
    assert correct(["pamplets", "benzodiazapene", "acromegally"], vocab, KNOWN) == {
        "benzodiazapene": "benzodiazepine", "acromegally": "acromegaly"}


def test_analyse_fixes_text_and_adds_synonyms_to_lexical_only():
    q = analyse("what are klonopn withdrawl symptoms", VOCAB, KNOWN)
    assert q.text == "what are klonopin withdrawal symptoms"
    assert "clonazepam" not in q.lexical, "both names are in the corpus: no expansion"
    xanax = analyse("is xanax addictive", {**VOCAB, "alprazolam": 2}, KNOWN)
    assert "alprazolam" in xanax.lexical and "alprazolam" not in xanax.text
    assert {"withdrawal", "symptoms"} <= q.aspects


def test_a_name_the_documents_rarely_use_is_searched_as_the_one_they_use_most():
    used = {"klonopin": 13, "clonazepam": 1, "xanax": 0, "alprazolam": 0, "valium": 2, "diazepam": 2}
    names = preferred_names(lambda word: used.get(word, 0))
    assert names == {"clonazepam": "klonopin"}  # names never used, or used alike, stay as asked
    q = analyse("is Clonazepam safe, or clonazapam with alcohol", VOCAB, KNOWN, names=names)
    assert q.text == "is klonopin safe, or klonopin with alcohol"  # a misspelt name too
    assert analyse("is valium safe", VOCAB, KNOWN, names=names).text == "is valium safe"

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
    # a medicine leaflet's section: "what should I do if I forget a dose?"
    for question in ("what should i do if i miss a dose of klonopin", "i forgot to take my pill last night",
                     "what happens if you skip a dose", "my mom missed her dose this morning"):
        assert "missed_dose" in aspects(question), question
    assert aspects("What should I do if I forget a dose?", heading=True) == {"missed_dose"}
    assert aspects("Missed dose", heading=True) == {"missed_dose"}
    assert "missed_dose" not in aspects("I forgot the name of my medicine, what does it treat?")


def test_the_overview_is_asked_only_when_nothing_more_precise_is():
    assert aspects("What is Klonopin?") == {"overview"}
    assert aspects("What are the symptoms of Klonopin withdrawal?") == {"withdrawal", "symptoms"}
    assert aspects("Facts About Klonopin", heading=True) == {"overview"}  # headings keep every aspect


def test_stopping_asks_no_aspect_of_its_own():
    # what stopping does (withdrawal) or how to stop (treatment)? the words around it say
    assert "treatment" not in aspects("Does quitting Klonopin cause hallucinations?")
    assert "treatment" not in aspects("what happens when you stop taking klonopin")
    assert "treatment" in aspects("how do you taper off klonopin")


def test_aspect_words_are_the_question_s_own_whole_words():
    assert aspect_words("How is Kimura disease diagnosed?") == {"diagnosis": "diagnosed"}
    assert aspect_words("What is the life expectancy of people with X?") == {"outlook": "life expectancy"}
    assert aspect_words("What is X?") == {"overview": "What is"}


def test_section_aspects_read_opening_text_as_the_overview():
    # the title's words are not a heading: the seed title names treatment, its opening text is the overview
    title = "Facts About Klonopin Addiction Treatment"
    assert section_aspects(title, title) == {OVERVIEW}
    assert "treatment" in section_aspects("Treatment for Klonopin Addiction", title)
    assert section_aspects("Treatment for Klonopin Addiction", title) == aspects("Treatment for Klonopin Addiction", heading=True)
