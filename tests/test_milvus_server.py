"""Against a real Milvus server (the standalone server of the PyPI package `milvus`, 2.3.5, the
oldest supported): the shipped corpus indexes and answers; two app replicas sharing it answer
alike; a new corpus version switched in under load fails no request; an outage is a 503 with
the notices still given, and the replicas recover by themselves, losing no feedback.

The figures the README quotes (requests served during the switch, time to recover) are printed:
`pytest tests/test_milvus_server.py -s`. The outage test stops the session's server: it runs last.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import ROOT
from test_web import live_server

from bot import Settings
from bot.build import build
from bot.chat import create_app
from bot.feedback import FeedbackLog
from bot.live import LiveBot

QUESTION = "What are the withdrawal symptoms of Klonopin?"
NEW = "How should the garden hose be coiled?"
EMERGENCY = "my son took a whole bottle of klonopin and won't wake up"
EXTRA = "Garden Care\n\nThe garden hose should be coiled loosely after watering so that it does not kink.\n"
WITH_URL = """---
title: Klonopin Dosing Notes
url: https://example.org/klonopin-dosing
---
# Klonopin Dosing Notes

## Tapering

A slow taper of Klonopin, planned with the prescriber, lowers the risk of withdrawal seizures.
"""


def on_server(settings: Settings, server, alias: str) -> Settings:
    return replace(settings, vector_store="milvus", milvus_uri=server.uri, milvus_collection=alias, rate_limit=0,
                   reload_seconds=0.5)


def plain(answer: dict) -> dict:
    return json.loads(json.dumps(answer))


@pytest.mark.model
@pytest.mark.milvus_server
def test_the_cli_indexes_the_shipped_corpus_into_a_server_and_answers_from_it(milvus_server, seed_copy, tmp_path):
    (seed_copy / "dosing.md").write_text(WITH_URL, encoding="utf-8")  # a url in the front matter
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    common = ["--index", str(tmp_path / "index"), "--store", "milvus", "--milvus-uri", milvus_server.uri]
    run = subprocess.run([sys.executable, "-m", "bot", "index", "--corpus", str(seed_copy), *common],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    asked = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", *common], capture_output=True, text=True,
                           input=f"{QUESTION}\nHow do I taper Klonopin?\n", cwd=ROOT, env=env, timeout=600)
    assert asked.returncode == 0, asked.stderr
    first, second = (json.loads(line) for line in asked.stdout.splitlines())
    assert first["status"] == "answered" and first["passages"][0]["section"] == "Klonopin Withdrawal Symptoms"
    assert first["passages"][0]["url"] is None
    taper = next(p for p in second["passages"] if p["doc"] == "dosing.md")
    assert taper["url"] == "https://example.org/klonopin-dosing" and taper["section"] == "Tapering"


@pytest.mark.milvus_server
def test_two_replicas_sharing_one_milvus_answer_identically(milvus_server, settings, fake, tmp_path):
    settings = on_server(settings, milvus_server, "replicas")
    build(settings, fake)
    questions = [QUESTION, "How is Klonopin addiction treated?", "Is banana bread good for gout?", EMERGENCY, "??"]
    lives = [LiveBot.open(settings, embedder=fake) for _ in "ab"]  # each with its own Milvus connection
    try:
        with live_server(create_app(lives[0], settings, FeedbackLog(tmp_path / "a"))) as url_a, \
                live_server(create_app(lives[1], settings, FeedbackLog(tmp_path / "b"))) as url_b:
            replies = [[httpx.post(f"{url}/api/ask", json={"question": q}, timeout=60) for q in questions]
                       for url in (url_a, url_b)]  # both up, asked in turn
    finally:
        for live in lives:
            live.close()
    assert lives[0].bot.index.store is not lives[1].bot.index.store
    a, b = ([(r.status_code, r.json()) for r in rs] for rs in replies)
    assert a == b
    assert [status for status, _ in a] == [200] * len(questions)
    assert a[0][1]["status"] == "answered" and a[3][1]["safety"]["kind"] == "emergency"


@pytest.mark.milvus_server
def test_a_new_version_switched_in_under_load_fails_no_request(milvus_server, settings, fake, tmp_path):
    """Replica A shares the builder's index folder; replica B has its own copy, and gets the new
    version folder copied in after the alias moved (as on another machine)."""
    settings = on_server(settings, milvus_server, "switch")
    build(settings, fake)
    other = replace(settings, index=tmp_path / "replica-b" / "index")
    shutil.copytree(settings.index, other.index, symlinks=True)
    lives = [LiveBot.open(s, embedder=fake).start() for s in (settings, other)]
    old = {q: plain(lives[0].bot.ask(q).to_dict()) for q in (QUESTION, NEW)}
    results: list[tuple[str, int, dict]] = []
    stop = threading.Event()

    def load(url: str) -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                for q in (QUESTION, NEW):
                    r = client.post(f"{url}/api/ask", json={"question": q})
                    results.append((q, r.status_code, r.json() if r.status_code == 200 else {"error": r.text}))

    with live_server(create_app(lives[0], settings, FeedbackLog(tmp_path / "a"))) as url_a, \
            live_server(create_app(lives[1], other, FeedbackLog(tmp_path / "b"))) as url_b:
        clients = [threading.Thread(target=load, args=(url,)) for url in (url_a, url_b, url_a, url_b)]
        for c in clients:
            c.start()
        began = time.monotonic()
        try:
            time.sleep(1)
            (settings.corpus / "garden.txt").write_text(EXTRA, encoding="utf-8")
            report = build(settings, fake)  # publishes: index/current and the alias move
            shutil.copytree(report.path, other.index / report.path.name)  # reaches replica B after the alias moved
            deadline = time.monotonic() + 30
            while any(live.version != report.path.name for live in lives):
                assert time.monotonic() < deadline, "a replica did not switch within 30 s"
                time.sleep(0.1)
            switched = time.monotonic()
            time.sleep(2)
        finally:
            stop.set()
            for c in clients:
                c.join(60)
        new = {q: plain(lives[0].bot.ask(q).to_dict()) for q in (QUESTION, NEW)}
    for live in lives:
        live.close()
    failed = [(q, status, body) for q, status, body in results if status != 200]
    print(f"\nversion switch under load: {len(results)} requests in {time.monotonic() - began:.1f} s, {len(failed)} failed,"
          f" both replicas on the new version {switched - began - 1:.1f} s after the build began")
    assert not failed, failed[:3]
    assert old[NEW] != new[NEW] and "garden.txt" in {p["doc"] for p in new[NEW]["passages"]}
    assert all(body in (old[q], new[q]) for q, _, body in results)
    seen = {(q, json.dumps(body, sort_keys=True)) for q, _, body in results}
    assert (NEW, json.dumps(old[NEW], sort_keys=True)) in seen and (NEW, json.dumps(new[NEW], sort_keys=True)) in seen


@pytest.mark.milvus_server
def test_an_outage_is_a_503_with_notices_still_given_and_the_replica_recovers_by_itself(milvus_server, settings, fake,
                                                                                        tmp_path):
    settings = on_server(settings, milvus_server, "outage")
    build(settings, fake)
    live = LiveBot.open(settings, embedder=fake).start()
    log = FeedbackLog(tmp_path / "data")
    asked = 0
    try:
        with live_server(create_app(live, settings, log)) as url, httpx.Client(timeout=60) as client:
            def ask(question: str) -> httpx.Response:
                nonlocal asked
                asked += 1
                return client.post(f"{url}/api/ask", json={"question": question})

            before = ask(QUESTION)
            assert before.status_code == 200 and before.json()["status"] == "answered"
            milvus_server.stop()
            down = ask(QUESTION)
            assert down.status_code == 503 and "cannot be searched right now" in down.json()["detail"], down.text
            assert down.headers["retry-after"] == "1" and down.json()["passages"] == []
            notice = ask(EMERGENCY)
            assert notice.status_code == 200 and notice.json()["safety"]["kind"] == "emergency"
            began = time.monotonic()
            milvus_server.start()
            ready = time.monotonic()
            while (r := ask(QUESTION)).status_code != 200:
                assert r.status_code == 503, r.text
                assert time.monotonic() - ready < 180, "the replica did not recover within 3 minutes of the restart"
                time.sleep(0.5)
            recovered = time.monotonic()
            assert r.json() == before.json()
    finally:
        live.close()
    print(f"\noutage: Milvus restarted in {ready - began:.1f} s; the replica answered again {recovered - ready:.1f} s after"
          f" it was up ({recovered - began:.1f} s after the restart began), without a restart of its own")
    events = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert len(events) == asked  # every question, answered or not, is in the feedback log
    assert events[0]["status"] == events[-1]["status"] == "answered"
    assert {e["status"] for e in events[1:-1]} == {"unavailable"}


def test_the_server_fixture_names_how_to_install_it():
    from milvus_server import INSTALL

    assert "milvus==2.3.5" in INSTALL and Path(ROOT / "requirements.lock").read_text().count("milvus==2.3.5") == 1
