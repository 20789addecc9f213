"""Where the vectors live: a small interface, and FAISS, its embedded implementation.

A `VectorStore` maps passage ids (row numbers of the index version, 0 … n-1) to unit vectors:

    add(ids, vectors, passages, sentences)   store them (the passages travel along where the store
                                  keeps texts; `sentences`: each passage's sentence vectors)
    search(vector, k)             the k nearest ids and their inner products, best first
    vectors(ids)                  the stored vectors of these ids, in that order
    sentence_vectors(ids)         each id's sentence vectors, (sentences, dim), in the order of its spans
    passages(ids)                 the stored passages, or None where the store keeps no texts
    count()                       vectors stored
    sentence_count()              sentence vectors stored
    describe()                    what the manifest records: kind, index type and parameters
    ping()                        raise VectorStoreError unless the store answers now (a server's outage)
    close()                       let go of connections (a replaced index version's store)

Sentence vectors let retrieval and the coverage check compare a question with single sentences
without embedding anything but the question: one unit vector per span of `passage.sentences`
(a passage without spans counts as one sentence), embedded from the sentence text alone when the
index is built.

`FaissStore` picks the FAISS index by size (`choose`): exact inner-product search (`flat`) up
to `FLAT_MAX` vectors, where one exhaustive scan costs about a millisecond on one core; above,
a graph of nearest neighbours (`hnsw`: each vector linked to `M` others, `efSearch` candidates
kept while walking it) up to `HNSW_MAX`, and an inverted file (`ivf`, k-means cells of exact
vectors, `nprobe` cells visited per query) beyond, where a graph takes too long to build.
`benchmarks/perf.py` measures the recall@10 of each against exact search, and its latency. Flat
and IVF are read with memory mapping, so loading costs little and the OS pages vectors in as
searched; HNSW's graph lands on the heap (about 1.8 KB a passage, loaded in 0.7 s at 300,000).
Its sentence vectors are one float16 matrix beside it (`SentenceMatrix`): half the bytes of
float32, read memory-mapped like the vectors, and at 1e-3 of the float32 cosines.

`StoreBackend` is what an index version does with one kind of store (where the settings want
it, create, open, the files it keeps in the version folder, publish); `FaissBackend` is FAISS's,
`milvus_store.MilvusBackend` Milvus's, and `stores.BACKENDS` the one registry that picks them by
kind. This module imports no other store.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from . import passages as table
from .schema import Passage

if TYPE_CHECKING:
    from .config import Settings

#: above this many vectors an exhaustive scan costs more than ~1.5 ms on one core (3.8 ms at MedQuAD's
#: 58,610), a third of a question's whole budget beside the embedding: use `hnsw`
FLAT_MAX = 20_000
#: ...and `ivf` above this many, where building the graph takes minutes (see benchmarks/perf.py)
HNSW_MAX = 300_000
#: `hnsw`'s links per vector and candidates kept while building and searching. On MedQuAD's own
#: vectors (58,610), M 32 and efSearch 128 found 99.3% of exact search's best 50 in 0.33 ms against
#: the exhaustive scan's 3.8 ms; efSearch 64 lost three times as many (98.4%)
HNSW = {"M": 32, "efConstruction": 100, "efSearch": 128}
#: the version of `choose`'s rule, kept in the manifest: an index built under another rule is built
#: again on the next `python -m bot index`, reusing its vectors (nothing is embedded again)
CHOICE = 2
#: k-means cells visited per query by `ivf`, as a share of the cells (at least 16). On MedQuAD's
#: vectors repeated with noise to 300k (2,048 cells), visiting 1/16 of them gave recall@10 0.941
#: against exact search in 1.5 ms, 1/8 gave 0.970 in 3.0 ms: see benchmarks/perf.py
NPROBE_SHARE = 1 / 8
FILE = "vectors.faiss"
SENTENCES = "sentences.npy"  # every passage's sentence vectors, float16, passage after passage
SENTENCE_OFFSETS = "sentence_offsets.npy"  # passage i's sentences are rows offsets[i]:offsets[i + 1]


@runtime_checkable
class VectorStore(Protocol):
    def add(self, ids: np.ndarray, vectors: np.ndarray, passages: Sequence[Passage],
            sentences: Sequence[np.ndarray] | None = None) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]: ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray: ...

    def sentence_vectors(self, ids: Sequence[int]) -> list[np.ndarray]: ...

    def passages(self, ids: Sequence[int]) -> list[Passage] | None: ...

    def count(self) -> int: ...

    def sentence_count(self) -> int: ...

    def describe(self) -> dict[str, Any]: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def choose(n: int, *, flat_max: int = FLAT_MAX, hnsw_max: int = HNSW_MAX) -> dict[str, Any]:
    """The FAISS index type and parameters for `n` vectors."""
    if n <= flat_max:
        return {"type": "flat"}
    if n <= hnsw_max:
        return {"type": "hnsw", **HNSW}
    nlist = 1 << round(math.log2(4 * math.sqrt(n)))  # ~4·√n cells: 1,024 at 100k, 4,096 at 1M
    return {"type": "ivf", "nlist": nlist, "nprobe": max(16, round(nlist * NPROBE_SHARE))}


def checked_sentences(sentences: Sequence[np.ndarray], passages: Sequence[Passage], dim: int) -> list[np.ndarray]:
    """`sentences` as one (rows, dim) array per passage, a row per span of `passage.sentences` in
    their order (one for a passage without spans): what `add` takes, checked before anything is
    stored so that a refusal leaves the store as it was."""
    blocks = [np.asarray(b) for b in sentences]
    rows = [len(p.sentences) or 1 for p in passages]
    if len(blocks) != len(rows) or any(b.shape != (n, dim) for b, n in zip(blocks, rows)):
        raise ValueError(f"add needs the sentence vectors of each of the {len(rows)} passages: an array"
                         f" (sentences, {dim}) with a row per span of passage.sentences, one for a passage without")
    return blocks


@dataclass(frozen=True)
class SentenceMatrix:
    """The sentence vectors of passages 0 … n-1: one float16 matrix, passage after passage, and
    the row where each passage's sentences start. Two flat arrays instead of an array per passage,
    so that a quarter of a million sentences are two memory-mapped files, not objects on the heap."""

    vectors: np.ndarray  # (sentences, dim), float16
    offsets: np.ndarray  # (passages + 1,), int64: 0, then increasing (every passage has a sentence)

    @classmethod
    def stack(cls, blocks: Sequence[np.ndarray], dim: int) -> SentenceMatrix:
        offsets = np.zeros(len(blocks) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in blocks], out=offsets[1:])
        vectors = np.concatenate(blocks, dtype=np.float16) if blocks else np.zeros((0, dim), dtype=np.float16)
        return cls(vectors, offsets)

    @classmethod
    def open(cls, folder: Path, passages: int, dim: int) -> SentenceMatrix:
        """Both files of `folder`, memory-mapped; a pair that does not describe `passages` passages
        of `dim`-dimensional float16 vectors is refused, so a truncated file is never read as vectors."""
        try:
            vectors = np.load(folder / SENTENCES, mmap_mode="r")
            offsets = np.load(folder / SENTENCE_OFFSETS, mmap_mode="r")
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"{folder / SENTENCES} or {SENTENCE_OFFSETS} is missing, truncated or damaged ({exc})"
                             ) from None
        if problem := _matrix_problem(vectors, offsets, passages, dim):
            raise ValueError(f"{folder / SENTENCES} and {SENTENCE_OFFSETS} do not fit this index: {problem}")
        return cls(vectors, offsets)

    def save(self, folder: Path) -> None:
        np.save(folder / SENTENCES, self.vectors)
        np.save(folder / SENTENCE_OFFSETS, self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def block(self, i: int) -> np.ndarray:
        """Passage i's rows, float16, still memory-mapped."""
        return self.vectors[int(self.offsets[i]) : int(self.offsets[i + 1])]

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)


def _matrix_problem(vectors: np.ndarray, offsets: np.ndarray, passages: int, dim: int) -> str | None:
    if vectors.dtype != np.float16 or vectors.ndim != 2 or vectors.shape[1] != dim:
        return f"the vectors are {vectors.dtype} {vectors.shape}, not float16 (sentences, {dim})"
    if offsets.dtype != np.int64 or offsets.shape != (passages + 1,):
        return f"the offsets are {offsets.dtype} {offsets.shape}, not int64 ({passages + 1},): one per passage and the end"
    if offsets[0] != 0 or offsets[-1] != len(vectors) or not np.all(np.diff(offsets) > 0):
        return f"the offsets do not split {len(vectors)} rows into {passages} passages of a sentence or more"
    return None


class FaissStore:
    """FAISS in the index version folder (`vectors.faiss`); ids are the rows.

    Sentence vectors are kept for every row or for none (a store searched by passage alone, as
    `benchmarks/perf.py` builds): the first `add` decides, and `save` writes them beside the index.
    """

    kind = "faiss"

    def __init__(self, index: Any, params: dict[str, Any], sentences: SentenceMatrix | None = None) -> None:
        self.index = index
        self.params = params
        self._saved = sentences  # the sentence vectors read from the folder, memory-mapped
        self._added: list[np.ndarray] = []  # float16, one array per row added since
        self._keeps_sentences = sentences is not None
        if params["type"] == "ivf":
            index.nprobe = params["nprobe"]
        elif params["type"] == "hnsw":
            index.hnsw.efSearch = params["efSearch"]

    @classmethod
    def create(cls, dim: int, n: int, *, vectors: np.ndarray | None = None, flat_max: int = FLAT_MAX,
               hnsw_max: int = HNSW_MAX) -> FaissStore:
        """An empty store for `n` vectors; `ivf` trains its cells on up to 64 per cell of `vectors`,
        drawn at random (seed 0)."""
        import faiss

        params = {**choose(n, flat_max=flat_max, hnsw_max=hnsw_max), "choice": CHOICE}
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # training and adding use every core
        if params["type"] == "flat":
            return cls(faiss.IndexFlatIP(dim), params)
        if params["type"] == "hnsw":
            graph = faiss.IndexHNSWFlat(dim, params["M"], faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = params["efConstruction"]
            return cls(graph, params)
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
    def open(cls, folder: Path, params: dict[str, Any]) -> FaissStore:
        """Read `folder/vectors.faiss` memory-mapped (the vectors stay in the page cache, not the heap)."""
        import faiss

        # one thread per search: a single query is too small to share (OpenMP's start-up costs more
        # than it saves), and a server answers several questions at once on its own threads
        faiss.omp_set_num_threads(1)
        flags = faiss.IO_FLAG_MMAP_IFC if params.get("type") == "flat" else faiss.IO_FLAG_MMAP
        index = faiss.read_index(str(folder / FILE), flags | faiss.IO_FLAG_READ_ONLY)
        # a folder written before sentence vectors has neither file: its passage vectors stay readable
        # (a rebuild reuses them); the index refuses to serve it (see `index.load`)
        kept = (folder / SENTENCES).exists() or (folder / SENTENCE_OFFSETS).exists()
        return cls(index, params, SentenceMatrix.open(folder, index.ntotal, index.d) if kept else None)

    def save(self, folder: Path) -> None:
        """Write `vectors.faiss`, and the sentence vectors beside it when the store keeps them."""
        import faiss

        faiss.write_index(self.index, str(folder / FILE))
        if self._keeps_sentences:
            self._sentence_matrix().save(folder)

    def _sentence_matrix(self) -> SentenceMatrix:
        if self._saved is not None and not self._added:
            return self._saved
        saved = [self._saved.block(i) for i in range(len(self._saved))] if self._saved is not None else []
        return SentenceMatrix.stack([*saved, *self._added], self.dim)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def add(self, ids: np.ndarray, vectors: np.ndarray, passages: Sequence[Passage],
            sentences: Sequence[np.ndarray] | None = None) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if not np.array_equal(ids, np.arange(self.index.ntotal, self.index.ntotal + len(ids))):
            raise ValueError("FAISS rows are added in order: ids must continue from the rows already stored")
        blocks = self._new_sentences(len(ids), passages, sentences)
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._added += blocks
        self._keeps_sentences = self._keeps_sentences or sentences is not None

    def _new_sentences(self, n: int, passages: Sequence[Passage], sentences: Sequence[np.ndarray] | None
                       ) -> list[np.ndarray]:
        """The float16 sentence blocks of `n` rows about to be added. Row i's sentences are the
        i-th block of the matrix, so a store keeps them for every row or for none."""
        if sentences is None:
            if self._keeps_sentences:
                raise ValueError("this store keeps the sentence vectors of every passage: pass those of the passages added")
            return []
        if not self._keeps_sentences and self.index.ntotal:
            raise ValueError("this store holds passages without sentence vectors: sentence vectors are kept from the"
                             " first passage on, or not at all")
        if len(passages) != n:
            raise ValueError(f"add needs the {n} passages whose sentence vectors it is given: got {len(passages)}")
        return [b.astype(np.float16) for b in checked_sentences(sentences, passages, self.dim)]

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, ids = self.index.search(query, k)
        keep = ids[0] >= 0
        return ids[0][keep].tolist(), scores[0][keep].tolist()

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        ids = list(ids)
        if not ids:
            return np.zeros((0, self.index.d), dtype=np.float32)
        if self.params["type"] == "flat" and ids == list(range(ids[0], ids[0] + len(ids))):
            return self.index.reconstruct_n(ids[0], len(ids))
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def sentence_vectors(self, ids: Sequence[int]) -> list[np.ndarray]:
        """float32 copies of the stored float16 rows (a few dozen passages' worth per question)."""
        return [self._sentence_block(int(i)).astype(np.float32) for i in ids]

    def _sentence_block(self, i: int) -> np.ndarray:
        if not self._keeps_sentences:
            raise ValueError(f"no sentence vectors for passage {i}: this store keeps none (a folder written before"
                             " sentence vectors: run `python -m bot index`)")
        saved = len(self._saved) if self._saved is not None else 0
        if not 0 <= i < saved + len(self._added):
            raise ValueError(f"no sentence vectors for passage {i}: the store holds {saved + len(self._added)}")
        if self._saved is not None and i < saved:
            return self._saved.block(i)
        return self._added[i - saved]

    def passages(self, ids: Sequence[int]) -> list[Passage] | None:
        return None  # the texts are in passages.jsonl beside the vectors

    def count(self) -> int:
        return int(self.index.ntotal)

    def sentence_count(self) -> int:
        saved = int(self._saved.sizes().sum()) if self._saved is not None else 0
        return saved + sum(len(b) for b in self._added)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}  # an opened store: what it was built under (no "choice": an older rule)

    def ping(self) -> None:
        """Files memory-mapped in this process: always there."""

    def close(self) -> None:
        """Nothing to let go of: the memory maps go with the store."""


# --- the FAISS backend: what an index version does with a FAISS store ------------------------------

class StoreBackend(Protocol):
    """One kind of vector store, as an index version uses it: `backends.BACKENDS` holds one per kind.

    `files` are the files the kind keeps in the version folder (the index hashes them into its
    manifest); `write` puts them there after the store was filled; `passages` gives the texts back,
    from those files or from the store itself."""

    kind: str
    files: tuple[str, ...]

    def wanted(self, settings: Settings) -> dict[str, Any]:
        """Where the settings want the vectors: what a build compares with an index's `location`."""
        ...

    def location(self, described: dict[str, Any]) -> dict[str, Any]:
        """The `wanted` form of a manifest's store (its `describe()`)."""
        ...

    def preflight(self, settings: Settings) -> None:
        """Fail early, before any embedding, when the store the settings name cannot be used."""
        ...

    def create(self, settings: Settings, version: str, vectors: np.ndarray) -> VectorStore:
        """An empty store for the `vectors` of a new index version."""
        ...

    def open(self, folder: Path, described: dict[str, Any], settings: Settings) -> VectorStore:
        """The store a manifest describes (a token comes from the settings, never the manifest)."""
        ...

    def write(self, store: VectorStore, folder: Path, passages: Sequence[Passage]) -> None:
        """After `add`: write the store's `files` into the version folder."""
        ...

    def passages(self, folder: Path, store: VectorStore, n: int) -> Sequence[Passage]:
        """The `n` passages of an opened version, row i = passage i."""
        ...

    def problem(self, store: VectorStore, manifest: dict[str, Any]) -> str | None:
        """What is wrong with an opened store beyond its counts (which the index checks), or None."""
        ...

    def publish(self, settings: Settings, version: str, keep: set[str]) -> None:
        """After a build: roll out `version` and let go of versions not in `keep`."""
        ...

    def published(self, settings: Settings) -> str | None:
        """The version the store itself names as live (None: the index folder's `current` link decides)."""
        ...


class StorePassages(Sequence[Passage]):
    """The passages of a store that keeps them beside the vectors (Milvus): read by id on demand."""

    def __init__(self, store: VectorStore, n: int) -> None:
        self.store, self.n = store, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        if isinstance(i, slice):
            return self.get(range(*i.indices(self.n)))
        if not -self.n <= i < self.n:
            raise IndexError(f"passage {i} out of range (0 … {self.n - 1})")
        return self.get([i % self.n])[0]

    def get(self, ids: Sequence[int]) -> list[Passage]:
        return list(self.store.passages(list(ids)) or ())

    def __iter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, self.n, 1000):
            yield from self.get(range(start, min(start + 1000, self.n)))


class FaissBackend:
    """FAISS stores live in the version folder, the passages beside them (`passages.jsonl`):
    a version is published by the folder link alone, and removed with its folder."""

    kind = FaissStore.kind
    files: tuple[str, ...] = (FILE, SENTENCES, SENTENCE_OFFSETS, table.TEXTS, table.OFFSETS)

    def wanted(self, settings: Settings) -> dict[str, Any]:
        return {"kind": self.kind, "choice": CHOICE}

    def location(self, described: dict[str, Any]) -> dict[str, Any]:
        return {"kind": described.get("kind"), "choice": described.get("choice")}

    def preflight(self, settings: Settings) -> None:
        """A folder of files: nothing to reach."""

    def create(self, settings: Settings, version: str, vectors: np.ndarray) -> FaissStore:
        n, dim = vectors.shape
        return FaissStore.create(dim, n, vectors=vectors)

    def open(self, folder: Path, described: dict[str, Any], settings: Settings) -> FaissStore:
        return FaissStore.open(folder, described)

    def write(self, store: VectorStore, folder: Path, passages: Sequence[Passage]) -> None:
        assert isinstance(store, FaissStore)
        store.save(folder)
        table.write(folder, passages)

    def passages(self, folder: Path, store: VectorStore, n: int) -> Sequence[Passage]:
        return table.PassageTable(folder)

    def problem(self, store: VectorStore, manifest: dict[str, Any]) -> str | None:
        assert isinstance(store, FaissStore)  # the model is checked by name and hash before
        if store.dim != manifest.get("dim"):
            return f"holds vectors of dimension {store.dim}, not {manifest.get('dim')}"
        return None

    def publish(self, settings: Settings, version: str, keep: set[str]) -> None:
        """Versions are folders: the index links the new one and removes the others."""

    def published(self, settings: Settings) -> str | None:
        return None
