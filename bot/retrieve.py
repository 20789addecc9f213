"""Hybrid retrieval: dense (FAISS) and BM25 candidates, scored together.

Each retriever proposes `candidates` passages. In the shipped `hybrid` mode their union is
scored as

    cosine(question, passage) + lexical_weight · bm25 / best bm25 + aspect_weight · [aspect match]

where the aspect match says the passage's section heading covers what the question asks about
(symptoms, treatment, causes…; see `query.py`). The cosine is the one score with a fixed
meaning, so each hit carries it for the answer step's "is anything relevant?" decision. The
weights were chosen on MedQuAD dev by `benchmarks/quality.py --tune`.

`mode="dense"`, `"bm25"` and `"rrf"` (reciprocal rank fusion of the two, k=`rrf_k`) are the
baselines the benchmark compares against.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np

from .config import Settings
from .embed import Embedder
from .index import Index, bm25_tokens
from .query import Query, aspects
from .schema import Hit

Mode = Literal["hybrid", "dense", "bm25", "rrf"]


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._heading_aspects = cache(lambda heading: aspects(heading, heading=True))

    def search(self, query: Query, query_vector: np.ndarray, *, k: int, mode: Mode = "hybrid") -> list[Hit]:
        """The `k` best passages for `query`, whose embedding is `query_vector` (shape (dim,))."""
        n = min(self.settings.candidates, len(self.index.passages))
        if n == 0:
            return []
        cosine: dict[int, float] = {}
        dense: list[int] = []
        if mode != "bm25":
            scores, ids = self.index.vectors.search(query_vector.reshape(1, -1).astype(np.float32), n)
            dense = [int(i) for i in ids[0] if i >= 0]
            cosine.update(zip(dense, (float(s) for s in scores[0])))
        lexical = self.lexical(query.lexical, n) if mode != "dense" else {}
        if mode == "dense":
            order = {pid: cosine[pid] for pid in dense}
        elif mode == "bm25":
            order = lexical
        elif mode == "rrf":
            order = {}
            for ranking in (dense, list(lexical)):
                for rank, pid in enumerate(ranking):
                    order[pid] = order.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        else:
            order = self._hybrid(query, query_vector, cosine, lexical)
        best = sorted(order, key=lambda pid: (-order[pid], pid))[:k]
        for pid in best:
            if pid not in cosine:  # proposed by BM25 only: score it against its stored vector
                cosine[pid] = float(self.index.vectors.reconstruct(pid) @ query_vector)
        return [Hit(self.index.passages[pid], rank=r, score=cosine[pid], fused=order[pid]) for r, pid in enumerate(best, 1)]

    def _hybrid(self, query: Query, vector: np.ndarray, cosine: dict[int, float], lexical: dict[int, float]) -> dict[int, float]:
        top = max(lexical.values(), default=0.0) or 1.0
        s = self.settings
        scores = {}
        for pid in set(cosine) | set(lexical):
            if pid not in cosine:
                cosine[pid] = float(self.index.vectors.reconstruct(pid) @ vector)
            matched = bool(query.aspects & self._heading_aspects(self.index.passages[pid].section))
            scores[pid] = cosine[pid] + s.lexical_weight * lexical.get(pid, 0.0) / top + s.aspect_weight * matched
        return scores

    def lexical(self, text: str, n: int) -> dict[int, float]:
        """BM25 scores of the best `n` passages, best first; words the corpus never uses are dropped."""
        vocab = self.index.bm25.vocab_dict
        tokens = [t for t in bm25_tokens([text])[0] if t in vocab]
        if not tokens:
            return {}
        k = min(n, len(self.index.passages))
        docs, scores = self.index.bm25.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return {int(d): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
