"""Text → unit-length float32 vectors.

`Embedder` is the protocol the index and the retriever depend on; tests pass in a fake.
`SentenceTransformerEmbedder` is the real one on PyTorch: the bundled all-MiniLM-L6-v2, loaded
lazily (importing torch costs seconds), offline (`config.prepare_environment` sets
`HF_HUB_OFFLINE=1` before loading), and only after `model_files.ModelFiles` found its weights'
SHA-256 to match the pin. `make_embedder` picks the embedder the settings name: this one or
`onnx_embed.OnnxEmbedder`, which shares the model files, not this class.

Left out: downloading models. Another model can be configured by a local folder path.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .config import DEFAULT_MODEL, Settings, prepare_environment
from .model_files import ModelFiles
from .onnx_embed import OnnxEmbedder


@runtime_checkable
class Embedder(Protocol):
    name: str

    @property
    def weights_sha256(self) -> str: ...

    @cached_property
    def known_words(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: a query word in it is not a typo."""
        vocab = (self.path / "vocab.txt").read_text(encoding="utf-8").split()
        return frozenset(w for w in vocab if w.isalpha())

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Shape (len(texts), dim), float32, each row of unit length."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, without special tokens."""
        ...


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64, pin: str | None = None) -> None:
        """`pin`: the SHA-256 the weights must have; the bundled model is pinned without it."""
        self.name = model
        self.batch_size = batch_size
        self.files = ModelFiles(model, pin=pin)
        self.path: Path = self.files.path

    @property
    def weights_sha256(self) -> str:
        return self.files.weights_sha256

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        """The sentence-transformers model, loaded on first use after its weights pass the pin."""
        prepare_environment()
        self.weights_sha256  # noqa: B018 - check the pin before the weights are read
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    @property
    def known_words(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: a query word in it is not a typo."""
        return self.files.known_words

    @property
    def dim(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return self.files.count_tokens(text)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name: ONNX Runtime by default (the same vectors as PyTorch to
    ~2e-7, without importing torch), int8 ONNX, or sentence-transformers on PyTorch."""
    if settings.embedder == "torch":
        return SentenceTransformerEmbedder(settings.model)
    cache = Path(settings.model_cache) if settings.model_cache else settings.index / "models"
    return OnnxEmbedder(settings.model, cache=cache, quantize=settings.embedder == "onnx-int8")
