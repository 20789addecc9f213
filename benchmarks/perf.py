"""Performance benchmark: build, query, scale, cold start and incremental indexing, in one run.

    python benchmarks/perf.py                   # everything (about an hour on 2 cores: the build dominates)
    python benchmarks/perf.py --only query,scale --sizes 30000,100000

Every figure is compared with its floor or baseline measured in the same run:

- build: the MedQuAD corpus indexed from scratch into a fresh folder, against the bundled
  model's own `encode` (sentence-transformers) of the same passages, the same batch size;
- query: `Bot.ask` on that index over the MedQuAD dev questions (embedding cache cleared),
  against embedding one question with the raw model, timed question by question beside it;
- scale: MedQuAD's vectors repeated with noise to 100k and 1M passages, exact search against
  the approximate index the store picks at that size: latency, recall@10, build, load, memory;
- cold start: a fresh process answering its first question from a built index (phase by
  phase), and the web app becoming ready;
- incremental: re-indexing the unchanged corpus, and after editing one document.

Writes benchmarks/results/perf.md, perf.json and perf.png (search latency against size).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, EVAL, MEDQUAD, RESULTS  # noqa: E402
from bot import Bot, Settings, answer  # noqa: E402
from bot.build import build  # noqa: E402
from bot.embed import SentenceTransformerEmbedder, make_embedder  # noqa: E402
from bot.evaluate import load_queries  # noqa: E402
from bot.index import load  # noqa: E402
from bot.store import FLAT_MAX, HNSW_MAX, FaissStore, choose  # noqa: E402

CORPUS = MEDQUAD
SECTIONS = ("build", "query", "scale", "cold", "incremental", "stores")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


class Timed:
    """An embedder wrapper that adds up the time spent in `embed` (the model's share of a build)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seconds = inner, 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        began = time.perf_counter()
        try:
            return self.inner.embed(texts, progress=progress)
        finally:
            self.seconds += time.perf_counter() - began


# --- build ------------------------------------------------------------------------------------

def bench_build(args: argparse.Namespace) -> dict[str, Any]:
    folder = CACHE / "perf-build-index"
    shutil.rmtree(folder, ignore_errors=True)
    settings = Settings.load(corpus=CORPUS, index=folder)
    embedder = Timed(make_embedder(settings))
    embedder.count_tokens("warm up the tokenizer")
    embedder.inner.embed(["warm up the model"])  # loading the model is cold start, not build throughput
    began = time.perf_counter()
    report = build(settings, embedder)
    build_s = time.perf_counter() - began
    texts = [p.context for p in load(folder, settings=settings).passages]
    raw = SentenceTransformerEmbedder()
    raw.embed(["warm up the model"])
    began = time.perf_counter()
    raw.model.encode(texts, batch_size=raw.batch_size, normalize_embeddings=True, convert_to_numpy=True)
    raw_s = time.perf_counter() - began
    return {"documents": report.documents, "passages": report.passages, "embedded": report.embedded,
            "embedder": type(embedder.inner).__name__, "build_s": round(build_s, 1), "embed_s": round(embedder.seconds, 1),
            "other_s": round(build_s - embedder.seconds, 1), "raw_encode_s": round(raw_s, 1),
            "build_per_s": round(report.passages / build_s, 1), "raw_per_s": round(len(texts) / raw_s, 1),
            "ratio": round(build_s / raw_s, 3), "target_ratio": 1.15}


def medquad_index() -> Path:
    """The MedQuAD index: the one this run built, else the quality benchmark's (built if missing)."""
    for folder in (CACHE / "perf-build-index", CACHE / "medquad-index"):
        if (folder / "current" / "manifest.json").exists():
            return folder
    settings = Settings.load(corpus=CORPUS, index=CACHE / "medquad-index")
    build(settings, make_embedder(settings), progress=True)
    return settings.index


# --- query ------------------------------------------------------------------------------------

FLOOR = """
import sys, time
from bot.embed import SentenceTransformerEmbedder
raw = SentenceTransformerEmbedder()
raw.embed(["warm up"])
print("ready", flush=True)
for line in sys.stdin:
    began = time.perf_counter()
    raw.embed([line.rstrip("\\n")])
    print(time.perf_counter() - began, flush=True)
"""


def ask_latency(bot: Bot, questions: list[str], block: int = 50) -> dict[str, Any]:
    """`Bot.ask` per question (embedding cache cleared), and the raw model (sentence-transformers)
    embedding the same questions one at a time, block by block in turn, so both see the same
    stretch of a noisy machine. The raw model runs in a process of its own: in one process the
    thread pools of torch and ONNX Runtime slow each other down."""
    floor_proc = subprocess.Popen([sys.executable, "-c", FLOOR], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
    assert floor_proc.stdout and floor_proc.stdin and floor_proc.stdout.readline().strip() == "ready"
    bot.ask(questions[0])
    asks, floors, own = [], [], []
    for start in range(0, len(questions), block):
        chunk = questions[start:start + block]
        for q in chunk:
            bot.vector.cache_clear()
            began = time.perf_counter()
            bot.ask(q)
            asks.append(time.perf_counter() - began)
        for q in chunk:
            began = time.perf_counter()
            bot.embedder.embed([q])
            own.append(time.perf_counter() - began)
        for q in chunk:
            floor_proc.stdin.write(" ".join(q.split()) + "\n")
            floor_proc.stdin.flush()
            floors.append(float(floor_proc.stdout.readline()))
    floor_proc.stdin.close()
    floor_proc.wait(60)
    median, floor = statistics.median(asks), statistics.median(floors)
    return {"questions": len(questions), "ask_p50_ms": ms(median), "ask_p95_ms": ms(pct(asks, 95)),
            "raw_embed_p50_ms": ms(floor), "embedder_p50_ms": ms(statistics.median(own)),
            "target_p50_ms": ms(2 * floor + 0.003), "p95_over_p50": round(pct(asks, 95) / median, 2),
            "budget_own_p50_ms": ms(2 * statistics.median(own) + 0.006)}


def bench_query(args: argparse.Namespace) -> dict[str, Any]:
    folder = medquad_index()
    questions = [q["question"] for q in load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")][: args.questions]
    settings = Settings.load(index=folder, corpus=CORPUS)
    bot = Bot.load(settings=settings, embedder=make_embedder(settings))
    result = {"index": folder.name, "passages": len(bot.index.passages), "embedder": type(bot.embedder).__name__,
              **ask_latency(bot, questions)}
    # where the rest of the time goes, from the stages alone (each question's embedding made first, untimed)
    stages: dict[str, list[float]] = {"analyse": [], "retrieve": [], "compose": []}
    for text in questions[:200]:
        vector = bot.vector(bot.analyse(text).text)
        t0 = time.perf_counter()
        q = bot.analyse(text)
        t1 = time.perf_counter()
        hits = bot.retriever.search(q, vector, k=10)
        t2 = time.perf_counter()
        answer.compose(text, hits, safety=None, texts=bot.texts, titles=bot.titles, min_score=bot.settings.min_score,
                       top_k=bot.settings.top_k)
        t3 = time.perf_counter()
        for name, d in zip(stages, (t1 - t0, t2 - t1, t3 - t2)):
            stages[name].append(d)
    result["stages_p50_ms"] = {name: ms(statistics.median(v)) for name, v in stages.items()}
    return result


# --- scale ------------------------------------------------------------------------------------

def synthetic(base: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    """`n` unit vectors: the `base` rows repeated, each copy moved by Gaussian noise of norm ≈
    `noise` (0.6 puts a copy at cosine ≈ 0.85 of its source: neighbours, not duplicates)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        rows = base[np.arange(start, stop) % len(base)]
        if start >= len(base):  # the first copy is the real vectors
            rows = rows + rng.standard_normal(rows.shape, dtype=np.float32) * (noise / np.sqrt(base.shape[1]))
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


LOAD_PROBE = """
import json, resource, sys, time
import numpy as np
def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))
from bot.store import FaissStore
folder, params, queries = sys.argv[1], json.loads(sys.argv[2]), np.load(sys.argv[3])
rss0, anon0 = status("VmRSS:"), status("RssAnon:")
began = time.perf_counter()
store = FaissStore.open(__import__("pathlib").Path(folder), params)
loaded = time.perf_counter() - began
rss1, anon1 = status("VmRSS:"), status("RssAnon:")
for q in queries:
    store.search(q, 50)
rss2, anon2 = status("VmRSS:"), status("RssAnon:")
print(json.dumps({"load_s": loaded, "rss_after_load_kb": rss1 - rss0, "rss_after_search_kb": rss2 - rss0,
                  "anon_after_search_kb": anon2 - anon0}))
"""


def search_times(store: FaissStore, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    import faiss

    faiss.omp_set_num_threads(1)
    times, ids = [], []
    for q in queries:
        began = time.perf_counter()
        found, _ = store.search(q, k)
        times.append(time.perf_counter() - began)
        ids.append((found + [-1] * k)[:k])
    return times, np.array(ids)


def bench_scale(args: argparse.Namespace, queries: np.ndarray) -> dict[str, Any]:
    folder = medquad_index()
    index = load(folder, settings=Settings.load(index=folder))
    base = index.store.vectors(range(index.store.count()))
    rows = []
    for n in args.sizes:
        vectors = synthetic(base, n, args.noise)
        kinds = {"flat": (10**12, 10**12), "hnsw": (0, 10**12), "ivf": (0, 0)}  # (flat_max, hnsw_max) force each type
        truth = None
        for kind, (flat_max, hnsw_max) in kinds.items():
            began = time.perf_counter()
            store = FaissStore.create(vectors.shape[1], n, vectors=vectors, flat_max=flat_max, hnsw_max=hnsw_max)
            store.add(np.arange(n), vectors, [])
            build_s = time.perf_counter() - began
            folder = CACHE / "perf-scale" / f"{kind}-{n}"
            folder.mkdir(parents=True, exist_ok=True)
            store.save(folder)
            times, found = search_times(store, queries, 50)
            if truth is None:
                truth = found[:, :10]
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found[:, :10], truth)]))
            qfile = folder / "queries.npy"
            np.save(qfile, queries)
            probe = json.loads(subprocess.run([sys.executable, "-c", LOAD_PROBE, str(folder), json.dumps(store.describe()),
                                               str(qfile)], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
            rows.append({"passages": n, "index": kind, "params": store.describe(), "shipped": choose(n)["type"] == kind,
                         "build_s": round(build_s, 1), "search_p50_ms": ms(statistics.median(times)),
                         "search_p95_ms": ms(pct(times, 95)), "recall@10": round(recall, 4), "load_s": round(probe["load_s"], 3),
                         "file_mb": round((folder / "vectors.faiss").stat().st_size / 2**20, 1),
                         "rss_bytes_per_passage": round(probe["rss_after_search_kb"] * 1024 / n, 1),
                         "heap_bytes_per_passage": round(probe["anon_after_search_kb"] * 1024 / n, 1)})
            print(rows[-1], file=sys.stderr)
            shutil.rmtree(folder, ignore_errors=True)
            del store
    return {"noise": args.noise, "queries": len(queries), "flat_max": FLAT_MAX, "hnsw_max": HNSW_MAX, "rows": rows}


# --- cold start -------------------------------------------------------------------------------

COLD = """
import time, sys
began = time.perf_counter()
from bot import Bot
imported = time.perf_counter()
bot = Bot.load(sys.argv[1])
loaded = time.perf_counter()
bot.embedder.embed([sys.argv[2]])
model = time.perf_counter()
status = bot.ask(sys.argv[2]).status
done = time.perf_counter()
import json
print(json.dumps({"import_s": imported - began, "index_load_s": loaded - imported, "model_load_and_embed_s": model - loaded,
                  "ask_s": done - model, "status": status}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_ready(index: Path, corpus: Path) -> float:
    port = free_port()
    env = {**os.environ, "BOT_INDEX": str(index), "BOT_CORPUS": str(corpus), "BOT_PORT": str(port),
           "BOT_DATA": tempfile.mkdtemp()}
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < 180:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - began
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the app did not start within 180 s")
    finally:
        proc.terminate()
        proc.wait(30)


def bench_cold(args: argparse.Namespace) -> dict[str, Any]:
    question = "What are the symptoms of glaucoma?"
    out: dict[str, Any] = {}
    seed = CACHE / "seed-index"
    build(Settings.load(corpus=ROOT / "corpus", index=seed), make_embedder(Settings.load(index=seed)))
    for name, folder in (("medquad", medquad_index()), ("seed", seed)):
        make_embedder(Settings.load(index=folder)).embed([question])  # the one-time ONNX export is not a cold start
        runs = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            run = subprocess.run([sys.executable, "-c", COLD, str(folder), question], capture_output=True, text=True,
                                 cwd=ROOT, check=True)
            runs.append({**json.loads(run.stdout.strip().splitlines()[-1]), "total_s": time.perf_counter() - began})
        out[name] = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0] if key != "status"}
        out[name]["status"] = runs[0]["status"]
    out["app_ready_s"] = round(statistics.median(app_ready(seed, ROOT / "corpus") for _ in range(args.repeat)), 2)
    out["target_s"] = 6
    return out


# --- incremental ------------------------------------------------------------------------------

def bench_incremental(args: argparse.Namespace) -> dict[str, Any]:
    folder = medquad_index()
    settings = Settings.load(corpus=CORPUS, index=folder)
    embedder = make_embedder(settings)
    build(settings, embedder)
    unchanged = []
    for _ in range(args.repeat):
        report = build(settings, embedder)
        assert report.up_to_date and report.embedded == 0
        unchanged.append(report.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(CORPUS, corpus)
        shutil.copytree(folder, index, symlinks=True)
        edited = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.md"))[0]
        path = corpus / edited
        path.write_text(path.read_text(encoding="utf-8") + "\n\nThis paragraph was added to measure an edit.\n",
                        encoding="utf-8")
        settings = Settings.load(corpus=corpus, index=index)
        report = build(settings, embedder)
        of_doc = sum(p.doc == edited for p in load(index, settings=settings).passages)
    return {"unchanged_p50_s": round(statistics.median(unchanged), 3), "target_s": 2, "edited_document": edited,
            "edited_passages": of_doc, "edited_embedded": report.embedded, "edited_build_s": round(report.seconds, 1),
            "passages": report.passages}


# --- vector stores ----------------------------------------------------------------------------

def bench_stores(args: argparse.Namespace) -> dict[str, Any]:
    """`Bot.ask` on the MedQuAD index with its vectors in FAISS and in Milvus (Lite), side by side."""
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        return {"skipped": "pymilvus is not installed"}
    source = medquad_index()
    questions = [q["question"] for q in load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")][: args.questions]
    work = CACHE / "perf-milvus"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    index = work / "index"
    shutil.copytree(source, index, symlinks=True)  # the rebuild into Milvus reuses these vectors
    settings = Settings.load(corpus=CORPUS, index=index, vector_store="milvus", milvus_uri=str(work / "milvus.db"))
    embedder = make_embedder(settings)
    began = time.perf_counter()
    report = build(settings, embedder)
    build_s = time.perf_counter() - began
    out: dict[str, Any] = {"milvus_build_s": round(build_s, 1), "milvus_embedded": report.embedded}
    for name, s in (("faiss", Settings.load(corpus=CORPUS, index=source)), ("milvus", settings)):
        bot = Bot.load(settings=s, embedder=embedder)
        out[name] = ask_latency(bot, questions)
        times = []
        for q in questions[:200]:
            v = bot.vector(q)
            began = time.perf_counter()
            bot.index.store.search(v, 50)
            times.append(time.perf_counter() - began)
        out[name]["search_p50_ms"] = ms(statistics.median(times))
    return out


# --- report -----------------------------------------------------------------------------------

def markdown(r: dict[str, Any]) -> str:
    lines = []
    if b := r.get("build"):
        lines += ["**Build** of the MedQuAD corpus from scratch "
                  f"({b['documents']:,} documents, {b['passages']:,} passages, embedder {b['embedder']}):", "",
                  "| | seconds | passages/s |", "|---|---:|---:|",
                  f"| index build (read, split, embed, BM25, write) | {b['build_s']} | {b['build_per_s']} |",
                  f"| of which embedding | {b['embed_s']} | |",
                  f"| raw model `encode` of the same passages (sentence-transformers) | {b['raw_encode_s']} | {b['raw_per_s']} |",
                  f"| **ratio build / raw encode** (target ≤ {b['target_ratio']}) | **{b['ratio']}** | |", ""]
    if q := r.get("query"):
        lines += [f"**Query** latency of `Bot.ask` on the MedQuAD index ({q['passages']:,} passages, {q['questions']} dev "
                  f"questions, embedder {q['embedder']}, embedding cache cleared before each):", "",
                  "| | median ms | p95 ms |", "|---|---:|---:|",
                  f"| `Bot.ask` | {q['ask_p50_ms']} | {q['ask_p95_ms']} |",
                  f"| raw model (sentence-transformers), one question embedded: the floor | {q['raw_embed_p50_ms']} | |",
                  f"| the bot's own embedder ({q['embedder']}), one question | {q['embedder_p50_ms']} | |",
                  f"| target: 2 × floor + 3 ms | {q['target_p50_ms']} | ≤ 3 × median |",
                  *([f"| budget: 2 × the bot's own embedder + 6 ms | {q['budget_own_p50_ms']} | |"]
                    if "budget_own_p50_ms" in q else []), "",
                  f"p95 / median = {q['p95_over_p50']}. Stages without embedding (median ms): " +
                  ", ".join(f"{k} {v}" for k, v in q["stages_p50_ms"].items()) + ".", ""]
    if s := r.get("scale"):
        lines += [f"**Scale**: MedQuAD's vectors repeated with noise (norm {s['noise']}), {s['queries']} dev questions, "
                  "k = 50 as the bot asks, one thread; recall@10 against exact search. The store ships `flat` up to "
                  f"{s['flat_max']:,} passages, `hnsw` up to {s.get('hnsw_max', s['flat_max']):,} and `ivf` above.", "",
                  "| passages | index | shipped | parameters | build s | search p50 ms | search p95 ms | recall@10 | "
                  "load s | file MB | RSS bytes/passage | heap bytes/passage |",
                  "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in s["rows"]:
            params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if k not in ("kind", "type")) or "exact"
            lines.append(f"| {row['passages']:,} | {row['index']} | {'yes' if row['shipped'] else ''} | {params} | "
                         f"{row['build_s']} | {row['search_p50_ms']} | {row['search_p95_ms']} | {row['recall@10']} | "
                         f"{row['load_s']} | {row['file_mb']} | {row['rss_bytes_per_passage']} | "
                         f"{row['heap_bytes_per_passage']} |")
        lines.append("")
    if c := r.get("cold"):
        lines += ["**Cold start**: a fresh process answering its first question (median of runs, seconds):", "",
                  "| index | import | load index | load model + embed | rest of the answer | total (process start to answer) |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name in ("seed", "medquad"):
            x = c[name]
            lines.append(f"| {name} | {x['import_s']} | {x['index_load_s']} | {x['model_load_and_embed_s']} | {x['ask_s']} | "
                         f"**{x['total_s']}** |")
        lines += ["", f"The web app (`python app.py`, shipped corpus) answers its page {c['app_ready_s']} s after starting.", ""]
    if i := r.get("incremental"):
        lines += ["**Incremental**: re-indexing the unchanged MedQuAD corpus takes "
                  f"{i['unchanged_p50_s']} s (median; target ≤ {i['target_s']} s). After one paragraph is added to "
                  f"`{i['edited_document']}` ({i['edited_passages']} passages), the rebuild embeds {i['edited_embedded']} "
                  f"passage(s) of {i['passages']:,} and takes {i['edited_build_s']} s.", ""]
    if (st := r.get("stores")) and "faiss" in st:
        lines += ["**Vector stores**: `Bot.ask` on the MedQuAD index with the vectors and passages in each store:", "",
                  "| store | ask p50 ms | ask p95 ms | vector search p50 ms |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {st[name]['ask_p50_ms']} | {st[name]['ask_p95_ms']} | {st[name]['search_p50_ms']} |"
                  for name in ("faiss", "milvus")]
        lines += ["", f"Moving the index into Milvus Lite took {st['milvus_build_s']} s ({st['milvus_embedded']} passages "
                  "embedded: the vectors were reused).", ""]
    return "\n".join(lines)


def plot(scale: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for kind, style in (("flat", "o-"), ("hnsw", "^-"), ("ivf", "s-")):
        rows = [r for r in scale["rows"] if r["index"] == kind]
        ax.plot([r["passages"] for r in rows], [r["search_p95_ms"] for r in rows], style, label=f"{kind} p95")
        for r in rows:
            if kind != "flat":
                ax.annotate(f"recall {r['recall@10']:.3f}", (r["passages"], r["search_p95_ms"]), textcoords="offset points",
                            xytext=(4, -12), fontsize=8)
    ax.axvline(scale["flat_max"], color="grey", ls="--", lw=1, label="flat → hnsw")
    if "hnsw_max" in scale:
        ax.axvline(scale["hnsw_max"], color="grey", ls="-.", lw=1, label="hnsw → ivf")
    ax.axhline(30, color="red", ls=":", lw=1, label="30 ms budget")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages")
    ax.set_ylabel("search latency, ms (one query, one thread)")
    ax.set_title("Exact (flat) and approximate (HNSW, IVF) search")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--sizes", default="30000,100000,300000,1000000", help="passage counts for the scale section")
    parser.add_argument("--noise", type=float, default=0.6, help="norm of the noise added to each copied vector")
    parser.add_argument("--questions", type=int, default=1000, help="MedQuAD dev questions timed")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cold start and re-index (median)")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    only = set(args.only.split(","))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_json = RESULTS / "perf.json"
    result: dict[str, Any] = json.loads(out_json.read_text()) if out_json.exists() and only != set(SECTIONS) else {}
    began = time.perf_counter()
    for name in SECTIONS:
        if name not in only:
            continue
        print(f"== {name}", file=sys.stderr)
        if name == "scale":
            settings = Settings.load()
            questions = [q["question"] for q in load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")][:200]
            result[name] = bench_scale(args, make_embedder(settings).embed(questions))
        else:
            result[name] = globals()[f"bench_{name}"](args)
        print(json.dumps(result[name], indent=1), file=sys.stderr)
        out_json.write_text(json.dumps(result, indent=2))
    result["seconds"] = round(time.perf_counter() - began)
    out_json.write_text(json.dumps(result, indent=2))
    (RESULTS / "perf.md").write_text(markdown(result))
    if "scale" in result:
        plot(result["scale"], RESULTS / "perf.png")
    print(markdown(result))


if __name__ == "__main__":
    main()
