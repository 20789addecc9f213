"""Follow-ups carry the earlier topic; stand-alone questions are left alone."""

from __future__ import annotations

import pytest

from bot.dialogue import contextualize, is_follow_up, topic

HISTORY = ["How is Klonopin addiction treated?"]

# (earlier question, follow-up, section the first quoted passage must come from)
CONVERSATIONS = [
    ("How is Klonopin addiction treated?", "what about withdrawal?", "Klonopin Withdrawal Symptoms"),
    ("What are the withdrawal symptoms of Klonopin?", "how about an overdose?", "Klonopin Overdose Symptoms"),
    ("What is Klonopin?", "what are the warning signs of addiction to it?", "Risks and Warning Signs"),
    ("What is Klonopin prescribed for?", "how long is it usually prescribed?", "Risks and Warning Signs"),
    ("Tell me about Klonopin addiction treatment", "does group therapy help?", "Klonopin Addiction Treatment"),
    ("What happens in a Klonopin overdose?", "and what are the withdrawal symptoms?", "Klonopin Withdrawal Symptoms"),
    ("Is Klonopin addictive?", "how is it treated?", "Klonopin Addiction Treatment"),
    ("What are Klonopin withdrawal symptoms?", "are they worse after high doses?", "Klonopin Withdrawal Symptoms"),
    ("What is clonazepam?", "what happens if someone takes too much of it?", "Klonopin Overdose Symptoms"),
    ("How do people get treated for Klonopin dependence?", "how long does the therapy last?", "Klonopin Addiction Treatment"),
]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("what about withdrawal?", "Klonopin addiction: what about withdrawal?"),
        ("how long does it last?", "Klonopin addiction treated: how long does it last?"),  # no aspect of its own
        ("symptoms?", "Klonopin addiction: symptoms?"),
        ("What is the best recipe for banana bread?", "What is the best recipe for banana bread?"),
        ("What are the withdrawal symptoms of Klonopin?", "What are the withdrawal symptoms of Klonopin?"),
    ],
)
def test_contextualize(message, expected):
    assert contextualize(message, HISTORY) == expected


def test_no_history_means_no_change():
    assert contextualize("what about it?", []) == "what about it?"


def test_chat_message_history_and_nearest_topic():
    history = [{"role": "user", "content": "What is Klonopin?"}, {"role": "assistant", "content": "..."},
               {"role": "user", "content": "what about it?"}]
    assert contextualize("and the symptoms?", history) == "Klonopin: the symptoms?"


def test_helpers():
    assert is_follow_up("and overdose?") and not is_follow_up("What are the symptoms of acromegaly?")
    assert topic("What are the withdrawal symptoms of Klonopin?") == "Klonopin"  # withdrawal is an aspect


@pytest.mark.model
@pytest.mark.parametrize(("first", "follow_up", "section"), CONVERSATIONS)
def test_two_turn_conversations(seed_bot, first, follow_up, section):
    answer = seed_bot.ask(follow_up, history=[first])
    assert answer.status == "answered"
    assert answer.hits[0].passage.section == section
    assert answer.searched_for != follow_up and "Searched for" in answer.markdown
