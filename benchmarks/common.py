"""What the benchmarks share: where the data and results are, the package's offline settings,
and a bot opened on a corpus with its index built once and cached in `benchmarks/cache/`.

Each script starts with the two lines that let `python benchmarks/<name>.py` import the
package from the repository, then imports from here:

    ROOT = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(ROOT))
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bot import Bot, Settings
from bot.build import build
from bot.config import prepare_environment
from bot.embed import Embedder

prepare_environment()  # offline, as the package runs: nothing is downloaded

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"  # the evaluation data, kept beside the repository
MEDQUAD = EVAL / "medquad" / "corpus"
CACHE = ROOT / "benchmarks" / "cache"
RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "benchmarks" / "data"


def open_bot(corpus: Path, name: str, embedder: Embedder, store: str = "faiss", **overrides: object) -> Bot:
    """A bot on `corpus`, its index in `CACHE/name` (built or brought up to date first). With
    `store="milvus"` the same index with its vectors moved into Milvus Lite (reused, not re-embedded)."""
    if store == "milvus":
        overrides |= {"vector_store": "milvus", "milvus_uri": str(CACHE / f"{name}-milvus.db")}
        build(Settings.load(corpus=corpus, index=CACHE / name), embedder, progress=True)
        if not (CACHE / f"{name}-milvus").exists():
            shutil.copytree(CACHE / name, CACHE / f"{name}-milvus", symlinks=True)
        name = f"{name}-milvus"
    settings = Settings.load(corpus=corpus, index=CACHE / name, **overrides)
    report = build(settings, embedder, progress=True)
    print(f"{name}: {report.passages} passages ({report.embedded} embedded, {report.seconds:.0f} s)", file=sys.stderr)
    return Bot.load(settings=settings, embedder=embedder)
