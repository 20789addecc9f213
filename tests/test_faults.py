"""Index faults: damaged or tampered index folders, builds killed at every step, two builds at once.

test_index.py covers the basic refusals with the fake embedder; this file adds tampered
manifests, builds killed with SIGKILL at each step of a build (a real process each time), the
CLI's exit code and message for every fault, and a real build of the real model killed halfway.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEED_CORPUS, FakeEmbedder

from bot import Bot, IndexCorruptError, IndexMismatchError, Settings
from bot.build import build
from bot.errors import IndexFolderError
from bot.index import load

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What are the withdrawal symptoms of Klonopin?"


def version(index: Path) -> Path:
    return (index / "current").resolve()


def edit_manifest(index: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = version(index) / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def _set(*keys: str, value: object):  # type: ignore[no-untyped-def]
    def change(manifest: dict) -> None:
        for key in keys[:-1]:
            manifest = manifest[key]
        manifest[keys[-1]] = value
    return change


TAMPERED = {
    "settings-not-an-object": (_set("settings", value="fake-hashing"), IndexCorruptError),
    "artifacts-a-list": (_set("artifacts", value=["vectors.faiss"]), IndexCorruptError),
    "artifacts-emptied": (_set("artifacts", value={}), IndexCorruptError),
    "artifact-outside-folder": (lambda m: m["artifacts"].update({"../../../etc/hostname": "0" * 64}), IndexCorruptError),
    "artifact-hash-changed": (lambda m: m["artifacts"].update({"words.json": "0" * 64}), IndexCorruptError),
    "counts-removed": (lambda m: m.pop("counts"), IndexCorruptError),
    "passage-count-changed": (_set("counts", "passages", value=3), IndexCorruptError),
    "dimension-changed": (_set("dim", value=384), IndexCorruptError),
    "format-changed": (_set("settings", "format", value=1), IndexMismatchError),
    "weights-hash-changed": (_set("settings", "model_sha256", value="f" * 64), IndexMismatchError),
    "model-changed": (_set("settings", "model", value="someone/else"), IndexMismatchError),
}


@pytest.mark.parametrize("name", TAMPERED)
def test_tampered_manifest_refused_with_the_fix(settings, fake, name):
    change, error = TAMPERED[name]
    build(settings, fake)
    edit_manifest(settings.index, change)
    with pytest.raises(error, match="python -m bot index"):
        Bot.load(settings.index, embedder=fake, settings=settings)


def test_emptied_artifact_list_does_not_hide_edited_passages(settings, fake):
    build(settings, fake)
    folder = version(settings.index)
    text = (folder / "passages.jsonl").read_text()
    (folder / "passages.jsonl").write_text(text.replace("Klonopin", "Candy", 3))
    edit_manifest(settings.index, _set("artifacts", value={}))
    with pytest.raises(IndexCorruptError):
        load(settings.index, settings=settings)


@pytest.mark.parametrize("damage", ["vectors-emptied", "passages-truncated", "passages-not-json", "bm25-deleted",
                                    "words-not-utf8", "manifest-empty", "manifest-binary", "version-folder-deleted"])
def test_other_damage_refused(settings, fake, damage):
    build(settings, fake)
    folder = version(settings.index)
    if damage == "vectors-emptied":
        (folder / "vectors.faiss").write_bytes(b"")
    elif damage == "passages-truncated":
        lines = (folder / "passages.jsonl").read_text().splitlines(keepends=True)
        (folder / "passages.jsonl").write_text("".join(lines[:-1]))
    elif damage == "passages-not-json":
        (folder / "passages.jsonl").write_text("not json\n")
    elif damage == "bm25-deleted":
        shutil.rmtree(folder / "bm25")
    elif damage == "words-not-utf8":
        (folder / "words.json").write_bytes(b"\xff\xfe{}")
    elif damage == "manifest-empty":
        (folder / "manifest.json").write_text("")
    elif damage == "manifest-binary":
        (folder / "manifest.json").write_bytes(os.urandom(64))
    else:
        shutil.rmtree(folder)
    with pytest.raises(IndexCorruptError, match="python -m bot index"):
        Bot.load(settings.index, embedder=fake, settings=settings)
    assert build(settings, fake).passages > 0  # and a build repairs it
    assert Bot.load(settings.index, embedder=fake, settings=settings).ask(QUESTION).status == "answered"


def test_failed_write_leaves_no_half_folder(settings, fake, monkeypatch):
    build(settings, fake)
    before = load(settings.index, settings=settings).passages
    (settings.corpus / "new.txt").write_text("New\n\nSomething new.\n", encoding="utf-8")
    import faiss

    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(OSError, match="No space"):
        build(settings, fake)
    assert not list(settings.index.glob(".build-*"))
    assert load(settings.index, settings=settings).passages == before


# A build in its own process, killed with SIGKILL at one step: nothing of the build survives but
# what was on disk at that instant. The fake embedder keeps it fast.
KILLED_BUILD = r"""
import os, signal, sys
sys.path.insert(0, "tests")
from conftest import FakeEmbedder
import bot.build as index
from bot import Settings
point, corpus, folder = sys.argv[1:4]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

class Dying(FakeEmbedder):
    def embed(self, texts, *, progress=False):
        die()

if point == "writing":  # vectors and passages written, BM25 not yet
    import bm25s
    bm25s.BM25.save = die
elif point == "written":  # the version folder complete but not yet renamed
    write = index._write
    index._write = lambda *args: (write(*args), die())
elif point == "swapping":  # the new `current` link made but not yet swapped in
    replace = os.replace
    os.replace = lambda src, dst: die() if str(dst).endswith("current") else replace(src, dst)
elif point == "swapped":  # swapped in, old versions not yet removed, lock not released
    publish = index.publish
    index.publish = lambda *args: (publish(*args), die())
index.build(Settings.load(corpus=corpus, index=folder), Dying() if point == "embedding" else FakeEmbedder())
"""


@pytest.mark.parametrize("point", ["embedding", "writing", "written", "swapping", "swapped"])
def test_build_killed_at_any_step_leaves_a_whole_index(settings, fake, point):
    build(settings, fake)
    old = load(settings.index, settings=settings).passages
    (settings.corpus / "new.txt").write_text("New Notes\n\nSomething new to read.\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", KILLED_BUILD, point, str(settings.corpus), str(settings.index)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    served = Bot.load(settings.index, embedder=fake, settings=settings)
    assert served.ask(QUESTION).status == "answered"
    new = point == "swapped"
    assert (served.index.passages == old) != new
    assert any(p.doc == "new.txt" for p in served.index.passages) == new
    report = build(settings, fake)  # the lock died with the process; leftovers are cleared
    assert report.up_to_date == new and report.documents == 2
    names = sorted(p.name for p in settings.index.iterdir())
    assert not [n for n in names if n.startswith((".build-", ".current-"))], names
    assert len([n for n in names if n.startswith("v-")]) <= 2, names
    assert any(p.doc == "new.txt" for p in load(settings.index, settings=settings).passages)


def test_dangling_current_link_is_reported_as_damage(settings, fake):
    build(settings, fake)
    shutil.rmtree(version(settings.index))
    with pytest.raises(IndexCorruptError, match="gone"):
        load(settings.index, settings=settings)
    assert isinstance(IndexCorruptError("x"), IndexFolderError)


# --- the CLI: every fault is one line on stderr with the fix, exit code 2, no traceback --------

def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


def damage_copy(seed_index: Path, dest: Path, fault: str) -> Path:
    shutil.copytree(seed_index, dest, symlinks=True)
    folder = version(dest)
    if fault == "truncated-faiss":
        data = (folder / "vectors.faiss").read_bytes()
        (folder / "vectors.faiss").write_bytes(data[: len(data) // 3])
    elif fault == "missing-passages":
        (folder / "passages.jsonl").unlink()
    elif fault == "edited-passages":
        text = (folder / "passages.jsonl").read_text(encoding="utf-8")
        (folder / "passages.jsonl").write_text(text.replace("Klonopin", "Candy"), encoding="utf-8")
    elif fault == "tampered-manifest":
        edit_manifest(dest, _set("artifacts", value={}))
    elif fault == "garbled-manifest":
        (folder / "manifest.json").write_text('{"settings": ', encoding="utf-8")
    elif fault == "other-model":
        shutil.rmtree(dest)
        build(Settings.load(corpus=SEED_CORPUS, index=dest), FakeEmbedder())
    elif fault == "version-deleted":
        shutil.rmtree(folder)
    elif fault == "missing":
        shutil.rmtree(dest)
    return dest


CLI_FAULTS = {
    "truncated-faiss": "missing or was changed",
    "missing-passages": "missing or was changed",
    "edited-passages": "missing or was changed",
    "tampered-manifest": "was edited",
    "garbled-manifest": "unreadable",
    "other-model": "built with model='fake-hashing'",
    "version-deleted": "gone",
    "missing": "no index in",
}


@pytest.mark.model
@pytest.mark.parametrize("fault", CLI_FAULTS)
def test_cli_refuses_a_damaged_index_with_the_fix(seed_index, tmp_path, fault):
    index = damage_copy(seed_index, tmp_path / "index", fault)
    (tmp_path / "q.jsonl").write_text(json.dumps({"qid": "1", "question": QUESTION}) + "\n")
    every = fault == "truncated-faiss"  # each command once; for the other faults, `ask` stands for all
    for args in (["ask", QUESTION], ["ask", "--json"], ["eval", str(tmp_path / "q.jsonl")])[: 3 if every else 1]:
        out = run_cli(*args, "--index", str(index))
        assert out.returncode == 2, (args, out.stderr)
        assert out.stdout == "" and "Traceback" not in out.stderr
        (line,) = out.stderr.strip().splitlines()[-1:]
        assert line.startswith("error: ") and CLI_FAULTS[fault] in line and "python -m bot index" in line, line
    if not every:
        return
    fixed = run_cli("index", "--corpus", str(SEED_CORPUS), "--index", str(index))
    assert fixed.returncode == 0, fixed.stderr
    answer = run_cli("ask", QUESTION, "--json", "--index", str(index))
    assert answer.returncode == 0 and json.loads(answer.stdout)["status"] == "answered"


def test_cli_index_into_a_file_says_so(tmp_path):
    (tmp_path / "index").write_text("I am a file")
    out = run_cli("index", "--corpus", str(SEED_CORPUS), "--index", str(tmp_path / "index"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "File exists" in out.stderr and "check that path" in out.stderr


@pytest.mark.model
def test_cli_output_closed_early_is_quiet(seed_index):
    """`python -m bot ask --json < many | head -1`: the reader goes away; no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "ask", "--json", "--index", str(seed_index)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(b"What is Klonopin?\n" * 2000)  # type: ignore[union-attr]
    proc.stdin.close()  # type: ignore[union-attr]
    assert proc.stdout.readline().startswith(b'{"question"')  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    proc.wait(timeout=300)
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert b"Traceback" not in err and b"Exception ignored" not in err and proc.returncode == 1, err[-2000:]


# --- a real build of the real model, killed halfway; two real builds at once -------------------

@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 copies of the seed document, each with its own title and last line: a few seconds of embedding."""
    folder = tmp_path_factory.mktemp("big") / "corpus"
    folder.mkdir()
    title, rest = (SEED_CORPUS / "klonopin-addiction-treatment.txt").read_text(encoding="utf-8").split("\n", 1)
    for i in range(24):
        (folder / f"copy-{i:02d}.txt").write_text(f"{title} (copy {i})\n{rest}\nEdition {i}.\n", encoding="utf-8")
    return folder


def start_build(corpus: Path, index: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "bot", "index", "--corpus", str(corpus), "--index", str(index)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def wait_for(condition, proc: subprocess.Popen, timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the build ended before the point it was to be killed at"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.model
def test_second_build_refused_while_a_real_build_runs(seed_index, big_corpus, tmp_path):
    index = shutil.copytree(seed_index, tmp_path / "index", symlinks=True)
    first = start_build(big_corpus, index, tmp_path / "first.log")
    try:
        wait_for(lambda: f"pid {first.pid}" in (index / ".lock").read_text(), first)
        second = run_cli("index", "--corpus", str(big_corpus), "--index", str(index))
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert f"is being built by pid {first.pid}: wait for that build to finish, then retry" in second.stderr
    finally:
        first.kill()
        first.wait()


@pytest.mark.model
def test_real_build_killed_while_embedding_leaves_the_old_index_serving(seed_index, big_corpus, real_embedder, tmp_path):
    index = shutil.copytree(seed_index, tmp_path / "index", symlinks=True)
    settings = Settings.load(corpus=big_corpus, index=index)
    before = Bot.load(index, embedder=real_embedder, settings=settings).ask(QUESTION)
    log = tmp_path / "build.log"
    proc = start_build(big_corpus, index, log)
    wait_for(lambda: "Batches:" in log.read_text(errors="replace"), proc)  # the model is embedding
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    bot = Bot.load(index, embedder=real_embedder, settings=settings)
    after = bot.ask(QUESTION)
    assert after.status == "answered" and after.to_dict() == before.to_dict()
    assert {p.doc for p in bot.index.passages} == {"klonopin-addiction-treatment.txt"}
    report = build(settings, real_embedder)  # the lock is free again, and the build completes
    assert report.documents == 24 and not report.up_to_date
    assert not [p for p in index.iterdir() if p.name.startswith((".build-", ".current-"))]
    assert len(list(index.glob("v-*"))) == 2  # the new version and the one a reader may still hold
    assert Bot.load(index, embedder=real_embedder, settings=settings).ask(QUESTION).status == "answered"


@pytest.mark.model
def test_the_app_refuses_a_damaged_index_at_start_saying_how_to_rebuild_it(seed_index, tmp_path, real_embedder):
    from bot.live import LiveBot

    index = damage_copy(seed_index, tmp_path / "index", "edited-passages")
    before = sorted(p.name for p in index.iterdir())
    with pytest.raises(IndexCorruptError, match=r"python -m bot index"):
        LiveBot.open(Settings.load(corpus=SEED_CORPUS, index=index), embedder=real_embedder)
    assert sorted(p.name for p in index.iterdir()) == before  # a replica never builds
