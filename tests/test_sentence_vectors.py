"""Sentence vectors in the index: a vector for every sentence of every passage, embedded at build time.

Every check compares with a brute-force oracle, the embedding of `passage.text[s:e].strip()` for
each span, computed here and not by the code under test; the stores keep float16 (FAISS), so
vectors agree within 1e-2. Both stores run every index-level test (the `store` fixture).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SEED_CORPUS, use_store

import bot.build
import bot.chunk
from bot import Bot, IndexCorruptError, IndexMismatchError, Settings
from bot.build import build
from bot.index import load
from bot.schema import Passage
from bot.store import SENTENCE_OFFSETS, SENTENCES

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What are the withdrawal symptoms of Klonopin?"
EDIT = ("Recreational users will also be at increased risk of overdose",
        "Recreational users are also at a higher risk of overdose")


def oracle(embedder, passage: Passage) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The sentence vectors a passage must have: each span's text, stripped, embedded alone."""
    spans = passage.sentences or ((0, len(passage.text)),)
    return embedder.embed([passage.text[s:e].strip() for s, e in spans])


def assert_matches_oracle(index, embedder) -> None:  # type: ignore[no-untyped-def]
    passages = list(index.passages)
    ids = list(range(len(passages)))
    got = index.store.sentence_vectors(ids)
    assert len(got) == len(passages)
    for p, vectors in zip(passages, got):
        want = oracle(embedder, p)
        assert vectors.dtype == np.float32 and vectors.shape == want.shape == (len(p.sentences) or 1, want.shape[1])
        np.testing.assert_allclose(vectors, want, atol=1e-2)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)
    assert index.manifest["counts"]["sentences"] == sum(len(v) for v in got) == index.store.sentence_count()


def version(settings) -> Path:  # type: ignore[no-untyped-def]
    return (settings.index / "current").resolve()


def edit_manifest(folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def downgrade_to_format_3(settings) -> None:  # type: ignore[no-untyped-def]
    """Make the current index what a build before sentence vectors left: no sentence files (FAISS)
    or sentence collection and alias (Milvus), format 3, no sentence count."""
    folder = version(settings)
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest["store"]["kind"] == "faiss":
        for name in (SENTENCES, SENTENCE_OFFSETS):
            (folder / name).unlink()
            del manifest["artifacts"][name]
    else:
        from pymilvus import MilvusClient

        client = MilvusClient(uri=settings.milvus_uri)
        client.drop_alias(f"{settings.milvus_collection}_sentences")
        client.drop_collection(manifest["store"]["collection"] + "_sentences")
        client.close()
    manifest["settings"]["format"] = 3
    del manifest["counts"]["sentences"]
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_round_trip_equals_a_fresh_embedding_of_each_sentence(settings, fake, store):
    settings = use_store(settings, store)
    report = build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    assert report.sentences == index.manifest["counts"]["sentences"] > report.passages  # most passages hold several
    assert report.sentences_embedded == len({s for p in index.passages for s in p.sentence_texts})
    assert_matches_oracle(index, fake)
    ids = [5, 0, 5, len(index.passages) - 1]  # any order, repeats
    for i, vectors in zip(ids, index.store.sentence_vectors(ids)):
        np.testing.assert_allclose(vectors, oracle(fake, index.passages[i]), atol=1e-2)
    assert index.store.sentence_vectors([]) == []


def test_sentence_vectors_are_embedded_from_the_sentence_alone_at_build_time(settings, fake):
    build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    texts = set(fake.embedded)
    for p in index.passages:
        assert p.context in texts and all(p.text[s:e].strip() in texts for s, e in p.sentences)
    fake.embedded.clear()
    assert Bot.load(settings.index, embedder=fake, settings=settings).ask(QUESTION).status == "answered"
    indexed = {p.context for p in index.passages} | {s for p in index.passages for s in p.sentence_texts}
    assert fake.embedded and not indexed & set(fake.embedded)  # at question time, only what the question holds


def test_a_passage_without_spans_is_one_sentence(settings, fake, monkeypatch):
    split = bot.build.chunk_document
    monkeypatch.setattr(bot.build, "chunk_document", lambda *a: [replace(p, sentences=()) for p in split(*a)])
    report = build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    assert report.sentences == report.passages and all(not p.sentences for p in index.passages)
    for p, vectors in zip(index.passages, index.store.sentence_vectors(range(report.passages))):
        assert vectors.shape == (1, fake.dim)
        np.testing.assert_allclose(vectors[0], fake.embed([p.text.strip()])[0], atol=1e-2)


def test_incremental_build_embeds_only_the_sentences_of_changed_passages(settings, fake, store):
    settings = use_store(settings, store)
    build(settings, fake)
    before = load(settings.index, settings=settings)
    old = {p.context: v for p, v in zip(before.passages, before.store.sentence_vectors(range(len(before.passages))))}
    doc = settings.corpus / "klonopin-addiction-treatment.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace(*EDIT), encoding="utf-8")
    (settings.corpus / "extra.txt").write_text("Extra Notes\n\nDrink water daily. Sleep well.\n", encoding="utf-8")
    fake.embedded.clear()
    calls = fake.calls
    report = build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    changed = [p for p in index.passages if p.context not in old]
    assert 2 <= len(changed) < len(index.passages) // 2
    sentences = list(dict.fromkeys(s for p in changed for s in p.sentence_texts))
    assert fake.embedded == [p.context for p in changed] + sentences  # nothing else went to the model
    assert fake.calls == calls + 2 and report.embedded == len(changed) and report.sentences_embedded == len(sentences)
    for p, vectors in zip(index.passages, index.store.sentence_vectors(range(len(index.passages)))):
        if p.context in old:
            np.testing.assert_array_equal(vectors, old[p.context])  # reused as stored
    assert_matches_oracle(index, fake)
    (settings.corpus / "extra.txt").unlink()  # a deleted document's sentences go with its passages
    build(settings, fake)
    index = load(settings.index, embedder=fake, settings=settings)
    assert all(p.doc != "extra.txt" for p in index.passages)
    assert_matches_oracle(index, fake)


def test_another_chunker_re_embeds_the_sentences_but_reuses_the_passage_vectors(settings, fake, monkeypatch):
    first = build(settings, fake)
    monkeypatch.setattr(bot.chunk, "VERSION", bot.chunk.VERSION + 1)  # spans may come out otherwise
    fake.embedded.clear()
    again = build(settings, fake)
    assert not again.up_to_date and again.embedded == 0 and again.sentences_embedded == first.sentences_embedded
    assert_matches_oracle(load(settings.index, embedder=fake, settings=settings), fake)


def test_switching_the_store_moves_the_sentence_vectors_without_embedding(settings, fake):
    build(settings, fake)
    faiss = load(settings.index, settings=settings)
    ids = list(range(len(faiss.passages)))
    want = faiss.store.sentence_vectors(ids)
    calls = fake.calls
    moved = build(use_store(settings, "milvus"), fake)
    assert moved.embedded == moved.sentences_embedded == 0 and fake.calls == calls
    milvus = load(settings.index, settings=use_store(settings, "milvus"))
    for a, b in zip(want, milvus.store.sentence_vectors(ids)):
        np.testing.assert_array_equal(a, b)  # the same float16 values, in either store
    back = build(settings, fake)
    assert back.sentences_embedded == 0 and fake.calls == calls
    for a, b in zip(want, load(settings.index, settings=settings).store.sentence_vectors(ids)):
        np.testing.assert_array_equal(a, b)


def test_milvus_versions_keep_and_retire_their_sentence_collections_with_them(settings, fake):
    from bot.milvus_store import MilvusStore, collection_name

    settings = use_store(settings, "milvus")
    reports = [build(settings, fake)]
    for text in ("Drink water daily.", "Sleep well."):
        (settings.corpus / "extra.txt").write_text(f"Extra Notes\n\n{text}\n", encoding="utf-8")
        reports.append(build(settings, fake))
    first, second, third = (collection_name("medquote", r.path.name) for r in reports)
    served = MilvusStore.open(settings.milvus_uri, "medquote")
    live = {n for n in served.collections() if n.startswith("medquote_v_")}
    assert live == {second, f"{second}_sentences", third, f"{third}_sentences"} and first not in live  # both of it went
    assert served.sentences == f"{third}_sentences"
    assert served.client.describe_collection("medquote_sentences")["collection_name"] == f"{third}_sentences"
    assert_matches_oracle(load(settings.index, embedder=fake, settings=settings), fake)


def test_an_index_built_before_sentence_vectors_is_refused_then_upgraded(settings, fake, store):
    settings = use_store(settings, store)
    first = build(settings, fake)
    old = load(settings.index, settings=settings)
    vectors = old.store.vectors(range(first.passages))
    downgrade_to_format_3(settings)
    for opening in (lambda: load(settings.index, embedder=fake, settings=settings),
                    lambda: Bot.load(settings.index, embedder=fake, settings=settings)):
        with pytest.raises(IndexMismatchError, match=r"before sentence vectors.*run `python -m bot index`"):
            opening()
    fake.embedded.clear()
    upgrade = build(settings, fake)
    assert not upgrade.up_to_date and upgrade.embedded == 0  # every passage vector reused
    index = load(settings.index, embedder=fake, settings=settings)
    assert fake.embedded == list(dict.fromkeys(s for p in index.passages for s in p.sentence_texts))  # only sentences
    assert upgrade.sentences_embedded == len(fake.embedded) and upgrade.sentences == first.sentences
    np.testing.assert_array_equal(index.store.vectors(range(first.passages)), vectors)
    assert_matches_oracle(index, fake)
    assert build(settings, fake).up_to_date


def _truncate(folder: Path, name: str) -> None:
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[: len(data) // 2])


def _rehash(folder: Path, name: str) -> None:
    """Damage that the manifest's hashes do not see: the files must still describe the index."""
    from bot.model_files import file_sha256

    edit_manifest(folder, lambda m: m["artifacts"].update({name: file_sha256(folder / name)}))


SENTENCE_DAMAGE = {
    "vectors-truncated": (lambda f: _truncate(f, SENTENCES), "sentences.npy is missing or was changed"),
    "offsets-truncated": (lambda f: _truncate(f, SENTENCE_OFFSETS), "sentence_offsets.npy is missing or was changed"),
    "vectors-deleted": (lambda f: (f / SENTENCES).unlink(), "sentences.npy is missing or was changed"),
    "vectors-truncated-and-rehashed": (
        lambda f: (np.save(f / SENTENCES, np.load(f / SENTENCES)[:-3]), _rehash(f, SENTENCES)), "do not fit"),
    "vectors-float32-and-rehashed": (
        lambda f: (np.save(f / SENTENCES, np.load(f / SENTENCES).astype(np.float32)), _rehash(f, SENTENCES)),
        "not float16"),
    "offsets-reordered-and-rehashed": (
        lambda f: (np.save(f / SENTENCE_OFFSETS, np.load(f / SENTENCE_OFFSETS)[::-1].copy()),
                   _rehash(f, SENTENCE_OFFSETS)), "do not fit"),
    "file-not-npy-and-rehashed": (
        lambda f: ((f / SENTENCES).write_bytes(b"\x93NUMPY garbage"), _rehash(f, SENTENCES)), "truncated or damaged"),
    "count-edited": (lambda f: edit_manifest(f, lambda m: m["counts"].update(sentences=3)), "sentence vectors"),
    "listed-no-more": (lambda f: edit_manifest(f, lambda m: m["artifacts"].pop(SENTENCES)), "was edited"),
}


@pytest.mark.parametrize("damage", SENTENCE_DAMAGE)
def test_damaged_sentence_files_are_refused_with_the_fix(settings, fake, damage):
    change, says = SENTENCE_DAMAGE[damage]
    build(settings, fake)
    change(version(settings))
    with pytest.raises(IndexCorruptError, match="python -m bot index") as err:
        Bot.load(settings.index, embedder=fake, settings=settings)
    assert says in str(err.value)
    assert build(settings, fake).sentences > 0  # and a build repairs it
    assert_matches_oracle(load(settings.index, embedder=fake, settings=settings), fake)


def test_a_dropped_milvus_sentence_collection_is_refused_with_the_fix(settings, fake):
    from pymilvus import MilvusClient

    from bot.errors import VectorStoreError

    settings = use_store(settings, "milvus")
    build(settings, fake)
    collection = load(settings.index, settings=settings).manifest["store"]["collection"]
    client = MilvusClient(uri=settings.milvus_uri)
    client.drop_alias("medquote_sentences")
    client.drop_collection(collection + "_sentences")
    client.close()
    with pytest.raises(VectorStoreError, match=rf"{collection}_sentences.*python -m bot index"):
        load(settings.index, embedder=fake, settings=settings)
    fake.embedded.clear()
    assert build(settings, fake).embedded == 0  # the passage vectors are still reused
    assert_matches_oracle(load(settings.index, embedder=fake, settings=settings), fake)


# --- the real model ------------------------------------------------------------------------------

@pytest.mark.model
def test_real_model_sentence_vectors_equal_a_fresh_embedding(seed_index, real_embedder):
    assert_matches_oracle(load(seed_index, settings=Settings.load(index=seed_index), embedder=real_embedder), real_embedder)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)


@pytest.mark.model
def test_cli_refuses_an_old_index_then_upgrades_it_embedding_only_sentences(seed_index, real_embedder, tmp_path):
    index = shutil.copytree(seed_index, tmp_path / "index", symlinks=True)
    settings = Settings.load(corpus=SEED_CORPUS, index=index)
    downgrade_to_format_3(settings)
    refused = run_cli("ask", QUESTION, "--index", str(index))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: ") and "before sentence vectors" in line and "python -m bot index" in line, line
    upgraded = run_cli("index", "--corpus", str(SEED_CORPUS), "--index", str(index))
    assert upgraded.returncode == 0, upgraded.stderr
    assert "embedded 0 new passages and " in upgraded.stdout and " 0 sentences" not in upgraded.stdout
    assert_matches_oracle(load(index, settings=settings, embedder=real_embedder), real_embedder)
    answer = run_cli("ask", QUESTION, "--json", "--index", str(index))
    assert answer.returncode == 0 and json.loads(answer.stdout)["status"] == "answered"


@pytest.mark.model
def test_cli_refuses_a_truncated_sentence_file_in_one_line(seed_index, tmp_path):
    index = shutil.copytree(seed_index, tmp_path / "index", symlinks=True)
    _truncate((index / "current").resolve(), SENTENCES)
    out = run_cli("ask", QUESTION, "--index", str(index))
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("error: ") and "sentences.npy is missing or was changed" in line
    assert "python -m bot index" in line
