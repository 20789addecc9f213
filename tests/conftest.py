"""Shared fixtures: a deterministic fake embedder, small corpora, and the real model once per session."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from shared_data import pytest_runtest_makereport  # noqa: F401 - the hook: in CI, a skipped `data` test fails

from bot import Bot, Settings

ROOT = Path(__file__).resolve().parents[1]
SEED_CORPUS = ROOT / "corpus"


class FakeEmbedder:
    """Bag of hashed words → unit vector: exact, fast, offline; counts what it embeds."""

    name = "fake-hashing"
    weights_sha256 = "0" * 64
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.embedded: list[str] = []
        self.counted: list[str] = []  # texts the chunker measured: what was split into passages

    def count_tokens(self, text: str) -> int:
        self.counted.append(text)
        return len(text.split())

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.embedded += list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm == 0:
                out[i, 0], norm = 1.0, 1.0
            out[i] /= norm
        return out



def unit_vectors(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    """`n` random unit vectors (float32), for store tests."""
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)

@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, dest)
    return dest


def pytest_configure(config: pytest.Config) -> None:
    """One ONNX export of the model per test session, shared by every index and CLI run the tests make."""
    os.environ.setdefault("BOT_MODEL_CACHE", tempfile.mkdtemp(prefix="bot-models-"))


@pytest.fixture(params=["faiss", "milvus"])
def store(request: pytest.FixtureRequest) -> str:
    """The vector store a retrieval or answer test runs against: every such test runs on both."""
    return str(request.param)


def use_store(settings: Settings, store: str) -> Settings:
    """`settings` with its vectors in `store` (Milvus Lite: a .db beside the index folder)."""
    if store == "faiss":
        return settings
    return replace(settings, vector_store="milvus", milvus_uri=str(settings.index.with_name(settings.index.name + "-milvus.db")))


@pytest.fixture
def settings(tmp_path: Path, seed_copy: Path) -> Settings:
    return Settings.load(corpus=seed_copy, index=tmp_path / "index", min_score=0.2)


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model folder, its weights copied (everything else linked) so they can be damaged."""
    from bot.embed import SentenceTransformerEmbedder

    source = SentenceTransformerEmbedder().path
    dest = tmp_path_factory.mktemp("model") / "all-MiniLM-L6-v2"
    shutil.copytree(source, dest, copy_function=os.symlink, ignore=shutil.ignore_patterns("model.safetensors"))
    shutil.copyfile(source / "model.safetensors", dest / "model.safetensors")
    return dest


@pytest.fixture(scope="session")
def real_embedder():
    from bot.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    """The shipped corpus indexed with the real bundled model, once per test session."""
    from bot.build import build

    folder = tmp_path_factory.mktemp("seed") / "index"
    build(Settings.load(corpus=SEED_CORPUS, index=folder), real_embedder)
    return folder


@pytest.fixture(scope="session")
def seed_bot(seed_index: Path, real_embedder) -> Bot:
    return Bot.load(seed_index, embedder=real_embedder)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory):
    """One real Milvus server (the PyPI package `milvus`, 2.3.5) for the session, on a free loopback
    port; tests may stop and start it again (an outage). Missing, its tests skip, except under CI,
    where that is a failure: CI installs it (requirements.lock)."""
    from milvus_server import INSTALL, MilvusServer, launcher

    if launcher() is None:
        message = f"the Milvus server is not installed: {INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = MilvusServer(tmp_path_factory.mktemp("milvus-server"))
    try:
        server.start()
        yield server
    finally:
        server.close()
