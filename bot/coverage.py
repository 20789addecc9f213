"""Does the quote cover what is asked, or only the topic?

"Is Klonopin safe to take during pregnancy?" finds passages about Klonopin: the topic is
covered, the asked concept (pregnancy) is not, and quoting them under that question would read
as an answer. `check` takes the question apart:

- its **topic**: the words it shares with the title of the best passage's document ("Klonopin");
- the **rest**, what it asks about that topic ("is it safe to take during pregnancy"), whose
  most specific content word (the rarest in everyday English, by wordfreq: "pregnancy", not
  "safe" or "take") is what is asked.

When the documents of the quoted passages (all their passages, headings and titles included)
hold that word by stem, the topic's pages talk about it, and the question is covered: if the
quotes are not the right ones, that is for retrieval to fix, not a reason to decline. When they
do not, the rest is compared as a whole with the quoted passages by meaning (`similarity`: the
cosine of the rest's embedding with the best quoted passage's, or the question's own cosine
when it names no topic word), since people paraphrase ("several doctors to get more refills"
is "visiting more than one doctor to ask for a prescription refill"). Below a threshold chosen
on data (benchmarks/coverage.py), the answer is one plain sentence naming both: "The documents
talk about Klonopin, but not about pregnancy."

Left out: negation and comparisons ("Klonopin or Xanax?"), and questions asking two things.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .index import bm25_tokens
from .query import aspects
from .schema import Hit

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
#: words at least this common in everyday English (Zipf scale) never make a question uncovered
#: on their own ("take", "help"); Settings.coverage_specificity, chosen by benchmarks/coverage.py
SPECIFIC = 4.5


@dataclass(frozen=True)
class Coverage:
    topic: str  # the question's words naming the documents' topic, as typed ("Klonopin"); may be ""
    rest: str  # the question without them: what it asks about the topic
    asked: str  # the words of the rest the topic's documents lack, around the most specific one; or ""
    similarity: float | None = None  # the rest's cosine with the best quoted passage, when compared
    specificity: float | None = None  # Zipf frequency of the rarest word the documents lack (lower: rarer)


def split(question: str, title: str) -> tuple[str, str]:
    """(topic, rest): the question's words that share a stem with a title word, and the others."""
    title_stems = set(bm25_tokens([title])[0])
    topic, rest = [], []
    for word in _WORD.findall(question):
        stems = bm25_tokens([word])[0]
        (topic if stems and set(stems) <= title_stems else rest).append(word)
    return " ".join(topic), " ".join(rest)


Held = Callable[[Sequence[Hit]], tuple[frozenset[str], frozenset[str]]]


def check(question: str, hits: Sequence[Hit], held: Held, specific: float = SPECIFIC) -> Coverage:
    """The question's topic and rest, and what the documents of the quoted `hits` lack of the
    rest. `held` gives those documents' stems (all their passages) and the aspects their section
    headings cover (`query.aspects`). Lacking are the rest's words rarer than `specific` (a Zipf
    frequency: 7 is "the", 3 a word met once in a million) that they do not hold — a word naming
    an aspect one of their headings covers is held ("outlook" under "Prognosis") — and an aspect
    the rest asks about that none of their headings covers ("how is X inherited?" with no
    inheritance section): that one is named first."""
    if not hits:
        return Coverage("", question, "")
    topic, rest = split(question, hits[0].passage.title)
    words = _WORD.findall(rest)
    stems = [set(bm25_tokens([w])[0]) for w in words]  # empty: a stopword
    stock, covered_aspects = held(hits)
    missing = [bool(s) and not s <= stock and not aspects(w) & covered_aspects and _zipf(w.lower()) < specific
               for w, s in zip(words, stems)]
    lacking = aspects(rest) - covered_aspects - {"overview"}  # "what is…" asks nothing in particular
    named = [w for w in words if aspects(w) & lacking]  # "outlook", not the aspect's name
    if named:
        return Coverage(topic, rest, named[0], specificity=0.0)
    if not any(missing):
        return Coverage(topic, rest, "")
    rarest = min(_zipf(w.lower()) for w, m in zip(words, missing) if m)
    return Coverage(topic, rest, _span(words, stems, missing), specificity=rarest)


def _span(words: list[str], stems: list[set[str]], missing: list[bool], most: int = 4) -> str:
    """The missing words around the most specific one, through stopwords: "weight gain",
    "covered by insurance" (what the answer's sentence names)."""
    center = min((i for i, m in enumerate(missing) if m), key=lambda i: (_zipf(words[i].lower()), i))
    lo = hi = center
    while lo > 0 and hi - lo + 1 < most and (missing[lo - 1] or not stems[lo - 1]):
        lo -= 1
    while hi + 1 < len(words) and hi - lo + 1 < most and (missing[hi + 1] or not stems[hi + 1]):
        hi += 1
    while not stems[lo]:  # no stopword at either end
        lo += 1
    while not stems[hi]:
        hi -= 1
    return " ".join(words[lo:hi + 1])


@lru_cache(maxsize=4096)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))
