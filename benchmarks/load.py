"""Load benchmark: many concurrent clients asking the HTTP API on loopback.

    python benchmarks/load.py                      # 50 clients for 60 s, twice, the shipped corpus
    python benchmarks/load.py --clients 10 --seconds 10

Starts `python -m bot serve` (the real model, the shipped corpus indexed into a temporary
folder, the per-client rate limit off since every client here has the same address), warms
it up, then runs the clients, each asking one question after another over a kept-alive
connection. Two runs on the same server: **repeated**, each client drawing at random from the
seed, MedQuAD and consumer questions (from ../shared/eval when present; about a thousand, so
the server's embedding cache answers many of the later requests), and **distinct**, where every
request asks a question no request asked before (the same questions, then numbered copies of
them: "… (2)"), so every one is embedded and searched. Reports errors, p50/p95/max latency,
throughput, and the server's resident memory after warm-up and after each run; writes
benchmarks/results/load.json. Exits non-zero on any error or more than 10% memory growth.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import EVAL  # noqa: E402
from benchmarks.common import RESULTS as FOLDER  # noqa: E402

RESULTS = FOLDER / "load.json"
FALLBACK = ["What are the withdrawal symptoms of Klonopin?", "How is Klonopin addiction treated?",
            "what happens if someone stops klonopin all at once?", "Can you overdose on Klonopin?",
            "Is Klonopin addictive?", "What is clonazepam used for?"]


def questions() -> list[str]:
    found = []
    for path in [EVAL / "seed" / "queries.jsonl", *sorted((EVAL / "medquad" / "queries").glob("*.jsonl")),
                 *sorted((EVAL / "consumer").glob("*.jsonl"))]:
        if path.is_file():
            found += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return found or FALLBACK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, index: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "BOT_INDEX": str(index), "BOT_DATA": str(index.parent / "data"),
           "BOT_RATE_LIMIT": "0"}
    subprocess.run([sys.executable, "-m", "bot", "index"], cwd=ROOT, env=env, check=True,  # serve never builds
                   stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.post(url + "/api/ask", json={"question": "hello"}, timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not start in time")


def distinct(asked: list[str]) -> Callable[[random.Random], str]:
    """A question no call returned before, from any thread: `asked` in order, then "q (2)", "q (3)"…"""
    lock, taken = threading.Lock(), [0]
    unique = list(dict.fromkeys(asked))

    def pick(_: random.Random) -> str:
        with lock:
            i = taken[0]
            taken[0] += 1
        copy, q = divmod(i, len(unique))
        return unique[q] if copy == 0 else f"{unique[q]} ({copy + 1})"
    return pick


def client(url: str, pick: Callable[[random.Random], str], stop: float, out: list[tuple[float, int]], errors: list[str],
           seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=60) as http:
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                r = http.post("/api/ask", json={"question": pick(rng)})
                status = r.status_code
                if status != 200 or r.json().get("status") not in ("answered", "no_answer", "invalid"):
                    errors.append(f"{status}: {r.text[:200]}")
            except (httpx.HTTPError, ValueError) as exc:
                status = 0
                errors.append(repr(exc))
            out.append((time.perf_counter() - began, status))


def run(url: str, pick: Callable[[random.Random], str], clients: int, seconds: float,
        seed: int = 0) -> tuple[list[tuple[float, int]], list[str]]:
    results: list[tuple[float, int]] = []
    errors: list[str] = []
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(url, pick, stop, results, errors, seed + i)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def summary(results: list[tuple[float, int]], errors: list[str], elapsed: float, before: float, after: float,
            distinct_questions: int) -> dict:
    latencies = sorted(t for t, _ in results)
    return {
        "seconds": round(elapsed, 1), "requests": len(results), "errors": len(errors),
        "throughput_per_s": round(len(results) / elapsed, 1),
        "latency_ms": {"p50": round(1000 * statistics.median(latencies), 1),
                       "p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
                       "max": round(1000 * latencies[-1], 1)},
        "rss_mb": {"before": round(before, 1), "after": round(after, 1),
                   "growth_pct": round(100 * (after - before) / before, 1)},
        "distinct_questions": distinct_questions, "first_errors": errors[:5],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args()
    asked = questions()
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index, port = Path(tmp) / "index", free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        server = start_server(port, index, log)
        try:
            wait_until_up(url, server, log)
            # warm-up at full concurrency (the model, the caches, the server's worker threads), then measure
            warm_errors = run(url, lambda rng: rng.choice(asked), args.clients, min(15.0, args.seconds / 4), seed=10_000)[1]
            start = rss_mb(server.pid)
            for name, pick in (("repeated", lambda rng: rng.choice(asked)), ("distinct", distinct(asked))):
                before = rss_mb(server.pid)
                began = time.perf_counter()
                results, errors = run(url, pick, args.clients, args.seconds)
                elapsed = time.perf_counter() - began
                after = rss_mb(server.pid)
                asked_here = len(set(asked)) if name == "repeated" else len(results)
                runs[name] = summary(results, (warm_errors if name == "repeated" else []) + errors, elapsed,
                                     before, after, asked_here)
        finally:
            server.terminate()
            server.wait(30)
    report = {"clients": args.clients, "cpus": os.cpu_count(), "rss_mb_after_warmup": round(start, 1), **runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print("\n| run | clients | requests | distinct questions | errors | throughput | p50 | p95 | RSS before → after |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        print(f"| {name} | {args.clients} | {r['requests']} | {r['distinct_questions']} | {r['errors']} | "
              f"{r['throughput_per_s']}/s | {r['latency_ms']['p50']:.0f} ms | {r['latency_ms']['p95']:.0f} ms | "
              f"{r['rss_mb']['before']:.0f} → {r['rss_mb']['after']:.0f} MB ({r['rss_mb']['growth_pct']:+.1f}%) |")
    grown = max(r["rss_mb"]["after"] for r in runs.values()) > 1.1 * start
    return 1 if any(r["errors"] for r in runs.values()) or grown else 0


if __name__ == "__main__":
    raise SystemExit(main())
