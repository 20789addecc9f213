"""Text → unit-length float32 vectors with ONNX Runtime: no torch at query or index time.

The sentence-transformers model (transformer → mean pooling over the attention mask → L2
normalisation) is exported once, by `export`, to one ONNX graph whose output is the final unit
vectors. `OnnxEmbedder` then needs only onnxruntime, numpy and tokenizers: importing torch and
sentence-transformers costs seconds of cold start, and ONNX Runtime is also faster on CPU.

The export lives in a cache folder, named by the weights' hash prefix, the variant (fp32, or
int8 after dynamic quantisation) and the export format version. Beside it a JSON sidecar holds
the SHA-256 of the ONNX file and of the weights it was made from; both are checked on every
load, and a mismatch means re-export, never a damaged or stale graph silently used. Exports are
written to a temporary file and moved into place, under an exclusive lock so that two processes
do not export at once.

The weights' pin, the tokenizer, the vocabulary and token counts come from `model_files`, as
for the PyTorch embedder (`embed.py`); the two embedders share those files, not code.

Only the export needs torch, transformers and onnx (and onnxruntime.quantization for int8).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL, prepare_environment
from .errors import ModelError
from .model_files import WEIGHTS, ModelFiles, file_sha256, load_tokenizer, max_seq_length

log = logging.getLogger(__name__)

#: Bump when the exported graph changes (inputs, outputs, pooling, opset, quantisation): old files
#: are then ignored rather than loaded. 2: int8 weights quantised per channel, not per tensor.
EXPORT_VERSION = 2
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"


def export(model_dir: Path, out: Path, *, quantize: bool = False) -> Path:
    """Write the model as one ONNX graph (input_ids, attention_mask → unit vectors) to `out`.

    `quantize`: also apply dynamic int8 quantisation of the weights. The file appears at `out`
    complete or not at all.
    """
    prepare_environment()
    import torch
    from transformers import AutoModel

    class SentenceEncoder(torch.nn.Module):
        """Transformer, then mean pooling over the attention mask and L2 normalisation, as
        sentence-transformers' Pooling(mean) and Normalize modules compute them."""

        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    # eager attention: the SDPA path may drop an all-ones mask while tracing, baking "no padding" into the graph
    transformer = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    encoder = SentenceEncoder(transformer).eval()
    # a padded batch, so that the mask's path is traced
    tok = load_tokenizer(model_dir, max_seq_length(model_dir))
    sample = tok.encode_batch(["an example sentence to trace the graph with", "short"])
    ids = torch.tensor([e.ids for e in sample], dtype=torch.int64)
    mask = torch.tensor([e.attention_mask for e in sample], dtype=torch.int64)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp_q = out.with_name(f".{out.name}.{os.getpid()}.int8.tmp")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # both harmless here and checked by the tests: a shape test in the mask code that is constant for
            # an encoder without a key/value cache, and index arithmetic on indices that are never negative
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            torch.onnx.export(
                encoder,
                (ids, mask),
                str(tmp),
                dynamo=False,
                opset_version=OPSET,
                input_names=list(INPUTS),
                output_names=[OUTPUT],
                dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                              OUTPUT: {0: "batch"}},
                do_constant_folding=True,
            )
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # the plain export: quantising an optimised (fused) graph fails. Per channel (a scale per output
            # column): one scale per weight matrix loses too much to outliers, median cosine to fp32 ~0.96, not ~0.99
            quantize_dynamic(str(tmp), str(tmp_q), weight_type=QuantType.QInt8, per_channel=True)
            os.replace(tmp_q, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_q.unlink(missing_ok=True)
    return out


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class OnnxEmbedder:
    """The same interface as `SentenceTransformerEmbedder`, the same vectors (to ~1e-6 in fp32)."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        cache: Path,
        quantize: bool = False,
        batch_size: int = 64,
        threads: int | None = None,
        pin: str | None = None,
    ) -> None:
        """`cache`: the folder of the exported graphs; `quantize`: int8 weights (smaller, faster,
        vectors ~1e-2 off); `threads`: ONNX Runtime's intra-op threads (default: every CPU);
        `pin`: the SHA-256 the weights must have (the bundled model is pinned without it)."""
        self.name = model
        self.cache = Path(cache)
        self.quantize = quantize
        self.variant = "int8" if quantize else "fp32"
        self.batch_size = batch_size
        self.threads = threads
        # the weights' pin, the vocabulary and token counts: the model files, as the torch embedder reads them
        self.files = ModelFiles(model, pin=pin)
        self.path: Path = self.files.path

    @property
    def weights_sha256(self) -> str:
        return self.files.weights_sha256

    @property
    def known_words(self) -> frozenset[str]:
        return self.files.known_words

    def count_tokens(self, text: str) -> int:
        return self.files.count_tokens(text)

    @cached_property
    def max_seq_length(self) -> int:
        return max_seq_length(self.path)

    @property
    def onnx_path(self) -> Path:
        stem = Path(self.name).name or "model"
        return self.cache / f"{stem}-{self.weights_sha256[:12]}-{self.variant}-v{EXPORT_VERSION}.onnx"

    @property
    def _sidecar(self) -> Path:
        return self.onnx_path.with_suffix(".json")

    def _verified_bytes(self) -> bytes | None:
        """The ONNX file's bytes if its sidecar vouches for them and for these weights, else None."""
        try:
            meta = json.loads(self._sidecar.read_text(encoding="utf-8"))
            data = self.onnx_path.read_bytes()
        except (OSError, ValueError):
            return None
        expected = {"format": EXPORT_VERSION, "variant": self.variant, "weights_sha256": self.weights_sha256,
                    "onnx_sha256": hashlib.sha256(data).hexdigest()}
        if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in expected.items()):
            return None
        return data

    def _export(self) -> None:
        log.info("exporting %s to %s (once; needs torch)", self.name, self.onnx_path)
        self._sidecar.unlink(missing_ok=True)
        for stale in self.cache.glob(f".{self.onnx_path.name}.*.tmp"):  # left by a killed export (we hold the lock)
            stale.unlink(missing_ok=True)
        export(self.path, self.onnx_path, quantize=self.quantize)
        if file_sha256(self.path / WEIGHTS) != self.weights_sha256:
            raise ModelError(f"{self.path / WEIGHTS} changed during the ONNX export: reinstall the model package")
        _write_json(self._sidecar, {"format": EXPORT_VERSION, "variant": self.variant, "model": self.name,
                                    "weights_sha256": self.weights_sha256, "onnx_sha256": file_sha256(self.onnx_path),
                                    "max_seq_length": self.max_seq_length, "opset": OPSET})

    def _graph(self) -> bytes:
        """The verified ONNX graph, exported first if it is missing, damaged or stale."""
        data = self._verified_bytes()
        if data is not None:
            return data
        with _locked(self.onnx_path.with_suffix(".lock")):
            data = self._verified_bytes()  # another process may have exported it while we waited
            if data is None:
                if self.onnx_path.exists():
                    log.warning("%s does not match its sidecar hash or these weights: exporting it again", self.onnx_path)
                self._export()
                data = self._verified_bytes()
        if data is None:
            raise ModelError(f"{self.onnx_path} does not match its sidecar after a fresh export: delete {self.cache} and retry")
        return data

    @cached_property
    def _session(self):  # type: ignore[no-untyped-def]
        self.weights_sha256  # noqa: B018 - check the pin before anything is exported or loaded
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        # the bytes that were hashed are the bytes that are loaded
        return ort.InferenceSession(self._graph(), sess_options=options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        return load_tokenizer(self.path, self.max_seq_length)

    @property
    def dim(self) -> int:
        return int(self._session.get_outputs()[0].shape[-1])

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        session, tok = self._session, self._tokenizer
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # longest first, as sentence-transformers batches: less padding; rows go back in input order
        order = np.argsort([-len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches")
        for start in starts:
            rows = order[start:start + self.batch_size]
            encodings = tok.encode_batch([texts[i] for i in rows])
            feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64)}
            out[rows] = session.run([OUTPUT], feed)[0]
        return out
