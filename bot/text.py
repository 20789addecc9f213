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


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """`terms` of each text, with one call of the stemmer for them all (most of the cost of
    analysing a short text is the call)."""
    stemmer, stopwords = _analyzer()
    words = [_words(t, stopwords) for t in texts]
    stems = iter(stemmer.stemWords([w for ws in words for w in ws]))
    return [[next(stems) for _ in ws] for ws in words]
