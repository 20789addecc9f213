"""Question analysis before search: fix misspelled names,
add synonyms people use, and tell what aspect (symptoms, treatment, causes…) is asked about.

- A story-like message is searched whole: cutting it down to its question sentences (tried:
  those sentences plus the story's nouns) lost nDCG@10 on both sets of real consumer
  questions, so it went (benchmarks/README.md).
- A word the corpus never uses and the model's vocabulary does not know ("klonopn") is
  corrected to the closest corpus word within one or two edits ("klonopin").
- Synonyms (brand ↔ generic, lay ↔ clinical words: `synonyms.toml`) are added to the BM25
  query only, and only for a term the documents never use ("xanax" where they say
  "alprazolam"); the embedding model already knows most of them.
- `aspects()` maps the question and section headings onto the same small set of aspects, so
  retrieval can favour a passage under a heading that matches what is asked.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .text import WORD, terms

SYNONYMS_PATH = Path(__file__).parent / "locales" / "synonyms.toml"


@dataclass(frozen=True)
class Query:
    text: str  # what the dense retriever embeds
    lexical: str  # what BM25 searches: text plus corrections and synonyms
    aspects: frozenset[str]  # what it asks about; the overview when it names nothing more precise
    expects: str | None = None  # the kind of answer asked for: "dose", "duration" or "quantity"
    #: the question's words the documents never use that have synonyms, each with the synonyms
    #: searched for it ("beer" → "alcohol", …): what a sentence may say in their place
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()


# "How long…?" is answered by a duration, "How many / what percentage…?" by a number: a passage
# that holds one is more likely to answer (the expected-answer-type idea of classic QA).
_NUMBER = (r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|hundred"
           r"|several|a few|few|many)")
_EXPECTS = {
    # an amount of a medicine to take ("how much klonopin should I take", "the maximum dose"), answered
    # by a number with a unit of dose ("0.5 mg", "two tablets a day"): not by a share of users ("33%")
    "dose": (re.compile(r"(?i)\bhow (?:much|many) (?:(?:mg|mgs|milligrams?|mcg|micrograms?|ml|pills?|tablets?|capsules?)\b"
                        r"|(?:\w+ ){0,2}?(?:should|can|could|do|does|to|is it safe to|is safe to) (?:\w+ ){0,3}?"
                        r"(?:take|taking|give|giving)\b)"
                        r"|\b(?:normal|usual|typical|max|maximum|starting|recommended|safe|lethal|right|correct|highest"
                        r"|lowest|daily|average|standard|proper) (?:\w+ )?(?:dose|dosage|doses|amount)\b"
                        r"|\bwhat (?:is |s )?(?:the |a |an |my |his |her |their )?(?:dose|dosage)\b"),
             re.compile(r"(?i)\b\d[\d,.]*(?:\s*(?:-|to)\s*\d[\d,.]*)?\s*(?:mg|mgs|milligrams?|mcg|micrograms?|ml|milliliters?"
                        r"|millilitres?)\b|\b(?:\d+|one|two|three|four|half an?|an?) (?:tablets?|pills?|capsules?) (?:a|per|each"
                        r"|every|once|twice|daily)\b")),
    "duration": (re.compile(r"(?i)\bhow long\b|\bhow many (?:days|weeks|months|years|hours)\b|\bwhen will\b"),
                 re.compile(rf"(?i)\b{_NUMBER}(?:\s+(?:to|or|-)\s+{_NUMBER})?[\s-]+(?:minutes?|hours?|days?|weeks?|months?|years?)\b")),
    "quantity": (re.compile(r"(?i)\bhow (?:many|much|common|often|likely)\b|\bwhat (?:percent|percentage|proportion|share)\b"),
                 re.compile(r"(?i)\d\s*%|\bpercent|\b\d[\d,.]*\b"
                            r"|\b(?:one|two|three|four|five) in (?:\w+ )?(?:\d|ten|a hundred)")),
}


def expects(text: str) -> str | None:
    return next((kind for kind, (asked, _) in _EXPECTS.items() if asked.search(text)), None)


def expected_words(text: str) -> str:
    """The question's own words asking for the kind of answer it `expects`, whole words ("maximum
    dose", "how much klonopin should i take"); "" when it asks for none."""
    m = next((m for asked, _ in _EXPECTS.values() if (m := asked.search(text))), None)  # the kind `expects` finds
    return _whole_words(text, m) if m else ""


def _whole_words(text: str, m: re.Match[str]) -> str:
    """The words of `text` a pattern's match is part of, whole ("diagnosed" where it matched "diagnos")."""
    start = re.search(r"\w*$", text[:m.start()]).start()
    return text[start:m.end() + re.match(r"\w*", text[m.end():]).end()]


def holds_answer_type(kind: str | None, passage_text: str) -> bool:
    return kind is not None and bool(_EXPECTS[kind][1].search(passage_text))


def answer_spans(kind: str, text: str) -> list[tuple[int, int]]:
    """Where `text` holds an answer of the `kind` (`expects`): "two to four weeks", "0.5 mg"."""
    return [m.span() for m in _EXPECTS[kind][1].finditer(text)]


@cache
def _table_file() -> dict[str, Any]:
    return tomllib.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))


@cache
def _tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[re.Pattern[str], re.Pattern[str]]]]:
    data = _table_file()
    synonyms: dict[str, tuple[str, ...]] = {}
    for group in [*data.get("names", ()), *data["synonyms"]]:
        for term in group:
            synonyms[term.lower()] = tuple(t for t in group if t.lower() != term.lower())
    aspects = {
        name: (re.compile(r"\b(?:" + "|".join(spec["question"]) + r")", re.I),
               re.compile(r"\b(?:" + "|".join(spec["heading"]) + r")", re.I))
        for name, spec in data["aspects"].items()
    }
    return synonyms, aspects


@cache
def _names() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(n.lower() for n in group) for group in _table_file().get("names", ()))


def preferred_names(frequency: Callable[[str], int]) -> dict[str, str]:
    """Each name the documents use less than another name of the same thing (`names` in
    synonyms.toml) → the one they use most (`frequency`: how many passages use a word), for the
    names they use at all: "clonazepam" → "klonopin" where Clonazepam is named once."""
    preferred = {}
    for group in _names():
        used = {name: frequency(name) for name in group}
        most = max(group, key=lambda name: (used[name], -group.index(name)))
        preferred.update({name: most for name in group if used[most] > used[name]})
    return preferred


def synonyms(word: str) -> tuple[str, ...]:
    """The other terms of `word`'s synonym groups ("benzos" → "benzodiazepine", …), lower case."""
    return _tables()[0].get(word.lower(), ())


#: the aspect of any question that asks what a thing is; a question asking anything more precise
#: ("what are the symptoms...") asks that instead
OVERVIEW = "overview"


def aspects(text: str, *, heading: bool = False) -> frozenset[str]:
    """The aspects a question asks about, or (heading=True) that a section heading covers."""
    found = frozenset(name for name, pats in _tables()[1].items() if pats[heading].search(text))
    return found if heading or found == {OVERVIEW} else found - {OVERVIEW}


@lru_cache(maxsize=8192)
def section_aspects(section: str, title: str) -> frozenset[str]:
    """The aspects a passage's section covers by its heading. Text before a document's first
    heading sits under the title: it is the overview, whatever words the title holds ("Facts
    About Klonopin Addiction Treatment" is not a treatment section). Ranking and the coverage
    check both read a section through this, so the two never disagree on what it covers."""
    return frozenset({OVERVIEW}) if section == title else aspects(section, heading=True)


def aspect_words(question: str) -> dict[str, str]:
    """Each aspect a question asks about → the question's own words that name it, whole words
    ("diagnosed" where the pattern is "diagnos", "life expectancy")."""
    found = {}
    for name in aspects(question):
        found[name] = _whole_words(question, _tables()[1][name][0].search(question))
    return found


def mentioned(text: str, among: Iterable[str] | None = None) -> frozenset[str]:
    """The aspects whose words `text` uses, as a question or a heading would ("treated",
    "therapy", "prognosis" for treatment and outlook); only those `among`, when given."""
    table = _tables()[1]
    names = table if among is None else [a for a in among if a in table]
    return frozenset(name for name in names if table[name][0].search(text) or table[name][1].search(text))


def correct(words: list[str], vocabulary: Mapping[str, int], known: frozenset[str] | set[str],
            terms: Mapping[str, object] | None = None) -> dict[str, str]:
    """Misspelled word → corpus word, or else a synonym-table term (`terms`; "adicted" →
    "addicted", whose synonyms the corpus uses), for words none of them nor the model knows."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    terms = terms or {}
    fixes = {}
    for word in {w.lower() for w in words}:
        if len(word) < 5 or word in vocabulary or word in known or word in terms:
            continue
        limit = 1 if len(word) < 8 else 2
        # a typo rarely hits the first letter: a word that starts otherwise is another word, not a
        # fix ("keflex", a medicine the documents never name, is not "reflex")
        for choices in (vocabulary.keys(), terms.keys()):
            close = process.extract(word, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=20)
            match = next(((m, d) for m, d, *_ in close if m[:1] == word[:1]), None)
            if match:
                # "pamplets" misspells "pamphlets" (one letter), not the documents' "pimples" (two)
                if match[1] < 2 or not english_near(word):
                    fixes[word] = match[0]
                break
    return fixes


#: an English word at least this common (Zipf: 3 is once in a million words) one letter from a
#: misspelling is what it misspells, before any corpus word two letters away
ENGLISH_ZIPF = 3.0


def english_near(word: str, min_zipf: float = ENGLISH_ZIPF) -> str | None:
    """An English word at least `min_zipf` common (wordfreq) one letter from `word` (added, dropped,
    changed, or two swapped) that starts with the same letter; None when there is none."""
    from rapidfuzz.distance import DamerauLevenshtein

    near = (w for w in english_words_around(len(word), min_zipf)
            if w[:1] == word[:1] and w != word and DamerauLevenshtein.distance(word, w, score_cutoff=1) <= 1)
    return next(near, None)


def english_words_around(length: int, min_zipf: float) -> tuple[str, ...]:
    """The English words at least `min_zipf` common within one letter of `length` letters (those
    one letter added, dropped or changed can reach)."""
    by_length = english_words(min_zipf)
    return tuple(w for n in (length - 1, length, length + 1) for w in by_length.get(n, ()))


@lru_cache(maxsize=4)
def english_words(min_zipf: float) -> dict[int, tuple[str, ...]]:
    """English words (letters only) at least `min_zipf` common (wordfreq), by length, most common first."""
    from wordfreq import top_n_list, zipf_frequency

    found: dict[int, list[str]] = {}
    for word in top_n_list("en", 50_000):  # most common first; the last is under Zipf 3
        if zipf_frequency(word, "en") < min_zipf:
            break
        if word.isalpha():
            found.setdefault(len(word), []).append(word)
    return {n: tuple(words) for n, words in found.items()}


def _in_corpus(term: str, vocabulary: Mapping[str, int], stems: Mapping[str, int]) -> bool:
    """A term the documents already use (in any form: "addicted" where they say "addiction")
    needs no synonym: adding one would only add noise."""
    words = [w for w in term.split() if len(w) > 3]
    return bool(words) and all(w in vocabulary or any(t in stems for t in terms(w)) for w in words)


def analyse(message: str, vocabulary: Mapping[str, int], known: frozenset[str] | set[str],
            stems: Mapping[str, int] | None = None, names: Mapping[str, str] | None = None) -> Query:
    """`vocabulary`: corpus words; `known`: words the model knows; `stems`: the BM25 vocabulary;
    `names`: a name → the name of the same thing the documents use most (`preferred_names`)."""
    text = message
    words = WORD.findall(text)
    fixes = correct(words, vocabulary, known, _tables()[0])
    names = names or {}
    fixes = {w: named for w in {w.lower() for w in words} if (named := names.get(fixes.get(w, w), fixes.get(w, w))) != w}
    if fixes:
        text = WORD.sub(lambda m: fixes.get(m.group().lower(), m.group()), text)
    synonyms, _ = _tables()
    lowered = text.lower()
    unused = tuple((term, syns) for term, syns in synonyms.items()
                   if re.search(rf"\b{re.escape(term)}\b", lowered) and not _in_corpus(term, vocabulary, stems or {}))
    # a question that names no aspect ("my son has X, help") asks about X in general: its overview
    return Query(text=text, lexical=" ".join([text, *(syn for _, syns in unused for syn in syns)]),
                 aspects=aspects(text) or frozenset({OVERVIEW}), expects=expects(text), synonyms=unused)
