"""MilvusStore on Milvus Lite (a local .db): the same answers as exact search and as FaissStore."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import unit_vectors

from bot.errors import VectorStoreError
from bot.milvus_store import VARCHAR_BYTES, MilvusStore, _pieces, _public, drop_collection
from bot.schema import Passage
from bot.store import FaissStore

pytest.importorskip("pymilvus", reason="pymilvus and milvus-lite are needed for the Milvus store")
pytest.importorskip("milvus_lite", reason="pymilvus and milvus-lite are needed for the Milvus store")

ROOT = Path(__file__).resolve().parents[1]
N, DIM = 500, 16
ODD_DOC = "notes/it's \"quoted\" and spaced.md"  # a quote of each kind and spaces


def make_passages(n: int) -> list[Passage]:
    out = []
    for i in range(n):
        doc = ODD_DOC if i % 50 == 7 else f"docs/d{i // 10}.md"
        text = f"Passage {i} about dosage."
        if i == 3:
            text = "Fièvre, 발열, лихорадка: prenez du paracétamol — 500 mg. ✓"
        if i == 4:
            text = ("Long sentence about treatment. " * 170)[:5000]
        if i == 5:
            text = "ü" * 40_000  # 80,000 UTF-8 bytes: past one VARCHAR
        out.append(Passage(doc=doc, title=f"Title {i // 10} ü", section="Dosage" if i % 2 else "Übersicht",
                           url=None if i % 3 == 0 else f"https://example.org/{i}", start=10 * i, end=10 * i + len(text),
                           text=text, sentences=((0, min(7, len(text))), (min(8, len(text)), len(text)))))
    return out


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, list[Passage], np.ndarray]:
    rng = np.random.default_rng(7)
    return unit_vectors(rng, N, DIM), make_passages(N), unit_vectors(rng, 20, DIM)


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "store.db")


@pytest.fixture(scope="module")
def built(uri: str, data) -> MilvusStore:
    vectors, passages, _ = data
    store = MilvusStore.create(uri, "v_built", DIM)
    store.add(np.arange(N), vectors, passages)
    return store


def exact(vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return order.tolist(), scores[order]


def test_search_is_exact_inner_product(built: MilvusStore, data) -> None:
    vectors, _, queries = data
    assert built.count() == N
    for q in queries:
        ids, scores = built.search(q, 10)
        want_ids, want_scores = exact(vectors, q, 10)
        assert ids == want_ids
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)
        assert all(isinstance(i, int) for i in ids) and all(isinstance(s, float) for s in scores)
    assert len(built.search(queries[0], N + 50)[0]) == N
    assert built.search(queries[0], 0) == ([], [])


def test_vectors_and_passages_round_trip(built: MilvusStore, data) -> None:
    vectors, passages, _ = data
    ids = [5, 3, 499, 0, 4, 7, 3]
    np.testing.assert_array_equal(built.vectors(ids), vectors[ids])
    assert built.vectors([]).shape == (0, DIM)
    got = built.passages(ids)
    assert got == [passages[i] for i in ids]
    assert got[3].url is None and got[0].text == "ü" * 40_000 and len(got[4].text) == 5000 and got[5].doc == ODD_DOC
    assert built.passages(range(N)) == passages
    with pytest.raises(ValueError, match="no passage with id"):
        built.vectors([N + 1])


def test_describe_names_the_store_never_the_token(uri: str, built: MilvusStore) -> None:
    store = MilvusStore.open(uri, "v_built", token="s3cret-token")
    described = store.describe()
    assert json.loads(json.dumps(described)) == described
    assert described == {"kind": "milvus", "uri": uri, "collection": "v_built", "dim": DIM, "index": {"type": "FLAT"},
                         "metric": "IP"}
    assert "s3cret" not in json.dumps(described)
    assert _public("https://root:s3cret@milvus.example:19530/db") == "https://milvus.example:19530/db"


def test_reopen_sees_the_same_data(uri: str, built: MilvusStore, data) -> None:
    vectors, passages, queries = data
    again = MilvusStore.open(uri, "v_built")
    assert again.count() == N and again.dim == DIM
    assert again.search(queries[1], 5) == built.search(queries[1], 5)
    assert again.passages([3, 5]) == [passages[3], passages[5]]
    np.testing.assert_array_equal(again.vectors([9]), vectors[[9]])


def test_reopen_after_the_writer_exits_and_one_process_at_a_time(tmp_path: Path, data) -> None:
    vectors, passages, queries = data
    uri = str(tmp_path / "fresh.db")
    np.save(tmp_path / "v.npy", vectors[:20])
    (tmp_path / "p.json").write_text(json.dumps([p.to_json() for p in passages[:20]]))
    write = ("import json, sys, numpy as np; from bot.milvus_store import MilvusStore; from bot.schema import Passage;"
             " d = sys.argv[2]; s = MilvusStore.create(sys.argv[1], 'v1', 16);"
             " s.add(np.arange(20), np.load(d + '/v.npy'), [Passage.from_json(p) for p in json.load(open(d + '/p.json'))])")
    done = subprocess.run([sys.executable, "-c", write, uri, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    store = MilvusStore.open(uri, "v1")  # what another process wrote, read back from the files
    assert store.count() == 20 and store.passages([5, 3]) == [passages[5], passages[3]]
    assert store.search(queries[0], 3)[0] == exact(vectors[:20], queries[0], 3)[0]
    # this process now holds the database: a second one is refused, told why and how to share it, with no traceback
    read = ("import sys; from bot.errors import VectorStoreError; from bot.milvus_store import MilvusStore\n"
            "try:\n    MilvusStore.open(sys.argv[1], 'v1')\nexcept VectorStoreError as e:\n    print(e)")
    refused = subprocess.run([sys.executable, "-c", read, uri], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "open in another process" in refused.stdout and uri in refused.stdout and "milvus-lite server" in refused.stdout
    assert refused.stderr == ""


def test_alias_switch_create_replaces_leftover_and_drop(uri: str, data) -> None:
    vectors, passages, queries = data
    old = MilvusStore.create(uri, "v_old", DIM)
    old.add(np.arange(10), vectors[:10], passages[:10])
    old.set_alias("live")
    assert MilvusStore.open(uri, "live").describe()["collection"] == "v_old"
    leftover = MilvusStore.create(uri, "v_new", DIM)
    leftover.add(np.arange(5), vectors[:5], passages[:5])
    new = MilvusStore.create(uri, "v_new", DIM)  # a killed build's leftover is dropped
    assert new.count() == 0
    new.add(np.arange(30), vectors[:30], passages[:30])
    live = MilvusStore.open(uri, "live")
    new.set_alias("live")
    assert live.count() == 10  # an open store keeps the version it resolved: its ids stay consistent
    reopened = MilvusStore.open(uri, "live")
    assert reopened.describe()["collection"] == "v_new" and reopened.count() == 30
    with pytest.raises(VectorStoreError, match="alias live"):
        drop_collection(uri, "v_new")
    assert {"v_old", "v_new"} <= set(new.collections())
    assert drop_collection(uri, "v_old") is True
    assert "v_old" not in new.collections()
    assert drop_collection(uri, "v_old") is False


def test_open_missing_collection(uri: str, built: MilvusStore) -> None:
    with pytest.raises(VectorStoreError) as err:
        MilvusStore.open(uri, "v_never_built")
    assert uri in str(err.value) and "v_never_built" in str(err.value) and "python -m bot index" in str(err.value)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("http://127.0.0.1:1", "start the Milvus server"),
        ("{tmp}/no/such/folder/x.db", "does not exist"),
        ("{tmp}/store.sqlite", "ending in .db"),
    ],
)
def test_unreachable_fails_fast_naming_the_uri(tmp_path: Path, bad: str, says: str) -> None:
    bad = bad.format(tmp=tmp_path)
    started = time.monotonic()
    for call in (lambda: MilvusStore.open(bad, "v1"), lambda: MilvusStore.create(bad, "v1", DIM)):
        with pytest.raises(VectorStoreError) as err:
            call()
        assert bad in str(err.value) and says in str(err.value) and "BOT_MILVUS_URI" in str(err.value)
    assert time.monotonic() - started < 10


def test_bad_input_is_refused(built: MilvusStore, data) -> None:
    vectors, passages, _ = data
    with pytest.raises(ValueError, match="as many ids"):
        built.add(np.arange(3), vectors[:2], passages[:3])
    with pytest.raises(ValueError, match="not a valid Milvus collection name"):
        MilvusStore.create("unused.db", "v-1.2", DIM)


def test_helpers() -> None:
    text = "aé€😀" * 30_000
    pieces = _pieces(text)
    assert "".join(pieces) == text and len(pieces) > 1
    assert all(len(p.encode()) <= VARCHAR_BYTES for p in pieces)
    assert _pieces("short") == ["short"]


def test_import_is_cheap() -> None:
    code = "import sys, bot.milvus_store; print('pymilvus' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


@pytest.fixture(params=["faiss", "milvus"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, uri: str, data):
    vectors, passages, _ = data
    if request.param == "faiss":
        made = FaissStore.create(DIM, N)
    else:
        made = MilvusStore.create(uri, "v_agree", DIM)
    made.add(np.arange(N), vectors, passages)
    return made


def test_stores_agree_on_search(store, data) -> None:
    vectors, passages, queries = data
    assert store.count() == N
    for q in queries:
        ids, scores = store.search(q, 8)
        want_ids, want_scores = exact(vectors, q, 8)
        assert ids == want_ids
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(store.vectors([4, 2]), vectors[[4, 2]])
    assert store.describe()["kind"] == store.kind


def test_a_collection_written_before_the_2_3_schema_still_reads_the_same(uri: str, data) -> None:
    """Collections written before (a nullable `url`, a JSON field `sentences`) open and read as
    before: the new layout changed only what is written."""
    from pymilvus import DataType, MilvusClient

    from bot.milvus_store import _create_sentences

    vectors, passages, _ = data
    client = MilvusClient(uri=uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    for name in ("doc", "title", "section", "text"):
        schema.add_field(name, DataType.VARCHAR, max_length=VARCHAR_BYTES)
    schema.add_field("url", DataType.VARCHAR, max_length=VARCHAR_BYTES, nullable=True)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("text_more", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=8, max_length=VARCHAR_BYTES)
    schema.add_field("sentences", DataType.JSON)
    params = client.prepare_index_params()
    params.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection("v_old", schema=schema, index_params=params, consistency_level="Strong")
    old = [p for p in passages[:12] if len(p.text.encode()) <= VARCHAR_BYTES]
    client.insert("v_old", [{"id": i, "vector": vectors[i].tolist(), "doc": p.doc, "title": p.title, "section": p.section,
                             "url": p.url, "start": p.start, "end": p.end, "text": p.text, "text_more": [],
                             "sentences": json.dumps(p.sentences)} for i, p in enumerate(old)])
    _create_sentences(client, "v_old_sentences", DIM)
    client.insert("v_old_sentences", [{"id": i * (1 << 20) + k, "pid": i, "position": k, "doc": p.doc,
                                       "vector": vectors[(i + k) % N].tolist()}
                                      for i, p in enumerate(old) for k in range(len(p.sentences))])
    client.flush("v_old")
    client.flush("v_old_sentences")
    client.close()
    store = MilvusStore.open(uri, "v_old")
    assert store.passages(range(len(old))) == old and any(p.url is None for p in old)
    assert [len(b) for b in store.sentence_vectors(range(len(old)))] == [len(p.sentences) for p in old]
