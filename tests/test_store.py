"""The FAISS vector store (exact and IVF, chosen by size) and the on-demand passage table."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import unit_vectors

from bot import Settings
from bot.build import build
from bot.index import load
from bot.passages import OFFSETS, TEXTS, PassageTable, write
from bot.schema import Passage
from bot.store import CHOICE, FLAT_MAX, HNSW, HNSW_MAX, FaissStore, choose


def unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    return unit_vectors(np.random.default_rng(seed), n, dim)


def passages(n: int, docs: int = 7) -> list[Passage]:
    return [Passage(f"doc{i % docs}.txt", f"Title {i % docs}", "Section", None, 0, 5, f"text {i} ünïcode “q”")
            for i in range(n)]


def test_choose_is_exact_up_to_the_threshold_then_a_graph_then_ivf():
    assert choose(FLAT_MAX) == {"type": "flat"}
    assert choose(FLAT_MAX + 1) == choose(HNSW_MAX) == {"type": "hnsw", **HNSW}
    big = choose(HNSW_MAX + 1)
    assert big["type"] == "ivf" and big["nlist"] & (big["nlist"] - 1) == 0 and 16 <= big["nprobe"] <= big["nlist"]
    million = choose(1_000_000)
    assert million["nlist"] == 4096 and million["nprobe"] == 512


#: (flat_max, hnsw_max) that force each kind of index whatever the number of vectors
FORCE = {"flat": (10**9, 10**9), "hnsw": (0, 10**9), "ivf": (0, 0)}


def make(kind: str, x: np.ndarray) -> FaissStore:
    flat_max, hnsw_max = FORCE[kind]
    store = FaissStore.create(x.shape[1], len(x), vectors=x, flat_max=flat_max, hnsw_max=hnsw_max)
    store.add(np.arange(len(x)), x, passages(len(x)))
    return store


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_search_matches_brute_force(kind):
    x, q = unit(2000), unit(20, seed=1)
    store = make(kind, x)
    assert store.describe()["type"] == kind and store.count() == 2000
    if kind == "ivf":
        store.index.nprobe = store.params["nlist"]  # every cell visited: exact
    if kind == "hnsw":
        store.index.hnsw.efSearch = 2000  # every vector kept while walking the graph: exact
    for v in q:
        ids, scores = store.search(v, 10)
        expected = np.argsort(-(x @ v), kind="stable")[:10]
        assert scores == pytest.approx((x @ v)[expected].tolist(), abs=1e-5)
        # ten different rows, each with the score reported: the ten best there are (whichever of a tie)
        assert len(set(ids)) == 10 and (x @ v)[ids].tolist() == pytest.approx(scores, abs=1e-5)
    np.testing.assert_allclose(store.vectors([5, 3, 1999]), x[[5, 3, 1999]], atol=1e-6)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_with_shipped_parameters_find_most_true_neighbours(kind):
    # texts form topics: 100 topic centres, passages scattered around them (on structureless
    # random vectors every index is poor); queries near a passage, as a question is near its answer
    centres = unit(100, dim=32, seed=4)
    x = centres[np.arange(10_000) % 100] + 0.5 * unit(10_000, dim=32, seed=5)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[:50] + 0.3 * unit(50, dim=32, seed=2)
    store = make(kind, x)
    recall = np.mean([len(set(store.search(v, 10)[0]) & set(np.argsort(-(x @ v))[:10].tolist())) / 10 for v in q])
    assert recall >= 0.9


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_save_and_open_memory_mapped_round_trip(tmp_path, kind):
    x = unit(1500)
    store = make(kind, x)
    store.save(tmp_path)
    again = FaissStore.open(tmp_path, store.describe())
    assert again.count() == 1500 and again.describe() == store.describe()
    np.testing.assert_allclose(again.vectors(range(1500)), x, atol=1e-6)
    for v in unit(5, seed=3):
        assert again.search(v, 7) == store.search(v, 7)


def test_ids_must_continue_the_rows():
    store = FaissStore.create(4, 10)
    with pytest.raises(ValueError, match="in order"):
        store.add(np.array([3]), unit(1, dim=4), passages(1))


def test_ivf_without_enough_training_vectors_says_so():
    with pytest.raises(ValueError, match="training vectors"):
        FaissStore.create(8, 10, vectors=unit(3, dim=8), flat_max=0, hnsw_max=0)


def test_passage_table_round_trip_and_random_access(tmp_path):
    written = passages(300) + [Passage("a b'c.txt", "T", "S", "https://x.org", 3, 9, "é" * 5000, ((0, 2), (3, 5000)))]
    assert write(tmp_path, written) == 301
    table = PassageTable(tmp_path)
    assert len(table) == 301 and list(table) == written and table == written
    assert table[-1] == written[-1] and table[7] == written[7] and table[5:8] == written[5:8]
    assert table.get([300, 0, 300]) == [written[300], written[0], written[300]]
    with pytest.raises(IndexError, match="out of range"):
        table[301]
    offsets = np.load(tmp_path / OFFSETS)
    data = (tmp_path / TEXTS).read_bytes()
    assert offsets[0] == 0 and offsets[-1] == len(data)
    assert Passage.from_json(json.loads(data[offsets[42]:offsets[43]])) == written[42]


def test_passage_table_refuses_offsets_of_another_file(tmp_path):
    write(tmp_path, passages(10))
    with (tmp_path / TEXTS).open("ab") as f:
        f.write(b"{}\n")
    with pytest.raises(ValueError, match="does not describe"):
        PassageTable(tmp_path)


def test_empty_passage_table(tmp_path):
    assert write(tmp_path, []) == 0
    assert len(PassageTable(tmp_path)) == 0 and list(PassageTable(tmp_path)) == []


def test_index_records_its_store_and_serves_passages_on_demand(settings, fake):
    build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    assert index.manifest["store"] == {"kind": "faiss", "choice": CHOICE, "type": "flat"}
    assert isinstance(index.passages, PassageTable)
    assert index.titles == ("Facts About Klonopin Addiction Treatment",)
    assert [s for _, sections in index.outline for s in sections] == list(dict.fromkeys(p.section for p in index.passages))
    ids = [4, 0, 2]
    assert index.get(ids) == [index.passages[i] for i in ids]


def test_switching_store_setting_without_uri_is_a_config_error(settings, fake):
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="BOT_MILVUS_URI"):
        build(Settings.load(corpus=settings.corpus, index=settings.index, vector_store="milvus"), fake)
    with pytest.raises(ConfigError, match=re.escape("BOT_VECTOR_STORE must be one of 'faiss', 'milvus'; got 'chroma'")):
        Settings.load(corpus=settings.corpus, index=settings.index, vector_store="chroma")
