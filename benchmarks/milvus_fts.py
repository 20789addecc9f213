"""Could Milvus's own full-text search replace the local BM25 index of each app replica?

    python benchmarks/milvus_fts.py              # 300 MedQuAD dev questions
    python benchmarks/milvus_fts.py --questions 1000

Side by side on the MedQuAD index (built by benchmarks/quality.py or perf.py): the bot's BM25
(bm25s, Snowball stems, run locally) and Milvus's BM25 function over a sparse field (Milvus Lite,
its default analyzer), each ranking passages for the same dev questions alone. Reports
section-level hit@1 and MRR@10, how often the two agree on the top passage, the median and p95
latency per question, and the time to load the texts into Milvus. Writes
benchmarks/results/milvus_fts.md and .json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import CACHE, EVAL, RESULTS  # noqa: E402
from bot import Settings  # noqa: E402
from bot.evaluate import load_queries, same_doc  # noqa: E402
from bot.index import load  # noqa: E402
from bot.retrieve import Retriever  # noqa: E402


def metrics(ranked: list[list[tuple[str, str]]], queries: list[dict]) -> dict[str, float]:
    hit1 = mrr = 0.0
    for sections, q in zip(ranked, queries):
        unique = list(dict.fromkeys(sections))[:10]
        rank = next((i for i, (d, s) in enumerate(unique, 1) if same_doc(q["doc"], d) and s == q["section"]), None)
        hit1 += rank == 1
        mrr += 1 / rank if rank else 0.0
    return {"hit@1": round(hit1 / len(queries), 3), "mrr@10": round(mrr / len(queries), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    folder = next(f for f in (CACHE / "perf-build-index", CACHE / "medquad-index") if (f / "current").exists())
    index = load(folder, settings=Settings.load(index=folder))
    passages = list(index.passages)
    queries = load_queries(EVAL / "medquad" / "queries" / "dev.jsonl")[: args.questions]

    from pymilvus import DataType, Function, FunctionType, MilvusClient

    db = CACHE / "milvus-fts.db"
    shutil.rmtree(db, ignore_errors=True)
    client = MilvusClient(str(db))
    schema = MilvusClient.create_schema()
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    params = client.prepare_index_params()
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection("fts", schema=schema, index_params=params)
    began = time.perf_counter()
    for start in range(0, len(passages), 1000):
        client.insert("fts", [{"id": i, "text": passages[i].context[:20000]}
                              for i in range(start, min(start + 1000, len(passages)))])
    client.flush("fts")
    client.load_collection("fts")
    load_s = time.perf_counter() - began

    retriever = Retriever(index, None, Settings.load(index=folder))  # type: ignore[arg-type]
    ranked: dict[str, list[list[tuple[str, str]]]] = {"bm25s": [], "milvus": []}
    times: dict[str, list[float]] = {"bm25s": [], "milvus": []}
    tops: dict[str, list[int]] = {"bm25s": [], "milvus": []}
    for q in queries:
        began = time.perf_counter()
        ids = list(retriever.lexical(q["question"], 30))
        times["bm25s"].append(time.perf_counter() - began)
        began = time.perf_counter()
        found = client.search("fts", data=[q["question"]], anns_field="sparse", limit=30,
                              search_params={"metric_type": "BM25"})
        times["milvus"].append(time.perf_counter() - began)
        for name, pids in (("bm25s", ids), ("milvus", [int(h["id"]) for h in found[0]])):
            ranked[name].append([(passages[i].doc, passages[i].section) for i in pids])
            tops[name].append(pids[0] if pids else -1)
    result = {"passages": len(passages), "questions": len(queries), "milvus_load_s": round(load_s, 1),
              "top1_agreement": round(float(np.mean([a == b for a, b in zip(tops["bm25s"], tops["milvus"])])), 3),
              **{name: {**metrics(ranked[name], queries), "p50_ms": round(statistics.median(times[name]) * 1000, 2),
                        "p95_ms": round(float(np.percentile(times[name], 95)) * 1000, 2)} for name in ranked}}
    client.close()
    shutil.rmtree(db, ignore_errors=True)
    lines = [f"BM25 alone on the MedQuAD index ({result['passages']:,} passages, {result['questions']} dev questions, "
             "section level):", "", "| BM25 | hit@1 | MRR@10 | p50 ms | p95 ms |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {r['hit@1']} | {r['mrr@10']} | {r['p50_ms']} | {r['p95_ms']} |"
              for name, r in (("bm25s, local (shipped)", result["bm25s"]), ("Milvus Lite full-text search", result["milvus"]))]
    lines += ["", f"Same top passage: {result['top1_agreement']:.0%} of questions. Loading the texts into Milvus Lite: "
              f"{result['milvus_load_s']} s."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "milvus_fts.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "milvus_fts.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
