"""Does the quote cover what is asked, or only the topic?

"Is Klonopin safe to take during pregnancy?" finds passages about Klonopin: the topic is
covered, the asked concept (pregnancy) is not, and quoting them under that question would read
as an answer. `check` takes the question apart:

- its **topic**: the words it shares with the title of the best passage's document ("Klonopin");
- the **rest**, what it asks about that topic, and in it the **missing** words: those the
  quoted passages' documents about the topic (the first passage's, and any other whose title
  holds every topic word: all their passages, headings and titles included) never use, in any
  form, each with how common it is in everyday English (wordfreq's Zipf scale). Words that only
  frame a question and the people in it ("my mom", "someone") are never missing, and a rare
  word one letter away from an everyday one is read as that word ("somone", "pregnacy": `everyday`).

A missing word is not yet a missing concept: people paraphrase ("get hooked" where the document
says "addictive", "sees several doctors" for "visiting more than one doctor"). The model tells
the two apart, sentence by sentence (`Bot.coverage`): the question is compared with every
sentence of the quoted passages, once as asked and once with each missing word taken out. A
paraphrase helps the match, so taking it out lowers the best sentence's cosine; a concept the
passages do not hold ("pregnancy") pulls the question away from them, so taking it out raises it
(`gains`); several missing words are also taken out together (`joint`: in "pregnant... birth
defects" each alone still leaves the other pulling away). `declines` then says "not covered"
when, in a question of at most `max_words` words, some missing word rarer than `specific` (or
all of them at once) raises the match by more than `gain`, or, in one of at most
`sentence_words`, no sentence comes closer than `sentence` at all. Longer messages are stories:
most of their words are context, and a word their quotes lack says little about what they ask.

The **aspect** asked is checked too (`unmet`): "How is X diagnosed?", "What is the outlook for
X?" ask with everyday words the documents may well use elsewhere, so no word is missing; but
when no quoted passage about the topic is under a heading of that aspect (`query.aspects`: the
help desk's table of diagnosis, outlook, treatment...), uses its words, or (for "how many")
holds a count (not any number: "Trisomy 17" counts nothing), a question of at most
`aspect_words` words is declined. "How long" asked of an aspect asks for a duration of it: a
sentence must say one beside one of the question's words ("how long do withdrawal symptoms last"
is not met by "rarely prescribed for more than two to four weeks", nor by "after four weeks of
use", which says when, not how long: `tells`), and is unmet otherwise even where the aspects are.
An amount to take ("the maximum dose", "how much should I take": `ASKED_KINDS`) is asked even
without an aspect word, and met only by a number with a unit of dose, not by a share of users
("33%"). The topic the aspect must be met for is named by the title of its own page, which need
not be the first found (`titled`).

What the **quotes themselves** say is checked last (`unquoted`): a question whose asking words
rarer than `quoted_specific` ("flying", "plane") none of the quoted passages uses, in their text
or heading, in any form, as a synonym or by meeting the aspect the word names, gets quotes that
share nothing with it but the topic and everyday words, however close they read, and whichever
of its words the documents use elsewhere. Only a question of at most `quoted_words` words: in a
story, the words that ask are few among many that only tell.

The **name** asked about must be the quotes' too (`codes`, `unwritten`): a number or code in it
("Chondrocalcinosis 1", "chromosome 1p deletion") that no quote writes next to the same word means
they are about another condition (Chondrocalcinosis 2, chromosome 4q deletion), and declines a
question of at most `max_words` words; a page whose title lacks it is not about the topic. So
does a missing word everyday English never uses (`UNKNOWN_ZIPF`: "Sakati") in a question of at
most `sentence_words`: the model cannot place it, so neither cosine can tell.

The answer is then one plain sentence naming both, from the question's own words: "The
documents talk about Klonopin, but not about pregnancy." (the missing words around the one that
pulled away most for its rarity, or the words that asked the aspect: "diagnosed", or the rarest
word the quotes lack). The nine settings are chosen on every public question set by
benchmarks/coverage.py; a story (a longer message) is declined by its missing words for a larger
gain. The check reads the best `coverage_passages` passages, however many a reply quotes.

Left out: negation and comparisons ("Klonopin or Xanax?"); a message holding several questions
is split before (`dialogue.questions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .dialogue import FRAME_FORMS, FRAME_WORDS
from .query import (
    OVERVIEW,
    answer_spans,
    aspect_words,
    aspects,
    english_words_around,
    expected_words,
    expects,
    holds_answer_type,
    mentioned,
    section_aspects,
    synonyms,
)
from .schema import Hit
from .text import bm25_tokens

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
#: pasted markup, links and terminal codes ("[31m", "]0;title" once the escape character is gone)
_MARKUP = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<[^<>]*>|\b(?:https?://|www\.)\S+|\[[0-9;]*[a-z]|\][0-9]+;\S*")


@dataclass(frozen=True)
class Coverage:
    """What a question asks beside its topic, and how the quoted passages meet it."""

    topic: str  # the question's words naming the documents' topic, as typed ("Klonopin"); may be ""
    rest: str  # the question without them: what it asks about the topic
    words: tuple[str, ...] = ()  # the rest's words, as typed
    missing: tuple[int, ...] = ()  # which of `words` the quoted passages' documents never use (by stem)
    zipf: tuple[float, ...] = ()  # how common each missing word is in everyday English (7 "the", 3 rare)
    length: int = 0  # words in the whole question
    sentence: float | None = None  # the question's best cosine with a sentence of the quoted passages
    gains: tuple[float, ...] = ()  # per missing word: that best cosine with the word taken out, minus `sentence`
    unmet: tuple[str, ...] = ()  # the question's words naming each aspect it asks that no quoted passage meets
    #: (specificity, gain) pairs: that best cosine with every missing word rarer than the specificity
    #: taken out at once, minus `sentence` ("pregnant... birth defects": each alone still leaves the other)
    joint: tuple[tuple[float, float], ...] = ()
    #: per word of the rest that asks something (not a frame word: "my mom", "happens"): its index in
    #: `words`, its Zipf frequency, and whether the quoted passages themselves use it (their text or
    #: heading, a synonym, or the aspect it names: "treated" under a Treatment heading)
    quoted: tuple[tuple[int, float, bool], ...] = ()
    #: the question's numbers and codes in the name of what it asks about that no quoted passage
    #: writes, each with the name word next to it ("Chondrocalcinosis 1" under "Chondrocalcinosis 2")
    unnamed: tuple[str, ...] = ()


def split(question: str, title: str) -> tuple[str, str]:
    """(topic, rest): the question's words that share a stem with a title word, or whose synonym
    does ("clonazepam" under "Klonopin"), and the others."""
    title_stems = _stems(title)

    def named(word: str) -> bool:
        return any((s := _stems(w)) and s <= title_stems for w in (word, *synonyms(word)))

    topic, rest = [], []
    for word in _WORD.findall(question):
        (topic if named(word) else rest).append(word)
    return " ".join(topic), " ".join(rest)


Held = Callable[[Sequence[Hit]], frozenset[str]]


def check(question: str, hits: Sequence[Hit], held: Held, found: Sequence[Hit] = (),
          terms: Callable[[Hit], frozenset[str]] | None = None) -> Coverage:
    """The question's topic, its rest, and the rest's words the documents of the quoted `hits`
    that are about the topic (`about`) never use, nor any synonym of, but for words that only
    frame a question ("happens", "normal", "my mom": `dialogue.FRAME_WORDS`) (`held` gives
    those documents' stems; synonyms come from the help desk's table, `query.synonyms`: "benzos"
    is held where the documents say "benzodiazepine"), each with its everyday frequency; and the
    aspects asked that no passage about the topic meets, among the quoted `hits` and the others
    `found` close enough to quote (an outlook section fourth in line still holds the outlook).
    For the aspects the topic is read from the page whose title names the most of the question
    (`titled`), so another page's heading first in line does not stand in for the asked one.
    `terms` gives a quoted passage's stems (`Retriever.passage_terms`: analysed once, when ranked)."""
    if not hits:
        return Coverage("", question)
    question = _MARKUP.sub(" ", question)  # markup someone pasted is not what they ask about
    topic, rest = split(question, hits[0].passage.title)
    words = tuple(_WORD.findall(rest))
    spelled = tuple(everyday(w.lower()) for w in words)  # "somone" is "someone", not a rare concept
    coded = codes(question, topic)
    stock = held(about(topic, hits, coded))
    own = titled(question, [*hits, *found], coded)
    close = about(split(question, own.passage.title)[0], [own, *(h for h in [*hits, *found] if h is not own)], coded)
    asking = [i for i, w in enumerate(spelled) if _stems(w) and not framing(w)]
    unheld = [i for i in asking if not uses(spelled[i], stock)]
    asks = aspects(question) - GENERAL
    named = {i: aspects(spelled[i]) - GENERAL for i in asking}  # the aspect each asking word names
    naming = {i: named[i] for i in unheld} if asks else {}
    # the passages are searched only for the aspects asked or named by an unheld word, and only when one is asked
    meets = met(close, asks.union(*naming.values())) if asks else frozenset()
    missing = tuple(i for i in unheld if not (naming.get(i) and naming[i] <= meets))  # "treated" under "Treatment"
    return Coverage(topic, rest, words, missing, tuple(_zipf(spelled[i]) for i in missing),
                    len(_WORD.findall(question)), unmet=unmet(question, close, meets, [spelled[i] for i in asking]),
                    quoted=quoting(spelled, named, hits, asks, terms), unnamed=unwritten(coded, hits))


#: a word or a number as typed, with where it starts and ends
_TOKEN = re.compile(r"[^\W_]+")
#: what a number counts or measures: "2 mg", "3 times", "a 7 year old" (a quantity, not part of a name)
_UNITS = frozenset(
    "mg mgs milligram milligrams mcg microgram micrograms ml g tablet tablets pill pills dose doses time times x "
    "year years yr yrs yo month months week weeks day days hour hours hr hrs minute minutes min mins am pm "
    "percent people st nd rd th".split())
#: words after a plain number that make it a count, not part of a name: "klonopin 2 a day", "2 or 3",
#: "2 at night", "2 more"
_COUNTED = frozenset("a an at per each every daily nightly twice or to and more extra".split())


def _joined(question: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Tokens `a` and `b` of `question` are one name's: only a space or a hyphen between."""
    return bool(re.fullmatch(r"[\s-]{1,3}", question[a.end():b.start()]))


def codes(question: str, topic: str) -> tuple[tuple[str, str, bool], ...]:
    """The numbers and codes that are part of the name the question asks about, each as (the
    name word next to it, the code, whether the code comes first): "Chondrocalcinosis 1",
    "chromosome 5q deletion", "8p11 myeloproliferative syndrome", "type A5". A code is next to a
    word of the `topic`, or to "type" after one ("Duane syndrome type 3"), with only a space or a
    hyphen between; a plain number only after one ("2 klonopin" counts pills), and never one
    that counts or measures ("klonopin 2 mg", "2mg")."""
    named = {w.lower() for w in _WORD.findall(topic)}
    tokens = list(_TOKEN.finditer(question))
    found = []
    for i, tok in enumerate(tokens):
        code = tok.group()
        unit = re.fullmatch(r"\d+([^\W\d_]+)", code)  # "2mg"
        if not any(c.isdigit() for c in code) or unit and unit.group(1).lower() in _UNITS:
            continue
        plain = code.isdigit()
        before = tokens[i - 1] if i and _joined(question, tokens[i - 1], tok) else None
        after = tokens[i + 1] if i + 1 < len(tokens) and _joined(question, tok, tokens[i + 1]) else None
        if plain and (after is not None and after.group().lower() in _UNITS | _COUNTED
                      or re.match(r"[.,]\d", question[tok.end():]) or re.search(r"\d[.,]$", question[:tok.start()])):
            continue  # a quantity, or part of "0.5" / "1,000"
        typed = (before is not None and before.group().lower() == "type" and i > 1
                 and _joined(question, tokens[i - 2], before) and tokens[i - 2].group().lower() in named)
        if before is not None and (before.group().lower() in named or typed):  # "Duane syndrome type 3"
            found.append((before.group(), code, False))
        elif not plain and after is not None and after.group().lower() in named:
            found.append((after.group(), code, True))
    return tuple(dict.fromkeys(found))


def _written(code: tuple[str, str, bool], text: str) -> bool:
    """`text` writes the code next to its name word, in the same order ("chondrocalcinosis 2")."""
    word, number, first = code
    a, b = (number, word) if first else (word, number)
    return bool(re.search(rf"(?i)(?<![^\W_]){re.escape(a)}[\s-]{{1,3}}{re.escape(b)}(?![^\W_])", text))


def unwritten(coded: Sequence[tuple[str, str, bool]], hits: Sequence[Hit]) -> tuple[str, ...]:
    """The codes of the question's name (`codes`) that no quoted passage writes next to the same
    word, in its title, heading or text: "Chondrocalcinosis 1" when only Chondrocalcinosis 2 is found."""
    texts = [f"{h.passage.title}\n{h.passage.section}\n{h.passage.text}" for h in hits]
    return tuple(" ".join((n, w) if first else (w, n)) for w, n, first in coded
                 if not any(_written((w, n, first), t) for t in texts))


def framing(word: str) -> bool:
    """`word` only frames a question: a frame word (`dialogue.FRAME_WORDS`; "son's" as "son"), or a
    form of one that says what kind of answer is wanted ("safely", "working", "happened")."""
    return re.sub(r"['’]s$", "", word) in FRAME_WORDS or _stems(word) <= _frame_stems()


@lru_cache(maxsize=1)
def _frame_stems() -> frozenset[str]:
    return frozenset().union(*(_stems(w) for w in FRAME_FORMS))


def uses(word: str, stock: frozenset[str]) -> bool:
    """Text whose stems are `stock` uses `word`: in any form, or as one of its synonyms."""
    return _stems(word) <= stock or any((s := _stems(other)) and s <= stock for other in synonyms(word))


def quoting(spelled: Sequence[str], named: dict[int, frozenset[str]], hits: Sequence[Hit],
            asks: frozenset[str] = frozenset(),
            terms: Callable[[Hit], frozenset[str]] | None = None) -> tuple[tuple[int, float, bool], ...]:
    """For each asking word (the keys of `named`, indices into `spelled`, each with the aspects it
    names): its Zipf frequency and whether the quoted `hits` use it, in their text (stems by
    `terms`) or heading, as a synonym, or by meeting the aspect it names (`met`); every word counts
    as used when the quotes' headings meet each aspect the question `asks` (a heading answers what
    is asked whatever words it uses; a passage that only says "caused" somewhere does not)."""
    terms = terms or (lambda h: _stems(h.passage.text))
    stock = frozenset().union(*(terms(h) | _stems(h.passage.section) for h in hits))
    wanted = frozenset().union(asks, *named.values())
    meets = met(hits, wanted) if wanted else frozenset()
    headed = frozenset().union(*(section_aspects(h.passage.section, h.passage.title) for h in hits))
    if asks and asks <= headed:  # "how many people are affected" under "How common is it?": what is asked is met
        return tuple((i, _zipf(spelled[i]), True) for i in named)
    return tuple((i, _zipf(spelled[i]), uses(spelled[i], stock) or bool(named[i] and named[i] <= meets)) for i in named)


#: what any passage about a topic tells in part (what it is): never an unmet aspect
GENERAL = frozenset({OVERVIEW})


def met(hits: Sequence[Hit], wanted: frozenset[str] | None = None) -> frozenset[str]:
    """The aspects `hits` meet: those of their headings, and those whose words they use; only
    those `wanted`, when given (the passages' text is then searched only until all are met)."""
    if wanted is None:
        return frozenset().union(*(section_aspects(h.passage.section, h.passage.title) | mentioned(h.passage.text) for h in hits))
    found: set[str] = set()
    for h in hits:
        found |= section_aspects(h.passage.section, h.passage.title) & wanted
        if found < wanted:
            found |= mentioned(h.passage.text, wanted - found)
        if found >= wanted:
            break
    return frozenset(found)


def unmet(question: str, hits: Sequence[Hit], meets: frozenset[str] | None = None,
          asking: Sequence[str] = ()) -> tuple[str, ...]:
    """The question's words naming each aspect it asks about (diagnosis, outlook, treatment...:
    `query.aspects`, the overview aside) that none of `hits` meets (`met`: none is under a
    heading of that aspect or uses its words: "How is it diagnosed?" against passages that never
    say diagnosis, test or exam), unless a count is asked ("how many people") and one of them
    holds one, or a duration ("how long") and one of their sentences says one beside one of the
    question's `asking` words or words naming an aspect (`tells`); a duration asked with an aspect
    and said of none is unmet itself, in the question's words ("how long"). Aspects named by the
    same words are one question read two ways ("how do I know if he is addicted": symptoms or
    diagnosis): met when either is. An amount to take (`ASKED_KINDS`: "what is the maximum dose")
    is asked even where no aspect word is, named by its own words (`kind_words`), and met only by a
    passage holding one ("0.5 mg")."""
    asked = {a: w for a, w in aspect_words(question).items() if a not in GENERAL}
    kind = expects(question)
    if kind in ASKED_KINDS and hits:  # "the maximum dose" asks for an amount even where no aspect word is
        asked[kind] = kind_words(question, hits[0].passage.title)
    if not asked or not hits:
        return ()
    if kind in SAID_KINDS:  # "how long do withdrawal symptoms last": a duration said of withdrawal
        if tells(kind, hits, [*asking, *(w for phrase in asked.values() for w in _WORD.findall(phrase))],
                 bool(_LASTING.search(question))):
            return ()
        asked[kind] = expected_words(question)
    elif kind is not None and any(answers(kind, h.passage.text) for h in hits):
        return ()
    meets = met(hits) if meets is None else meets
    said = {a: set(w.lower().split()) for a, w in asked.items()}
    left = [a for a in asked if not any(b in meets and said[a] & said[b] for b in asked)]
    # each unmet question once, in its longest words ("how do i know if", not also "how do i know")
    return tuple(dict.fromkeys(asked[a] for a in left if not any(said[a] < said[b] for b in left)))


#: the kinds of answer asked of what the question's words name: met only by a sentence holding an answer
#: of the kind and one of those words ("how long do withdrawal symptoms last" is not answered by
#: "rarely prescribed for more than two to four weeks")
SAID_KINDS = frozenset({"duration"})


def tells(kind: str, hits: Sequence[Hit], words: Sequence[str], lasting: bool = False) -> bool:
    """A sentence of `hits` holds an answer of the `kind` asked and one of the question's `words`
    (those that ask, and those naming an aspect), in any form or as a synonym: the answer is said of
    what is asked (a heading is not enough: "Warning Signs" is not how long withdrawal symptoms
    last). When how long something lasts is asked (`lasting`), a time after which something happens
    ("after four weeks of use") is not one."""
    return any(any(not (lasting and _POINT.search(text[:a])) for a, _ in answer_spans(kind, text))
               and any(uses(w, _stems(text)) for w in words)
               for h in hits for text in h.passage.sentence_texts)


#: a question asking how long something lasts, not how long until it happens
_LASTING = re.compile(r"(?i)\b(?:last|lasts|lasting|continue|continues|persist|persists|stay|stays)\b")
#: a duration that says when something happens: "after four weeks of use" ("within two weeks" is how long at most)
_POINT = re.compile(r"(?i)\b(?:after|before)\s+(?:(?:about|around|only|just|approximately|the|first)\s+)?$")


#: the kinds of answer (`query.expects`) a question asks for even without an aspect word, unmet
#: when no quoted passage holds one: an amount to take is not met by a share of users ("33%")
ASKED_KINDS = frozenset({"dose"})


def kind_words(question: str, title: str) -> str:
    """The question's words asking for its kind of answer (`query.expected_words`), the topic's
    left out, and the asking words before them ("maximum dose", "normal dose", "dosage", "what dose",
    "how many mg", "how much should i take")."""
    rest = _WORD.findall(split(expected_words(question), title)[1])
    while len(rest) > 1 and rest[0].lower() in _LEADING and not (rest[0].lower() == "what" and rest[1].lower() in _DOSE):
        rest = rest[1:]
    return " ".join(rest)


_LEADING = frozenset("what whats is s the a an my his her their".split())
_DOSE = frozenset("dose doses dosage".split())


def titled(question: str, hits: Sequence[Hit], coded: Sequence[tuple[str, str, bool]] = ()) -> Hit:
    """The hit whose document's title names the most of the question's words (`split`), the
    earliest among equals: the page about what the question is about. It is the first hit but when
    the ranking put another page first for the asked aspect: "What treatments are there for Sakati
    syndrome?" may find Schnitzler syndrome's treatment section before the Sakati syndrome page,
    whose title names two of the question's words where Schnitzler's names one. A title writing a
    code of the question's name (`codes`) counts it as one more word ("Chromosome 1p deletion"
    before "Chromosome 4q deletion")."""
    named = {title: len(_WORD.findall(split(question, title)[0])) + sum(_written(c, title) for c in coded)
             for title in {h.passage.title for h in hits}}
    return max(hits, key=lambda h: named[h.passage.title])  # max keeps the first of equals


#: a number that counts something: a share ("5 percent", "1 in 10,000", "one out of every four") or
#: a number of people, cases or doses ("1 million people", "0.5 mg"). Not any number: a year, an age,
#: a duration, a reference mark ("[1]") or a number in a name ("Trisomy 17", "chromosome 6") does
#: not say how many or how much
_COUNT = re.compile(
    r"(?i)\d\s*%|\bpercent\b"
    r"|\b(?:\d[\d,.]*|one|two|three|four|five|ten) (?:in|per|out of) (?:every )?"
    r"(?:\d|(?:two|three|four|five|six|eight|ten)\b|a (?:hundred|thousand|million))"
    r"|\b\d[\d,.]*(?:\s*(?:-|to)\s*\d[\d,.]*)?\s+(?:(?:million|thousand|hundred|billion)\s+)?(?:[a-z]+\s+)?"
    r"(?:people|persons|individuals|cases|patients|children|adults|men|women|newborns|infants|births|babies"
    r"|americans|families|mg|milligrams?|micrograms?|mcg|ml|tablets?|pills?|doses?)\b")


def answers(kind: str, text: str) -> bool:
    """`text` holds an answer of the kind asked: a duration for "how long" (`query.holds_answer_type`),
    a count (`_COUNT`) for "how many", "how much", "how common"."""
    return bool(_COUNT.search(text)) if kind == "quantity" else holds_answer_type(kind, text)


def about(topic: str, hits: Sequence[Hit], coded: Sequence[tuple[str, str, bool]] = ()) -> list[Hit]:
    """The hits from documents about the topic: the first hit's document (the caller puts first
    the page it reads the topic from), and any other whose title holds every topic word. A page
    on another condition that happens to use the asked word ("Outlook" of Wallenberg's syndrome
    under a question on another syndrome's outlook) does not cover it for this topic, nor one whose
    title lacks a number or code of the question's name (`codes`: "Chromosome 4q deletion" under
    a question on chromosome 1p deletion)."""
    stems = _stems(topic)
    return [h for h in hits if h.passage.doc == hits[0].passage.doc
            or (stems and stems <= _stems(h.passage.title) and all(_written(c, h.passage.title) for c in coded))]


def without(question: str, word: str) -> str:
    """The question with every occurrence of `word` taken out (what `gains` compares)."""
    return " ".join(re.sub(rf"(?<![\w'’]){re.escape(word)}(?![\w'’])", " ", question).split())


def declines(found: Coverage, *, specific: float, gain: float, sentence: float, max_words: int,
             sentence_words: int | None = None, aspect_words: int = 0, quoted_words: int = 0,
             quoted_specific: float | None = None, story_words: int = 0) -> bool:
    """Topic covered, what is asked not: in a question of at most `aspect_words` words, an aspect
    no quoted passage meets (`unmet`); in one of at most `quoted_words`, asking words rarer than
    `quoted_specific` (`specific` when None) none of which the quoted passages use (`unquoted`);
    with a missing word rarer than `specific`, in a question of at most `max_words` words, one
    whose removal (or all of theirs at once: `joint`) brings the question closer to the passages'
    best sentence by more than `gain`, or, in one of at most `sentence_words` (`max_words` when
    None), no sentence closer than `sentence` (a long story meets any one sentence less closely)
    or a missing word everyday English never uses (`UNKNOWN_ZIPF`: a name, "Sakati syndrome", that the
    model cannot place, so neither cosine can tell). A longer message, of at most `story_words`, is
    declined by its missing words too when they raise the match by more than `gain` times its length
    over `max_words`: in a story many words are taken out together, and the match moves more for any
    reason ("my daughter just found out shes pregnant and shes been on klonopin for months, will it
    hurt the baby?": 19 words, pregnant and baby taken out raise it by 0.15)."""
    if found.unmet and found.length <= aspect_words:
        return True
    if found.unnamed and found.length <= max_words:  # "Chondrocalcinosis 1" where only "Chondrocalcinosis 2" is found
        return True
    if found.length <= quoted_words and unquoted(found, specific if quoted_specific is None else quoted_specific):
        return True
    compared = [g for z, g in zip(found.zipf, found.gains) if z < specific]
    if not compared or found.sentence is None:
        return False
    compared += [g for z, g in found.joint if z == specific]
    sentence_words = max_words if sentence_words is None else sentence_words
    return ((found.length <= max_words and max(compared) > gain)
            or (max_words < found.length <= story_words and gain > 0 and max(compared) > gain * found.length / max(max_words, 1))
            or (found.length <= sentence_words and (found.sentence < sentence or min(found.zipf) <= UNKNOWN_ZIPF)))


def unquoted(found: Coverage, specific: float) -> tuple[int, ...]:
    """The asking words rarer than `specific` (by index in `words`), when the quoted passages use
    none of them: the quotes share nothing with the question beside its topic and its everyday
    words ("is it ok to take Klonopin before flying on a plane"). Empty when they use one."""
    rare = [(i, held) for i, z, held in found.quoted if z < specific]
    return () if any(held for _, held in rare) else tuple(i for i, _ in rare)


def named(found: Coverage, *, specific: float, gain: float, sentence: float, max_words: int,
          sentence_words: int | None = None, quoted_specific: float | None = None, story_words: int = 0) -> str:
    """What a declined question's "not about ..." names: its missing words (`asked`) when they
    decline it, since "pregnancy" says more than "treated", or the whole words of the unmet aspect
    they are part of ("life expectancy", not "expectancy"); else the words of its unmet aspect (or the
    quotes' unused words around them: "driving test"); else the rarest asking word the quotes do not
    use (one the documents never use first), with its rare neighbours ("flying"). A number or code
    of the name no quote writes comes before all ("Chondrocalcinosis 1")."""
    if found.unnamed and found.length <= max_words:
        return found.unnamed[0]
    if declines(found, specific=specific, gain=gain, sentence=sentence, max_words=max_words,
                sentence_words=sentence_words, story_words=story_words):
        words = asked(found, specific)
        return next((phrase for phrase in found.unmet if words and set(words.lower().split()) <= set(phrase.lower().split())),
                    words)
    lacking = set(unquoted(found, specific if quoted_specific is None else quoted_specific))
    rare = {i: z for i, z, _ in found.quoted if i in lacking}
    # a word the documents never use at all first: "dose" may be elsewhere in them, "flying" is not
    words = _around(found.words, rare, min(rare, key=lambda i: (i not in found.missing, rare[i], i))) if rare else ""
    if found.unmet:  # the aspect's words, or the quotes' unused words around them ("driving test", not "test")
        return words if words and set(found.unmet[0].lower().split()) < set(words.lower().split()) else found.unmet[0]
    return words


def _around(words: Sequence[str], rare: dict[int, float], center: int, most: int = 3) -> str:
    """The word at `center` with its neighbours among `rare` (indices of `words`), at most `most`
    words in a row, each stem once ("birth defects", "grapefruit juice")."""
    lo = hi = center
    while lo - 1 in rare and hi - lo + 1 < most:
        lo -= 1
    while hi + 1 in rare and hi - lo + 1 < most:
        hi += 1
    named: dict[tuple[str, ...], str] = {}
    for word in words[lo:hi + 1]:
        named.setdefault(tuple(bm25_tokens([word])[0]), word)
    return " ".join(named.values())


def asked(found: Coverage, specific: float, most: int = 3) -> str:
    """What the answer names: the missing word rarer than `specific` whose removal helped the match
    most for how rare it is (its gain times its distance in Zipf from "the", 7), with the missing
    words rarer than `specific` right next to it ("birth defects", "grapefruit juice"), each stem
    once. So "urine", not the everyday "show" that helped a little more, in "will klonopin show on
    a urine drug screen"; "hot car", not the rarer "pills" of the story, whose removal hurt the match."""
    compared = {i: (z, g) for i, z, g in zip(found.missing, found.zipf, found.gains) if z < specific and g == g}
    if not compared:
        return ""
    center = max(compared, key=lambda i: (compared[i][1] * (7 - compared[i][0]), -i))
    return _around(found.words, {i: z for i, (z, _) in compared.items()}, center, most)


#: a word at or under this Zipf frequency is one everyday English never uses (wordfreq has not seen
#: it): a name, or a misspelling the search could not mend
UNKNOWN_ZIPF = 0.0
#: a word rarer than this (Zipf) one letter away from an everyday word is read as its misspelling
TYPO_ZIPF = 2.5
#: ...an everyday word: at least this common (Zipf; 4 is once in 100,000 words)
EVERYDAY_ZIPF = 4.0
#: ...and so is any word one letter away from a word at least this much more common (Zipf: 3 is a
#: thousand times), however common itself: texting spellings ("wat" for what, 3.4 against 6.9)
TYPO_GAP = 3.0


@lru_cache(maxsize=4096)
def everyday(word: str) -> str:
    """`word`, or the everyday English word it misspells: one letter added, dropped, changed or
    two swapped ("somone" → "someone", "wat" → "what"), when `word` itself is rare (Zipf under
    TYPO_ZIPF, words of five letters or more) or the other a thousand times as common (TYPO_GAP),
    and the most common such. A word that misspells nothing everyday ("ibuprofen", "benzos") or
    is a term of its own ("adhd" beside "add") is kept as typed."""
    own = _zipf(word)
    if len(word) < 3 or own >= EVERYDAY_ZIPF:
        return word
    from rapidfuzz.distance import DamerauLevenshtein

    near = [w for w in english_words_around(len(word), EVERYDAY_ZIPF) if DamerauLevenshtein.distance(word, w, score_cutoff=1) <= 1
            and ((own < TYPO_ZIPF and len(word) >= 5) or _zipf(w) - own >= TYPO_GAP)]
    return max(near, key=_zipf) if near else word  # the most common


@lru_cache(maxsize=8192)
def _stems(text: str) -> frozenset[str]:
    return frozenset(bm25_tokens([text])[0])


@lru_cache(maxsize=4096)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))
