"""Follow-ups carry the topic but not an aspect the follow-up replaces, and a message holding
several questions is answered question by question (issue 12, point 5).

The pure parts (which words are carried, where a message splits) run without a model; the
rest asks the real bundled model over the seed document (`seed_bot`, built once per session)."""

from __future__ import annotations

import json
import re

import pytest
from hostile import assert_inert, links, untrusted

from bot.contract import AnswerOut
from bot.dialogue import classify, contextualize, questions, title_words

TOPICS = title_words(["Facts About Klonopin Addiction Treatment"])
WITHDRAWAL = "What are the withdrawal symptoms of Klonopin?"
# the seed document's sections (its headings, and its title for the text before the first one)
OVERVIEW, RISKS = "Facts About Klonopin Addiction Treatment", "Risks and Warning Signs"
WITHDRAWAL_SECTION, OVERDOSE = "Klonopin Withdrawal Symptoms", "Klonopin Overdose Symptoms"
TREATMENT = "Klonopin Addiction Treatment"


def test_topic_words_are_title_words_or_else_the_words_naming_no_aspect():
    assert TOPICS == {"facts", "klonopin", "addiction"}
    assert classify(WITHDRAWAL, TOPICS) == [("withdrawal", False), ("symptoms", False), ("Klonopin", True)]
    assert classify("Is Klonopin addictive?", TOPICS) == [("Klonopin", True), ("addictive", False)]
    # no title word: what names no aspect is the topic ("withdrawal" and "dose" name aspects)
    assert classify("What is the usual dose of clonazepam during withdrawal?", TOPICS) == [
        ("usual", True), ("dose", False), ("clonazepam", True), ("withdrawal", False)]


@pytest.mark.parametrize(("history", "follow_up", "searched"), [
    # an aspect of its own replaces the earlier one; the topic stays
    ([WITHDRAWAL], "and the overdose ones?", "Klonopin: the overdose ones?"),
    (["Is Klonopin addictive?"], "what about during pregnancy?", "Klonopin: what about during pregnancy?"),
    (["What happens in a Klonopin overdose?"], "and what are the withdrawal symptoms?",
     "Klonopin: what are the withdrawal symptoms?"),
    # none of its own: what "they" / "it" refers to is carried
    ([WITHDRAWAL], "how long do they last?", "withdrawal symptoms Klonopin: how long do they last?"),
    ([WITHDRAWAL], "is it dangerous?", "withdrawal symptoms Klonopin: is it dangerous?"),
    # a plural pronoun points back at the earlier aspect even with words of its own
    (["What are Klonopin withdrawal symptoms?"], "are they worse after high doses?",
     "Klonopin withdrawal symptoms: are they worse after high doses?"),
    # turn by turn: the third turn carries the second's aspect, not the first's
    ([WITHDRAWAL, "and the overdose ones?"], "how long do they last?", "Klonopin overdose: how long do they last?"),
    # a topic no title names is still a topic
    (["What is clonazepam?"], "what about withdrawal?", "clonazepam: what about withdrawal?"),
    # not a follow-up: searched as it is
    ([WITHDRAWAL], "What is Klonopin prescribed for?", "What is Klonopin prescribed for?"),
])
def test_follow_up_carries_the_topic_and_only_an_unreplaced_aspect(history, follow_up, searched):
    assert contextualize(follow_up, history, TOPICS) == searched


@pytest.mark.parametrize(("message", "parts"), [
    ("What are the withdrawal symptoms of Klonopin? And how is the addiction treated?",
     ["What are the withdrawal symptoms of Klonopin?", "And how is the addiction treated?"]),
    ("is klonopin addictive and can you drink alcohol on it?", ["is klonopin addictive", "and can you drink alcohol on it?"]),
    ("My mom takes Klonopin for anxiety. Can she stop suddenly? What withdrawal symptoms might she get?",
     ["My mom takes Klonopin for anxiety. Can she stop suddenly?", "What withdrawal symptoms might she get?"]),
    # "and" inside one question
    ("can you mix klonopin and alcohol?", None),
    ("What are the signs and symptoms of a Klonopin overdose?", None),
    ("When and how should klonopin be stopped?", None),
    ("What should I do if my son takes klonopin and is sleepy?", None),
    ("My son takes klonopin and what should I do?", None),  # a story, then a question with no content
    # a question with no content of its own, or restating the one before, stays with it
    ("What are the withdrawal symptoms? How long do they last?", None),
    ("Can you help? What are the symptoms of klonopin withdrawal?", None),
    ("klonopin withdrawal? what are the symptoms of klonopin withdrawal?", None),
    ("Klonopin? Withdrawal?", None),  # one word each: not questions of their own
    # more than three: answered whole
    ("Is klonopin addictive? What are the withdrawal symptoms? How is it treated? Can you drink alcohol on it?", None),
])
def test_questions_split_only_into_real_questions(message, parts):
    assert questions(message, TOPICS) == (parts or [message])


@pytest.mark.model
@pytest.mark.parametrize(("history", "follow_up", "section"), [
    ([WITHDRAWAL], "and the overdose ones?", OVERDOSE),  # its own aspect: overdose quoted first, not withdrawal
    ([WITHDRAWAL], "how long do they last?", WITHDRAWAL_SECTION),  # none of its own: still withdrawal
    ([WITHDRAWAL, "and the overdose ones?"], "how long do they last?", OVERDOSE),
    (["What happens in a Klonopin overdose?"], "and what are the withdrawal symptoms?", WITHDRAWAL_SECTION),
    (["Is Klonopin addictive?"], "how is it treated?", TREATMENT),
])
def test_follow_up_quotes_its_own_aspect(seed_bot, history, follow_up, section):
    answer = seed_bot.ask(follow_up, history)
    assert "Klonopin" in answer.searched_for.removesuffix(follow_up.removeprefix("and "))
    assert answer.parts is None and seed_bot.search(answer.searched_for, k=1)[0].passage.section == section
    if follow_up.startswith("how long"):  # the document never says how long either lasts: "not covered", honestly
        assert answer.status == "no_answer" and answer.uncovered == {"topic": "Klonopin", "asked": "how long"}
    else:
        assert answer.status == "answered" and answer.hits[0].passage.section == section
        assert f"*Searched for:* {answer.searched_for}" in answer.markdown


@pytest.mark.model
@pytest.mark.parametrize("history", [["Is Klonopin addictive?"], [WITHDRAWAL]])
@pytest.mark.parametrize("follow_up", ["what about during pregnancy?", "is it safe during pregnancy?"])
def test_follow_up_the_documents_do_not_cover_is_declined_naming_topic_and_asked(seed_bot, history, follow_up):
    answer = seed_bot.ask(follow_up, history)
    assert answer.status == "no_answer" and answer.hits == ()
    assert answer.uncovered == {"topic": "Klonopin", "asked": "pregnancy"}
    assert "The documents talk about Klonopin, but not about pregnancy." in answer.markdown


def _citations(markdown: str) -> list[int]:
    """The [n] ending each quote (a source line starts with its [n] instead)."""
    return [int(n) for n in re.findall(r"(?<!\\)\[(\d+)\]$", markdown, re.M)]


@pytest.mark.model
@pytest.mark.parametrize(("message", "expected"), [
    ("What are the withdrawal symptoms of Klonopin? And how is the addiction treated?",
     [("What are the withdrawal symptoms of Klonopin?", WITHDRAWAL_SECTION), ("And how is the addiction treated?", TREATMENT)]),
    ("is klonopin addictive and can you drink alcohol on it?",
     [("is klonopin addictive", OVERVIEW), ("and can you drink alcohol on it?", OVERDOSE)]),
    ("What are the overdose symptoms of Klonopin? What are the warning signs of addiction?",
     # the document calls withdrawal symptoms "one of the clearest signs of drug addiction": either section answers
     [("What are the overdose symptoms of Klonopin?", OVERDOSE),
      ("What are the warning signs of addiction?", (RISKS, WITHDRAWAL_SECTION))]),
    ("is klonopin addictive and is it safe during pregnancy?",
     [("is klonopin addictive", OVERVIEW), ("and is it safe during pregnancy?", {"topic": "klonopin", "asked": "pregnancy"})]),
])
def test_several_questions_are_answered_one_by_one(seed_bot, message, expected):
    answer = seed_bot.ask(message)
    data = answer.to_dict()
    assert [p["question"] for p in data["parts"]] == [q for q, _ in expected]
    ranks = [r for p in data["parts"] for r in p["passages"]]
    assert ranks == [p["rank"] for p in data["passages"]] == list(range(1, len(data["passages"]) + 1))
    markdown = answer.markdown
    at = 0
    for i, (part, (question, outcome)) in enumerate(zip(data["parts"], expected), 1):
        heading = f"**{i}. {question}**"
        assert markdown.index(heading, at) >= at  # each question, in order, before its own answer
        at = markdown.index(heading, at) + len(heading)
        if isinstance(outcome, (str, tuple)):  # the first quote's section, or sections all quoted, the first among them
            assert part["status"] == "answered" and part["uncovered"] is None and part["passages"]
            sections = (outcome,) if isinstance(outcome, str) else outcome
            quoted = [data["passages"][n - 1]["section"] for n in part["passages"]]
            assert quoted[0] in sections and set(sections) <= set(quoted)
            assert markdown.index(f" [{part['passages'][0]}]", at) > at
        else:
            assert part == {"question": question, "status": "no_answer", "passages": [], "uncovered": outcome}
            sentence = f"The documents talk about {outcome['topic']}, but not about {outcome['asked']}."
            assert markdown.index(sentence, at) > at
    assert data["status"] == "answered" and data["safety"] is None and data["uncovered"] is None
    assert sorted(_citations(markdown)) == ranks  # each [n] quoted exactly once
    assert markdown.count("**Sources**") == 1 and markdown.count(answer.disclaimer) == 1
    assert markdown.rstrip().endswith(f"*{answer.disclaimer}*")
    assert markdown.index("**Sources**") > markdown.index(f"**{len(expected)}. ")


@pytest.mark.model
def test_no_question_covered_means_no_answer(seed_bot):
    answer = seed_bot.ask("What is the best recipe for banana bread? And how long should I bake it?")
    assert [p.status for p in answer.parts] == ["no_answer", "no_answer"] and answer.status == "no_answer"
    assert answer.hits == () and "**Sources**" not in answer.markdown


@pytest.mark.model
@pytest.mark.parametrize("message", ["can you mix klonopin and alcohol?",
                                     "What are the signs and symptoms of a Klonopin overdose?"])
def test_one_question_with_and_is_not_split(seed_bot, message):
    answer = seed_bot.ask(message)
    assert answer.parts is None and answer.to_dict()["parts"] is None
    assert answer.status == "answered" and answer.hits[0].passage.section == OVERDOSE
    assert "**1. " not in answer.markdown


@pytest.mark.model
def test_multi_question_json_round_trip(seed_bot):
    data = seed_bot.ask("What are the withdrawal symptoms of Klonopin? And how is the addiction treated?").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert AnswerOut.model_validate(data).model_dump() == data  # the web API's described shape is the real one
    assert [set(p) for p in data["parts"]] == [{"question", "status", "passages", "uncovered"}] * 2


@pytest.mark.model
def test_questions_are_escaped_in_the_markdown(seed_bot):
    message = "Is Klonopin addictive? And what about <img src=x onerror=alert(1)> withdrawal?"
    answer = seed_bot.ask(message)
    assert [p.question for p in answer.parts] == ["Is Klonopin addictive?", message.split("? ", 1)[1]]
    assert "<img" not in answer.markdown and "&lt;img src=x onerror=alert(1)&gt;" in answer.markdown
    assert_inert(untrusted(answer.markdown), links(answer))


@pytest.mark.model
def test_a_message_with_a_safety_notice_is_answered_whole(seed_bot):
    message = "My son took 20 klonopin and won't wake up. What are the overdose symptoms? And how is addiction treated?"
    answer = seed_bot.ask(message)
    assert answer.safety is not None and answer.safety.kind == "emergency"
    assert answer.parts is None and answer.markdown.startswith(answer.safety.message)
