"""`sentence_vectors` behind the store interface: FaissStore (a memory-mapped float16 matrix and
offsets) and MilvusStore on Milvus Lite (a sentence collection beside the passage collection),
compared with the vectors given to `add`, and kept in step with the passages they belong to."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import unit_vectors

import bot.milvus_store as milvus
from bot.errors import VectorStoreError
from bot.milvus_store import MilvusStore, drop_collection, sentences_of
from bot.schema import Passage
from bot.store import SENTENCE_OFFSETS, SENTENCES, FaissStore, SentenceMatrix

pytest.importorskip("milvus_lite", reason="pymilvus and milvus-lite are needed for the Milvus store")

N, DIM = 300, 16
F16 = 1e-3  # float16 keeps unit vectors' components to ~5e-4


def make_passages(n: int) -> list[Passage]:
    out = []
    for i in range(n):
        words = [f"w{i}s{k}." for k in range(1 + i % 4)]  # 1 to 4 sentences
        text = " ".join(words)
        spans, at = [], 0
        for w in words:
            spans.append((at, at + len(w)))
            at += len(w) + 1
        out.append(Passage(doc=f"docs/d{i // 10}.md", title="T", section="S", url=None, start=0, end=len(text),
                           text=text, sentences=() if i == 7 else tuple(spans)))
    return out


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, list[Passage], list[np.ndarray]]:
    rng = np.random.default_rng(11)
    passages = make_passages(N)
    return unit_vectors(rng, N, DIM), passages, [unit_vectors(rng, len(p.sentences) or 1, DIM) for p in passages]


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "sentences.db")


def made(kind: str, uri: str, data, name: str = "v_sentences"):  # type: ignore[no-untyped-def]
    vectors, passages, sentences = data
    store = FaissStore.create(DIM, N) if kind == "faiss" else MilvusStore.create(uri, name, DIM)
    for start in range(0, N, 128):  # in several adds, as a build of many batches would
        stop = min(N, start + 128)
        store.add(np.arange(start, stop), vectors[start:stop], passages[start:stop], sentences[start:stop])
    return store


@pytest.fixture(params=["faiss", "milvus"])
def store(request: pytest.FixtureRequest, uri: str, data):  # type: ignore[no-untyped-def]
    return made(request.param, uri, data)


def test_sentence_vectors_round_trip(store, data) -> None:
    _, passages, sentences = data
    assert store.sentence_count() == sum(len(s) for s in sentences)
    ids = [5, 0, 299, 7, 5, 128, 127]
    got = store.sentence_vectors(ids)
    assert len(got) == len(ids) and got[-1].shape == (len(passages[127].sentences), DIM) and got[3].shape == (1, DIM)
    for i, block in zip(ids, got):
        assert block.dtype == np.float32
        np.testing.assert_allclose(block, sentences[i], atol=F16)
    assert store.sentence_vectors([]) == []
    everything = store.sentence_vectors(range(N))  # more passages than one Milvus query reads
    np.testing.assert_allclose(np.concatenate(everything), np.concatenate(sentences), atol=F16)


@pytest.mark.parametrize("kind", ["faiss", "milvus"])
def test_bad_sentence_vectors_are_refused_before_anything_is_stored(kind: str, uri: str, data) -> None:
    vectors, passages, sentences = data
    store = FaissStore.create(DIM, N) if kind == "faiss" else MilvusStore.create(uri, "v_sentences_bad", DIM)
    bad = {"one short": sentences[:2], "wrong dimension": [np.ones((2, DIM + 1)), sentences[1], sentences[2]],
           "no row": [np.zeros((0, DIM)), sentences[1], sentences[2]], "not a matrix": [np.ones(DIM)] * 3,
           "a row more than spans": [sentences[0], np.ones((len(sentences[1]) + 1, DIM)), sentences[2]]}
    for blocks in bad.values():
        with pytest.raises(ValueError, match="sentence vectors of each of the 3 passages"):
            store.add(np.arange(3), vectors[:3], passages[:3], blocks)
    assert store.count() == 0 and store.sentence_count() == 0


@pytest.mark.parametrize("type_", ["flat", "hnsw", "ivf"])
def test_faiss_saves_and_opens_them_memory_mapped(tmp_path, data, type_: str) -> None:
    vectors, passages, sentences = data
    store = FaissStore.create(DIM, N, vectors=vectors, flat_max=10**9 if type_ == "flat" else 0,
                              hnsw_max=0 if type_ == "ivf" else 10**9)
    store.add(np.arange(N), vectors, passages, sentences)
    store.save(tmp_path)
    matrix = SentenceMatrix.open(tmp_path, N, DIM)
    assert isinstance(matrix.vectors, np.memmap) and isinstance(matrix.offsets, np.memmap)
    assert matrix.vectors.dtype == np.float16 and matrix.offsets.dtype == np.int64
    assert matrix.offsets[0] == 0 and np.all(np.diff(matrix.offsets) == [len(s) for s in sentences])
    again = FaissStore.open(tmp_path, store.describe())
    assert again.sentence_count() == store.sentence_count() == len(matrix.vectors)
    for a, b in zip(again.sentence_vectors(range(N)), store.sentence_vectors(range(N))):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.concatenate(again.sentence_vectors(range(N))), np.concatenate(sentences), atol=F16)


def test_faiss_keeps_sentences_for_every_row_or_none(tmp_path, data) -> None:
    vectors, passages, sentences = data
    plain = FaissStore.create(DIM, N)  # a store searched by passage alone (benchmarks/perf.py)
    plain.add(np.arange(5), vectors[:5], [])
    with pytest.raises(ValueError, match="from the first passage on"):
        plain.add(np.arange(5, 6), vectors[5:6], passages[5:6], sentences[5:6])
    plain.save(tmp_path)
    assert not (tmp_path / SENTENCES).exists() and not (tmp_path / SENTENCE_OFFSETS).exists()
    opened = FaissStore.open(tmp_path, plain.describe())
    assert opened.count() == 5 and opened.sentence_count() == 0
    with pytest.raises(ValueError, match="keeps none.*python -m bot index"):
        opened.sentence_vectors([0])
    kept = FaissStore.create(DIM, N)
    kept.add(np.arange(2), vectors[:2], passages[:2], sentences[:2])
    with pytest.raises(ValueError, match="pass those of the passages added"):
        kept.add(np.arange(2, 3), vectors[2:3], passages[2:3])
    assert kept.count() == 2
    with pytest.raises(ValueError, match="the store holds 2"):
        kept.sentence_vectors([2])


@pytest.mark.parametrize("damage", ["truncated", "offsets-missing", "offsets-of-another-index"])
def test_faiss_refuses_sentence_files_that_do_not_fit(tmp_path, data, damage: str) -> None:
    vectors, passages, sentences = data
    store = FaissStore.create(DIM, N)
    store.add(np.arange(N), vectors, passages, sentences)
    store.save(tmp_path)
    if damage == "truncated":
        raw = (tmp_path / SENTENCES).read_bytes()
        (tmp_path / SENTENCES).write_bytes(raw[: len(raw) - 100])
    elif damage == "offsets-missing":
        (tmp_path / SENTENCE_OFFSETS).unlink()
    else:
        np.save(tmp_path / SENTENCE_OFFSETS, np.load(tmp_path / SENTENCE_OFFSETS)[:-1])
    with pytest.raises(ValueError, match=r"sentences\.npy") as err:
        FaissStore.open(tmp_path, store.describe())
    assert ("do not fit" if damage == "offsets-of-another-index" else "missing, truncated or damaged") in str(err.value)


def test_milvus_sentence_collection_lives_and_goes_with_its_passages(uri: str, data) -> None:
    vectors, passages, sentences = data
    first = made("milvus", uri, data, "v_one")
    assert sentences_of("v_one") in first.collections()
    first.set_alias("live")
    served = MilvusStore.open(uri, "live")  # through the alias: its sentences come along
    assert served.sentences == "v_one_sentences" and served.sentence_count() == first.sentence_count()
    assert served.client.describe_collection("live_sentences")["collection_name"] == "v_one_sentences"
    second = made("milvus", uri, data, "v_two")
    second.set_alias("live")
    assert served.client.describe_collection("live_sentences")["collection_name"] == "v_two_sentences"
    with pytest.raises(VectorStoreError, match="alias live"):
        drop_collection(uri, "v_two")
    assert {"v_two", "v_two_sentences"} <= set(second.collections())  # refused: neither was dropped
    assert drop_collection(uri, "v_one")
    assert not {"v_one", "v_one_sentences"} & set(second.collections())
    leftover = MilvusStore.create(uri, "v_three", DIM)  # a killed build's leftovers are replaced, both
    leftover.add(np.arange(3), vectors[:3], passages[:3], sentences[:3])
    again = MilvusStore.create(uri, "v_three", DIM)
    assert again.count() == again.sentence_count() == 0
    assert drop_collection(uri, "v_three") and not {"v_three", "v_three_sentences"} & set(again.collections())


def test_milvus_collection_written_before_sentence_vectors(uri: str, data) -> None:
    vectors, passages, _ = data
    old = MilvusStore.create(uri, "v_old", DIM)
    old.add(np.arange(N), vectors, passages)
    old.client.drop_collection("v_old_sentences")  # what a build before sentence vectors left
    opened = MilvusStore.open(uri, "v_old")
    assert opened.sentences is None and opened.count() == N  # its passage vectors stay readable for a rebuild
    np.testing.assert_array_equal(opened.vectors([3]), vectors[[3]])
    for call in (lambda: opened.sentence_vectors([0]), opened.sentence_count):
        with pytest.raises(VectorStoreError, match=r"no collection 'v_old_sentences'.*python -m bot index"):
            call()
    with pytest.raises(ValueError, match="no sentence collection"):
        opened.add(np.arange(N, N + 1), vectors[:1], passages[:1], [np.ones((1, DIM))])
    drop_collection(uri, "v_old")


def test_milvus_reads_sentences_by_key_in_batches(uri: str, data, monkeypatch) -> None:
    _, passages, sentences = data
    store = made("milvus", uri, data, "v_batches")
    monkeypatch.setattr(milvus, "BATCH_ROWS", 7)  # many requests, each ending inside a passage's sentences
    ids = [39, *range(40), 3]
    for i, block in zip(ids, store.sentence_vectors(ids)):
        np.testing.assert_allclose(block, sentences[i], atol=F16)
    rows = store.client.get("v_batches_sentences", ids=[3 * milvus.POSITIONS + k for k in range(4)],
                            output_fields=["pid", "position", "doc"])
    assert sorted((r["pid"], r["position"], r["doc"]) for r in rows) == [(3, k, passages[3].doc) for k in range(4)]
