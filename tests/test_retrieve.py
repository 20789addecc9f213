"""Dense search checked against brute force; fusion checked against its definition."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import use_store

from bot import Settings
from bot.build import build
from bot.index import load
from bot.query import Query
from bot.retrieve import Retriever


def plain(text: str) -> Query:
    return Query(text, text, frozenset())


@pytest.fixture
def big_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(7)
    vocab = [f"term{i}" for i in range(150)]
    for d in range(37):  # an odd size on purpose
        sections = "\n\n".join(
            f"Part {s}\n\n" + " ".join(rng.choice(vocab, size=12)) + "." for s in range(3)
        )
        (corpus / f"doc{d:02}.txt").write_text(f"Document {d}\n\n{sections}\n", encoding="utf-8")
    return corpus


@pytest.mark.parametrize("k", [1, 5, 17])
def test_dense_matches_brute_force(tmp_path, big_corpus, fake, k, store):
    settings = use_store(Settings.load(corpus=big_corpus, index=tmp_path / "index", candidates=200), store)
    build(settings, fake)
    index = load(settings.index, settings=settings)
    retriever = Retriever(index, fake, settings)
    matrix = fake.embed([p.context for p in index.passages])
    for query in ["term3 term77", "term140 term2 term9", "nothing matches zzz"]:
        q = fake.embed([query])[0]
        hits = retriever.search(plain(query), q, k=k, mode="dense")
        expected = np.argsort(-(matrix @ q), kind="stable")[:k]
        assert [h.score for h in hits] == pytest.approx(list((matrix @ q)[expected]), abs=1e-5)
        # k different passages, each with the cosine reported: the k best there are (whichever of a tie)
        assert len({(h.passage.doc, h.passage.start) for h in hits}) == k
        for h in hits:
            assert h.score == pytest.approx(float(fake.embed([h.passage.context])[0] @ q), abs=1e-5)


def test_fusion_is_reciprocal_rank(tmp_path, big_corpus, fake, store):
    settings = use_store(Settings.load(corpus=big_corpus, index=tmp_path / "index", candidates=20, rrf_k=60), store)
    build(settings, fake)
    index = load(settings.index, settings=settings)
    retriever = Retriever(index, fake, settings)
    query = "term3 term77 term12"
    q = fake.embed([query])[0]
    dense = index.store.search(q, 20)[0]
    lexical = list(retriever.lexical(query, 20))
    assert lexical, "BM25 finds passages sharing the query's words"
    expected: dict[int, float] = {}
    for ranking in (dense, lexical):
        for r, pid in enumerate(ranking):
            expected[pid] = expected.get(pid, 0) + 1 / (60 + r + 1)
    hits = retriever.search(plain(query), q, k=10, mode="rrf")
    assert [h.fused for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:10])
    for h in hits:
        assert h.score == pytest.approx(float(fake.embed([h.passage.context])[0] @ q), abs=1e-5)


def test_bm25_prefers_passages_with_rare_query_words(tmp_path, fake, store):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Alpha\n\nInsomnia and nausea are withdrawal symptoms.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Beta\n\nBananas are yellow fruit.\n", encoding="utf-8")
    settings = use_store(Settings.load(corpus=corpus, index=tmp_path / "i"), store)
    build(settings, fake)
    retriever = Retriever(load(settings.index, settings=settings), fake, settings)
    assert [retriever.index.passages[i].doc for i in retriever.lexical("what causes insomnia?", 5)] == ["a.txt"]
    assert retriever.lexical("the and of", 5) == {}
