"""Build, save, load and verify the index folder.

Layout of the folder (e.g. `index/`): `current` is a symlink to one version folder holding
`vectors.faiss` (inner product on unit vectors, row i = passage i), `passages.jsonl` (line i
= passage i), `bm25/` (bm25s) and `manifest.json` (format, model and weights hash, chunking,
a hash of every source file and artifact, counts, build time). A build takes a lock, writes a
new version folder, then swaps the symlink with one `rename`, so a reader sees the old index
or the new one and never half of one, and a build killed midway leaves the old one serving.

Vectors are cached by the content hash of what was embedded: an unchanged corpus is not
embedded at all, and an edited document re-embeds only its changed passages.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from . import chunk
from .chunk import chunk_document
from .config import Settings
from .embed import Embedder, file_sha256
from .errors import REBUILD, CorpusError, IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from .ingest import MAX_FILE_MB, iter_files, load_corpus, problem
from .schema import Passage

FORMAT = 2
_TERM = re.compile(r"(?u)\b\w\w+\b")
#: a word as people type it (for the corpus vocabulary and the spelling fixes of `query.py`)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
CURRENT = "current"
_ARTIFACTS = ("vectors.faiss", "passages.jsonl", "words.json", "bm25/params.index.json", "bm25/vocab.index.json",
              "bm25/data.csc.index.npy", "bm25/indices.csc.index.npy", "bm25/indptr.csc.index.npy")


@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    passages: int
    embedded: int  # passages sent to the model in this build
    up_to_date: bool  # nothing changed: the existing index was kept as it is
    skipped: tuple[str, ...]  # one warning per corpus file that could not be read
    seconds: float


@dataclass(frozen=True)
class Index:
    path: Path
    manifest: dict[str, Any]
    passages: tuple[Passage, ...]
    vectors: Any  # faiss.Index
    bm25: Any  # bm25s.BM25
    words: dict[str, int]  # lowercase corpus word → number of passages using it (for spelling fixes)


@cache
def _analyzer() -> tuple[Any, frozenset[str]]:
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return Stemmer.Stemmer("english"), frozenset(STOPWORDS_EN_PLUS)


def terms(text: str) -> list[str]:
    """The analyzer shared by indexing, querying and highlighting: bm25s's own (lowercase words
    of two or more characters, NLTK English stopwords, Snowball stems), in a few microseconds."""
    stemmer, stopwords = _analyzer()
    return stemmer.stemWords([w for w in _TERM.findall(text.lower()) if w not in stopwords])


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    return [terms(t) for t in texts]


def expected_settings(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """What an index must have been built with to be served by these settings and this model."""
    return {"format": FORMAT, "model": embedder.name, "model_sha256": embedder.weights_sha256,
            "max_tokens": settings.max_tokens, "chunker": chunk.VERSION, "bm25": "en_plus-snowball"}


def corpus_hashes(corpus: Path, max_file_mb: float = MAX_FILE_MB) -> dict[str, str]:
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder {corpus} does not exist: create it and put .md, .txt, .html or .pdf files in it")
    return {p.relative_to(corpus).as_posix(): _file_state(p, corpus, max_file_mb) for p in iter_files(corpus)}


def _file_state(path: Path, corpus: Path, max_file_mb: float) -> str:
    """A file's SHA-256, or why it is skipped: a change of either makes the next build re-read the corpus."""
    if reason := problem(path, corpus, max_file_mb):
        return f"skipped: {reason}"
    try:
        return file_sha256(path)
    except OSError as exc:  # unreadable (permissions): load_corpus skips it with a warning
        return f"unreadable: {exc.strerror}"


def build(settings: Settings, embedder: Embedder, *, progress: bool = False) -> BuildReport:
    """Build or update the index of `settings.corpus` in `settings.index`."""
    began = time.perf_counter()
    root = settings.index
    root.mkdir(parents=True, exist_ok=True)
    with _BuildLock(root):
        _remove_leftovers(root)
        hashes = corpus_hashes(settings.corpus, settings.max_file_mb)
        wanted = expected_settings(settings, embedder)
        old = _try_load(root)
        if old and old.manifest["settings"] == wanted and old.manifest["files"] == hashes:
            counts = old.manifest["counts"]
            return BuildReport(old.path, counts["documents"], counts["passages"], 0, True,
                               tuple(old.manifest.get("skipped", ())), time.perf_counter() - began)
        read, skipped = load_corpus(settings.corpus, max_file_mb=settings.max_file_mb)
        docs, passages = [], []
        for doc in read:
            try:
                passages += chunk_document(doc, embedder.count_tokens, settings.max_tokens)
                docs.append(doc)
            except Exception as exc:  # one bad file must never stop the corpus
                skipped.append(f"skipped {doc.id}: its text could not be split into passages ({exc})")
        if not docs:
            raise CorpusError(f"no readable document in {settings.corpus}: add .md, .txt, .html or .pdf files")
        vectors, embedded = _vectors(passages, embedder, _reusable(root, wanted), progress)
        tmp = root / f".build-{os.getpid()}-{time.time_ns()}"
        try:
            _write(tmp, passages, vectors, {
                "settings": wanted, "files": hashes, "skipped": skipped, "dim": int(vectors.shape[1]),
                "counts": {"documents": len(docs), "passages": len(passages)},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            })
        except BaseException:  # a full disk, an interrupt: leave no half-written folder behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        version = root / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
        tmp.rename(version)
        _publish(root, version)
        return BuildReport(version, len(docs), len(passages), embedded, False, tuple(skipped), time.perf_counter() - began)


def _key(passage: Passage) -> str:
    return hashlib.blake2b(passage.context.encode(), digest_size=16).hexdigest()


def _reusable(root: Path, wanted: dict[str, Any]) -> dict[str, np.ndarray]:
    """Vectors of the current index by content hash, if it was built with the same model.

    Read leniently (any format version, no artifact check): a vector is only reused for text
    whose hash matches exactly, so a damaged file at worst costs re-embedding.
    """
    import faiss

    folder = root / CURRENT
    try:
        settings = json.loads((folder / "manifest.json").read_text())["settings"]
        if any(settings.get(k) != wanted[k] for k in ("model", "model_sha256")):
            return {}
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        with (folder / "passages.jsonl").open(encoding="utf-8") as f:
            keys = [_key(Passage.from_json(json.loads(line))) for line in f]
        stored = vectors.reconstruct_n(0, vectors.ntotal)
    except Exception:  # no usable old index: embed everything
        return {}
    return dict(zip(keys, stored)) if len(keys) == len(stored) else {}


def _vectors(passages: list[Passage], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool) -> tuple[np.ndarray, int]:
    keys = [_key(p) for p in passages]
    missing: dict[str, str] = {}
    for key, passage in zip(keys, passages):
        if key not in cache:
            missing.setdefault(key, passage.context)
    if missing:
        cache.update(zip(missing, embedder.embed(list(missing.values()), progress=progress)))
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


def _write(folder: Path, passages: list[Passage], vectors: np.ndarray, manifest: dict[str, Any]) -> None:
    import bm25s
    import faiss

    folder.mkdir()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.write_index(flat, str(folder / "vectors.faiss"))
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
    words: Counter[str] = Counter()
    for p in passages:
        words.update({w.lower() for w in WORD.findall(p.context)})
    (folder / "words.json").write_text(json.dumps(dict(words.most_common()), ensure_ascii=False))
    retriever = bm25s.BM25()
    retriever.index(bm25_tokens([p.context for p in passages]), show_progress=False)
    retriever.save(str(folder / "bm25"), show_progress=False)
    manifest["artifacts"] = {name: file_sha256(folder / name) for name in _ARTIFACTS}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def _publish(root: Path, version: Path) -> None:
    link = root / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)
    previous = (root / CURRENT).resolve() if (root / CURRENT).is_symlink() else None
    os.replace(link, root / CURRENT)
    for stale in root.iterdir():  # keep the new version and the one readers may still hold
        if stale.is_dir() and stale.name.startswith(("v-", ".build-")) and stale.resolve() not in (version.resolve(), previous):
            shutil.rmtree(stale, ignore_errors=True)


def _remove_leftovers(root: Path) -> None:
    """What a build killed midway left behind (we hold the lock, so no build is using it): a
    half-written `.build-*` folder or a `.current-*` link it was about to swap in."""
    for stale in root.iterdir():
        if stale.name.startswith(".current-") and stale.is_symlink():
            stale.unlink(missing_ok=True)
        elif stale.name.startswith(".build-") and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


class _BuildLock:
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


def _try_load(root: Path) -> Index | None:
    try:
        return load(root)
    except (IndexMissingError, IndexCorruptError, IndexMismatchError):
        return None


def load(root: Path, *, embedder: Embedder | None = None, settings: Settings | None = None) -> Index:
    """Load and verify an index; with an embedder, also check it was built with that model."""
    import bm25s
    import faiss

    if (root / CURRENT).is_symlink() and not (root / CURRENT).exists():
        raise IndexCorruptError(f"{root / CURRENT} points to a version folder that is gone: {REBUILD}")
    folder = root / CURRENT if (root / CURRENT).exists() else root
    if not (folder / "manifest.json").exists():
        raise IndexMissingError(f"no index in {root}: run `python -m bot index --index {root}` to build it")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        stored, artifacts, counts = manifest["settings"], manifest["artifacts"], manifest["counts"]
        if not (isinstance(stored, dict) and isinstance(artifacts, dict) and isinstance(counts, dict)):
            raise ValueError("settings, artifacts and counts must be objects")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{folder}/manifest.json is unreadable or was edited ({exc}): {REBUILD}") from None
    if stored.get("format") != FORMAT:
        raise IndexMismatchError(f"{root} has index format {stored.get('format')}, this version reads {FORMAT}: {REBUILD}")
    if set(artifacts) != set(_ARTIFACTS):  # every file is checked, and nothing outside the folder is read
        raise IndexCorruptError(f"{folder}/manifest.json was edited: it lists the files {sorted(artifacts)}: {REBUILD}")
    if embedder is not None:
        wanted = expected_settings(settings or Settings.load(), embedder)
        for key in ("model", "model_sha256", "max_tokens"):
            if stored.get(key) != wanted[key]:
                raise IndexMismatchError(
                    f"{root} was built with {key}={stored.get(key)!r} but the configured {key} is {wanted[key]!r}: {REBUILD}")
    for name, digest in artifacts.items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IndexCorruptError(f"{path} is missing or was changed since the index was built: {REBUILD}")
    try:
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        with (folder / "passages.jsonl").open(encoding="utf-8") as f:
            passages = tuple(Passage.from_json(json.loads(line)) for line in f)
        bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    except Exception as exc:
        raise IndexCorruptError(f"{folder} could not be read ({exc}): {REBUILD}") from None
    if vectors.ntotal != len(passages) or counts.get("passages") != len(passages):
        raise IndexCorruptError(f"{folder} holds {vectors.ntotal} vectors for {len(passages)} passages: {REBUILD}")
    if vectors.d != manifest.get("dim"):  # the model itself is checked by name and weights hash above
        raise IndexCorruptError(f"{folder} holds vectors of dimension {vectors.d}, not {manifest.get('dim')}: {REBUILD}")
    return Index(folder, manifest, passages, vectors, bm25, words)
