"""Follow-up questions: carry the topic of earlier turns into a short follow-up.

"What about withdrawal?" or "how long does it last?" after "How is Klonopin addiction
treated?" is searched as "Klonopin addiction: what about withdrawal?". A message is a follow-up
when it is short and either opens like one ("what about", "and", "how about"), leans on a
pronoun ("it", "that", "they"), or names no topic word of its own (every word is a stopword or
a question-type word such as "symptoms" or "treatment"). The topic is the last earlier user
turn's words minus stopwords and question-type words. No model and no rewriting: the searched
text is the follow-up with the earlier topic in front, and the answer shows it.

Left out: coreference across more than one turn back, and history from the CLI (single-turn).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

Turn = str | Mapping[str, object]

_STOP = set(
    "a an the and or but of to in on for with about at by from as is are was were be been being do does did "
    "can could should would will may might must shall i me my we our you your he him his she her they them "
    "their it its this that these those there here what which who whom whose when where why how whats hows "
    "if then than so also too very just more most much many some any all please tell know want need get "
    "still yet again now ok okay thanks thank really".split()
)
# words that say what is asked about a topic, not which topic
_ASPECT = set(
    "symptom symptoms sign signs cause causes caused causing treat treated treatment treatments therapy "
    "cure cured diagnose diagnosed diagnosis test tests risk risks prevent prevention outlook prognosis "
    "long last lasts take takes work works help helps happen happens side effect effects dose doses dosage "
    "common often safe dangerous bad serious normal mean means stop stopping quit quitting".split()
)
_OPENERS = re.compile(r"^\s*(what about|how about|and\b|also\b|what if|same for|is it|does it|can it|will it)", re.I)
_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|those|these|he|she|him|her)\b", re.I)
_MAX_FOLLOW_UP_WORDS = 10


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def user_turns(history: Sequence[Turn]) -> list[str]:
    """The user's earlier messages, oldest first, from strings or chat messages."""
    turns = []
    for turn in history:
        if isinstance(turn, str):
            turns.append(turn)
        elif turn.get("role", "user") == "user" and isinstance(turn.get("content"), str):
            turns.append(str(turn["content"]))
    return [t for t in turns if t.strip()]


def topic(question: str) -> str:
    """The words of a question that name its topic (not stopwords, not question-type words)."""
    return " ".join(w for w in re.findall(r"[\w'-]+", question) if w.lower() not in _STOP | _ASPECT)


def is_follow_up(question: str, topics: frozenset[str] = frozenset()) -> bool:
    """Short, and leaning on the conversation: an opener, a pronoun, or no topic of its own.

    With `topics` (the words of the documents' titles), a message names a topic of its own only
    when it uses one of them: "does group therapy help?" does not, "what is acromegaly?" does.
    """
    words = _words(question)
    if not words or len(words) > _MAX_FOLLOW_UP_WORDS:
        return False
    own = [w for w in words if w not in _STOP | _ASPECT and (not topics or w in topics)]
    return bool(_OPENERS.match(question) or _PRONOUN.search(question) or not own)


def contextualize(question: str, history: Sequence[Turn] = (), topics: frozenset[str] = frozenset()) -> str:
    """What to search for: the question itself, or the earlier topic followed by the follow-up."""
    turns = user_turns(history)
    if not turns or not is_follow_up(question, topics):
        return question
    for earlier in reversed(turns):  # the nearest earlier turn that names a topic
        if subject := topic(contextualize(earlier, (), topics)):
            return f"{subject}: {question}"
    return question


def title_words(titles: Sequence[str]) -> frozenset[str]:
    """The topic words of a corpus: the words of its documents' titles, minus stop and aspect words."""
    return frozenset(w for t in titles for w in _words(t) if w not in _STOP | _ASPECT)
