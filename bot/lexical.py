"""The BM25 index beside the vectors: the one place that knows bm25s.

`LexicalIndex.build` indexes the passages' texts with the shared analyzer (`text.terms`),
`save`/`load` keep it in the index folder (`bm25/`), and `scores` ranks passages for a question
as a share of the best score its words could reach, which is what the hybrid ranking adds to
the cosine (`retrieve.py`); `holding` counts the question's terms each passage holds, from the
same postings, so the ranking knows which passages are worth reading; `terms` gives every term
a run of passages holds (a whole document's, for the coverage check), from the same postings read
by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .text import bm25_tokens

#: the files of `bm25/` inside an index folder (each is hashed into the manifest)
FILES = ("params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")


class LexicalIndex:
    """BM25 (bm25s, Lucene scoring) over the passages, row i = passage i."""

    def __init__(self, model: Any) -> None:
        self._model = model  # bm25s.BM25

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25()
        model.index(bm25_tokens(list(texts)), show_progress=False)
        return cls(model)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    def __len__(self) -> int:
        """The passages indexed."""
        return int(self._model.scores["num_docs"])

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """Every analysed term of the corpus (its column in the index)."""
        return self._model.vocab_dict  # type: ignore[no-any-return]

    @cached_property
    def _idf(self) -> np.ndarray:
        """BM25's (Lucene) IDF of every vocabulary entry, from its document counts."""
        df = self._documents
        n = len(self)
        return np.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, text: str, n: int) -> dict[int, float]:
        """BM25 scores of the best `n` passages, best first, as a share of the highest score the
        question's words could reach (their IDFs summed, times k1 + 1), so 1.0 means every word
        matched as strongly as BM25 allows. Words the corpus never uses are dropped."""
        vocab = self.vocabulary
        tokens = [t for t in bm25_tokens([text])[0] if t in vocab]
        if not tokens:
            return {}
        scores = self._model.get_scores(tokens)  # every passage's score: one sparse column sum, no thread pool
        k = min(n, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        ceiling = (self._model.k1 + 1) * float(self._idf[[vocab[t] for t in tokens]].sum()) or 1.0
        return {int(d): float(scores[d]) / ceiling for d in top if scores[d] > 0}

    def frequency(self, word: str) -> int:
        """How many passages use `word` (by its analysed terms: the rarest one's count; 0 for a
        stopword or a word no passage uses)."""
        found = [self._documents[c] if (c := self.vocabulary.get(t)) is not None else 0 for t in bm25_tokens([word])[0]]
        return int(min(found, default=0))

    @cached_property
    def _documents(self) -> np.ndarray:
        """How many passages use each vocabulary entry."""
        return np.diff(self._model.scores["indptr"])

    @cached_property
    def _by_row(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The postings read by passage instead of by term, built once: (where each passage's
        entries start, with the end last; the term column of each entry; each column's term)."""
        matrix = self._model.scores
        rows = np.asarray(matrix["indices"])
        columns = np.repeat(np.arange(len(matrix["indptr"]) - 1, dtype=np.int32), np.diff(matrix["indptr"]))
        order = np.argsort(rows, kind="stable")
        starts = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(self))))).astype(np.int64)
        names = np.empty(len(self.vocabulary), dtype=object)
        for term, column in self.vocabulary.items():
            names[column] = term
        return starts, columns[order], names

    def terms(self, first: int, end: int) -> frozenset[str]:
        """Every analysed term passages [first, end) hold in what was indexed (their title line
        and text), from the postings: no passage is read."""
        starts, columns, names = self._by_row
        return frozenset(names[np.unique(columns[starts[first]:starts[end]])].tolist())

    def holding(self, groups: Iterable[Iterable[str]], pids: Sequence[int]) -> np.ndarray:
        """How many of `groups` (each an asked term's analysed terms: itself and its synonyms') each
        of the passages `pids` holds, one term of the group anywhere in what was indexed (its title
        line and text), from the postings: no passage is read. Every group counts, even two alike."""
        vocab, matrix = self.vocabulary, self._model.scores
        ids = np.asarray(pids, dtype=np.int64)
        counts = np.zeros(len(ids), dtype=np.int64)
        marked = np.zeros(len(self), dtype=bool)  # a term's passages, marked then cleared: no sort needed
        for group in groups:
            columns = [c for term in group if (c := vocab.get(term)) is not None]
            if columns:
                postings = np.concatenate([matrix["indices"][matrix["indptr"][c]:matrix["indptr"][c + 1]] for c in columns])
                marked[postings] = True
                counts += marked[ids]
                marked[postings] = False
        return counts
