"""A serving replica only reads: it opens the published index version, follows a new one without a
restart (requests under way finish on the old), and answers 503 while the vector store is down.

FAISS and the fake embedder here; tests/test_milvus_server.py does the same against a Milvus server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pytest
from conftest import ROOT
from fastapi.testclient import TestClient

from bot import IndexMissingError
from bot.build import build
from bot.chat import create_app
from bot.errors import VectorStoreError
from bot.feedback import FeedbackLog
from bot.live import LiveBot, published
from bot.pipeline import Bot

QUESTION = "What are the withdrawal symptoms of Klonopin?"
NEW = "How should the garden hose be coiled?"
EXTRA = "Garden Care\n\nThe garden hose should be coiled loosely after watering so that it does not kink.\n"


def test_serve_refuses_a_missing_index_with_the_command_that_builds_it(tmp_path, fake):
    from bot import Settings

    settings = Settings.load(corpus=tmp_path / "no-corpus", index=tmp_path / "index")
    with pytest.raises(IndexMissingError, match=r"python -m bot index"):
        LiveBot.open(settings, embedder=fake)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "bot", "serve", "--index", str(tmp_path / "index"), "--corpus",
                          str(tmp_path / "no-corpus"), "--port", "1"], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "python -m bot index" in run.stderr.splitlines()[-1]
    assert not (tmp_path / "index").exists()  # nothing built, not even the folder


def test_a_new_version_is_served_within_seconds_and_a_request_under_way_finishes_on_the_old(settings, fake):
    settings = replace(settings, reload_seconds=0.1)
    build(settings, fake)
    live = LiveBot.open(settings, embedder=fake).start()
    try:
        held = live.bot  # a request under way holds the bot it started with
        before = held.ask(NEW).to_dict()
        (settings.corpus / "garden.txt").write_text(EXTRA, encoding="utf-8")
        report = build(settings, fake)
        assert published(settings) == report.path.name
        deadline = time.monotonic() + 10
        while live.version != report.path.name:
            assert time.monotonic() < deadline, "the new version was not picked up within 10 s"
            time.sleep(0.05)
        assert live.bot is not held
        assert "garden.txt" in {p["doc"] for p in live.bot.ask(NEW).to_dict()["passages"]}
        assert held.ask(NEW).to_dict() == before  # the old one still answers as before
    finally:
        live.close()


class FlakyStore:
    """A store that fails like an unreachable Milvus while `down` is set (the real one otherwise)."""

    def __init__(self, store) -> None:
        self.store, self.down = store, False

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.down:
                raise VectorStoreError("cannot reach Milvus at http://127.0.0.1:1: start the Milvus server")
            return attr(*args, **kwargs)
        return call


def test_an_outage_is_a_503_with_notices_still_given_and_the_app_recovers_by_itself(settings, fake, tmp_path):
    build(settings, fake)
    bot = Bot.load(settings=settings, embedder=fake)
    flaky = FlakyStore(bot.index.store)
    bot = Bot(replace(bot.index, store=flaky), fake, settings)
    live = LiveBot(bot, published(settings), settings, fake)
    log = FeedbackLog(tmp_path / "data")
    with TestClient(create_app(live, settings, log)) as client:
        answered = client.post("/api/ask", json={"question": QUESTION})
        assert answered.status_code == 200
        flaky.down = True
        for _ in range(2):  # the first finds the store failing, the next is refused at once
            r = client.post("/api/ask", json={"question": QUESTION})
            assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
            assert r.json()["status"] == "invalid" and "cannot be searched right now" in r.json()["detail"]
            assert r.json()["passages"] == [] and r.json()["safety"] is None
        assert live.down
        emergency = client.post("/api/ask", json={"question": "my son took a whole bottle of klonopin and won't wake up"})
        assert emergency.status_code == 200 and emergency.json()["safety"]["kind"] == "emergency"
        assert emergency.json()["markdown"].startswith(emergency.json()["safety"]["message"])
        assert not live.check()  # still down: the watcher keeps the 503s
        flaky.down = False
        live.check()
        assert not live.down
        again = client.post("/api/ask", json={"question": QUESTION})
        assert again.status_code == 200 and again.json() == answered.json()
    events = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert [e["status"] for e in events] == ["answered", "unavailable", "unavailable", "unavailable", "answered"]


def test_a_published_version_that_cannot_be_opened_yet_keeps_the_old_one_serving(settings, fake):
    build(settings, fake)
    live = LiveBot.open(settings, embedder=fake)
    served = live.version
    (settings.corpus / "garden.txt").write_text(EXTRA, encoding="utf-8")
    report = build(settings, fake)
    keys = report.path / "keys.npy"
    saved = keys.read_bytes()
    np.save(keys, np.zeros((1, 16), dtype=np.uint8))  # half-copied to this replica, say
    assert not live.check() and live.version == served
    keys.write_bytes(saved)
    assert live.check() and live.version == report.path.name
