"""Index folder: round trip, incremental re-embedding, refusal of mismatched or damaged indexes, lock, atomic swap."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import use_store

from bot import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError, Settings
from bot.build import build
from bot.index import load
from bot.layout import BuildLock


def test_round_trip(settings, fake):
    report = build(settings, fake)
    assert not report.up_to_date and report.passages == report.embedded > 0
    index = load(settings.index, embedder=fake, settings=settings)
    assert len(index.passages) == report.passages
    stored = index.store.vectors(range(index.store.count()))
    np.testing.assert_allclose(stored, fake.embed([p.context for p in index.passages]), atol=1e-6)
    doc_text = (settings.corpus / "klonopin-addiction-treatment.txt").read_text(encoding="utf-8")
    for p in index.passages:
        assert doc_text[p.start : p.end] == p.text
    assert index.manifest["counts"] == {"documents": 1, "passages": report.passages, "sentences": report.sentences}
    assert set(index.manifest["files"]) == {"klonopin-addiction-treatment.txt"}


def test_unchanged_corpus_is_not_embedded_again(settings, fake, store):
    settings = use_store(settings, store)
    build(settings, fake)
    calls = fake.calls
    again = build(settings, fake)
    assert again.up_to_date and again.embedded == 0 and fake.calls == calls


def test_edited_document_reembeds_only_its_changed_passages(settings, fake, store):
    settings = use_store(settings, store)
    first = build(settings, fake)
    (settings.corpus / "extra.txt").write_text("Extra Notes\n\nDrink water daily.\n", encoding="utf-8")
    fake.embedded.clear()
    second = build(settings, fake)
    assert second.passages == first.passages + 1
    assert fake.embedded == ["Extra Notes › Extra Notes\nDrink water daily.", "Drink water daily."]  # passage, sentence
    (settings.corpus / "extra.txt").unlink()
    third = build(settings, fake)
    assert third.passages == first.passages and third.embedded == 0
    index = load(settings.index, settings=settings)
    assert all(p.doc != "extra.txt" for p in index.passages) and index.store.count() == first.passages
    assert index.manifest["store"]["kind"] == store


def test_unchanged_documents_are_not_read_or_split_again(settings, fake, store):
    settings = use_store(settings, store)
    first = build(settings, fake)
    before = load(settings.index, settings=settings).passages[:]
    (settings.corpus / "extra.txt").write_text("Extra Notes\n\nDrink water daily. Sleep well.\n", encoding="utf-8")
    fake.counted.clear()
    second = build(settings, fake)
    assert fake.counted and all(t in "Extra Notes › Extra Notes\nDrink water daily. Sleep well." for t in fake.counted)
    after = load(settings.index, settings=settings).passages[:]
    assert second.documents == first.documents + 1 and [p for p in after if p.doc != "extra.txt"] == before
    assert [p.doc for p in after] == sorted(p.doc for p in after)  # corpus order kept


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexMissingError, match="python -m bot index"):
        load(tmp_path / "nothing", settings=Settings.load(index=tmp_path / "nothing"))


def test_other_model_refused_with_rebuild_hint(settings, fake):
    build(settings, fake)

    class Other(type(fake)):
        name = "another-model"

    with pytest.raises(IndexMismatchError, match=r"another-model.*python -m bot index"):
        load(settings.index, embedder=Other(), settings=settings)
    with pytest.raises(IndexMismatchError, match="max_tokens"):
        load(settings.index, embedder=fake, settings=Settings.load(index=settings.index, max_tokens=99))


@pytest.mark.parametrize("damage", ["truncate_faiss", "edit_passages", "delete_passages", "garble_manifest"])
def test_damaged_index_refused(settings, fake, damage):
    build(settings, fake)
    folder = (settings.index / "current").resolve()
    if damage == "truncate_faiss":
        data = (folder / "vectors.faiss").read_bytes()
        (folder / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "edit_passages":
        text = (folder / "passages.jsonl").read_text()
        (folder / "passages.jsonl").write_text(text.replace("Klonopin", "Xanax", 1))
    elif damage == "delete_passages":
        (folder / "passages.jsonl").unlink()
    else:
        (folder / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="python -m bot index"):
        load(settings.index, settings=settings)


def test_second_build_refused_while_first_holds_lock(settings, fake):
    settings.index.mkdir(parents=True)
    with BuildLock(settings.index):
        with pytest.raises(IndexLockedError, match="wait for that build"):
            build(settings, fake)
    assert build(settings, fake).passages > 0  # released afterwards


def test_failed_build_leaves_previous_index_serving(settings, fake):
    build(settings, fake)
    before = load(settings.index, settings=settings).passages

    class Exploding(type(fake)):
        def embed(self, texts, *, progress=False):
            raise RuntimeError("killed mid-build")

    (settings.corpus / "new.txt").write_text("New\n\nSomething new.\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        build(settings, Exploding())
    assert load(settings.index, settings=settings).passages == before
