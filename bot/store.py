"""Where the vectors live: a small interface, and FAISS, its embedded implementation.

A `VectorStore` maps passage ids (row numbers of the index version, 0 … n-1) to unit vectors:

    add(ids, vectors, passages)   store them (the passages travel along where the store keeps texts)
    delete_documents(docs)        remove every passage of these documents; returns how many
    search(vector, k)             the k nearest ids and their inner products, best first
    vectors(ids)                  the stored vectors of these ids, in that order
    passages(ids)                 the stored passages, or None where the store keeps no texts
    count()                       vectors stored (deleted ones excluded)
    describe()                    what the manifest records: kind, index type and parameters

`FaissStore` picks the FAISS index by size (`choose`): exact inner-product search (`flat`) up
to `FLAT_MAX` vectors, where one exhaustive scan still costs a few milliseconds on one core,
and an inverted file (`ivf`, k-means cells of exact vectors, `nprobe` cells visited per query)
above, whose recall@10 against exact search and latency `benchmarks/perf.py` measures. Both are
read with memory mapping, so loading costs little and the OS pages vectors in as searched.
Deleting marks ids with an `IDSelector` that every search excludes, whatever the index type.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .errors import ConfigError
from .schema import Passage

if TYPE_CHECKING:
    from .config import Settings

#: above this many vectors an exhaustive scan costs more than ~6 ms on one core: use `ivf`
FLAT_MAX = 100_000
#: k-means cells visited per query by `ivf`, as a share of the cells (at least 16). On MedQuAD's
#: vectors repeated with noise to 300k (2,048 cells), visiting 1/16 of them gave recall@10 0.941
#: against exact search in 1.5 ms, 1/8 gave 0.970 in 3.0 ms: see benchmarks/perf.py
NPROBE_SHARE = 1 / 8
FILE = "vectors.faiss"


@runtime_checkable
class VectorStore(Protocol):
    def add(self, ids: np.ndarray, vectors: np.ndarray, passages: Sequence[Passage]) -> None: ...

    def delete_documents(self, documents: Iterable[str]) -> int: ...

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]: ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray: ...

    def passages(self, ids: Sequence[int]) -> list[Passage] | None: ...

    def count(self) -> int: ...

    def describe(self) -> dict[str, Any]: ...


def choose(n: int, *, flat_max: int = FLAT_MAX) -> dict[str, Any]:
    """The FAISS index type and parameters for `n` vectors."""
    if n <= flat_max:
        return {"type": "flat"}
    nlist = 1 << round(math.log2(4 * math.sqrt(n)))  # ~4·√n cells: 1,024 at 100k, 4,096 at 1M
    return {"type": "ivf", "nlist": nlist, "nprobe": max(16, round(nlist * NPROBE_SHARE))}


class FaissStore:
    """FAISS in the index version folder (`vectors.faiss`); ids are the rows."""

    kind = "faiss"

    def __init__(self, index: Any, params: dict[str, Any], documents: Sequence[str] | None = None) -> None:
        self.index = index
        self.params = params
        self._documents = documents  # document id of each row, for delete_documents
        self._deleted: set[int] = set(params.get("deleted", ()))
        self._search_params: Any = None
        if params["type"] == "ivf":
            index.nprobe = params["nprobe"]

    @classmethod
    def create(cls, dim: int, n: int, *, vectors: np.ndarray | None = None, flat_max: int = FLAT_MAX) -> FaissStore:
        """An empty store for `n` vectors; `ivf` trains its cells on up to 64 per cell of `vectors`,
        drawn at random (seed 0)."""
        import faiss

        params = choose(n, flat_max=flat_max)
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # training and adding use every core
        if params["type"] == "flat":
            return cls(faiss.IndexFlatIP(dim), params)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, params["nlist"], faiss.METRIC_INNER_PRODUCT)
        if vectors is None or len(vectors) < params["nlist"]:
            raise ValueError(f"an ivf index of {params['nlist']} cells needs at least that many training vectors")
        # k-means on at most 64 vectors per cell: ~1 min at 1M on 2 cores
        index.cp.max_points_per_centroid = 64
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: 64 * params["nlist"]]]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Array)  # vectors(ids) by row
        return cls(index, params)

    @classmethod
    def open(cls, folder: Path, params: dict[str, Any], documents: Sequence[str] | None = None) -> FaissStore:
        """Read `folder/vectors.faiss` memory-mapped (the vectors stay in the page cache, not the heap)."""
        import faiss

        # one thread per search: a single query is too small to share (OpenMP's start-up costs more
        # than it saves), and a server answers several questions at once on its own threads
        faiss.omp_set_num_threads(1)
        flags = faiss.IO_FLAG_MMAP_IFC if params.get("type") == "flat" else faiss.IO_FLAG_MMAP
        return cls(faiss.read_index(str(folder / FILE), flags | faiss.IO_FLAG_READ_ONLY), params, documents)

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / FILE))

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def add(self, ids: np.ndarray, vectors: np.ndarray, passages: Sequence[Passage]) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if not np.array_equal(ids, np.arange(self.index.ntotal, self.index.ntotal + len(ids))):
            raise ValueError("FAISS rows are added in order: ids must continue from the rows already stored")
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._documents = [*(self._documents or ()), *(p.doc for p in passages)]

    def delete_documents(self, documents: Iterable[str]) -> int:
        if self._documents is None:
            raise ValueError("this store was opened without the documents of its rows: pass them to FaissStore.open")
        gone = set(documents)
        ids = {i for i, doc in enumerate(self._documents) if doc in gone} - self._deleted
        self._deleted |= ids
        self._search_params = None
        return len(ids)

    def _params(self) -> Any:
        if not self._deleted:
            return None
        if self._search_params is None:
            import faiss

            self._selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.fromiter(self._deleted, dtype=np.int64)))
            kind = faiss.SearchParametersIVF if self.params["type"] == "ivf" else faiss.SearchParameters
            self._search_params = kind(sel=self._selector)
            if self.params["type"] == "ivf":
                self._search_params.nprobe = self.params["nprobe"]
        return self._search_params

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, ids = self.index.search(query, k, params=self._params())
        keep = ids[0] >= 0
        return ids[0][keep].tolist(), scores[0][keep].tolist()

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        ids = list(ids)
        if not ids:
            return np.zeros((0, self.index.d), dtype=np.float32)
        if self.params["type"] == "flat" and ids == list(range(ids[0], ids[0] + len(ids))):
            return self.index.reconstruct_n(ids[0], len(ids))
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def passages(self, ids: Sequence[int]) -> list[Passage] | None:
        return None  # the texts are in passages.jsonl beside the vectors

    def count(self) -> int:
        return int(self.index.ntotal) - len(self._deleted)

    def describe(self) -> dict[str, Any]:
        extra = {"deleted": sorted(self._deleted)} if self._deleted else {}
        return {"kind": self.kind, **self.params, **extra}


# --- choosing and opening the store the settings name -------------------------------------------

def wanted(settings: Settings) -> dict[str, Any]:
    """Where the settings want the vectors: what a build compares with an index's `location`."""
    if settings.vector_store == "faiss":
        return {"kind": "faiss"}
    if settings.vector_store == "milvus":
        if not settings.milvus_uri:
            raise ConfigError("vector_store=milvus needs BOT_MILVUS_URI: a local file ending in .db (Milvus Lite) "
                              "or http://host:19530 (a Milvus server)")
        return {"kind": "milvus", "uri": settings.milvus_uri, "alias": settings.milvus_collection}
    raise ConfigError(f"vector_store={settings.vector_store!r} is unknown: use faiss or milvus")


def preflight(settings: Settings) -> None:
    """Fail early, before any embedding, when the store the settings name cannot be used."""
    where = wanted(settings)
    if where["kind"] == "milvus":
        from .milvus_store import check

        check(where["uri"], settings.milvus_token)


def location(described: dict[str, Any]) -> dict[str, Any]:
    """The `wanted` form of a manifest's store: a Milvus collection is named `<alias>_v_<version>`."""
    if described.get("kind") == "milvus":
        return {"kind": "milvus", "uri": described.get("uri"), "alias": str(described.get("collection")).rsplit("_v_", 1)[0]}
    return {"kind": described.get("kind")}


def collection_name(alias: str, version: str) -> str:
    return f"{alias}_{version.replace('-', '_')}"


def create(settings: Settings, version: str, vectors: np.ndarray) -> VectorStore:
    """An empty store for the `vectors` of a new index version (FAISS trains its cells on them)."""
    where = wanted(settings)
    n, dim = vectors.shape
    if where["kind"] == "faiss":
        return FaissStore.create(dim, n, vectors=vectors)
    from .milvus_store import MilvusStore

    return MilvusStore.create(where["uri"], collection_name(where["alias"], version), dim, token=settings.milvus_token)


def open_store(folder: Path, described: dict[str, Any], settings: Settings,
               documents: Sequence[str] | None = None) -> VectorStore:
    """The store an index's manifest describes (the token comes from the settings, never the manifest)."""
    if described.get("kind") == "faiss":
        return FaissStore.open(folder, described, documents)
    if described.get("kind") == "milvus":
        from .milvus_store import MilvusStore

        return MilvusStore.open(described["uri"], described["collection"], token=settings.milvus_token)
    raise ValueError(f"unknown vector store {described.get('kind')!r}")


def publish(settings: Settings, version: str, keep: set[str]) -> None:
    """After a build: point the alias at the new version's collection and drop the collections of
    versions that no reader holds any more (FAISS versions are folders, removed with them)."""
    where = wanted(settings)
    if where["kind"] != "milvus":
        return
    from .milvus_store import MilvusStore, drop_collection

    new = MilvusStore.open(where["uri"], collection_name(where["alias"], version), token=settings.milvus_token)
    new.set_alias(where["alias"])
    kept = {collection_name(where["alias"], v) for v in keep}
    for name in new.collections():
        if name.startswith(f"{where['alias']}_v_") and name not in kept:
            drop_collection(where["uri"], name, token=settings.milvus_token)
