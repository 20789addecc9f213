"""Embedders side by side, in one run on one machine: sentence-transformers (torch), ONNX Runtime fp32
and ONNX Runtime int8 (dynamic quantisation), all the bundled all-MiniLM-L6-v2.

    python benchmarks/embedders.py              # the full run (a few minutes on 2 cores)
    python benchmarks/embedders.py --quick      # a smoke run with small samples
    python benchmarks/embedders.py --speed-only --threads 1 --passages 400   # throughput and latency, one thread

Measures:
- batch throughput (passages/s) on a random sample of MedQuAD passages, as the index embeds them
  ("title › section\\ntext"), the backends interleaved in rounds (the order rotated), medians;
- single-query latency, median and p95, over MedQuAD dev questions, pooled over the rounds.
  Each backend runs in a fresh process of its own in each round: in one process, the thread pools of
  torch and ONNX Runtime (which keep spinning a while after each call) slow each other down;
- cold start: a fresh Python process that imports the backend, loads it and embeds one question
  (wall time of the process, and the part after the interpreter started), interleaved, medians;
- quality against torch on the throughput sample (max abs difference, min and median cosine), and
  dense retrieval on a sub-corpus: the first dev questions, every passage of their relevant documents
  (the other sections of a document are the hardest distractors) plus random others, exact search by
  dot product, scored at section level like bot.evaluate (several passages of one section count once).

Reads benchmarks/cache/medquad-index/current/passages.jsonl (built by benchmarks/quality.py) and
../shared/eval/medquad/queries/dev.jsonl. The ONNX exports are cached in benchmarks/cache/onnx.
Writes benchmarks/results/embedders.md and embedders.json.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, EVAL, RESULTS  # noqa: E402
from bot.embed import SentenceTransformerEmbedder  # noqa: E402
from bot.onnx_embed import OnnxEmbedder  # noqa: E402

PASSAGES = CACHE / "medquad-index" / "current" / "passages.jsonl"
DEV = EVAL / "medquad" / "queries" / "dev.jsonl"
ONNX_CACHE = CACHE / "onnx"
BACKENDS = ("torch", "onnx-fp32", "onnx-int8")
LABELS = {"torch": "sentence-transformers (torch)", "onnx-fp32": "ONNX Runtime fp32", "onnx-int8": "ONNX Runtime int8"}
COLD = {
    "torch": "from bot.embed import SentenceTransformerEmbedder as E; e = E()",
    "onnx-fp32": f"from bot.onnx_embed import OnnxEmbedder as E; e = E(cache=Path({str(ONNX_CACHE)!r}))",
    "onnx-int8": f"from bot.onnx_embed import OnnxEmbedder as E; e = E(cache=Path({str(ONNX_CACHE)!r}), quantize=True)",
}


def make(backend: str, threads: int | None):  # type: ignore[no-untyped-def]
    if backend == "torch":
        if threads:
            import torch

            torch.set_num_threads(threads)
        return SentenceTransformerEmbedder()
    return OnnxEmbedder(cache=ONNX_CACHE, quantize=backend == "onnx-int8", threads=threads)


def context(p: dict) -> str:
    return f"{p['title']} › {p['section']}\n{p['text']}"


def rotations(rounds: int) -> list[tuple[str, ...]]:
    """The backends' order in each round, rotated so that none always runs first or last."""
    return [BACKENDS[r % 3:] + BACKENDS[:r % 3] for r in range(rounds)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def worker(backend: str, task: str, io: Path, threads: int | None) -> None:
    """In a process of its own (no other backend's threads beside it): load, warm up, then `task`."""
    embedder = make(backend, threads)
    embedder.embed(["warm up", "a second warm-up text, a little longer than the first"])
    if task == "bench":
        texts = json.loads((io / "sample.json").read_text())
        seconds, vectors = timed(lambda: embedder.embed(texts))
        questions = json.loads((io / "queries.json").read_text())
        for q in questions[:5]:  # first calls of a new shape allocate
            embedder.embed([q])
        ms = [1000 * timed(lambda q=q: embedder.embed([q]))[0] for q in questions]
        np.save(io / f"sample-{backend}.npy", vectors)
        (io / f"bench-{backend}.json").write_text(json.dumps({"seconds": seconds, "passages": len(texts), "ms": ms}))
    else:  # embed the retrieval sub-corpus and its questions
        texts = json.loads((io / "corpus.json").read_text())
        seconds, vectors = timed(lambda: embedder.embed(texts))
        np.save(io / f"corpus-{backend}.npy", vectors)
        np.save(io / f"questions-{backend}.npy", embedder.embed(json.loads((io / "questions.json").read_text())))
        (io / f"embed-{backend}.json").write_text(json.dumps({"seconds": seconds}))


def spawn(backend: str, task: str, io: Path, threads: int | None) -> dict:
    command = [sys.executable, __file__, "--worker", backend, "--task", task, "--io", str(io)]
    if threads:
        command += ["--threads", str(threads)]
    run = subprocess.run(command, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"the {backend} worker failed:\n{run.stderr[-3000:]}")
    return json.loads((io / f"{task}-{backend}.json").read_text())


def speed(io: Path, rounds: int, threads: int | None) -> tuple[dict, dict, dict[str, np.ndarray]]:
    """Throughput and single-query latency: one fresh process per backend and round, the order rotated."""
    rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
    ms: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors: dict[str, np.ndarray] = {}
    for i, order in enumerate(rotations(rounds)):
        for b in order:
            run = spawn(b, "bench", io, threads)
            rates[b].append(run["passages"] / run["seconds"])
            ms[b] += run["ms"]
            vectors.setdefault(b, np.load(io / f"sample-{b}.npy"))
            print(f"round {i + 1}/{rounds} {b}: {rates[b][-1]:.1f} passages/s, query median "
                  f"{statistics.median(run['ms']):.1f} ms", file=sys.stderr)
    throughput = {b: {"median": statistics.median(r), "runs": r} for b, r in rates.items()}
    latency = {b: {"median_ms": statistics.median(v), "p95_ms": float(np.percentile(v, 95)), "mean_ms": statistics.fmean(v),
                   "samples": len(v)} for b, v in ms.items()}
    return throughput, latency, vectors


def cold_start(runs: int) -> dict:
    seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
    inside: dict[str, list[float]] = {b: [] for b in BACKENDS}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    for i, order in enumerate(rotations(runs)):
        for b in order:
            code = textwrap.dedent(f"""
                import time
                began = time.perf_counter()
                from pathlib import Path
                {COLD[b]}
                e.embed(["What are the symptoms of diabetes?"])
                print(time.perf_counter() - began)
            """)
            wall, run = timed(lambda code=code: subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                                               capture_output=True, text=True, check=True))
            seconds[b].append(wall)
            inside[b].append(float(run.stdout.strip().splitlines()[-1]))
            print(f"cold start {i + 1}/{runs} {b}: {wall:.2f} s", file=sys.stderr)
    return {b: {"median_s": statistics.median(seconds[b]), "after_interpreter_s": statistics.median(inside[b]),
                "runs": seconds[b]} for b in BACKENDS}


def agreement(vectors: dict[str, np.ndarray]) -> dict:
    ref = vectors["torch"]
    out = {}
    for b, v in vectors.items():
        cos = (v * ref).sum(axis=1)
        out[b] = {"max_abs_diff": float(np.abs(v - ref).max()), "min_cosine": float(cos.min()),
                  "median_cosine": float(np.median(cos))}
    return out


def same_doc(gold: str, doc: str) -> bool:
    return gold == doc or gold.endswith("/" + doc)


def retrieval(io: Path, passages: list[dict], queries: list[dict], size: int, seed: int, threads: int | None) -> dict:
    """Section-level MRR@10, hit@1 and hit@10 of exact dense search on a sub-corpus, per backend."""
    suffixes = set()  # every tail of the gold paths: a passage's doc is relevant when it is one (as in same_doc)
    for q in queries:
        parts = q["doc"].split("/")
        suffixes.update("/".join(parts[i:]) for i in range(len(parts)))
    relevant = [p for p in passages if p["doc"] in suffixes]
    others = [p for p in passages if p["doc"] not in suffixes]
    random.Random(seed).shuffle(others)
    corpus = relevant + others[:max(0, size - len(relevant))]
    (io / "corpus.json").write_text(json.dumps([context(p) for p in corpus]))
    (io / "questions.json").write_text(json.dumps([q["question"] for q in queries]))
    out: dict = {"corpus": len(corpus), "relevant_doc_passages": len(relevant), "questions": len(queries)}
    for b in BACKENDS:
        seconds = spawn(b, "embed", io, threads)["seconds"]
        scores = np.load(io / f"questions-{b}.npy") @ np.load(io / f"corpus-{b}.npy").T
        top = np.argsort(-scores, axis=1)[:, :100]
        ranks = []
        for q, row in zip(queries, top):
            sections = list(dict.fromkeys((corpus[i]["doc"], corpus[i]["section"]) for i in row))[:10]
            ranks.append(next((r for r, (d, s) in enumerate(sections, 1) if same_doc(q["doc"], d) and s == q["section"]), None))
        out[b] = {"mrr@10": float(np.mean([1 / r if r else 0.0 for r in ranks])),
                  "hit@1": float(np.mean([r == 1 for r in ranks])),
                  "hit@10": float(np.mean([r is not None for r in ranks])),
                  "embed_seconds": seconds, "passages_per_s": len(corpus) / seconds}
        print(f"retrieval {b}: MRR@10 {out[b]['mrr@10']:.4f} ({seconds:.0f} s to embed)", file=sys.stderr)
    return out


def versions() -> dict:
    names = ("torch", "sentence-transformers", "transformers", "onnx", "onnxruntime", "tokenizers", "numpy")
    found = {}
    for n in names:
        try:
            found[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            found[n] = None
    return found


def markdown(r: dict) -> str:
    t, lat, cold, agree, ret = r["throughput"], r["latency"], r["cold_start"], r["agreement"], r["retrieval"]
    base = t["torch"]["median"]
    lines = [
        f"Embedders side by side on {r['machine']['cpus']} CPUs ({r['machine']['processor']}), one run, each backend "
        f"in a fresh process per round, the order rotated. Throughput: {r['settings']['passages']} MedQuAD passages, "
        f"median of {r['settings']['rounds']} rounds; latency: {r['settings']['queries']} dev questions one at a time in "
        f"each round, pooled; cold start: "
        f"a fresh process importing, loading and embedding one question, median of {r['settings']['cold']}; "
        f"retrieval: the first {ret['questions']} dev questions against {ret['corpus']} passages "
        f"({ret['relevant_doc_passages']} of them from the questions' documents), exact dot-product search, section level.",
        "",
        "| backend | passages/s | vs torch | query median ms | query p95 ms | cold start s | max abs diff | min cosine "
        "| MRR@10 | hit@1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in BACKENDS:
        lines.append(
            f"| {LABELS[b]} | {t[b]['median']:.1f} | {t[b]['median'] / base:.2f}× | {lat[b]['median_ms']:.1f} | "
            f"{lat[b]['p95_ms']:.1f} | {cold[b]['median_s']:.2f} | {agree[b]['max_abs_diff']:.2g} | "
            f"{agree[b]['min_cosine']:.5f} | {ret[b]['mrr@10']:.4f} | {ret[b]['hit@1']:.3f} |")
    v = r["versions"]
    m = r["machine"]
    lines += ["", f"Other work shared the machine (load average {m['load_average_before']:.1f} before, "
              f"{m['load_average_after']:.1f} after): compare the rows, not the absolute numbers. Each backend used "
              f"{m['threads']} threads; when other work holds a core, torch's single-query latency suffers most (its "
              "threads wait for each other at every operation): embedders.threads1.md has the same measures with one "
              "thread per backend (`--speed-only --threads 1`).",
              "", "Cold start is the wall time of the whole process; after the interpreter started: "
              + ", ".join(f"{LABELS[b]} {cold[b]['after_interpreter_s']:.2f} s" for b in BACKENDS) + ".",
              "", "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + "."]
    return "\n".join(lines) + "\n"


def speed_markdown(r: dict) -> str:
    t, lat, m = r["throughput"], r["latency"], r["machine"]
    lines = [f"Throughput and single-query latency only, {m['threads']} thread(s) per backend (torch and ONNX Runtime), "
             f"{r['settings']['passages']} MedQuAD passages and {r['settings']['queries']} dev questions, each backend "
             f"in a fresh process per round, medians of {r['settings']['rounds']} rounds; load average "
             f"{m['load_average_before']:.1f} before, {r['load_average_after']:.1f} after.", "",
             "| backend | passages/s | vs torch | query median ms | query p95 ms |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {LABELS[b]} | {t[b]['median']:.1f} | {t[b]['median'] / t['torch']['median']:.2f}× | "
              f"{lat[b]['median_ms']:.1f} | {lat[b]['p95_ms']:.1f} |" for b in BACKENDS]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=2000, help="throughput sample size")
    parser.add_argument("--rounds", type=int, default=3, help="throughput and latency rounds")
    parser.add_argument("--queries", type=int, default=200, help="dev questions for the latency")
    parser.add_argument("--cold", type=int, default=3, help="cold-start runs per backend")
    parser.add_argument("--questions", type=int, default=300, help="dev questions for retrieval quality")
    parser.add_argument("--corpus", type=int, default=5000, help="sub-corpus size for retrieval quality")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of both torch and ONNX Runtime (default: their own, every core)")
    parser.add_argument("--speed-only", action="store_true",
                        help="throughput and latency only, written to embedders.threads<N>.md/json (or embedders.speed.*)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small samples, a smoke run (results not written)")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=("bench", "embed"), help=argparse.SUPPRESS)
    parser.add_argument("--io", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.task, args.io, args.threads)
        return
    if args.quick:
        args.passages, args.rounds, args.queries, args.cold, args.questions, args.corpus = 200, 1, 20, 1, 30, 300
    if not PASSAGES.is_file():
        sys.exit(f"{PASSAGES} is missing: run `python benchmarks/quality.py` once to build the MedQuAD index")
    began = time.perf_counter()
    load_before = os.getloadavg()
    with PASSAGES.open(encoding="utf-8") as f:
        passages = [json.loads(line) for line in f]
    with DEV.open(encoding="utf-8") as f:
        dev = [json.loads(line) for line in f]
    for b in BACKENDS[1:]:  # export once, outside the timings
        seconds, _ = timed(lambda b=b: make(b, args.threads).embed(["export"]))
        print(f"{b} ready in {seconds:.1f} s", file=sys.stderr)

    result: dict = {
        "settings": {k: v for k, v in vars(args).items() if k in ("passages", "rounds", "queries", "cold", "questions",
                                                                   "corpus", "threads", "seed")},
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "threads": args.threads or os.cpu_count(), "load_average_before": load_before[0]},
        "versions": versions(),
    }
    with tempfile.TemporaryDirectory(prefix="embedders-") as tmp:
        io = Path(tmp)
        sample = [context(p) for p in random.Random(args.seed).sample(passages, args.passages)]
        (io / "sample.json").write_text(json.dumps(sample))
        (io / "queries.json").write_text(json.dumps([q["question"] for q in dev[:args.queries]]))
        result["throughput"], result["latency"], vectors = speed(io, args.rounds, args.threads)
        result["agreement"] = agreement(vectors)
        if args.speed_only:
            result["load_average_after"] = os.getloadavg()[0]
            name = f"embedders.threads{args.threads}" if args.threads else "embedders.speed"
            text = speed_markdown(result)
            print(text)
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
            (RESULTS / f"{name}.md").write_text(text)
            return
        result["cold_start"] = cold_start(args.cold)
        result["retrieval"] = retrieval(io, passages, dev[:args.questions], args.corpus, args.seed, args.threads)
    result["machine"]["load_average_after"] = os.getloadavg()[0]
    result["seconds"] = round(time.perf_counter() - began)
    text = markdown(result)
    print(text)
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "embedders.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / "embedders.md").write_text(text)


if __name__ == "__main__":
    main()
