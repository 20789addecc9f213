"""Milvus as the vector store: one collection per index version, an alias naming the live one.

`MilvusStore` implements `store.VectorStore` with the semantics of `FaissStore` (ids are the
passage rows, inner product on unit vectors, best first), and keeps the passages beside the
vectors, so `passages(ids)` needs no file. The URI is either a Milvus server
(`http://host:19530`, with a token where it asks for one) or Milvus Lite, the embedded Milvus:
a local path ending in `.db` (a folder it creates), served in-process with the same client API.

    store = MilvusStore.create(uri, "passages_v_1", dim)             # drops a leftover of that name
    store.add(ids, vectors, passages, sentences)                     # batched, searchable on return
    store.set_alias("passages")                                      # roll out: the alias now names it
    MilvusStore.open(uri, "passages")                                # resolves the alias once, at open

A store opened through an alias keeps the collection the alias named then: its ids stay the rows
of that one index version even when a new version is rolled out; reopen to follow the alias.

Collection layout: `id` (INT64, primary key: the passage row), `vector` (FLOAT_VECTOR, metric IP),
`doc`, `title`, `section`, `url` ("" for none), `start`, `end`, `text`, `sentences` (JSON text in
a VARCHAR). Only what every supported Milvus accepts is stored, the oldest being 2.3 (see
`OLDEST_SERVER`): no nullable field (a server before 2.5 refuses a null), no JSON field holding
a list (2.3 takes only an object there); a collection written before, with a nullable `url` and a
JSON `sentences`, still reads the same. Milvus bounds a VARCHAR to 65,535 bytes; a longer text
keeps its first 65,535 bytes in `text` and the rest, cut at character boundaries, in `text_more`
(an ARRAY of VARCHAR, empty for almost every passage).

Each passage collection has a sentence collection beside it, named `<collection>_sentences`, one
row per sentence vector: `id` (INT64 primary key, pid · 2^20 + position: a passage's sentence
keys follow from its id and its number of spans, so `sentence_vectors` reads by key, not by a
filter), `pid` (its passage's id), `position` (its place in `passage.sentences`), `doc` (its
passage's document) and `vector` (FLOAT_VECTOR, FLAT, metric IP). The two are created, filled, aliased (`alias`
and `alias_sentences`), dropped and closed together; a collection written before sentence vectors
has none, and opens for its passage vectors only (`sentence_vectors` then says to rebuild).

The vector index is `FLAT` (exact search, what `FaissStore` does up to `store.FLAT_MAX` rows) unless
`create(index=...)` asks for another, e.g. `{"type": "HNSW", "M": 16, "efConstruction": 200,
"ef": 128}` for millions of passages on a server; it is kept in the collection's properties so
`open` searches with the same parameters. In Milvus Lite an approximate index saves nothing: every
search first walks all rows in Python (deletions, duplicates), and at 60k rows HNSW measured no
faster than FLAT.

Milvus Lite lets one process at a time open a `.db`: a second process (an index build while the
app runs) is refused with a `VectorStoreError` that says so. To share one, serve it
(`milvus-lite server --data-dir PATH.db --port 19530`) and point every process at that URI.

`MilvusBackend` is Milvus's `store.StoreBackend`, what the index does with it: a build creates
version v-… as collection `collection_name(alias, "v-…")`, publishes it by moving the alias and
drops the collections of versions no reader holds; a replica serves the version the alias names.

`describe()` never holds the token, nor a password written into the URI (give credentials as the
token). Every failure to connect or request is a `VectorStoreError` naming the URI; pymilvus is imported
only when a store is made, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from .config import Settings, prepare_environment
from .errors import REBUILD, ConfigError, VectorStoreError
from .schema import Passage
from .store import StorePassages, VectorStore, checked_sentences

CONNECT_TIMEOUT = 5.0  # seconds to reach the server: a dead one fails fast
REQUEST_TIMEOUT = 120.0  # seconds for one request that writes (a batch insert, a flush, loading a collection)
READ_TIMEOUT = 30.0  # seconds for a search or a read: a hung server does not hang a question for longer
#: searches and reads by id wait for no time tick: "Strong" costs about 250 ms a request on a
#: Milvus 2.3 server (it waits for the next tick), "Bounded" 2-4 ms. A version's collection is
#: written whole and counted with "Strong" (`count`, which `index.load` checks) before it is
#: served, and never changes after, so the bounded staleness can hide nothing from a reader.
_READ: dict[str, Any] = {"timeout": READ_TIMEOUT, "consistency_level": "Bounded"}
PING_TIMEOUT = 3.0  # seconds for a serving replica's checks: is the server back, where does the alias point
BATCH_ROWS = 1_000  # rows per insert request
BATCH_BYTES = 16 << 20  # and at most about this many bytes, well under gRPC's message limits
VARCHAR_BYTES = 65_535  # Milvus's bound on a VARCHAR value, in UTF-8 bytes
TEXT_PIECES = 4_096  # capacity of `text_more`: a text of up to ~268 MB
TOP_K_MAX = 16_384  # Milvus's bound on a search limit
INDEX_PROPERTY = "bot.index"  # collection property holding the index type and parameters
SERVER_SCHEMES = ("http", "https", "tcp", "unix")  # what pymilvus accepts; anything else is a local path
DEFAULT_INDEX: dict[str, Any] = {"type": "FLAT"}
#: search-time parameters of each index type (Milvus's names); the rest are build parameters
SEARCH_PARAMS = {"ef", "nprobe", "search_list", "radius", "range_filter"}
SENTENCE_SUFFIX = "_sentences"  # the sentence collection of collection C (and of alias A) is C + SENTENCE_SUFFIX
#: the oldest Milvus server this store is tested against (tests/test_milvus_server.py)
OLDEST_SERVER = "2.3.5"
POSITIONS = 1 << 20  # sentence ids are pid · POSITIONS + position: room for a million sentences a passage
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_TEXT_FIELDS = ("doc", "title", "section", "url")
_OUTPUT = ["doc", "title", "section", "url", "start", "end", "text", "text_more", "sentences"]
_SENTENCE_FIELDS = {"id", "pid", "position", "doc", "vector"}


def sentences_of(collection: str) -> str:
    """The name of the sentence collection beside passage collection (or alias) `collection`."""
    return collection + SENTENCE_SUFFIX


def drop_collection(uri: str, name: str, token: str = "") -> bool:
    """Drop collection `name` at `uri` and its sentence collection, if they exist (refused while an
    alias names one); True if `name` existed."""
    client = _connect(uri, token)
    try:
        with _request(uri, f"drop collection {name!r}"):
            names = [n for n in (name, sentences_of(name)) if client.has_collection(n, timeout=REQUEST_TIMEOUT)]
            for n in names:
                _refuse_if_aliased(client, uri, n)
            for n in names:
                client.drop_collection(n, timeout=REQUEST_TIMEOUT)
            return name in names
    finally:
        client.close()


def aliased(uri: str, alias: str, token: str = "") -> str | None:
    """The collection `alias` names now (None: no such alias). What a serving replica watches:
    a build moves the alias when it publishes a new index version."""
    client = _connect(uri, token, timeout=PING_TIMEOUT)
    try:
        with _request(uri, f"look up alias {alias!r}"):
            if not client.has_collection(alias, timeout=PING_TIMEOUT):
                return None
            described = client.describe_collection(alias, timeout=PING_TIMEOUT)
        return str(described.get("collection_name") or alias)
    finally:
        client.close()


def check(uri: str, token: str = "") -> None:
    """Connect once and let go: a build calls this before embedding, so an unreachable Milvus
    fails in seconds, not after the corpus was embedded."""
    _connect(uri, token).close()


def collection_name(alias: str, version: str) -> str:
    """The collection of index version `version` (a folder name such as `v-…`) under `alias`: `<alias>_v_…`."""
    return f"{alias}_{version.replace('-', '_')}"


def version_of(alias: str, collection: str) -> str:
    """The version folder whose collection is `collection` (the inverse of `collection_name`)."""
    return collection.removeprefix(f"{alias}_").replace("_", "-")


class MilvusStore:
    """A Milvus collection; ids are the primary keys, the rows of one index version."""

    kind = "milvus"

    def __init__(self, client: Any, uri: str, collection: str, dim: int, index: dict[str, Any],
                 sentences: str | None = None) -> None:
        self.client = client
        self.uri = uri
        self.collection = collection
        self.sentences = sentences  # the sentence collection; None: written before sentence vectors
        self.dim = dim
        self.index = index
        params = {k: v for k, v in index.items() if k in SEARCH_PARAMS}
        self._search_params: dict[str, Any] = {"metric_type": "IP", "params": params}

    # ---- lifecycle ----

    @classmethod
    def create(cls, uri: str, collection: str, dim: int, *, token: str = "", index: dict[str, Any] | None = None) -> MilvusStore:
        """A new empty collection and its sentence collection (those of that name, the leftovers of
        a killed build, are dropped first)."""
        from pymilvus import DataType

        _check_name(collection, "collection")
        _check_name(sentences_of(collection), "collection")
        index = dict(index or DEFAULT_INDEX)
        client = _connect(uri, token)
        try:
            with _request(uri, f"create collection {collection!r}"):
                for name in (collection, sentences_of(collection)):
                    if client.has_collection(name, timeout=REQUEST_TIMEOUT):
                        _refuse_if_aliased(client, uri, name)
                        client.drop_collection(name, timeout=REQUEST_TIMEOUT)
                schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
                schema.add_field("id", DataType.INT64, is_primary=True)
                schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
                for name in ("doc", "title", "section", "text"):
                    schema.add_field(name, DataType.VARCHAR, max_length=VARCHAR_BYTES)
                schema.add_field("url", DataType.VARCHAR, max_length=VARCHAR_BYTES)  # "" for none: no nullable fields before 2.5
                schema.add_field("start", DataType.INT64)
                schema.add_field("end", DataType.INT64)
                schema.add_field("text_more", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=TEXT_PIECES,
                                 max_length=VARCHAR_BYTES)
                schema.add_field("sentences", DataType.VARCHAR, max_length=VARCHAR_BYTES)  # JSON text: 2.3's JSON holds no list
                build = {k: v for k, v in index.items() if k != "type" and k not in SEARCH_PARAMS}
                params = client.prepare_index_params()
                params.add_index("vector", index_type=index["type"], metric_type="IP", params=build)
                client.create_collection(collection, schema=schema, index_params=params, consistency_level="Strong",
                                         properties={INDEX_PROPERTY: json.dumps(index)}, timeout=REQUEST_TIMEOUT)
                client.load_collection(collection, timeout=REQUEST_TIMEOUT)
                _create_sentences(client, sentences_of(collection), dim)
        except BaseException:
            client.close()
            raise
        return cls(client, uri, collection, dim, index, sentences_of(collection))

    @classmethod
    def open(cls, uri: str, collection: str, *, token: str = "") -> MilvusStore:
        """The existing collection (or the one an alias names), loaded for search."""
        client = _connect(uri, token)
        try:
            with _request(uri, f"open collection {collection!r}"):
                if not client.has_collection(collection, timeout=REQUEST_TIMEOUT):
                    raise VectorStoreError(
                        f"Milvus at {_public(uri)} has no collection {collection!r}: the index was never built there, or"
                        f" was dropped, or BOT_MILVUS_URI points at another Milvus; {REBUILD}")
                described = client.describe_collection(collection, timeout=REQUEST_TIMEOUT)
                fields = {f["name"]: f for f in described["fields"]}
                if not {"id", "vector", *_OUTPUT} <= fields.keys():
                    raise VectorStoreError(
                        f"collection {collection!r} at {_public(uri)} was not written by this bot (fields"
                        f" {sorted(fields)}); {REBUILD}")
                name = described.get("collection_name") or collection  # an alias resolved to its collection
                dim = int(fields["vector"]["params"]["dim"])
                stored = (described.get("properties") or {}).get(INDEX_PROPERTY)
                index = json.loads(stored) if stored else _described_index(client, name)
                client.load_collection(name, timeout=REQUEST_TIMEOUT)
                sentences = _open_sentences(client, uri, sentences_of(name), dim)
        except BaseException:
            client.close()
            raise
        return cls(client, uri, name, dim, index, sentences)

    def set_alias(self, alias: str) -> None:
        """Point `alias` at this collection, and `alias_sentences` at its sentence collection,
        creating them or switching them from another version."""
        _check_name(alias, "alias")
        _check_name(sentences_of(alias), "alias")
        pairs = [(alias, self.collection), *([(sentences_of(alias), self.sentences)] if self.sentences else [])]
        with self._request(f"point alias {alias!r} at collection {self.collection!r}"):
            known = self.client.list_aliases(timeout=REQUEST_TIMEOUT)["aliases"]
            for name, target in pairs:
                if name in known:
                    self.client.alter_alias(target, name, timeout=REQUEST_TIMEOUT)
                else:
                    self.client.create_alias(target, name, timeout=REQUEST_TIMEOUT)

    def collections(self) -> list[str]:
        """The names of the collections in this Milvus."""
        with self._request("list collections"):
            return sorted(self.client.list_collections(timeout=REQUEST_TIMEOUT))

    def close(self) -> None:
        self.client.close()

    # ---- VectorStore ----

    def add(self, ids: np.ndarray, vectors: np.ndarray, passages: Sequence[Passage],
            sentences: Sequence[np.ndarray] | None = None) -> None:
        """Insert in batches, then flush: the rows are searchable when this returns. `sentences`,
        each passage's sentence vectors, go to the sentence collection, after the passages."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim) or len(passages) != len(ids):
            raise ValueError(f"add needs as many ids, vectors of dimension {self.dim} and passages:"
                             f" got {len(ids)}, {vectors.shape} and {len(passages)}")
        blocks = None if sentences is None else self._checked(checked_sentences(sentences, passages, self.dim))
        with _unchecked_strings():
            for batch in _batches(_row(int(i), v, p) for i, v, p in zip(ids, vectors, passages)):
                with self._request(f"insert {len(batch)} passages"):
                    self.client.insert(self.collection, batch, timeout=REQUEST_TIMEOUT)
        if blocks is not None:
            self._add_sentences(ids, passages, blocks)
        with self._request("flush the inserted passages"):
            for name in (self.collection, *([self.sentences] if blocks is not None else [])):
                self.client.flush(name, timeout=REQUEST_TIMEOUT)

    def _checked(self, blocks: list[np.ndarray]) -> list[np.ndarray]:
        if self.sentences is None:
            raise ValueError(f"collection {self.collection!r} was written before sentence vectors and has no sentence"
                             f" collection to add them to: {REBUILD}")
        if any(len(b) > POSITIONS for b in blocks):
            raise ValueError(f"a passage has more than {POSITIONS:,} sentences: its sentence keys would collide")
        return blocks

    def _add_sentences(self, ids: np.ndarray, passages: Sequence[Passage], blocks: list[np.ndarray]) -> None:
        rows = ({"id": int(pid) * POSITIONS + k, "pid": int(pid), "position": k, "doc": p.doc,
                 "vector": np.asarray(v, dtype=np.float32).tolist()}
                for pid, p, block in zip(ids, passages, blocks) for k, v in enumerate(block))
        for batch in _batches(rows, _sentence_size):
            with self._request(f"insert {len(batch)} sentence vectors"):
                self.client.insert(self.sentences, batch, timeout=REQUEST_TIMEOUT)

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]:
        if k <= 0:
            return [], []
        query = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        with self._request("search"):
            result = self.client.search(self.collection, [query], limit=min(k, TOP_K_MAX), anns_field="vector",
                                        search_params=self._search_params, output_fields=["id"], **_READ)
        hits = result[0]
        return [int(h["id"]) for h in hits], [float(h["distance"]) for h in hits]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        rows = self._get(ids, ["vector"])
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray([r["vector"] for r in rows], dtype=np.float32)

    def sentence_vectors(self, ids: Sequence[int]) -> list[np.ndarray]:
        """Each passage's sentence vectors in position order; a passage with none stored (deleted,
        or never added) is an error. A passage's sentence keys follow from its id and its number of
        spans (`add` stores a row per span), so both reads are primary-key lookups: a `pid in [...]`
        filter makes Milvus Lite walk every sentence row, 190 ms for 50 passages among 80k
        sentences against 14 ms."""
        ids = [int(i) for i in ids]
        name = self._sentence_collection()
        spans = self._span_counts(list(dict.fromkeys(ids)))
        keys = [pid * POSITIONS + k for pid, n in spans.items() for k in range(n)]
        found: dict[int, Any] = {}
        for i in range(0, len(keys), BATCH_ROWS):
            with self._request("read sentence vectors"):
                rows = self.client.get(name, ids=keys[i:i + BATCH_ROWS], output_fields=["vector"], **_READ)
            found.update((int(r["id"]), r["vector"]) for r in rows)
        blocks = {pid: [found.get(pid * POSITIONS + k) for k in range(n)] for pid, n in spans.items()}
        missing = [i for i in ids if i not in blocks or any(v is None for v in blocks[i])]
        if missing:
            raise ValueError(f"collection {name!r} holds no sentence vectors of passage id {missing[:10]}")
        return [np.asarray(blocks[i], dtype=np.float32) for i in ids]

    def _span_counts(self, ids: list[int]) -> dict[int, int]:
        """The number of sentence rows of each of `ids` still stored (a passage without spans has one)."""
        counts: dict[int, int] = {}
        for i in range(0, len(ids), BATCH_ROWS):
            with self._request("read passages"):
                rows = self.client.get(self.collection, ids=ids[i:i + BATCH_ROWS], output_fields=["sentences"],
                                       **_READ)
            counts.update((int(r["id"]), len(_spans(r["sentences"])) or 1) for r in rows)
        return counts

    def _sentence_collection(self) -> str:
        if self.sentences is None:
            raise VectorStoreError(f"Milvus at {_public(self.uri)} has no collection {sentences_of(self.collection)!r}:"
                                   f" the index was built before sentence vectors were stored, or it was dropped; {REBUILD}")
        return self.sentences

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        return [
            Passage(doc=r["doc"], title=r["title"], section=r["section"], url=r["url"] or None, start=int(r["start"]),
                    end=int(r["end"]), text=r["text"] + "".join(r["text_more"] or ()),
                    sentences=tuple((int(a), int(b)) for a, b in _spans(r["sentences"])))
            for r in self._get(ids, _OUTPUT)
        ]

    def count(self) -> int:
        with self._request("count passages"):
            result = self.client.query(self.collection, filter="", output_fields=["count(*)"], timeout=READ_TIMEOUT)
        return int(result[0]["count(*)"])

    def sentence_count(self) -> int:
        name = self._sentence_collection()
        with self._request("count sentence vectors"):
            result = self.client.query(name, filter="", output_fields=["count(*)"], timeout=READ_TIMEOUT)
        return int(result[0]["count(*)"])

    def ping(self) -> None:
        """Raise VectorStoreError unless both collections answer a count within PING_TIMEOUT.
        After a restart Milvus reloads them by itself (2.3.5 on 2 cores: about 26 s after it
        accepts connections; asking it to load them measured no sooner)."""
        for name in (self.collection, *([self.sentences] if self.sentences else [])):
            with self._request("answer"):
                self.client.query(name, filter="", output_fields=["count(*)"], timeout=PING_TIMEOUT)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "uri": _public(self.uri), "collection": self.collection, "dim": self.dim,
                "index": dict(self.index), "metric": "IP"}

    # ---- internals ----

    def _get(self, ids: Sequence[int], fields: list[str]) -> list[dict[str, Any]]:
        """The rows of `ids`, in that order; an id not stored is an error."""
        ids = [int(i) for i in ids]
        found: dict[int, dict[str, Any]] = {}
        for i in range(0, len(ids), BATCH_ROWS):
            with self._request("read passages"):
                rows = self.client.get(self.collection, ids=ids[i:i + BATCH_ROWS], output_fields=fields,
                                       **_READ)
            found.update((int(r["id"]), r) for r in rows)
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValueError(f"collection {self.collection!r} holds no passage with id {missing[:10]}")
        return [found[i] for i in ids]

    def _request(self, what: str) -> Any:
        return _request(self.uri, what, self.collection)


def _row(pid: int, vector: np.ndarray, p: Passage) -> dict[str, Any]:
    for name in _TEXT_FIELDS:
        value = getattr(p, name)
        if value is not None and len(value.encode()) > VARCHAR_BYTES:
            raise ValueError(f"passage {pid} of {p.doc[:200]!r}: its {name} is longer than Milvus's"
                             f" {VARCHAR_BYTES:,} bytes")
    pieces = _pieces(p.text)
    if len(pieces) > 1 + TEXT_PIECES:
        raise ValueError(f"passage {pid} of {p.doc[:200]!r}: its text of {len(p.text):,} characters is too long to store")
    spans = json.dumps(p.sentences, separators=(",", ":"))
    if len(spans) > VARCHAR_BYTES:
        raise ValueError(f"passage {pid} of {p.doc[:200]!r}: its {len(p.sentences):,} sentence spans do not fit Milvus's"
                         f" {VARCHAR_BYTES:,} bytes")
    return {"id": pid, "vector": vector.tolist(), "doc": p.doc, "title": p.title, "section": p.section, "url": p.url or "",
            "start": p.start, "end": p.end, "text": pieces[0], "text_more": pieces[1:], "sentences": spans}


def _spans(stored: Any) -> list[Any]:
    """A passage's sentence spans as stored: JSON text, or (a collection written before) a JSON field's list."""
    return json.loads(stored) if isinstance(stored, str) else list(stored or ())


def _pieces(text: str) -> list[str]:
    """`text` cut into pieces of at most VARCHAR_BYTES UTF-8 bytes, at character boundaries."""
    data = text.encode()
    if len(data) <= VARCHAR_BYTES:
        return [text]
    pieces, start = [], 0
    while start < len(data):
        end = min(start + VARCHAR_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # not inside a character's bytes
            end -= 1
        pieces.append(data[start:end].decode())
        start = end
    return pieces


def _passage_size(row: dict[str, Any]) -> int:
    size = 8 * len(row["vector"]) + sum(len(row[f] or "") for f in ("doc", "title", "section", "url", "text"))
    return size + sum(map(len, row["text_more"]))


def _sentence_size(row: dict[str, Any]) -> int:
    return 8 * len(row["vector"]) + len(row["doc"]) + 24


def _batches(rows: Iterable[dict[str, Any]], measure: Callable[[dict[str, Any]], int] = _passage_size
             ) -> Iterator[list[dict[str, Any]]]:
    """Rows in insert requests of at most BATCH_ROWS rows and about BATCH_BYTES bytes."""
    batch: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = measure(row)
        if batch and (len(batch) >= BATCH_ROWS or size + row_size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row_size
    if batch:
        yield batch


@contextmanager
def _unchecked_strings() -> Iterator[None]:
    """pymilvus checks every VARCHAR value of a row one character at a time, in Python: two thirds
    of the insert time at 1,000-character passages. `_row` has checked the length in bytes, which
    is Milvus's bound, so that check is switched off while `add` inserts."""
    try:
        from pymilvus.client import entity_helper
    except ImportError:
        yield
        return
    before = getattr(entity_helper, "CHECK_STR_ARRAY", True)
    entity_helper.CHECK_STR_ARRAY = False
    try:
        yield
    finally:
        entity_helper.CHECK_STR_ARRAY = before


def _check_name(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid Milvus {what} name: letters, digits and _, not starting with a digit,"
                         " at most 255 characters")


def _public(uri: str) -> str:
    """The URI without a password written into it."""
    parts = urlsplit(uri)
    if parts.scheme in SERVER_SCHEMES and (parts.username or parts.password):
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return uri


def _is_local(uri: str) -> bool:
    return urlsplit(uri).scheme.lower() not in SERVER_SCHEMES


def _quiet() -> None:
    """pymilvus logs each failed request and reconnection with its traceback, and Milvus Lite a failed
    start: the `VectorStoreError` raised instead says it all (a level set by the application is kept).
    gRPC's own C logging (keep-alive "too_many_pings" notices between the client and Milvus Lite) is
    silenced the same way, unless GRPC_VERBOSITY is set; it must be set before grpc is imported."""
    prepare_environment()
    for name in ("pymilvus.decorators", "pymilvus.client.connection_manager", "milvus_lite.server_manager"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)


def _connect(uri: str, token: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    if not uri:
        raise VectorStoreError("no Milvus URI given: set BOT_MILVUS_URI to a server (http://host:19530) or to a"
                               " local Milvus Lite path ending in .db")
    if _is_local(uri):
        if not uri.endswith(".db"):
            raise VectorStoreError(
                f"{uri!r} is neither a Milvus server URI (http://host:19530) nor a Milvus Lite path: a local Milvus Lite"
                " database is a path ending in .db (e.g. index/milvus.db); check BOT_MILVUS_URI")
        parent = Path(uri).expanduser().parent
        if not parent.is_dir():
            raise VectorStoreError(f"cannot open Milvus Lite at {uri}: the folder {parent} does not exist; create it,"
                                   " or check BOT_MILVUS_URI")
    _quiet()
    from pymilvus import MilvusClient

    try:
        return MilvusClient(uri=uri, token=token, timeout=timeout)
    except Exception as e:  # pymilvus raises MilvusException, grpc its own errors, on every failure to connect
        detail = getattr(e, "message", None) or str(e) or type(e).__name__
        if _is_local(uri):
            if _locked(uri):
                raise VectorStoreError(
                    f"Milvus Lite at {uri} is open in another process (an index build, or the app): Milvus Lite lets one"
                    f" process at a time open a .db. Stop the other process, or serve the database to both with"
                    f" `milvus-lite server --data-dir {uri} --port 19530` and set BOT_MILVUS_URI=http://127.0.0.1:19530"
                ) from None
            raise VectorStoreError(f"cannot open Milvus Lite at {uri} ({detail}): check BOT_MILVUS_URI, that the"
                                   " path is writable and that milvus-lite is installed") from None
        raise VectorStoreError(f"cannot reach Milvus at {_public(uri)} within {timeout:g} s ({detail}): start"
                               " the Milvus server, or check BOT_MILVUS_URI and the token") from None


def _locked(uri: str) -> bool:
    """Whether another process holds Milvus Lite's lock on the database at `uri`."""
    try:
        import fcntl
    except ImportError:
        return False
    lock = Path(uri).expanduser() / "LOCK"
    if not lock.is_file():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextmanager
def _request(uri: str, what: str, collection: str | None = None) -> Iterator[None]:
    """Turn a refused or failed request into a `VectorStoreError` naming the URI."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as e:
        where = f"Milvus at {_public(uri)}" + (f" (collection {collection!r})" if collection else "")
        raise VectorStoreError(f"{where} could not {what}: {e.message}; check that the server is up and BOT_MILVUS_URI"
                               ) from None


def _refuse_if_aliased(client: Any, uri: str, collection: str) -> None:
    aliases = client.list_aliases(collection, timeout=REQUEST_TIMEOUT)["aliases"]
    if aliases:
        raise VectorStoreError(f"collection {collection!r} at {_public(uri)} is still named by alias {', '.join(aliases)}:"
                               " point the alias at another collection (set_alias) before dropping it")


def _create_sentences(client: Any, name: str, dim: int) -> None:
    """The sentence collection of a new passage collection, loaded (Milvus searches and queries
    only loaded collections, and loads only those whose vector field has an index)."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("pid", DataType.INT64)
    schema.add_field("position", DataType.INT64)
    schema.add_field("doc", DataType.VARCHAR, max_length=VARCHAR_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    params.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong", timeout=REQUEST_TIMEOUT)
    client.load_collection(name, timeout=REQUEST_TIMEOUT)


def _open_sentences(client: Any, uri: str, name: str, dim: int) -> str | None:
    """The sentence collection `name`, loaded; None when there is none (written before sentence
    vectors: its passage vectors can still be reused by a rebuild, which adds them)."""
    if not client.has_collection(name, timeout=REQUEST_TIMEOUT):
        return None
    fields = {f["name"]: f for f in client.describe_collection(name, timeout=REQUEST_TIMEOUT)["fields"]}
    if not _SENTENCE_FIELDS <= fields.keys() or int(fields["vector"]["params"]["dim"]) != dim:
        raise VectorStoreError(f"collection {name!r} at {_public(uri)} does not hold sentence vectors of dimension"
                               f" {dim} (fields {sorted(fields)}); {REBUILD}")
    client.load_collection(name, timeout=REQUEST_TIMEOUT)
    return name


def _described_index(client: Any, collection: str) -> dict[str, Any]:
    """The index as Milvus describes it, for a collection without the property `create` sets."""
    info = client.describe_index(collection, "vector", timeout=REQUEST_TIMEOUT) or {}
    skip = {"index_type", "metric_type", "field_name", "index_name", "total_rows", "indexed_rows", "pending_index_rows",
            "state"}
    return {"type": info.get("index_type", "FLAT"), **{k: v for k, v in info.items() if k not in skip}}


class MilvusBackend:
    """Milvus keeps vectors and passages in a collection per version, outside the version folder
    (which holds no store file); an alias names the published one."""

    kind = "milvus"
    files: tuple[str, ...] = ()

    def wanted(self, settings: Settings) -> dict[str, Any]:
        if not settings.milvus_uri:
            raise ConfigError("vector_store=milvus needs BOT_MILVUS_URI: a local file ending in .db (Milvus Lite) "
                              "or http://host:19530 (a Milvus server)")
        return {"kind": self.kind, "uri": settings.milvus_uri, "alias": settings.milvus_collection}

    def location(self, described: dict[str, Any]) -> dict[str, Any]:
        """A collection is named `<alias>_v_<version>`."""
        return {"kind": self.kind, "uri": described.get("uri"),
                "alias": str(described.get("collection")).rsplit("_v_", 1)[0]}

    def preflight(self, settings: Settings) -> None:
        check(self.wanted(settings)["uri"], settings.milvus_token)

    def create(self, settings: Settings, version: str, vectors: np.ndarray) -> MilvusStore:
        where = self.wanted(settings)
        return MilvusStore.create(where["uri"], collection_name(where["alias"], version), vectors.shape[1],
                                  token=settings.milvus_token)

    def open(self, folder: Path, described: dict[str, Any], settings: Settings) -> MilvusStore:
        return MilvusStore.open(described["uri"], described["collection"], token=settings.milvus_token)

    def write(self, store: VectorStore, folder: Path, passages: Sequence[Passage]) -> None:
        """`add` stored vectors and passages in the collections: nothing goes into the folder."""

    def passages(self, folder: Path, store: VectorStore, n: int) -> Sequence[Passage]:
        return StorePassages(store, n)

    def problem(self, store: VectorStore, manifest: dict[str, Any]) -> str | None:
        """The collection's schema holds the dimension, and `open` read it from there."""
        return None

    def publish(self, settings: Settings, version: str, keep: set[str]) -> None:
        """Point the alias at the new version's collection (and `<alias>_sentences` at its sentence
        collection) and drop the collections, passages and sentences, of versions that no reader
        holds any more."""
        where = self.wanted(settings)
        new = MilvusStore.open(where["uri"], collection_name(where["alias"], version), token=settings.milvus_token)
        new.set_alias(where["alias"])
        kept = {collection_name(where["alias"], v) for v in keep}
        for name in new.collections():  # a version's sentence collection goes with it, or alone if left over
            if name.startswith(f"{where['alias']}_v_") and name.removesuffix(SENTENCE_SUFFIX) not in kept:
                drop_collection(where["uri"], name.removesuffix(SENTENCE_SUFFIX), token=settings.milvus_token)

    def published(self, settings: Settings) -> str | None:
        """The version whose collection the alias names now (None: no alias yet)."""
        where = self.wanted(settings)
        collection = aliased(where["uri"], where["alias"], settings.milvus_token)
        return None if collection is None else version_of(where["alias"], collection)
