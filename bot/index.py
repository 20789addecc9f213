"""Open the served version of the index folder, verified, as an `Index` (building it: `build.py`;
the folder's files: `layout.py`).

Loading checks the manifest against the files (a SHA-256 of every artifact), the format
version, the model it was built with (when an embedder is given) and the counts of vectors,
passages and sentence vectors, and refuses a mismatched or damaged index with a message saying
how to rebuild it. A missing index says how to build it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import chunk, stores
from .config import Settings
from .embed import Embedder
from .errors import (
    REBUILD,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    VectorStoreError,
)
from .layout import CURRENT, LEXICAL, MANIFEST, OUTLINE, WORDS, artifacts
from .lexical import LexicalIndex
from .model_files import file_sha256
from .schema import Passage
from .store import VectorStore
from .text import ANALYZER

#: 4: sentence vectors stored beside the passage vectors; 5: the manifest's "documents" (rows, review dates)
FORMAT = 5
#: the format just before sentence vectors: loading it is refused, and a build upgrades it by
#: reusing its passage vectors and embedding only the sentences
BEFORE_SENTENCES = 3


@dataclass(frozen=True)
class Index:
    path: Path
    manifest: dict[str, Any]
    passages: Sequence[Passage]  # PassageTable (texts beside FAISS) or StorePassages (in the store)
    store: VectorStore
    lexical: LexicalIndex  # BM25 over the passages, row i = passage i
    words: dict[str, int]  # lowercase corpus word → number of passages using it (for spelling fixes)
    outline: tuple[tuple[str, tuple[str, ...]], ...]  # (title, its section headings) of every document

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(title for title, _ in self.outline)

    def get(self, ids: Sequence[int]) -> list[Passage]:
        """The passages of these ids, in that order (one round trip where the store holds them)."""
        return self.passages.get(ids)  # type: ignore[attr-defined, no-any-return]


def expected_settings(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """What an index must have been built with to be served by these settings and this model."""
    return {"format": FORMAT, "model": embedder.name, "model_sha256": embedder.weights_sha256,
            "vectors": getattr(embedder, "variant", "fp32"), "max_tokens": settings.max_tokens, "chunker": chunk.VERSION,
            "bm25": ANALYZER}


def try_load(root: Path, settings: Settings) -> Index | None:
    """The served index, or None when there is none or it cannot be served as it is."""
    try:
        return load(root, settings=settings)
    except (IndexMissingError, IndexCorruptError, IndexMismatchError, VectorStoreError):
        return None


def load(root: Path, *, settings: Settings, embedder: Embedder | None = None) -> Index:
    """Load and verify an index; with an embedder, also check it was built with that model."""
    if (root / CURRENT).is_symlink() and not (root / CURRENT).exists():
        raise IndexCorruptError(f"{root / CURRENT} points to a version folder that is gone: {REBUILD}")
    folder = root / CURRENT if (root / CURRENT).exists() else root
    if not (folder / MANIFEST).exists():
        raise IndexMissingError(f"no index in {root}: run `python -m bot index --index {root}` to build it")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        stored, files, counts = manifest["settings"], manifest["artifacts"], manifest["counts"]
        if not all(isinstance(x, dict) for x in (stored, files, counts, manifest.get("store", {}))):
            raise ValueError("settings, artifacts, counts and store must be objects")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{folder}/manifest.json is unreadable or was edited ({exc}): {REBUILD}") from None
    if stored.get("format") == BEFORE_SENTENCES:
        raise IndexMismatchError(f"{root} was built before sentence vectors were stored (index format {BEFORE_SENTENCES},"
                                 f" this version reads {FORMAT}): run `python -m bot index` to add them; its passage"
                                 " vectors are reused, only the sentences are embedded")
    if stored.get("format") != FORMAT:
        raise IndexMismatchError(f"{root} has index format {stored.get('format')}, this version reads {FORMAT}: {REBUILD}")
    where = manifest.get("store")
    if not isinstance(where, dict) or set(files) != set(artifacts(where)):  # every file is checked, nothing else is read
        raise IndexCorruptError(f"{folder}/manifest.json was edited: it lists the files {sorted(files)}: {REBUILD}")
    if embedder is not None:
        wanted = expected_settings(settings, embedder)
        for key in ("model", "model_sha256", "vectors", "max_tokens"):
            if stored.get(key, "fp32" if key == "vectors" else None) != wanted[key]:
                raise IndexMismatchError(
                    f"{root} was built with {key}={stored.get(key)!r} but the configured {key} is {wanted[key]!r}: {REBUILD}")
    for name, digest in files.items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IndexCorruptError(f"{path} is missing or was changed since the index was built: {REBUILD}")
    try:
        n = counts["passages"]
        passages: Sequence[Passage]
        backend = stores.of(where)
        store = backend.open(folder, where, settings)
        passages = backend.passages(folder, store, n)
        lexical = LexicalIndex.load(folder / LEXICAL)
        words = json.loads((folder / WORDS).read_text(encoding="utf-8"))
        outline = tuple((t, tuple(s)) for t, s in json.loads((folder / OUTLINE).read_text(encoding="utf-8")))
    except VectorStoreError:
        raise
    except Exception as exc:
        raise IndexCorruptError(f"{folder} could not be read ({exc}): {REBUILD}") from None
    if store.count() != len(passages) or n != len(passages) or len(lexical) != n:
        raise IndexCorruptError(f"{folder} holds {store.count()} vectors for {len(passages)} passages: {REBUILD}")
    if (found := store.sentence_count()) != counts.get("sentences"):
        raise IndexCorruptError(f"{folder} holds {found} sentence vectors, its manifest says {counts.get('sentences')}:"
                                f" {REBUILD}")
    if wrong := backend.problem(store, manifest):  # the model is checked by name and hash above
        raise IndexCorruptError(f"{folder} {wrong}: {REBUILD}")
    return Index(folder, manifest, passages, store, lexical, words, outline)
