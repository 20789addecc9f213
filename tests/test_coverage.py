"""The coverage check: a question's topic and what it asks, the words the documents lack, the
decision rule, and the decision on the seed document with the real model and the shipped
settings, in both directions."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import SEED_CORPUS
from shared_data import shared_file

from bot import Bot, Settings
from bot.build import build
from bot.chunk import sentences
from bot.coverage import (
    Coverage,
    _zipf,
    about,
    asked,
    check,
    codes,
    declines,
    everyday,
    met,
    named,
    split,
    unmet,
    unquoted,
    unwritten,
    without,
)
from bot.query import OVERVIEW, expects, section_aspects
from bot.schema import Hit, Passage
from bot.text import bm25_tokens

TITLE = "Facts About Klonopin Addiction Treatment"


def hit(text: str, doc: str = "d.txt", section: str = "Risks") -> Hit:
    return Hit(Passage(doc, TITLE, section, None, 0, len(text), text), 1, 0.5)


def test_split_takes_the_topic_out_by_stem():
    assert split("Is Klonopin safe to take during pregnancy?", TITLE) == ("Klonopin", "Is safe to take during pregnancy")
    assert split("is klonopin addictive", TITLE) == ("klonopin addictive", "is")  # addictive ~ Addiction
    assert split("my brother sees several doctors", TITLE) == ("", "my brother sees several doctors")
    assert split("what is clonazepam", TITLE) == ("clonazepam", "what is")  # a synonym of a title word


def test_check_lists_the_words_the_documents_never_use_with_their_frequency():
    stock = frozenset(bm25_tokens(["klonopin take taken dose weight safe"])[0])
    found = check("Is Klonopin safe to take during pregnancy?", [hit("Klonopin is taken at the prescribed dose.")],
                  lambda hits: stock)
    assert found.topic == "Klonopin" and found.words == ("Is", "safe", "to", "take", "during", "pregnancy")
    assert [found.words[i] for i in found.missing] == ["pregnancy"]  # stopwords and held stems are not missing
    assert found.length == 7 and len(found.zipf) == 1 and 3.0 < found.zipf[0] < 5.0
    assert check("anything", [], lambda hits: stock) == Coverage("", "anything")


def test_the_people_in_a_question_are_not_what_it_asks():
    stock = frozenset(bm25_tokens(["klonopin doctor refill"])[0])
    found = check("my brother's wife and my mom see several doctors for refills", [hit("Klonopin")], lambda hits: stock)
    assert [found.words[i] for i in found.missing] == ["see", "several"]  # not brother's, wife, mom


def test_a_request_for_material_is_not_what_a_question_asks():
    stock = frozenset(bm25_tokens(["klonopin"])[0])
    found = check("Do you have information about Klonopin? Please send me details or a pamphlet on withdrawal",
                  [hit("Klonopin")], lambda hits: stock)
    assert [found.words[i] for i in found.missing] == ["withdrawal"]  # not information, send, details, pamphlet


def test_a_misspelt_everyday_word_is_read_as_that_word_and_a_rare_one_as_typed():
    assert [everyday(w) for w in ("somone", "pregnacy", "insurence", "alcohal", "thier", "teh")] == [
        "someone", "pregnancy", "insurance", "alcohol", "their", "the"]
    # rare words that misspell nothing everyday, common words, and short ones stay as typed
    assert [everyday(w) for w in ("ibuprofen", "benzos", "zolpidem", "breastfeeding", "taken", "adhd", "copd", "hiv")] == [
        "ibuprofen", "benzos", "zolpidem", "breastfeeding", "taken", "adhd", "copd", "hiv"]
    stock = frozenset(bm25_tokens(["klonopin sign abuse signs abusing"])[0])
    found = check("wat are signs somone is abusing their klonopin", [hit("Klonopin")], lambda hits: stock)
    assert found.missing == ()  # "somone" is someone (a person, not what is asked), "wat" is a texting "what"
    found = check("is klonopin safe in pregnacy", [hit("Klonopin")], lambda hits: frozenset(bm25_tokens(["klonopin safe"])[0]))
    assert [found.words[i] for i in found.missing] == ["pregnacy"] and 3.0 < found.zipf[0] < 5.0  # as pregnancy


def test_only_the_documents_about_the_topic_hold_what_is_asked():
    def titled(title: str, doc: str, text: str) -> Hit:
        return Hit(Passage(doc, title, "Overview", None, 0, len(text), text), 1, 0.5)

    own = titled("Kimura disease", "kimura.md", "Kimura disease is a rare inflammatory disorder.")
    other = titled("Wallenberg's Syndrome", "wallenberg.md", "The outlook depends on the size of the lesion.")
    again = titled("Kimura disease", "kimura-ghr.md", "Kimura disease often involves the lymph nodes.")
    stock = {h.passage.doc: frozenset(bm25_tokens([h.passage.text])[0]) for h in (own, other, again)}

    def held(hits):
        return frozenset().union(*(stock[h.passage.doc] for h in hits))

    found = check("What is the outlook for Kimura disease?", [own, other, again], held)
    assert found.topic == "Kimura disease" and [found.words[i] for i in found.missing] == ["outlook"]
    # a question on the other page's own topic finds the word there
    assert check("What is the outlook for Wallenberg's syndrome?", [other, own], held).missing == ()


def test_the_aspect_is_checked_on_the_page_whose_title_names_the_topic_not_on_the_first_hit():
    """The ranking may put another syndrome's treatment section first for "What treatments are there
    for Sakati syndrome?": that page's heading does not say how Sakati syndrome is treated."""
    def titled(title: str, section: str, text: str) -> Hit:
        return Hit(Passage(title.lower().replace(" ", "-") + ".md", title, section, None, 0, len(text), text), 1, 0.5)

    other = titled("Schnitzler syndrome", "Treatment", "How might Schnitzler syndrome be treated? Anakinra helps.")
    own = titled("Sakati syndrome", "Symptoms", "Sakati syndrome causes short limbs and skull changes.")
    stock = frozenset(bm25_tokens([h.passage.text for h in (other, own)] + ["treatments"])[0])
    found = check("What treatments are there for Sakati syndrome?", [other], lambda hits: stock, [own])
    assert found.unmet == ("treatments",)
    assert check("What treatments are there for Sakati syndrome?", [other], lambda hits: stock).unmet == ()  # only the other page
    # its own page under a treatment heading meets it, wherever it ranks
    treated = titled("Sakati syndrome", "Treatment", "Treatment depends on the symptoms.")
    assert check("What treatments are there for Sakati syndrome?", [other], lambda hits: stock, [own, treated]).unmet == ()
    assert section_aspects(TITLE, TITLE) == {OVERVIEW}  # the seed title's words are not a treatment heading


def test_a_how_many_question_is_met_by_a_count_not_by_any_number():
    def page(text: str) -> Hit:
        return Hit(Passage("t17.md", "Trisomy 17 mosaicism", "Overview", None, 0, len(text), text), 1, 0.5)

    asked = "How many people have Trisomy 17 mosaicism?"
    for text in ("Trisomy 17 mosaicism is a chromosomal abnormality.",  # a number in a name
                 "Most children recover within 6 months.", "It affects people between 50-70 years old.",  # a duration, an age
                 "An epidemic struck between 1917 to 1928.", "See the review [1] and vitamin B-12 levels."):
        assert unmet(asked, [page(text)]) == ("How many people",), text
    for text in ("It affects about 1 in 10,000 people.", "It affects 3-5 percent of children.", "Some 2,000 cases are known.",
                 "It is found in one out of every four families.", "About 50% of newborns have it."):
        assert unmet(asked, [page(text)]) == (), text


def test_an_amount_to_take_is_met_by_a_dose_not_by_a_share_of_users():
    def page(text: str) -> Hit:
        return Hit(Passage("k.md", "Klonopin", "Klonopin", None, 0, len(text), text), 1, 0.5)

    share = page("Dependence develops in approximately 33% of users after four weeks of use.")
    for question, words in (("What is the maximum dose of Klonopin?", "maximum dose"),
                         ("whats a normal klonopin dose for panic attacks", "normal dose"),
                         ("what dose of klonopin is too high", "what dose"), ("What is the dosage of Klonopin?", "dosage"),
                         ("how many mg of klonopin is safe for an adult", "how many mg"),
                         ("how much klonopin should i take for anxiety", "how much should i take")):
        assert expects(question) == "dose", question
        assert unmet(question, [share]) == (words,), question  # no aspect word, but an amount is asked for
        for text in ("The usual dose is 0.5 mg three times a day.", "Adults take 1 to 2 mg daily.",
                     "Take one tablet twice a day."):
            assert unmet(question, [share, page(text)]) == (), (question, text)
    # a count of people, a cost, a missed dose: not an amount to take
    assert expects("how many people who take klonopin become dependent") == "quantity"
    assert expects("how much does klonopin cost") == "quantity"
    assert expects("what happens if you miss a dose of klonopin") is None


def test_how_long_is_met_by_a_sentence_saying_a_duration_of_what_is_asked():
    def page(section: str, text: str) -> Hit:
        spans = tuple((s, e) for s, e, _ in sentences(text))
        return Hit(Passage("k.md", "Klonopin", section, None, 0, len(text), text, sentences=spans), 1, 0.5)

    asked = "How long do withdrawal symptoms last?"  # asks the withdrawal and symptoms aspects
    withdrawal = page("Withdrawal Symptoms", "Withdrawal symptoms include insomnia and nausea.")
    for text in ("Klonopin is rarely prescribed for more than two to four weeks. Symptoms include nausea.",  # of another thing
                 "Withdrawal symptoms develop when the dose is stopped after four weeks of use."):  # when, not how long
        assert unmet(asked, [withdrawal, page("Risks", text)]) == ("How long",), text
    for text in ("Withdrawal symptoms usually last one to two weeks.", "In most people the symptoms fade within a few weeks.",
                 "Some symptoms can go on for several months."):
        assert unmet(asked, [withdrawal, page("Risks", text)]) == (), text
    # how long until it happens: a time after which it does is an answer
    assert unmet("How long after stopping do withdrawal symptoms start?", [withdrawal, page("Risks", "Withdrawal symptoms "
                 "start after two days.")]) == ()
    # the duration is said of one of the words that ask ("therapy"), not only of an aspect word ("rehab")
    therapy = page("Treatment", "Therapy can continue for several months.")
    assert unmet("How long does rehab or therapy take?", [therapy], asking=["rehab", "therapy"]) == ()
    assert unmet("How long does rehab take?", [therapy], asking=["rehab"]) == ("How long",)
    # no aspect asked ("how long do doctors let you stay on it"): any duration, as before
    assert unmet("How long do doctors let you stay on it?", [page("Risks", "It is prescribed for two to four weeks.")]) == ()


def test_an_aspect_is_unmet_until_a_passage_has_its_heading_its_words_or_its_kind_of_answer():
    def page(section: str, text: str) -> Hit:
        return Hit(Passage("kimura.md", "Kimura disease", section, None, 0, len(text), text), 1, 0.5)

    symptoms = page("Symptoms", "Kimura disease causes painless lumps under the skin of the head and neck.")
    assert unmet("How is Kimura disease diagnosed?", [symptoms]) == ("diagnosed",)  # the whole word as typed
    assert unmet("How is Kimura disease diagnosed?", [symptoms, page("Diagnosis", "See a specialist.")]) == ()
    assert unmet("How is Kimura disease diagnosed?", [symptoms, page("Overview", "A biopsy and blood tests confirm it.")]) == ()
    assert unmet("What is the life expectancy of people with Kimura disease?", [symptoms]) == ("life expectancy",)
    assert unmet("What is the life expectancy of people with Kimura disease?",
                 [page("Overview", "The prognosis is good.")]) == ()
    # "how many" is met by a number, whatever the heading
    assert unmet("How many people have Kimura disease?", [symptoms]) == ("How many people",)
    assert unmet("How many people have Kimura disease?", [page("Overview", "It affects about 1 in 10,000 people.")]) == ()
    # what it is, and a question naming no aspect, are never unmet
    assert unmet("What is Kimura disease?", [symptoms]) == ()
    assert unmet("Kimura disease and my son", [symptoms]) == ()
    assert unmet("How is Kimura disease diagnosed?", []) == ()
    # the same words read as two aspects (symptoms or diagnosis): met when either is, unmet when neither
    assert unmet("how do i know if my son has Kimura disease", [symptoms]) == ()
    assert unmet("how do i know if my son has Kimura disease", [page("Treatment", "Surgery removes the lumps.")]) == (
        "how do i know if",)
    # two aspects asked in words of their own are met one by one
    assert unmet("What are the symptoms of Kimura disease and how is it diagnosed?", [symptoms]) == ("diagnosed",)


def test_looking_only_for_the_wanted_aspects_finds_what_looking_for_all_finds():
    """`met(hits, wanted)` stops searching once every wanted aspect is met: the oracle is every
    aspect found, cut to those wanted, over the seed document's passages in every order."""
    from bot.chunk import chunk_document
    from bot.ingest import read_document
    from bot.query import _tables

    path = next(SEED_CORPUS.iterdir())
    passages = chunk_document(read_document(path, path.name), lambda text: len(text.split()), 200)
    hits = [Hit(p, i, 0.5) for i, p in enumerate(passages, 1)]
    names = sorted(_tables()[1])
    for start in range(len(hits)):
        some = hits[start:] + hits[:start]
        for n in range(len(names)):
            wanted = frozenset(names[n:n + 3])
            assert met(some, wanted) == met(some) & wanted
        assert met(some, frozenset()) == frozenset()


def test_a_declined_question_names_the_whole_aspect_its_missing_word_is_part_of():
    words = ("What", "is", "the", "life", "expectancy", "of", "someone", "with")
    found = Coverage("Kimura disease", "", words, missing=(3, 4), zipf=(6.1, 3.2), length=11, sentence=0.6,
                     gains=(float("nan"), 0.1), unmet=("life expectancy",))
    rule = {"specific": 5.5, "gain": 0.05, "sentence": 0.65, "max_words": 15}
    assert asked(found, 5.5) == "expectancy" and named(found, **rule) == "life expectancy"
    # a missing word that is no part of the aspect's words is named alone
    other = replace(found, words=("pregnant", *words[1:]), missing=(0,), zipf=(4.0,), gains=(0.1,))
    assert named(other, **rule) == "pregnant"
    assert named(replace(found, gains=(float("nan"), 0.0), sentence=0.9), **rule) == "life expectancy"  # the aspect alone


def test_an_unmet_aspect_declines_only_a_question_short_enough():
    found = Coverage("Kimura disease", "How is diagnosed", ("How", "is", "diagnosed"), length=5, unmet=("diagnosed",))
    rule = dict(specific=5.0, gain=0.05, sentence=0.65, max_words=12)
    assert declines(found, **rule, aspect_words=5) and not declines(found, **rule, aspect_words=4)
    assert not declines(found, **rule)  # the aspect part off
    assert not declines(replace(found, unmet=()), **rule, aspect_words=99)


def test_the_quoted_passages_are_checked_for_each_asking_word_by_stem_synonym_and_aspect():
    quoted = [hit("Stopping suddenly is dangerous; doctors taper the dose.", section="Treatment"),
              hit("Benzodiazepines such as Klonopin are habit forming.", section="Risks")]
    found = check("my mom wants to stop her benzos before flying, is it safely done", quoted, lambda hits: frozenset())
    used = {found.words[i]: held for i, _, held in found.quoted}
    # "my mom" frames the question, and "safely" (a form of "safe"); "stop" meets "Stopping", "benzos"
    # its synonym; "wants" and "flying" are in neither passage
    assert used == {"wants": False, "stop": True, "benzos": True, "flying": False, "done": False}
    assert all(z == pytest.approx(_zipf(found.words[i].lower())) for i, z, _ in found.quoted)
    # a word naming an aspect is used when a passage meets that aspect ("cured" under Treatment) ...
    treatment = [hit("Doctors help.", section="Treatment")]
    found = check("can it be cured and how is it diagnosed", treatment, lambda hits: frozenset())
    assert {found.words[i]: held for i, _, held in found.quoted} == {"cured": True, "diagnosed": False}
    # ... and when the quotes meet every aspect asked, the heading answers it whatever words it uses
    found = check("how many people are affected by Klonopin addiction", [hit("1 in 10 users.", section="How common is it?")],
                  lambda hits: frozenset())
    assert found.quoted and all(held for _, _, held in found.quoted)


def test_a_heading_not_a_word_in_passing_meets_what_is_asked_for_every_word():
    """"can klonopin cause constipation": a passage that says "caused" somewhere does not answer for
    "constipation"; a heading of the asked aspect would."""
    said = [hit("Overdose is caused by taking too much.", section="Klonopin Overdose Symptoms")]
    found = check("can klonopin cause constipation", said, lambda hits: frozenset())
    assert {found.words[i]: held for i, _, held in found.quoted} == {"cause": True, "constipation": False}
    headed = [hit("Nobody knows.", section="Causes")]
    found = check("can klonopin cause constipation", headed, lambda hits: frozenset())
    assert all(held for _, _, held in found.quoted)


def test_codes_are_the_numbers_of_a_name_not_quantities():
    assert codes("How is Chondrocalcinosis 1 treated?", "Chondrocalcinosis") == (("Chondrocalcinosis", "1", False),)
    assert codes("Tests for chromosome 1p deletion?", "chromosome deletion") == (("chromosome", "1p", False),)
    assert codes("Who gets 8p11 myeloproliferative syndrome?", "myeloproliferative syndrome") == (
        ("myeloproliferative", "8p11", True),)
    assert codes("Brachydactyly type A5?", "Brachydactyly type") == (("type", "A5", False),)
    # "type" after a word of the topic names a kind of it, whatever the page's title says
    assert codes("What treatments are there for Duane syndrome type 3?", "Duane syndrome") == (("type", "3", False),)
    assert codes("Brachydactyly type A5?", "Brachydactyly") == (("type", "A5", False),)
    assert codes("is type 2 common with klonopin", "klonopin") == ()  # no word of the topic before "type"
    # doses, counts, ages, decimals and numbers next to no word of the topic are not part of a name
    for question in ("is 2mg of klonopin a lot", "can i take klonopin 2 mg", "my son took 2 klonopin",
                     "klonopin 0.5 twice a day", "klonopin 3 times a day", "klonopin for my 7 year old",
                     "on klonopin since 2019", "can he take klonopin 2 or 3 times", "klonopin 2 a day is that a lot"):
        assert codes(question, "klonopin") == (), question


def test_a_name_with_another_number_is_another_page():
    """"Chondrocalcinosis 1" found only as "Chondrocalcinosis 2": the number is part of the name, so
    the quotes are about another condition, and a page whose title lacks the number is not about it."""
    def page(title: str, section: str, text: str) -> Hit:
        return Hit(Passage(title.lower().replace(" ", "-") + ".md", title, section, None, 0, len(text), text), 1, 0.5)

    two = page("Chondrocalcinosis 2", "Treatment", "How might chondrocalcinosis 2 be treated? There is no cure.")
    stock = frozenset(bm25_tokens([two.passage.text])[0])
    found = check("How is Chondrocalcinosis 1 treated?", [two], lambda hits: stock)
    assert found.unnamed == ("Chondrocalcinosis 1",) and found.missing == ()
    rule = dict(specific=5.5, gain=0.06, sentence=0.65, max_words=15)
    assert declines(found, **rule) and named(found, **rule) == "Chondrocalcinosis 1"
    assert not declines(found, **{**rule, "max_words": 3})  # only in a question short enough (4 words)
    assert check("How is Chondrocalcinosis 2 treated?", [two], lambda hits: stock).unnamed == ()
    types = page("Chondrocalcinosis", "Types", "Type 1 is rarer; chondrocalcinosis 1 starts early.")
    assert unwritten([("Chondrocalcinosis", "1", False)], [types]) == ()
    four = page("Chromosome 4q deletion", "Diagnosis", "A karyotype finds chromosome 4q deletion.")
    one = page("Chromosome 1p deletion", "Overview", "Chromosome 1p deletion is rare.")
    assert about("Chromosome deletion", [one, four], [("Chromosome", "1p", False)]) == [one]
    assert about("Chromosome deletion", [one, four]) == [one, four]
    # the aspect is read from the page with the number: 4q's diagnosis does not say how 1p's is diagnosed
    found = check("How is chromosome 1p deletion diagnosed?", [four, one], lambda hits: frozenset(["diagnos"]))
    assert found.unmet == ("diagnosed",) and found.unnamed == ()


def test_a_missing_word_everyday_english_never_uses_declines_a_short_question():
    words = ("treatments", "Sakati")
    cov = Coverage("syndrome", "treatments Sakati", words, (1,), (0.0,), 7, 0.8, (0.01,))
    rule = dict(specific=5.5, gain=0.06, sentence=0.65, max_words=15)
    assert declines(cov, **rule, sentence_words=10) and not declines(cov, **rule, sentence_words=6)
    assert named(cov, **rule, sentence_words=10) == "Sakati"
    assert not declines(replace(cov, zipf=(1.2,)), **rule, sentence_words=10)  # a word it knows, however rare


def test_declines_when_the_quotes_use_none_of_the_rare_asking_words():
    words = ("is", "it", "ok", "before", "flying", "on", "a", "plane")
    cov = Coverage("Klonopin", " ".join(words), words, length=10, quoted=((2, 5.9, False), (4, 4.7, False), (7, 4.7, False)))
    rule = dict(specific=5.5, gain=0.05, sentence=0.65, max_words=15)
    assert unquoted(cov, 5.5) == (4, 7) and unquoted(cov, 6.0) == (2, 4, 7)
    assert declines(cov, **rule, quoted_words=10) and not declines(cov, **rule, quoted_words=9)  # a longer story is not
    assert not declines(cov, **rule)  # the part off
    assert named(cov, **rule) == "flying" and named(cov, **rule, quoted_specific=4.0) == ""  # the rarest, first of equals
    one_used = replace(cov, quoted=((2, 5.9, False), (4, 4.7, True), (7, 4.7, False)))
    assert unquoted(one_used, 5.5) == () and not declines(one_used, **rule, quoted_words=99)
    common_only = replace(cov, quoted=((2, 5.9, False),))
    assert unquoted(common_only, 5.5) == () and unquoted(common_only, 9.0) == (2,)  # an everyday word alone never decides
    near = replace(cov, words=("crushed", "in", "cold", "applesauce"), quoted=((0, 3.2, False), (2, 5.2, False), (3, 2.1, False)))
    assert named(near, **rule) == "cold applesauce" and named(near, **rule, quoted_specific=5.0) == "applesauce"
    elsewhere = replace(cov, missing=(7,), zipf=(4.7,), gains=(float("nan"),), quoted=((4, 4.1, False), (7, 4.7, False)))
    assert named(elsewhere, **rule) == "plane"  # "flying" is rarer, but the documents use it elsewhere


def test_without_takes_out_whole_words_only():
    assert without("can i take klonopin while pregnant", "pregnant") == "can i take klonopin while"
    assert without("is it safe, safe?", "safe") == "is it , ?"
    assert without("pregnancy and pregnant", "pregnant") == "pregnancy and"


def found(gains: tuple[float, ...], zipf: tuple[float, ...], sentence: float, length: int = 8) -> Coverage:
    words = ("pregnancy", "is", "it", "safe", "during", "breastfeeding")
    return Coverage("Klonopin", " ".join(words), words, (0, 5)[: len(gains)], zipf, length, sentence, gains)


def test_declines_when_a_rare_missing_word_pulls_the_question_away_or_nothing_is_close():
    rule = {"specific": 5.0, "gain": 0.05, "sentence": 0.55, "max_words": 15}
    assert declines(found((0.08,), (4.0,), 0.7), **rule)  # taking "pregnancy" out helps the match: not covered
    assert not declines(found((-0.03,), (4.0,), 0.7), **rule)  # a paraphrase: taking it out hurts the match
    assert declines(found((-0.03,), (4.0,), 0.5), **rule)  # ...but no sentence is close to the question at all
    assert not declines(found((0.08,), (5.5,), 0.5), **rule)  # an everyday word never decides
    assert not declines(found((0.08,), (4.0,), 0.5, length=16), **rule)  # a long story is not checked...
    # ...but for a larger gain, growing with its length, when stories are: 0.05 x 16 / 15 = 0.053, 0.05 x 20 / 15 = 0.067
    assert declines(found((0.06,), (4.0,), 0.5, length=16), **rule, story_words=20)
    assert not declines(found((0.06,), (4.0,), 0.5, length=20), **rule, story_words=20)
    assert not declines(found((0.5,), (4.0,), 0.5, length=21), **rule, story_words=20)  # longer than story words
    assert not declines(found((0.08,), (4.0,), 0.5), **{**rule, "max_words": 0})  # 0 turns the check off
    assert not declines(Coverage("Klonopin", "is", ("is",), length=3), **rule)  # nothing missing
    # the sentence part can look at shorter questions only: a story meets any one sentence less closely
    assert not declines(found((-0.03,), (4.0,), 0.5, length=12), **rule, sentence_words=10)
    assert declines(found((0.08,), (4.0,), 0.5, length=12), **rule, sentence_words=10)  # the gain part still does


def test_asked_names_the_word_that_pulled_away_most_for_its_rarity_with_its_missing_neighbours():
    both = found((0.02, 0.09), (4.2, 3.1), 0.7)
    assert asked(both, 5.0) == "breastfeeding"  # it pulled away most, though "pregnancy" is missing too
    assert asked(found((0.09, 0.02), (4.2, 3.1), 0.7), 5.0) == "pregnancy"
    assert asked(found((0.02, 0.03), (4.2, 3.1), 0.4), 5.0) == "breastfeeding"
    # an everyday word that helped a little more is not what is asked: 0.054 x (7 - 5.68) < 0.024 x (7 - 3.84)
    words = ("show", "on", "a", "urine", "drug", "screen")
    cov = Coverage("Klonopin", " ".join(words), words, (0, 3, 5), (5.68, 3.84, 4.85), 8, 0.58, (0.054, 0.024, 0.026))
    assert asked(cov, 6.0) == "urine"
    words = ("covered", "by", "insurance")
    cov = Coverage("Klonopin", "covered by insurance", words, (0, 2), (4.5, 4.3), 5, 0.6, (0.02, 0.07))
    assert asked(cov, 5.0) == "insurance"  # "covered" is not next to it
    words = ("weight", "gain", "gained")
    cov = Coverage("Klonopin", "weight gain gained", words, (0, 1, 2), (4.5, 4.3, 4.4), 5, 0.6, (0.02, 0.07, 0.0))
    assert asked(cov, 5.0) == "weight gain"  # its missing neighbours, each stem once
    assert asked(cov, 4.4) == "gain"  # "weight" not rare enough to be named
    assert asked(Coverage("K", "x"), 5.0) == ""


@pytest.fixture(scope="module")
def seed_bot(tmp_path_factory, real_embedder) -> Bot:
    root = tmp_path_factory.mktemp("coverage")
    settings = Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data")
    build(settings, real_embedder)
    return Bot.load(settings=settings, embedder=real_embedder)


@pytest.mark.model
def test_the_topic_without_what_is_asked_gets_one_plain_sentence(seed_bot):
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


@pytest.mark.model
def test_the_quoted_passages_terms_come_from_ranking_and_equal_their_texts_own(seed_bot):
    hits = seed_bot.search("how long does klonopin withdrawal last", k=13)
    assert len(hits) == 13  # every passage of the seed document
    for h in hits:
        assert seed_bot.retriever.passage_terms(h) == frozenset(bm25_tokens([h.passage.text])[0])


@pytest.mark.model
def test_quotes_that_use_none_of_the_asking_words_decline_on_their_own(seed_bot):
    question = "can he take klonopin on the plane"
    found = seed_bot.coverage(question, seed_bot.search(question, k=10))
    assert [found.words[i] for i in unquoted(found, 6.0)] == ["plane"]
    only_quoted = dict(specific=6.0, gain=9.0, sentence=0.0, max_words=0)  # the other parts off
    assert declines(found, **only_quoted, quoted_words=12) and not declines(found, **only_quoted)
    answered = "how do they treat klonopin addiction"
    found = seed_bot.coverage(answered, seed_bot.search(answered, k=10))
    assert found.quoted and unquoted(found, 9.0) == ()  # the Treatment section meets what is asked


@pytest.mark.model
def test_turned_off_the_check_answers_from_the_topic_as_before(seed_bot):
    shipped = seed_bot.settings
    seed_bot.settings = replace(shipped, coverage_max_words=0)
    try:
        assert seed_bot.ask("Is Klonopin safe to take during pregnancy?").status == "answered"
    finally:
        seed_bot.settings = shipped


@pytest.mark.model
@pytest.mark.data
def test_with_the_shipped_settings_the_seed_questions_are_all_answered(seed_bot):
    path = shared_file("eval", "seed", "queries.jsonl")
    for line in path.read_text("utf-8").splitlines():
        query = json.loads(line)
        if query["kind"] == "answerable":
            assert seed_bot.ask(query["question"]).status == "answered", query["question"]


@pytest.mark.model
def test_highlights_mark_the_sentence_that_answers_not_one_with_a_number(seed_bot):
    answer = seed_bot.ask("What are the withdrawal symptoms of Klonopin?")
    first = answer.hits[0]
    assert [first.passage.text[s:e] for s, e in first.highlights] == [
        "Klonopin withdrawal symptoms include insomnia, nausea and vomiting, headaches, muscle or bone pain, diarrhea, "
        "restlessness, hallucinations, panic attacks, memory loss, heart palpitations and severe mood swings."]
    lasting = seed_bot.ask("how long does klonopin treatment last")
    assert [lasting.hits[0].passage.text[s:e] for s, e in lasting.hits[0].highlights] == [
        "The therapy portion of Klonopin addiction treatment can continue for several months, and the patient may be "
        "asked to attend Narcotics Anonymous meetings on a continuing basis to help prevent a possible relapse or the "
        "development of a secondary addiction."]


@pytest.mark.model
@pytest.mark.parametrize("history", [["What are the withdrawal symptoms of Klonopin?"], []])
def test_how_long_is_met_only_by_a_duration_said_of_what_is_asked(seed_bot, history):
    # "rarely prescribed for more than two to four weeks" is not how long withdrawal lasts, nor is
    # "...when the dose is reduced or stopped after four weeks of use": a time after which it happens
    question = "how long do they last?" if history else "how long do klonopin withdrawal symptoms last"
    answer = seed_bot.ask(question, history=history)
    assert answer.status == "no_answer" and answer.hits == ()
    assert answer.uncovered == {"topic": "Klonopin" if history else "klonopin", "asked": "how long"}


# The decision on the seed document, both ways, with the shipped settings (benchmarks/coverage.py
# reports the whole sets these come from, misses included: benchmarks/data/seed_*.jsonl).
ANSWERED = [
    'is klonopin the same thing as clonazepam or a different drug',
    'what do doctors give klonopin for',
    'my sister takes klonpin for seizures, is that what its for',
    'can you get hooked on klonopin even if you take it exactly like the doctor says',
    'how many ppl who take clonazepam the right way end up dependent on it',
    'what kind of drug is klonopin, is it a benzo',
    'is klonopin addictive',
    'my brother sees several doctors to get more refills, is that a warning sign?',
    'my son keeps saying he has vague symptoms so the doctor will give him more klonopin, should i worry',
    'how can i tell if my husband is addicted to his klonopin',
    'my dad keeps upping his own dose without asking the doctor, is that a sign of a problem',
    'she refuses to try any other treatment than her klonopin, is that normal or a red flag',
    'mood swings and acting erratic since she started klonopin, could she be addicted',
    'why does my wife need more and more klonopin to get the same effect',
    'does everybody who takes klonopin build up a tolerence',
    'how long do doctors usually let you stay on klonopin',
    'how long does rehab or therapy for klonopin addiction take',  # "therapy ... can continue for several months"
    'how long after stopping klonopin do withdrawal symptoms start',  # "withdrawal symptoms develop ... after four weeks"
    'my teen has been taking klonopin he bought from a friend, is that more dangerous than having a prescription',
    'what do they do in klonopin rehab',  # rehab asks about treatment, as "treated" does
    'is it dangerous to drink wine with klonopin',  # "mixed with alcohol": drinking is alcohol
    # "goes" and "involve" only carry the sentence: never a concept the document lacks
    'my wife goes to 3 different doctors for her klonopin prescription',
    'what does the therapy part of klonopin treatment involve',
]
DECLINED = {
    'is klonopin safe when pregnant': 'pregnant',
    'im 8 weeks pregnant on klonopin for panic attacks, does it cause birth defects': 'pregnant',
    'can i take klonopin while breastfeeding my baby': 'breastfeeding',
    'where should klonopin be stored, is the bathroom cabinet ok': 'bathroom cabinet',
    'do klonopin pills expire? my dad has some from 2019': 'pills expire',
    'does klonopin make birth control pills stop working': 'birth',
    # "drink" is the documents' alcohol; grapefruit juice is not
    'can you drink grapefruit juice while taking clonazepam': 'grapefruit juice',
    'is it ok to drink coffee with klonopin': 'coffee',
    'can my mother take klonopin with her blood pressure pills lisinopril': 'pressure pills lisinopril',
    'can klonopin be taken with antibiotics like amoxicillin': 'amoxicillin',
    'does klonopin cause weight gain? my sister gained 20 pounds': 'gained pounds',
    'is klonopin better than xanax for panic attacks': 'xanax',
    'which is stronger, ativan or klonopin': 'stronger ativan',
    'can you cut a klonopin tablet in half': 'cut',
    'how much does klonopin cost without insurance': 'insurance',
    'is klonopin safe for my 85 year old grandmother with dementia': 'dementia',
    'will klonopin show on a urine drug screen': 'urine',
    'can i donate blood if im taking klonopin': 'donate blood',
    # an aspect the document never meets: it names no test of any kind
    'does klonopin affect the liver? his liver tests came back high': 'liver',
    'can my husband take klonopin before a long flight': 'flight',
    'will klonopin help my dad with his tinnitus': 'tinnitus',
    'can klonopin be given to a toddler': 'toddler',
    'how should i dispose of old klonopin pills': 'dispose',
    'is it ok to take klonopin at bedtime': 'bedtime',
    # the aspect (a test) is named with the quotes' unused words around it
    'is it ok if my son takes klonopin before his driving test': 'driving test',
    # "taken" frames the question as "take" does; the quotes use none of its other words
    'should klonopin be taken with food or on an empty stomach': 'empty stomach',
    # an amount to take: the document gives none, only a share of users ("33%") and "a higher dose"
    'what is the maximum dose of klonopin': 'maximum dose',
    'how much klonopin should my mom take for anxiety': 'how much should my mom take',
    # a missed dose is an aspect of a medicine's leaflet the document has no section or words for
    'what should i do if i miss a dose of klonopin': 'miss a dose',
    # how long is asked of an overdose: no sentence saying a duration speaks of one
    'how long does a klonopin overdose last': 'how long',
}


@pytest.mark.model
@pytest.mark.parametrize("question", ANSWERED)
def test_lay_questions_the_document_answers_are_answered(seed_bot, question):
    answer = seed_bot.ask(question)
    assert answer.status == "answered" and answer.uncovered is None


@pytest.mark.model
@pytest.mark.parametrize(("question", "asked"), DECLINED.items())
def test_on_topic_questions_the_document_does_not_answer_are_declined_naming_both(seed_bot, question, asked):
    answer = seed_bot.ask(question)
    assert answer.status == "no_answer" and answer.hits == ()
    assert answer.uncovered is not None and answer.uncovered["asked"] == asked
    assert set(answer.uncovered["topic"].lower().split()) <= {"klonopin", "clonazepam"}
    assert answer.markdown.startswith(f"The documents talk about {answer.uncovered['topic']}, but not about {asked}.")


#: messages past the check's max words (stories), whose missing words pull away more than their length calls for
STORIES = {
    'my husband has a DOT drug test next week, will his prescribed klonopin be a problem': 'DOT',
    'i left my moms klonopin bottle in a hot car all day, are the pills still good': 'hot car',
}


@pytest.mark.model
@pytest.mark.parametrize(("question", "asked"), STORIES.items())
def test_a_story_whose_missing_words_pull_away_is_declined_naming_them(seed_bot, question, asked):
    assert len(question.split()) > seed_bot.settings.coverage_max_words
    answer = seed_bot.ask(question)
    assert answer.status == "no_answer" and answer.uncovered == {"topic": "klonopin", "asked": asked}


@pytest.mark.model
def test_the_decision_is_the_same_however_many_passages_a_reply_quotes(seed_bot):
    """The check reads the best `coverage_passages` passages: a caller asking for ten (`BOT_TOP_K=10`,
    as `ask --json` callers do) gets the "not covered" the chat's three get, and the same quotes first."""
    shipped = seed_bot.settings
    # read over ten passages, the first two were decided the other way: "schedule" was met by a tenth
    # passage, and the tenth passage's words made "rehab places" pull away
    questions = ["what schedule controlled substance is clonazepam", "how do rehab places treat klonopin addiction",
                 *list(DECLINED)[:4], *list(STORIES), *ANSWERED[:4]]
    three = [seed_bot.ask(q) for q in questions]
    seed_bot.settings = replace(shipped, top_k=10)
    try:
        ten = [seed_bot.ask(q) for q in questions]
    finally:
        seed_bot.settings = shipped
    assert [(a.status, a.uncovered) for a in ten] == [(a.status, a.uncovered) for a in three]
    assert [a.hits[:len(b.hits)] for a, b in zip(ten, three)] == [b.hits for b in three]


@pytest.mark.model
def test_under_a_safety_notice_quotes_that_do_not_answer_are_left_out_and_those_that_do_kept(seed_bot):
    """The notice comes first either way; quotes about addiction after "our dog ate one of my pills"
    would be read as what to do, while the overdose signs after a handful taken with vodka answer."""
    dog = seed_bot.ask("our dog ate one of my klonopin pills, what should we do")
    assert dog.safety is not None and dog.status == "no_answer" and dog.hits == ()
    assert dog.uncovered == {"topic": "klonopin", "asked": "dog ate"}
    assert dog.markdown.startswith(dog.safety.message)
    son = seed_bot.ask("my son took a handful of klonopin with vodka, what are the signs of overdose")
    assert son.safety is not None and son.status == "answered" and son.uncovered is None
    assert son.markdown.startswith(son.safety.message) and son.hits[0].passage.section == "Klonopin Overdose Symptoms"


KIMURA = """---
title: Kimura disease
---
# Kimura disease

## Symptoms

Kimura disease causes painless lumps under the skin of the head and neck, most often near the ear.
The lumps grow slowly over months or years. Some people also have itchy skin and swollen lymph nodes.

## Treatment

Surgery can remove the lumps, but they often come back. Steroid medicines and radiation therapy
are also used to shrink them.
"""


def one_document_bot(tmp_path_factory, embedder, name: str, text: str) -> Bot:
    """A bot over a corpus of one document, `name`, built with `embedder`."""
    root = tmp_path_factory.mktemp(name.split(".")[0])
    (root / "corpus").mkdir()
    (root / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings.load(corpus=root / "corpus", index=root / "index", data=root / "data")
    build(settings, embedder)
    return Bot.load(settings=settings, embedder=embedder)


@pytest.fixture(scope="module")
def kimura_bot(tmp_path_factory, real_embedder) -> Bot:
    return one_document_bot(tmp_path_factory, real_embedder, "kimura.md", KIMURA)


@pytest.mark.model
@pytest.mark.parametrize(("question", "asked"), [
    ("How is Kimura disease diagnosed?", "diagnosed"),
    ("What is the life expectancy of someone with Kimura disease?", "life expectancy"),
    ("How can Kimura disease be prevented?", "prevented"),
])
def test_an_aspect_no_passage_meets_is_declined_naming_it(kimura_bot, question, asked):
    answer = kimura_bot.ask(question)
    assert answer.status == "no_answer" and answer.hits == ()
    assert answer.uncovered == {"topic": "Kimura disease", "asked": asked}


@pytest.mark.model
@pytest.mark.parametrize("question", ["How is Kimura disease treated?", "What are the symptoms of Kimura disease?",
                                      "can kimura disease be cured with surgery"])
def test_an_aspect_a_passage_meets_is_answered(kimura_bot, question):
    assert kimura_bot.ask(question).status == "answered"


@pytest.mark.model
def test_a_follow_up_on_an_aspect_no_passage_meets_is_declined(kimura_bot):
    answer = kimura_bot.ask("and how is it diagnosed?", ["What are the symptoms of Kimura disease?"])
    assert answer.status == "no_answer" and answer.uncovered == {"topic": "Kimura disease", "asked": "diagnosed"}


ATAXIA = """---
title: Spinocerebellar ataxia 2
---
# Spinocerebellar ataxia 2

## Symptoms

Early symptoms of spinocerebellar ataxia 2 include uncoordinated movement and leg cramps. Later, people
may have tremor, slow eye movements and trouble speaking or swallowing.
"""


@pytest.fixture(scope="module")
def ataxia_bot(tmp_path_factory, real_embedder) -> Bot:
    return one_document_bot(tmp_path_factory, real_embedder, "sca2.md", ATAXIA)


@pytest.mark.model
def test_a_condition_with_another_number_in_its_name_is_not_covered(ataxia_bot):
    answer = ataxia_bot.ask("What are the symptoms of spinocerebellar ataxia 3?")
    assert answer.status == "no_answer" and answer.uncovered == {"topic": "spinocerebellar ataxia", "asked": "ataxia 3"}
    assert ataxia_bot.ask("What are the symptoms of spinocerebellar ataxia 2?").status == "answered"
    assert ataxia_bot.ask("what are the symptoms of spinocerebellar ataxia").status == "answered"


def _read_stems(passages: list[Passage], doc: str) -> frozenset[str]:
    """The oracle: every passage of `doc` read and analysed, its title line and heading included."""
    return frozenset(t for tokens in bm25_tokens([p.context for p in passages if p.doc == doc]) for t in tokens)


def test_a_documents_stems_come_from_the_postings_as_reading_its_passages_gives_them(tmp_path, fake) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, paragraphs in (("a.md", 1), ("b.md", 3), ("c.md", 40), ("d.md", 2), ("e.md", 12)):
        (corpus / name).write_text(f"# Title of {name}\n\n" + "\n\n".join(
            f"## Part {i}\n\nParagraph {i} of {name}: " + " ".join(f"word{i}x{j} running" for j in range(90))
            for i in range(paragraphs)), encoding="utf-8")
    settings = Settings.load(corpus=corpus, index=tmp_path / "index", data=tmp_path / "data")
    build(settings, fake)
    bot = Bot.load(settings=settings, embedder=fake)
    passages = list(bot.index.passages)
    assert max(sum(p.doc == d for p in passages) for d in {p.doc for p in passages}) == 40  # one long
    for doc in {p.doc for p in passages}:
        assert bot._document_stock(doc) == _read_stems(passages, doc)
        assert set(bm25_tokens([f"Title of {doc} Part 0 running"])[0]) <= bot._document_stock(doc)  # title, heading
    hits = [Hit(p, i, 1.0, pid=i) for i, p in enumerate(passages) if p.doc in ("b.md", "d.md")][::3]
    assert bot._held(hits) == bot._document_stock("b.md") | bot._document_stock(hits[-1].passage.doc)
    # a page added before the others and a long one cut short, built again (only they are read): rows move
    (corpus / "aa.md").write_text("# Added\n\n## New part\n\nA sentence of the added page, freshly written.", encoding="utf-8")
    (corpus / "c.md").write_text("# Title of c.md\n\n## Part 0\n\nOnly this paragraph is left, rewritten.", encoding="utf-8")
    build(settings, fake)
    bot = Bot.load(settings=settings, embedder=fake)
    passages = list(bot.index.passages)
    assert {p.doc for p in passages} == {"aa.md", "a.md", "b.md", "c.md", "d.md", "e.md"}
    for doc in {p.doc for p in passages}:
        assert bot._document_stock(doc) == _read_stems(passages, doc)
    assert "rewritten" in bot._document_stock("c.md") and "word39x0" not in bot._document_stock("c.md")


@pytest.mark.model
def test_a_question_naming_the_generic_is_answered_from_the_section_it_asks(seed_bot):
    """The document says Clonazepam once, in its first paragraph, and Klonopin throughout: asked by
    the generic name, a question is searched as "klonopin", not drawn to the one paragraph naming it."""
    assert seed_bot.names == {"clonazepam": "klonopin"}
    for question, section in (("how do you treat clonazepam addiction", "Klonopin Addiction Treatment"),
                              ("is it dangerous to mix clonazepam and alcohol", "Klonopin Overdose Symptoms"),
                              ("can clonazepam withdrawal cause hallucinations", "Klonopin Withdrawal Symptoms"),
                              ("what are the warning signs someone is abusing clonazepam", "Risks and Warning Signs")):
        answer = seed_bot.ask(question)
        assert answer.status == "answered" and answer.hits[0].passage.section == section, question
