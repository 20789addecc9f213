"""An index whose vectors and passages live in Milvus (Lite): versions as collections, the alias, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import ROOT, use_store

from bot import Bot, Settings
from bot.build import build
from bot.errors import VectorStoreError
from bot.index import load
from bot.milvus_store import MilvusStore, collection_name

QUESTION = "What are the withdrawal symptoms of Klonopin?"


def test_each_version_is_a_collection_and_the_alias_names_the_served_one(settings, fake):
    settings = use_store(settings, "milvus")
    first = build(settings, fake)
    (settings.corpus / "extra.txt").write_text("Extra Notes\n\nDrink water daily.\n", encoding="utf-8")
    second = build(settings, fake)
    (settings.corpus / "extra.txt").unlink()
    third = build(settings, fake)
    index = load(settings.index, settings=settings)
    assert index.manifest["store"]["collection"] == collection_name("medquote", third.path.name)
    assert not {k for k in index.manifest["store"] if "token" in k}
    names = {collection_name("medquote", r.path.name) for r in (first, second, third)}
    live = set(MilvusStore.open(settings.milvus_uri, index.manifest["store"]["collection"]).collections())
    assert live & names == {collection_name("medquote", r.path.name) for r in (second, third)}  # the first was retired
    served = MilvusStore.open(settings.milvus_uri, "medquote")  # through the alias
    assert served.describe()["collection"] == index.manifest["store"]["collection"]
    assert served.count() == third.passages and not (settings.index / "current" / "passages.jsonl").exists()


def test_switching_the_store_rebuilds_without_embedding_again(settings, fake):
    build(settings, fake)
    calls = fake.calls
    moved = build(use_store(settings, "milvus"), fake)
    assert not moved.up_to_date and moved.embedded == 0 and fake.calls == calls
    bot = Bot.load(settings=use_store(settings, "milvus"), embedder=fake)
    assert bot.ask(QUESTION).status == "answered"
    back = build(settings, fake)
    assert not back.up_to_date and back.embedded == 0


def test_a_dead_server_is_one_clear_error_naming_the_uri(settings, fake):
    settings = use_store(settings, "milvus")
    build(settings, fake)
    manifest = settings.index / "current" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["store"]["uri"] = "http://127.0.0.1:1"
    manifest.write_text(json.dumps(data))
    with pytest.raises(VectorStoreError, match=r"http://127\.0\.0\.1:1"):
        Bot.load(settings=settings, embedder=fake)


def test_cli_reports_an_unreachable_milvus_without_a_traceback(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "bot", "index", "--corpus", str(ROOT / "corpus"), "--index",
                          str(tmp_path / "index"), "--store", "milvus", "--milvus-uri", "http://127.0.0.1:1"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "http://127.0.0.1:1" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ") and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_milvus_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BOT_VECTOR_STORE", "milvus")
    monkeypatch.setenv("BOT_MILVUS_URI", str(tmp_path / "m.db"))
    monkeypatch.setenv("BOT_MILVUS_TOKEN", "root:secret")
    s = Settings.load()
    assert (s.vector_store, s.milvus_uri, s.milvus_token) == ("milvus", str(tmp_path / "m.db"), "root:secret")
    assert replace(s, vector_store="faiss").vector_store == "faiss"
