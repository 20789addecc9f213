"""Hybrid retrieval: dense (FAISS) and BM25 candidates, fused by reciprocal rank.

Each retriever proposes `candidates` passages; reciprocal rank fusion (RRF, k=60 by default)
orders their union, because the two scores live on different scales and ranks do not. Every
hit also carries the cosine similarity of its passage to the question, the one score with a
fixed meaning, which the answer step uses to decide whether anything relevant was found.

`mode="dense"` and `mode="bm25"` run one retriever alone: the baselines of the benchmarks.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .config import Settings
from .embed import Embedder
from .index import Index, bm25_tokens
from .schema import Hit

Mode = Literal["hybrid", "dense", "bm25"]


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def search(self, query: str, query_vector: np.ndarray, *, k: int, mode: Mode = "hybrid") -> list[Hit]:
        """The `k` best passages for `query`, whose embedding is `query_vector` (shape (dim,))."""
        n = min(self.settings.candidates, len(self.index.passages))
        if n == 0:
            return []
        cosine: dict[int, float] = {}
        ranked: list[list[int]] = []
        if mode in ("hybrid", "dense"):
            scores, ids = self.index.vectors.search(query_vector.reshape(1, -1), n)
            dense = [int(i) for i in ids[0] if i >= 0]
            cosine.update(zip(dense, (float(s) for s in scores[0])))
            ranked.append(dense)
        if mode in ("hybrid", "bm25"):
            ranked.append(self.lexical(query, n))
        fused: dict[int, float] = {}
        for ranking in ranked:
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        best = sorted(fused, key=lambda pid: (-fused[pid], pid))[:k]
        for pid in best:
            if pid not in cosine:  # proposed by BM25 only: score it against its stored vector
                cosine[pid] = float(self.index.vectors.reconstruct(pid) @ query_vector)
        return [
            Hit(self.index.passages[pid], rank=r, score=cosine[pid], fused=fused[pid])
            for r, pid in enumerate(best, start=1)
        ]

    def lexical(self, query: str, n: int) -> list[int]:
        """Passage ids by BM25 score, best first; words the corpus never uses are dropped."""
        vocab = self.index.bm25.vocab_dict
        tokens = [t for t in bm25_tokens([query])[0] if t in vocab]
        if not tokens:
            return []
        docs, scores = self.index.bm25.retrieve([tokens], k=min(n, len(self.index.passages)), show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]
