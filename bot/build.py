"""Build or update the index folder of a corpus (the folder's layout: `layout.py`).

Vectors are cached by the content hash of what was embedded: an unchanged corpus is not
embedded at all, and an edited document re-embeds only its changed passages. A passage's
sentence vectors (each sentence embedded alone, so that a question can be compared with single
sentences without embedding anything but the question) are reused with its passage vector, by
the same key; an index built before them is upgraded by the next build, which reuses its
passage vectors and embeds only the sentences. Whatever differs by store kind (create, write
its files) is asked of the store's backend, which `stores.py` picks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import stores
from .chunk import chunk_document
from .config import Settings
from .embed import Embedder
from .errors import CorpusError
from .index import Index, expected_settings, try_load
from .ingest import iter_files, load_corpus, problem
from .layout import (
    CURRENT,
    KEYS,
    LEXICAL,
    MANIFEST,
    OUTLINE,
    WORDS,
    BuildLock,
    artifacts,
    publish,
    remove_leftovers,
    version_name,
)
from .lexical import LexicalIndex
from .model_files import file_sha256
from .schema import Passage
from .store import StoreBackend, VectorStore
from .text import WORD

#: sentences per call of the model: its float32 output (25 MB at 384 dimensions) is turned into
#: float16 at once, so a quarter of a million sentences never sit in memory as float32
SENTENCE_CHUNK = 16_384
#: old passages whose sentence vectors a build reads back per request (float32 copies of them)
SENTENCE_READ = 4096


@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    passages: int
    embedded: int  # passages sent to the model in this build
    up_to_date: bool  # nothing changed: the existing index was kept as it is
    skipped: tuple[str, ...]  # one warning per corpus file that could not be read
    seconds: float
    sentences: int = 0  # sentence vectors in the index
    sentences_embedded: int = 0  # distinct sentence texts sent to the model in this build


def corpus_hashes(corpus: Path, max_file_mb: float) -> dict[str, str]:
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
    with BuildLock(root):
        remove_leftovers(root)
        hashes = corpus_hashes(settings.corpus, settings.max_file_mb)
        wanted = expected_settings(settings, embedder)
        backend = stores.configured(settings)
        backend.preflight(settings)
        old = try_load(root, settings)
        if old and old.manifest["settings"] == wanted and old.manifest["files"] == hashes and _same_store(old, settings):
            counts = old.manifest["counts"]
            return BuildReport(old.path, counts["documents"], counts["passages"], 0, True,
                               tuple(old.manifest.get("skipped", ())), time.perf_counter() - began, counts["sentences"])
        by_doc = _unchanged_passages(old, wanted, hashes)  # files the old index holds as they are now
        read, skipped = load_corpus(settings.corpus, max_file_mb=settings.max_file_mb, skip=by_doc)
        for doc in read:
            try:
                by_doc[doc.id] = chunk_document(doc, embedder.count_tokens, settings.max_tokens)
            except Exception as exc:  # one bad file must never stop the corpus
                skipped.append(f"skipped {doc.id}: its text could not be split into passages ({exc})")
        docs = [doc_id for doc_id in hashes if doc_id in by_doc]  # corpus order
        kept = (old.manifest.get("languages") or {}) if old else {}  # of the files not read again
        languages = {d: lang for d, lang in kept.items() if d not in {doc.id for doc in read}}
        languages.update({doc.id: doc.lang for doc in read if doc.lang})
        dates = {d: v for d, v in ((old.manifest.get("documents") or {}) if old else {}).items()}
        dates.update({doc.id: {"reviewed": doc.reviewed, "review_by": doc.review_by} for doc in read})
        passages = [p for doc_id in docs for p in by_doc[doc_id]]
        if not docs:
            raise CorpusError(f"no readable document in {settings.corpus}: add .md, .txt, .html or .pdf files")
        keys = [_key(p) for p in passages]
        cache, sentence_cache = _reusable(root, old, wanted, set(keys), settings)
        vectors, embedded = _vectors(passages, keys, embedder, cache, progress)
        sentences, sentences_embedded = _sentence_vectors(passages, keys, embedder, sentence_cache, progress)
        n_sentences = sum(len(b) for b in sentences)
        name = version_name()
        tmp = root / f".build-{name}"
        try:
            _write(tmp, passages, keys, vectors, sentences, {
                "settings": wanted, "files": hashes, "skipped": skipped, "dim": int(vectors.shape[1]),
                "counts": {"documents": len(docs), "passages": len(passages), "sentences": n_sentences},
                "languages": {d: languages[d] for d in docs if d in languages},  # documents declaring one
                "documents": documents(docs, by_doc, dates),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }, backend, backend.create(settings, name, vectors))
        except BaseException:  # a full disk, an interrupt: leave no half-written folder behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        version = root / name
        tmp.rename(version)
        publish(root, version, settings)
        return BuildReport(version, len(docs), len(passages), embedded, False, tuple(skipped), time.perf_counter() - began,
                           n_sentences, sentences_embedded)


def documents(docs: list[str], by_doc: dict[str, list[Passage]], dates: dict[str, dict]) -> dict[str, dict]:
    """Once per document, in corpus order: its rows [first, end) among the passages (a document's
    passages are stored together) and its review dates as its front matter writes them."""
    found, row = {}, 0
    for d in docs:
        found[d] = {"rows": [row, row + len(by_doc[d])], "reviewed": dates.get(d, {}).get("reviewed"),
                    "review_by": dates.get(d, {}).get("review_by")}
        row += len(by_doc[d])
    return found


def _unchanged_passages(old: Index | None, wanted: dict[str, Any], hashes: dict[str, str]) -> dict[str, list[Passage]]:
    """The passages of the old index for every file unchanged since it was built (same SHA-256),
    when it was split the same way: those files are neither read nor split again."""
    if old is None or any(old.manifest["settings"].get(k) != wanted[k] for k in ("format", "model", "model_sha256",
                                                                                  "max_tokens", "chunker")):
        return {}
    same = {doc for doc, digest in old.manifest["files"].items() if hashes.get(doc) == digest}
    by_doc: dict[str, list[Passage]] = {}
    for p in old.passages:
        if p.doc in same:
            by_doc.setdefault(p.doc, []).append(p)
    return by_doc


def _key(passage: Passage) -> bytes:
    return hashlib.blake2b(passage.context.encode(), digest_size=16).digest()


def _same_store(index: Index, settings: Settings) -> bool:
    """The index keeps its vectors where the settings want them (a switch of store rebuilds)."""
    return stores.wanted(settings) == stores.location(index.manifest["store"])


def _reusable(root: Path, old: Index | None, wanted: dict[str, Any], needed: set[bytes],
              settings: Settings) -> tuple[dict[bytes, np.ndarray], dict[bytes, np.ndarray]]:
    """Vectors of the current index by content hash, for the passages still `needed`, if it was
    built with the same model, and the sentence vectors of those passages. `old` is that index
    when it loaded and verified; otherwise it is read leniently (any format version, no artifact
    check): a vector is only reused for text whose hash matches exactly, so a damaged file at
    worst costs re-embedding, and an index without sentence vectors still gives its passage vectors.
    """
    folder = old.path if old else root / CURRENT
    try:
        manifest = old.manifest if old else json.loads((folder / MANIFEST).read_text())
        if any(manifest["settings"].get(k, "fp32") != wanted[k] for k in ("model", "model_sha256", "vectors")):
            return {}, {}
        if (folder / KEYS).exists():
            keys = [bytes(k) for k in np.load(folder / KEYS)]
        else:  # an index of format 2 or older: hash its passages
            with (folder / "passages.jsonl").open(encoding="utf-8") as f:
                keys = [_key(Passage.from_json(json.loads(line))) for line in f]
        rows = {k: i for i, k in enumerate(keys) if k in needed}
        described = manifest.get("store", stores.UNRECORDED)
        store = old.store if old else stores.of(described).open(folder, described, settings)
        if store.count() != len(keys):
            return {}, {}
        ids = sorted(rows.values())
        found = [keys[i] for i in ids]
        vectors = dict(zip(found, store.vectors(ids)))
    except Exception:  # no usable old index: embed everything
        return {}, {}
    # the spans of a passage come from the chunker: another version may split the same text otherwise
    same_split = manifest["settings"].get("chunker") == wanted["chunker"]
    return vectors, _old_sentences(store, ids, found) if same_split else {}


def _old_sentences(store: VectorStore, ids: list[int], keys: list[bytes]) -> dict[bytes, np.ndarray]:
    """The sentence vectors of the old rows `ids` (float16, as the FAISS store keeps them), by their
    passage's key, read a few thousand passages at a time; none from an index built before them."""
    found: dict[bytes, np.ndarray] = {}
    try:
        for start in range(0, len(ids), SENTENCE_READ):
            blocks = store.sentence_vectors(ids[start:start + SENTENCE_READ])
            found.update(zip(keys[start:start + SENTENCE_READ], (b.astype(np.float16) for b in blocks)))
    except Exception:  # no sentence vectors there (format 3), or unreadable: embed the sentences
        return {}
    return found


def _vectors(passages: list[Passage], keys: list[bytes], embedder: Embedder, cache: dict[bytes, np.ndarray],
             progress: bool) -> tuple[np.ndarray, int]:
    missing: dict[bytes, str] = {}
    for key, passage in zip(keys, passages):
        if key not in cache:
            missing.setdefault(key, passage.context)
    if missing:
        cache.update(zip(missing, embedder.embed(list(missing.values()), progress=progress)))
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


def _sentence_vectors(passages: list[Passage], keys: list[bytes], embedder: Embedder, cache: dict[bytes, np.ndarray],
                      progress: bool) -> tuple[list[np.ndarray], int]:
    """Each passage's sentence vectors, float16 (what the stores keep: half the bytes, at 1e-3 of
    the cosines). Those of a passage whose vector is reused are reused by the same key when they
    are as many as its sentences; the others are embedded from the sentence texts, each distinct
    text once. Returns them and how many texts were embedded."""
    texts = [p.sentence_texts for p in passages]
    kept = [b if (b := cache.get(k)) is not None and len(b) == len(t) else None for k, t in zip(keys, texts)]
    missing = list(dict.fromkeys(s for b, t in zip(kept, texts) if b is None for s in t))
    row = {text: i for i, text in enumerate(missing)}
    fresh = _embed_float16(embedder, missing, progress)
    return [b if b is not None else fresh[[row[s] for s in t]] for b, t in zip(kept, texts)], len(missing)


def _embed_float16(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    """`texts` embedded SENTENCE_CHUNK at a time, each chunk kept as float16 as soon as it is out."""
    parts = [embedder.embed(texts[i:i + SENTENCE_CHUNK], progress=progress).astype(np.float16)
             for i in range(0, len(texts), SENTENCE_CHUNK)]
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float16)


def _write(folder: Path, passages: list[Passage], keys: list[bytes], vectors: np.ndarray, sentences: list[np.ndarray],
           manifest: dict[str, Any], backend: StoreBackend, store: VectorStore) -> None:
    folder.mkdir()
    store.add(np.arange(len(passages)), vectors, passages, sentences)
    backend.write(store, folder, passages)
    np.save(folder / KEYS, np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16))
    words: Counter[str] = Counter()
    outline: dict[str, dict[str, None]] = {}
    for p in passages:
        words.update({w.lower() for w in WORD.findall(p.context)})
        outline.setdefault(p.title, {})[p.section] = None
    (folder / WORDS).write_text(json.dumps(dict(words.most_common()), ensure_ascii=False))
    (folder / OUTLINE).write_text(json.dumps([[t, list(s)] for t, s in outline.items()], ensure_ascii=False))
    LexicalIndex.build([p.context for p in passages]).save(folder / LEXICAL)
    manifest["store"] = store.describe()
    manifest["artifacts"] = {name: file_sha256(folder / name) for name in artifacts(manifest["store"])}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
