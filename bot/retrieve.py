"""Hybrid retrieval: dense (FAISS) and BM25 candidates, scored together.

Each retriever proposes `candidates` passages. In the shipped `hybrid` mode their union is
scored as

    cosine(question, passage) + lexical_weight · bm25 share + aspect_weight · [aspect match]
                              + answer_type_weight · [holds the kind of answer asked for]
                              + sentence_weight · share of the question's terms in one sentence
                                                (each as itself or a synonym: `Asked`)
                              + sentence_cosine_weight · cosine(question, the passage's best sentence)

where the BM25 share is the passage's BM25 score over the best score the question's words could
reach, the aspect match says the passage's section heading covers what the question asks about
(symptoms, treatment, causes…; see `query.py`), and the answer-type match says a "how long"
question meets a passage holding a duration, a "how many" question one holding a number. The
cosine is the one score with a fixed meaning, so each hit carries it for the answer step's "is
anything relevant?" decision. The best sentence's cosine comes from the sentence vectors stored
beside the passage vectors: a lay question often matches one sentence of a long passage ("sees
several doctors to get more refills" ~ "visiting more than one doctor to ask for a prescription
refill") better than the whole. Each hit carries its sentences' cosines, for highlighting. In a
message longer than `story_words` words every weight but the cosine's is scaled by `story_words`
over its length (`Retriever.weights`): a story's many words match passages on what it only tells.
The weights are learned across every public question set with `benchmarks/learn.py`.

`mode="dense"`, `"bm25"` and `"rrf"` (reciprocal rank fusion of the two, k=`rrf_k`) are the
baselines the benchmark compares against.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .config import Retrieval, Settings
from .embed import Embedder
from .index import Index
from .query import Query, holds_answer_type, section_aspects
from .schema import Hit, Passage
from .text import bm25_tokens, terms

Mode = Retrieval
#: what the hybrid score weighs, in the order of `Retriever.features` columns
FEATURES = ("cosine", "lexical", "aspect", "answer_type", "sentence", "sentence_cosine")


def story_scale(words: int, story_words: int) -> float:
    """What the word signals' weights are multiplied by in a message of `words` words: 1 up to
    `story_words` (0: always 1), then `story_words / words`."""
    return 1.0 if story_words <= 0 or words <= story_words else story_words / words


def sentence_terms(passage: Passage) -> tuple[frozenset[str], ...]:
    """The analysed terms of each sentence of a passage."""
    spans = passage.sentences or ((0, len(passage.text)),)
    return tuple(frozenset(t) for t in bm25_tokens([passage.text[a:b] for a, b in spans]))


@dataclass(frozen=True)
class Asked:
    """The question's analysed terms, and for those of a word the documents never use, the
    synonyms a sentence may say in its place, each as its analysed terms ("beer" → "alcohol", …:
    `Query.synonyms`, the ones BM25 searches too)."""

    terms: frozenset[str]
    instead: tuple[tuple[frozenset[str], tuple[frozenset[str], ...]], ...] = ()

    @classmethod
    def of(cls, query: Query) -> Asked:
        asked = frozenset(terms(query.text))
        instead = []
        for word, others in query.synonyms:
            covered = frozenset(terms(word)) & asked
            options = tuple(o for other in others if (o := frozenset(terms(other))))
            if covered and options:
                instead.append((covered, options))
        return cls(asked, tuple(instead))

    def groups(self) -> list[frozenset[str]]:
        """For each asked term, the terms of which a passage must hold one to have it, itself or in
        a synonym (any one term of a synonym of several: a bound, for `LexicalIndex.holding`)."""
        return [frozenset({t}).union(*(o for covered, options in self.instead if t in covered for o in options))
                for t in sorted(self.terms)]


def sentence_overlap(asked: Asked, sentences: tuple[frozenset[str], ...]) -> float:
    """Share of the question's terms found together in one sentence of the passage, each as
    itself or as one of its synonyms (all of that synonym's terms): a cheap proximity signal that
    BM25, which scores the passage as a bag of words, lacks."""
    if not asked.terms:
        return 0.0
    best = 0
    for sentence in sentences:
        found = asked.terms & sentence
        for covered, options in asked.instead:
            if not covered <= found and any(o <= sentence for o in options):
                found |= covered
        best = max(best, len(found))
    return best / len(asked.terms)


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        # the passages popular questions keep hitting are analysed once
        self._sentence_terms = lru_cache(maxsize=8192)(lambda pid, passage: sentence_terms(passage))

    def passage_terms(self, hit: Hit) -> frozenset[str]:
        """The analysed terms of a found passage's text, from the sentences ranking analysed."""
        return frozenset().union(*self._sentence_terms(hit.pid, hit.passage))

    def search(self, query: Query, query_vector: np.ndarray, *, k: int, mode: Mode = "hybrid") -> list[Hit]:
        """The `k` best passages for `query`, whose embedding is `query_vector` (shape (dim,))."""
        n = min(self.settings.candidates, len(self.index.passages))
        if n == 0:
            return []
        cosine: dict[int, float] = {}
        dense: list[int] = []
        if mode != "bm25":
            dense, scores = self.index.store.search(query_vector, n)
            cosine.update(zip(dense, scores))
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
            order = self._hybrid(query, query_vector, cosine, lexical, k)
        best = sorted(order, key=lambda pid: (-order[pid], pid))[:k]
        self._fill_cosines(best, cosine, query_vector)
        sentences = self.sentence_cosines(best, query_vector)
        return [Hit(p, rank=r, score=cosine[pid], fused=order[pid], pid=pid, sentence_scores=tuple(sentences[pid].tolist()))
                for r, (pid, p) in enumerate(zip(best, self.index.get(best)), 1)]

    def sentence_cosines(self, pids: list[int], vector: np.ndarray) -> dict[int, np.ndarray]:
        """The question's cosine with each sentence of these passages (stored vectors, one lookup)."""
        return {pid: block @ vector for pid, block in zip(pids, self.index.store.sentence_vectors(pids))}

    def _fill_cosines(self, pids: list[int], cosine: dict[int, float], vector: np.ndarray) -> None:
        """Cosines of passages proposed by BM25 only, from their stored vectors (one lookup)."""
        missing = [pid for pid in pids if pid not in cosine]
        if missing:
            cosine.update(zip(missing, (self.index.store.vectors(missing) @ vector).tolist()))

    def _hybrid(self, query: Query, vector: np.ndarray, cosine: dict[int, float], lexical: dict[int, float],
                k: int) -> dict[int, float]:
        """The hybrid score of every candidate that can reach the best `k`. The cosine and BM25 parts
        need no passage text; the other features do (reading and analysing a passage is most of the
        cost), and each adds at most its weight: the aspect and answer-type matches only when the
        question asks one, the sentence share at most the share of the question's terms the passage
        holds at all (`LexicalIndex.holding`, from the postings). So the candidates are scored `k` at
        a time in the order of that bound, and the rest are skipped once even the best bound left
        is below the k-th score found: the same best `k` as scoring them all (tests/test_retrieve.py
        holds it against the full table), with a fraction of the passages read."""
        s = self.settings
        weights = self.weights(query)
        pids = sorted(set(cosine) | set(lexical))
        self._fill_cosines(pids, cosine, vector)
        asked = Asked.of(query)
        share = self.index.lexical.holding(asked.groups(), pids) / len(asked.terms) if asked.terms else np.zeros(len(pids))
        positive = np.maximum(weights, 0.0)
        fixed = (positive[2] * bool(query.aspects) + positive[3] * (query.expects is not None)
                 + positive[5] * (s.sentence_cosine_weight != 0))  # each text feature is at most 1
        bound = {pid: cosine[pid] + weights[1] * lexical.get(pid, 0.0) + fixed + positive[4] * float(held)
                 for pid, held in zip(pids, share)}
        ordered = sorted(pids, key=lambda pid: (-bound[pid], pid))
        scored: dict[int, float] = {}
        step = max(k, 1)
        for start in range(0, len(ordered), step):
            if len(scored) >= k and bound[ordered[start]] < heapq.nlargest(k, scored.values())[-1] - 1e-9:
                break
            batch = ordered[start:start + step]
            table = self._rows(query, vector, batch, cosine, lexical, asked, sentences=s.sentence_cosine_weight != 0)
            scored.update(zip(batch, (table @ weights).tolist()))
        return scored

    def weights(self, query: Query) -> np.ndarray:
        """The weight of each of FEATURES for this question: the settings', and in a message longer
        than `story_words` words all but the cosine's scaled by `story_words` over its length."""
        s = self.settings
        weights = np.array([1.0, s.lexical_weight, s.aspect_weight, s.answer_type_weight, s.sentence_weight,
                            s.sentence_cosine_weight])
        weights[1:] *= story_scale(len(query.text.split()), s.story_words)
        return weights

    def features(self, query: Query, vector: np.ndarray, cosine: dict[int, float],
                 lexical: dict[int, float], *, sentences: bool = True) -> tuple[list[int], np.ndarray]:
        """The candidates (ids) and their FEATURES, one row each; fills in missing cosines.
        `sentences=False` leaves the best-sentence cosine at 0 (not read when its weight is 0)."""
        pids = sorted(set(cosine) | set(lexical))
        self._fill_cosines(pids, cosine, vector)
        return pids, self._rows(query, vector, pids, cosine, lexical, Asked.of(query), sentences=sentences)

    def _rows(self, query: Query, vector: np.ndarray, pids: list[int], cosine: dict[int, float],
              lexical: dict[int, float], asked: Asked, *, sentences: bool) -> np.ndarray:
        """The FEATURES of these candidates, whose cosines are known, one row each (`asked`: the
        question's analysed terms and their synonyms, made once per question by the caller)."""
        rows = []
        best_sentence = self.sentence_cosines(pids, vector) if sentences else {}
        for pid, passage in zip(pids, self.index.get(pids)):
            covers = section_aspects(passage.section, passage.title)
            rows.append((cosine[pid], lexical.get(pid, 0.0), bool(query.aspects & covers),
                         holds_answer_type(query.expects, passage.text),
                         sentence_overlap(asked, self._sentence_terms(pid, passage)),
                         float(np.max(best_sentence[pid])) if sentences else 0.0))
        return np.array(rows, dtype=float).reshape(len(pids), len(FEATURES))

    def lexical(self, text: str, n: int) -> dict[int, float]:
        """BM25 shares of the best `n` passages, best first (`LexicalIndex.scores`)."""
        return self.index.lexical.scores(text, n)
