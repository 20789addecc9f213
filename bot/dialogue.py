"""Follow-up questions, and several questions in one message.

**Follow-ups.** "What about withdrawal?" or "how long does it last?" after "How is Klonopin
addiction treated?" is searched with the earlier turn's words in front ("Klonopin addiction:
what about withdrawal?"). A message is a follow-up when it is short and either opens like one
("what about", "and", "how about"), leans on a pronoun ("it", "that", "they"), or names no topic
word of its own (every word is a stopword or a question-type word such as "symptoms" or "how
long"). No model and no rewriting: the searched text is the follow-up with earlier words in
front, and the answer shows it.

Which earlier words are carried depends on their class, because they play different parts:

- **topic** words name what the documents are about: words of the documents' titles
  ("Klonopin"); in a turn that uses no title word, its words that name no aspect (so
  "clonazepam" in "What is clonazepam?"). They are always carried.
- **aspect** words are everything else a turn asks about (withdrawal, symptoms, treatment,
  dose, pregnancy...). They are carried only while the follow-up names no aspect of its own:
  "how long do they last?" after the withdrawal symptoms is about those symptoms, but "and the
  overdose ones?" is about overdose, and carrying "withdrawal" would quote withdrawal first. A
  plural pronoun ("are they worse after high doses?") points back at the earlier aspect (a
  medicine is "it"; "they" are its symptoms or doses), so it keeps it even then.

The conversation is followed turn by turn, so a third turn carries the second's aspect.

**Several questions** ("What are the withdrawal symptoms of Klonopin? And how is the addiction
treated?") are split by `questions` into parts answered one by one, each part after the first
a follow-up of the ones before it. Only where each part is a real question with content of its
own: at a question's end, or at "and" starting a new question ("... addictive and can you drink
on it?"), never at an "and" inside one ("can you mix Klonopin and alcohol?").

Left out: coreference beyond the words of earlier turns, and history from the CLI
(single-turn); splitting at "y"/"und" in other languages (a question mark splits in any).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .query import aspects

Turn = str | Mapping[str, object]

_STOP = set(
    "a an the and or but of to in on for with about at by from as is are was were be been being do does did "
    "can could should would will may might must shall i me my we our you your he him his she her they them "
    "their it its this that these those there here what which who whom whose when where why how whats hows "
    "if then than so also too very just more most much many some any all please tell know want need get "
    "still yet again now ok okay thanks thank really one ones other others during after before while "
    "without into over under between against through hello hi hey dear "
    # contractions typed without the apostrophe ("shes", "cant"); not "ill", "id", "well": words of their own
    "im ive youre hes shes theyre thats cant wont dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt "
    "couldnt shouldnt wouldnt "
    # everyday verbs that carry the sentence, not what is asked ("my wife goes to 3 doctors")
    "go goes going went gone come comes coming came make makes made".split()
)
# words that name what is asked about a topic (an aspect of it), not which topic
_ASPECT = set(
    "symptom symptoms sign signs cause causes caused causing treat treated treatment treatments therapy "
    "cure cured diagnose diagnosed diagnosis test tests risk risks prevent prevention outlook prognosis "
    "side effect effects dose doses dosage stop stopping quit quitting".split()
)
# words that say what kind of answer is wanted (a duration, a verdict), neither topic nor aspect
_GENERIC = set("long last lasts take takes took taken work works help helps happen happens common often safe dangerous "
               "bad serious normal mean means meant advice suggestion suggestions "
               "kind kinds sort sorts type types way ways thing things suffer suffers "  # "what kind of"
               "involve involves involved".split())  # "what does it involve"
# the people a question mentions: who asks or for whom ("my mom", "someone"), not what is asked
# (age words such as "child" or "baby" are left out: a child's dose is a concept of its own)
_PEOPLE = set("someone somebody anyone anybody everyone everybody person persons people ppl folks guy guys man men "
              "woman women mom moms mum mother mothers dad dads father fathers parent parents son sons daughter "
              "daughters husband wife spouse partner boyfriend girlfriend brother brothers sister sisters sibling "
              "siblings grandmother grandma grandfather grandpa uncle aunt cousin niece nephew friend friends "
              "roommate coworker neighbor family".split())
# words that ask for material about a topic ("do you have information about...", "send me a pamphlet"),
# not for a part of it
_REQUEST = set("information info details article articles pamphlet pamphlets brochure brochures leaflet leaflets "
               "material materials send stuff explain".split())
_OPENERS = re.compile(r"^\s*(what about|how about|and\b|also\b|what if|same for|is it|does it|can it|will it)", re.I)
_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|those|these|he|she|him|her)\b", re.I)
#: words that only frame a question (stopwords, "happens", "safe", "normal", the people in it, a
#: request for "information"): never a topic, never what is asked about it (the coverage check does
#: not name them)
FRAME_WORDS = frozenset(_STOP | _GENERIC | _PEOPLE | _REQUEST)
#: the words that say what kind of answer is wanted, which frame a question in any form ("safely", "working")
FRAME_FORMS = frozenset(_GENERIC)
_PLURAL = re.compile(r"\b(they|them|those|these)\b", re.I)
_CONNECTIVE = re.compile(r"^\s*(?:and|also|so|but|plus|then)\b[\s,]*", re.I)
_MAX_FOLLOW_UP_WORDS = 10

_WH = "what|how|why|when|where|which|who|whom|whose"
_AUX = "is|are|was|were|am|can|could|should|would|will|do|does|did|has|have|may|might|must|shall"
_QUESTION_START = re.compile(rf"^\W*(?:(?:and|also|so|but|plus|then)\s+)?(?:({_WH})|{_AUX})\b", re.I)
# "and" followed by a wh-word, or by an auxiliary and its subject: a new question starts there
_AND_CLAUSE = re.compile(rf",?\s+(?=and\s+(?:(?:{_WH})\b|(?:{_AUX})\s+([\w'-]+)))", re.I)
_SUBJECTS = set("i you he she it we they there this that these those my your his her our their the a an "
                "someone somebody anyone people".split())
_SENTENCE_END = re.compile(r"(?<=[?!.])\s+")
MAX_QUESTIONS = 3


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _content(text: str) -> list[str]:
    """The words of a text as typed, minus stopwords and question-type words."""
    return [w for w in re.findall(r"[\w'-]+", text) if w.lower() not in _STOP | _GENERIC]


def user_turns(history: Sequence[Turn]) -> list[str]:
    """The user's earlier messages, oldest first, from strings or chat messages."""
    turns = []
    for turn in history:
        if isinstance(turn, str):
            turns.append(turn)
        elif turn.get("role", "user") == "user" and isinstance(turn.get("content"), str):
            turns.append(str(turn["content"]))
    return [t for t in turns if t.strip()]


def classify(question: str, topics: frozenset[str] = frozenset()) -> list[tuple[str, bool]]:
    """A stand-alone question's content words, each with True when it names the topic.

    Topic words are the title words it uses (`topics`); when it uses none, its words naming no
    aspect (not "withdrawal", "treated", "dose"), so a topic the titles do not name still counts."""
    words = _content(question)
    if any(w.lower() in topics for w in words):
        return [(w, w.lower() in topics) for w in words]
    return [(w, w.lower() not in _ASPECT and not aspects(w)) for w in words]


def topic(question: str, topics: frozenset[str] = frozenset()) -> str:
    """The words of a question that name its topic (see `classify`)."""
    return " ".join(w for w, is_topic in classify(question, topics) if is_topic)


def is_follow_up(question: str, topics: frozenset[str] = frozenset()) -> bool:
    """Short, and leaning on the conversation: an opener, a pronoun, or no topic of its own.

    With `topics` (the words of the documents' titles), a message names a topic of its own only
    when it uses one of them: "does group therapy help?" does not, "what is acromegaly?" does.
    """
    words = _words(question)
    if not words or len(words) > _MAX_FOLLOW_UP_WORDS:
        return False
    own = [w for w in words if w not in _STOP | _GENERIC | _ASPECT and (not topics or w in topics)]
    return bool(_OPENERS.match(question) or _PRONOUN.search(question) or not own)


State = list[tuple[str, bool]]  # the conversation's words so far, each marked topic (True) or aspect


def _carry(state: State, question: str, topics: frozenset[str]) -> tuple[list[str], State]:
    """The earlier words a follow-up carries (topic always; aspect only when it names none of
    its own or points back with "they"), and the conversation's words after it."""
    own = _content(question)
    typed = {w.lower() for w in own}
    keep_aspect = not [w for w in own if w.lower() not in topics] or bool(_PLURAL.search(question))
    kept = [(w, t) for w, t in state if (t or keep_aspect) and w.lower() not in typed]
    return [w for w, _ in kept], kept + [(w, w.lower() in topics) for w in own]


def _state(turns: Sequence[str], topics: frozenset[str]) -> State:
    """The conversation's words after these turns: a stand-alone turn naming a topic starts
    afresh, a follow-up carries (see `_carry`), any other turn leaves the state as it was."""
    state: State = []
    for turn in turns:
        words = classify(turn, topics)
        if state and is_follow_up(turn, topics):
            state = _carry(state, turn, topics)[1]
        elif any(t for _, t in words):
            state = words
    return state


def contextualize(question: str, history: Sequence[Turn] = (), topics: frozenset[str] = frozenset()) -> str:
    """What to search for: the question itself, or the carried earlier words followed by the follow-up."""
    state = _state(user_turns(history), topics)
    if not state or not is_follow_up(question, topics):
        return question
    carried, _ = _carry(state, question, topics)
    # "Klonopin: can you drink on it?", not "Klonopin: and can you…": the "and" only said it follows
    return f"{' '.join(carried)}: {_CONNECTIVE.sub('', question)}" if carried else question


def questions(message: str, topics: frozenset[str] = frozenset(), most: int = MAX_QUESTIONS) -> list[str]:
    """The questions of a message, in order; `[message]` when it holds one, more than `most`,
    or does not split cleanly.

    Pieces are its sentences, and a question's clauses where "and" starts a new question (a
    wh-word, or an auxiliary and its subject: "and can you", "and is klonopin" when "klonopin"
    is a title word). A piece is a question when it ends with "?", opens with a wh-word, or
    opens with an auxiliary followed by a subject or in a sentence ending with "?" ("Have read
    about..." is not one). It is a real one when it has two words or more and a word that is
    not a stopword or question-type word. Statements before a question are its context and go
    with it; a question with no content of its own ("what should I do?", "how long does it
    last?") or restating the one before ("recovery after stroke? what is the pattern of
    recovery after stroke?") stays with that one, so it never becomes a part alone."""
    parts: list[str] = []
    pending: list[str] = []
    for sentence in _SENTENCE_END.split(message.strip()):
        asks = sentence.rstrip().endswith("?")
        for piece in filter(None, _clauses(sentence, topics)):
            if not _asks(piece, asks, topics):
                pending.append(piece)
                continue
            own = {w.lower() for w in _content(piece)}
            if parts and own and _restates(own, parts[-1]):
                parts[-1], pending = " ".join([parts[-1], *pending, piece]), []
            elif own and len(_words(piece)) >= 2:
                parts, pending = [*parts, " ".join([*pending, piece])], []
            elif parts and not pending:
                parts[-1] += " " + piece
            else:
                pending.append(piece)
    if pending and parts:
        parts[-1] = " ".join([parts[-1], *pending])
    return parts if 2 <= len(parts) <= most else [message]


def _asks(piece: str, sentence_asks: bool, topics: frozenset[str]) -> bool:
    """Whether a piece of a sentence is a question (see `questions`)."""
    if piece.rstrip().endswith("?"):
        return True
    opening = _QUESTION_START.match(piece)
    if not opening:
        return False
    if opening.group(1):  # a wh-word
        return True
    after = _words(piece[opening.end():])[:1]
    return sentence_asks or bool(after and after[0] in _SUBJECTS | topics)


def _restates(own: set[str], part: str) -> bool:
    """The same question again: one's content words all among the other's."""
    other = {w.lower() for w in _content(part)}
    return own <= other or other <= own


def _clauses(sentence: str, topics: frozenset[str]) -> list[str]:
    """A sentence cut before each "and" that starts a new question; the "and" stays with it."""
    cuts = [m for m in _AND_CLAUSE.finditer(sentence)
            if m.group(1) is None or m.group(1).lower() in _SUBJECTS | topics]
    bounds = [0, *(x for m in cuts for x in (m.start(), m.end())), len(sentence)]
    return [sentence[a:b].strip() for a, b in zip(bounds[::2], bounds[1::2])]


def title_words(titles: Sequence[str]) -> frozenset[str]:
    """The topic words of a corpus: the words of its documents' titles, minus stop and aspect words."""
    return frozenset(w for t in titles for w in _words(t) if w not in _STOP | _ASPECT | _GENERIC)
