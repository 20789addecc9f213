"""The ONNX Runtime embedder: the same vectors as sentence-transformers, a verified export, no torch at load."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bot import ModelError, onnx_embed
from bot.model_files import BUNDLED_SHA256
from bot.onnx_embed import OnnxEmbedder

ROOT = Path(__file__).resolve().parents[1]

LONG = " ".join(["Clonazepam tolerance develops with extended use, and withdrawal after abrupt discontinuation"] * 40)
TRICKY = [
    "x",
    "",
    "   ",
    "?",
    "  leading and trailing spaces  ",
    "Ünïcödé: café, naïve, Ångström, façade — “quotes” and ellipsis…",
    "日本語のテキスト、中文文本 и русский текст",
    "Emoji 😀🩺💊 between words",
    "tab\tseparated\nand\nnew lines\r\nhere",
    "ALL CAPS QUESTION ABOUT KLONOPIN WITHDRAWAL?",
    "a " * 300,  # many short word pieces, past the limit
    LONG,
]


def varied_texts() -> list[str]:
    """About 50 texts: the seed corpus' sentences, paragraphs and whole text (short to long), and the tricky ones above."""
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt")))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", corpus) if s.strip()]
    paragraphs = [p.strip() for p in corpus.split("\n\n") if len(p) > 200]
    return (sentences[:30] + paragraphs + [corpus] + TRICKY)[:60]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_fp32(onnx_cache: Path) -> OnnxEmbedder:
    embedder = OnnxEmbedder(cache=onnx_cache)
    embedder.embed(["export once per session"])
    return embedder


@pytest.mark.model
def test_vectors_match_sentence_transformers(onnx_fp32, real_embedder):
    texts = varied_texts()
    assert len(texts) >= 50
    assert real_embedder.count_tokens(LONG) > 256 and real_embedder.count_tokens("a " * 300) > 256
    expected = real_embedder.embed(texts)
    actual = onnx_fp32.embed(texts)
    assert actual.dtype == np.float32 and actual.shape == expected.shape == (len(texts), 384)
    assert actual.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(actual, axis=1), 1.0, atol=1e-5)
    assert np.abs(actual - expected).max() < 1e-4
    assert (actual * expected).sum(axis=1).min() > 0.9999
    assert onnx_fp32.dim == real_embedder.dim == 384
    assert onnx_fp32.max_seq_length == real_embedder.max_seq_length == 256


@pytest.mark.model
def test_truncation_keeps_the_first_word_pieces(onnx_fp32):
    """Texts past 256 word pieces are cut, as sentence-transformers cuts them: what follows is ignored."""
    a, b = onnx_fp32.embed([LONG, LONG + " and then something entirely different about kidneys"])
    np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.model
def test_the_same_interface_as_the_torch_embedder(onnx_fp32, real_embedder):
    assert onnx_fp32.name == real_embedder.name
    assert onnx_fp32.weights_sha256 == BUNDLED_SHA256
    assert onnx_fp32.known_words == real_embedder.known_words and "klonopin" not in onnx_fp32.known_words
    for text in ("What are the withdrawal symptoms of Klonopin?", LONG, ""):
        assert onnx_fp32.count_tokens(text) == real_embedder.count_tokens(text)
    assert onnx_fp32.embed([]).shape == (0, 384)


@pytest.mark.model
def test_rows_come_back_in_input_order(onnx_cache, onnx_fp32):
    texts = ["short", LONG, "a medium sized sentence about anxiety", "", "Klonopin " * 20, "x", LONG[:300]]
    one_by_one = np.vstack([onnx_fp32.embed([t]) for t in texts])
    small_batches = OnnxEmbedder(cache=onnx_cache, batch_size=3)
    for embedder in (onnx_fp32, small_batches):
        np.testing.assert_allclose(embedder.embed(texts), one_by_one, atol=1e-5)
        np.testing.assert_allclose(embedder.embed(texts[::-1]), one_by_one[::-1], atol=1e-5)


@pytest.mark.model
def test_a_damaged_export_is_detected_and_exported_again(onnx_fp32, tmp_path, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    for path in (onnx_fp32.onnx_path, onnx_fp32.onnx_path.with_suffix(".json")):
        shutil.copyfile(path, cache / path.name)
    graph = cache / onnx_fp32.onnx_path.name
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle of a weight: the graph would still load and run
    graph.write_bytes(bytes(data))
    damaged_sha = hashlib.sha256(data).hexdigest()
    (cache / f".{graph.name}.99999.tmp").write_bytes(b"half an export, its process killed")

    embedder = OnnxEmbedder(cache=cache)
    with caplog.at_level(logging.WARNING, logger="bot.onnx_embed"):
        vectors = embedder.embed(["What are the withdrawal symptoms of Klonopin?"])
    assert "exporting it again" in caplog.text
    sidecar = json.loads(graph.with_suffix(".json").read_text())
    actual_sha = hashlib.sha256(graph.read_bytes()).hexdigest()
    assert actual_sha == sidecar["onnx_sha256"] != damaged_sha
    assert sidecar["weights_sha256"] == BUNDLED_SHA256
    np.testing.assert_allclose(vectors, onnx_fp32.embed(["What are the withdrawal symptoms of Klonopin?"]), atol=1e-6)
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_the_weights_pin_is_enforced(model_copy, tmp_path):
    cache = tmp_path / "cache"
    assert OnnxEmbedder(str(model_copy), cache=cache, pin=BUNDLED_SHA256).weights_sha256 == BUNDLED_SHA256
    weights = model_copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    damaged = OnnxEmbedder(str(model_copy), cache=cache, pin=BUNDLED_SHA256)
    with pytest.raises(ModelError, match="damaged or was replaced.*pip install --force-reinstall"):
        damaged.weights_sha256  # noqa: B018
    with pytest.raises(ModelError):
        damaged.embed(["any text"])  # refused before anything is exported or loaded
    assert "_session" not in vars(damaged)
    assert not cache.exists() or not list(cache.glob("*.onnx"))
    assert OnnxEmbedder(str(model_copy), cache=cache).weights_sha256 != BUNDLED_SHA256  # by path: not pinned


def test_concurrent_loaders_export_once(tmp_path, monkeypatch):
    """The lock: two loaders of a missing export wait for each other, and the second uses the first's file."""
    calls, running, overlap = [], [], []

    def fake_export(model_dir: Path, out: Path, *, quantize: bool = False) -> Path:
        running.append(1)
        overlap.append(len(running) > 1)
        calls.append(out)
        time.sleep(0.3)
        out.write_bytes(b"not really a graph")
        running.pop()
        return out

    monkeypatch.setattr(onnx_embed, "export", fake_export)
    embedders = [OnnxEmbedder(cache=tmp_path), OnnxEmbedder(cache=tmp_path)]
    for e in embedders:
        e.weights_sha256  # noqa: B018 - hash the weights before the race
    graphs: list[bytes] = []
    threads = [threading.Thread(target=lambda e=e: graphs.append(e._graph())) for e in embedders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and not any(overlap)
    assert graphs == [b"not really a graph"] * 2


@pytest.mark.model
def test_loading_an_existing_export_needs_no_torch(onnx_fp32):
    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        heavy = ("torch", "transformers", "sentence_transformers", "onnx", "onnxruntime")
        import bot.onnx_embed
        at_import = [m for m in heavy if m in sys.modules]
        from bot.onnx_embed import OnnxEmbedder
        embedder = OnnxEmbedder(cache=Path({str(onnx_fp32.cache)!r}))
        vector = embedder.embed(["What are the withdrawal symptoms of Klonopin?"])
        print(json.dumps({{"at_import": at_import, "after_embed": [m for m in heavy if m in sys.modules],
                          "shape": list(vector.shape)}}))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report == {"at_import": [], "after_embed": ["onnxruntime"], "shape": [1, 384]}


@pytest.mark.model
def test_int8_is_close_to_fp32(onnx_cache, onnx_fp32):
    int8 = OnnxEmbedder(cache=onnx_cache, quantize=True)
    texts = varied_texts()[:20]
    assert int8.onnx_path != onnx_fp32.onnx_path and "-int8-" in int8.onnx_path.name
    cosines = (int8.embed(texts) * onnx_fp32.embed(texts)).sum(axis=1)
    assert cosines.min() > 0.97 and np.median(cosines) > 0.985
    assert int8.onnx_path.stat().st_size < onnx_fp32.onnx_path.stat().st_size / 3
