"""The text analyzer shared by indexing, querying, ranking and answering.

`terms` is bm25s's own analyzer (lowercase words of two or more characters, its English
stopwords, Snowball stems): the same function makes the BM25 index, the question's BM25 query,
the sentence-overlap signal, the highlights and the coverage check's stems, so a word always
meets itself. `WORD` is a word as people type it, for the corpus vocabulary and the spelling
fixes of `query.py`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_TERM = re.compile(r"\w\w+")  # bm25s's `(?u)\b\w\w+\b`: the same matches (a greedy run starts at a word's start), faster
#: a word as people type it (for the corpus vocabulary and the spelling fixes of `query.py`)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
#: names the analyzer in an index's manifest: an index made with another one is rebuilt
ANALYZER = "en_plus-snowball"


@cache
def _analyzer() -> tuple[Any, frozenset[str]]:
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return Stemmer.Stemmer("english"), frozenset(STOPWORDS_EN_PLUS)


def _words(text: str, stopwords: frozenset[str]) -> list[str]:
    """The lower-case words of `text` that are not stopwords, before stemming."""
    return [w for w in _TERM.findall(text.lower()) if w not in stopwords]


def terms(text: str) -> list[str]:
    """The analysed terms of `text`, in order, in a few microseconds."""
    stemmer, stopwords = _analyzer()
    return stemmer.stemWords(_words(text, stopwords))


#: word → stem, for the words analysed so far (a corpus's vocabulary: bounded by `_KNOWN_MOST`)
_KNOWN: dict[str, str] = {}
_KNOWN_MOST = 300_000


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """`terms` of each text, with one call of the stemmer for the words not met before (most of
    the cost of analysing a short text is the call; a word's stem is then a dictionary lookup)."""
    stemmer, stopwords = _analyzer()
    words = [_words(t, stopwords) for t in texts]
    new = list({w for ws in words for w in ws if w not in _KNOWN})
    if len(_KNOWN) + len(new) > _KNOWN_MOST:  # never emptied (other threads read it): the slower way past the bound
        stems = iter(stemmer.stemWords([w for ws in words for w in ws]))
        return [[next(stems) for _ in ws] for ws in words]
    _KNOWN.update(zip(new, stemmer.stemWords(new)))
    stem = _KNOWN.__getitem__
    return [list(map(stem, ws)) for ws in words]
