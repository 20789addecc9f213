"""The index folder's layout: which files a version folder holds, and how a version is published.

Layout of the folder (e.g. `index/`): `current` is a symlink to one version folder holding
`vectors.faiss` (see `store.py`: exact or approximate by size, row i = passage i),
`sentences.npy` and `sentence_offsets.npy` (a float16 vector of every sentence, passage after
passage), `passages.jsonl` and `offsets.npy` (line i = passage i, read on demand: `passages.py`),
`keys.npy` (content hash of each passage), `bm25/` (`lexical.py`), `words.json` (corpus vocabulary),
`outline.json` (titles and headings) and `manifest.json` (format, model and weights hash,
chunking, where the vectors are, a hash of every source file and artifact, counts, build
time, each document's rows and review dates). With `vector_store=milvus` the vectors and passages live in a Milvus collection per
version instead (and the sentence vectors in a second one beside it), and the folder keeps the
rest. Whatever differs by store kind (its files here, publish) is asked of the store's backend,
which `stores.py` picks.

A build (`build.py`) takes `BuildLock`, writes a `.build-*` folder, renames it to its version
name, then `publish` swaps the symlink with one `rename`, so a reader (`index.py`) sees the old
index or the new one and never half of one, and a build killed midway leaves the old one serving.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path
from typing import Any

from . import stores
from .config import Settings
from .errors import IndexLockedError
from .lexical import FILES as LEXICAL_FILES

CURRENT = "current"  # the symlink to the served version folder
MANIFEST = "manifest.json"
KEYS = "keys.npy"  # the content hash of every passage, row by row: which vectors a rebuild can reuse
WORDS = "words.json"  # lowercase corpus word -> passages using it
OUTLINE = "outline.json"  # [[title, [section, …]], …] of the documents, in corpus order
LEXICAL = "bm25"  # the BM25 index's folder
_COMMON = (KEYS, WORDS, OUTLINE, *(f"{LEXICAL}/{name}" for name in LEXICAL_FILES))


def artifacts(store: dict[str, Any]) -> tuple[str, ...]:
    """The files of a version folder, by where its vectors and texts live."""
    backend = stores.find(store)
    return (*(backend.files if backend else ()), *_COMMON)


def version_name() -> str:
    """A new version folder's name: sortable by build time, unique within a second."""
    return f"v-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"


def publish(root: Path, version: Path, settings: Settings) -> None:
    """Serve `version`: swap `current` to it in one rename, delete every version but it and the one
    readers may still hold, and move the store's own pointer (the Milvus alias) to it."""
    link = root / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)
    previous = (root / CURRENT).resolve() if (root / CURRENT).is_symlink() else None
    os.replace(link, root / CURRENT)
    keep = {version.resolve(), previous}
    for stale in root.iterdir():  # keep the new version and the one readers may still hold
        if stale.is_dir() and stale.name.startswith(("v-", ".build-")) and stale.resolve() not in keep:
            shutil.rmtree(stale, ignore_errors=True)
    stores.configured(settings).publish(settings, version.name, {p.name for p in keep if p is not None})


def remove_leftovers(root: Path) -> None:
    """What a build killed midway left behind (we hold the lock, so no build is using it): a
    half-written `.build-*` folder or a `.current-*` link it was about to swap in."""
    for stale in root.iterdir():
        if stale.name.startswith(".current-") and stale.is_symlink():
            stale.unlink(missing_ok=True)
        elif stale.name.startswith(".build-") and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


class BuildLock:
    """An exclusive `flock` on `<index>/.lock`; a second build refuses instead of racing."""

    def __init__(self, root: Path) -> None:
        self.path = root / ".lock"

    def __enter__(self) -> None:
        self.fh = self.path.open("a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise IndexLockedError(
                f"{self.path.parent} is being built by {holder}: wait for that build to finish, then retry"
            ) from None
        self.fh.truncate(0)
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()

    def __exit__(self, *exc: object) -> None:
        self.fh.truncate(0)
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()
