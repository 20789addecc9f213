"""`python -m bot index | ask | eval | serve | report | forget` — the command-line contract.

The library raises `BotError`s; this module turns them into one-line messages on stderr and
exit code 2, so scripts can rely on the exit status and people read what to do.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import get_args

from .config import Retrieval, Settings, VectorStoreKind
from .errors import BotError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        return int(args.run(args) or 0)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full disk, a path that is a file, a folder it may not write: no traceback
        print(f"error: {exc}: check that path, its permissions and the free disk space", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(corpus=getattr(args, "corpus", None), index=args.index,
                         host=getattr(args, "host", None), port=getattr(args, "port", None),
                         vector_store=args.store, milvus_uri=args.milvus_uri)


def _index(args: argparse.Namespace) -> int:
    from .build import build
    from .embed import make_embedder

    settings = _settings(args)
    report = build(settings, make_embedder(settings), progress=True)
    for warning in report.skipped:
        print(f"warning: {warning}", file=sys.stderr)
    state = "already up to date" if report.up_to_date else (
        f"embedded {report.embedded} new passages and {report.sentences_embedded} sentences")
    print(f"{settings.index}: {report.passages} passages from {report.documents} documents, {state} ({report.seconds:.1f} s)")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .pipeline import Bot

    bot = Bot.load(settings=_settings(args))
    # UTF-8 in and out whatever the locale: bytes that are not UTF-8 become U+FFFD instead of a
    # crash, and only "\n" ends a question, so answers stay aligned with the lines sent.
    for stream, newline in ((sys.stdin, {"newline": "\n"}), (sys.stdout, {})):
        if isinstance(stream, io.TextIOWrapper):  # not when stdin is closed, or replaced by a test
            stream.reconfigure(encoding="utf-8", errors="replace", **newline)
    if args.question is not None:
        answer = bot.ask(args.question)
        print(json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else answer.markdown)
        return 0
    for line in sys.stdin:  # batch: one question per line in, one JSON object per line out
        print(json.dumps(bot.ask(line.rstrip("\r\n")).to_dict(), ensure_ascii=False), flush=True)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, load_queries, table
    from .pipeline import Bot

    path = Path(args.queries)
    if not path.is_file():
        raise BotError(f"queries file {path} does not exist: pass a JSONL file of questions")
    report = evaluate(Bot.load(settings=_settings(args)), load_queries(path), mode=args.mode)
    print(json.dumps(report, indent=2))
    print(table(report), file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .chat import main  # Gradio is imported only to serve

    main(_settings(args))
    return 0


def _report(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .feedback import FeedbackLog, format_report, report

    settings = Settings.load(data=args.data, index=args.index)
    log = FeedbackLog(settings.data)
    stale = stale_sources(settings)
    if not log.path.is_file():
        print(f"no feedback log at {log.path} yet: the web app (`python -m bot serve`) writes it as people ask; "
              "pass --data or set BOT_DATA if it lives elsewhere", file=sys.stderr)
        if stale is None or args.json:
            return 0
    rows = report(log, top=args.top) if log.path.is_file() else None
    if args.json:
        print(json.dumps({**{k: [asdict(r) for r in v] for k, v in (rows or {}).items()}, "stale_sources": stale},
                         ensure_ascii=False, indent=2))
        return 0
    if rows is not None:
        print(format_report(rows, log.path))
    if stale is not None:
        limit = f"reviewed more than {settings.stale_months} months ago or " if settings.stale_months > 0 else ""
        print(f"\nSources to review ({limit}past their review_by date), in {settings.index}:")
        print("\n".join(f"        {s['doc']}  (reviewed {s['reviewed'] or 'no date'}"
                        f"{', review by ' + s['review_by'] if s['review_by'] else ''})" for s in stale) or "        none")
    return 0


def stale_sources(settings: Settings) -> list[dict[str, str | None]] | None:
    """The documents of the served index marked stale (`review.py`, BOT_STALE_MONTHS), as its
    citations mark them: [{"doc", "reviewed", "review_by"}], or None when there is no index."""
    from .layout import CURRENT, MANIFEST
    from .review import Review

    try:
        documents = json.loads((settings.index / CURRENT / MANIFEST).read_text(encoding="utf-8"))["documents"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    found = []
    for doc, dates in documents.items():
        review = Review.of(dates.get("reviewed"), dates.get("review_by"))
        if review.state(settings.stale_months) == "stale":
            found.append({"doc": doc, "reviewed": review.label(), "review_by": dates.get("review_by")})
    return found


def _forget(args: argparse.Namespace) -> int:
    from .feedback import FeedbackLog

    before = None if args.all else _day(args.before)
    log = FeedbackLog(Settings.load(data=args.data).data)
    if not log.path.is_file():
        print(f"no feedback log at {log.path}: nothing to forget (pass --data or set BOT_DATA if it lives elsewhere)",
              file=sys.stderr)
        return 0
    deleted = log.forget(before)
    print(f"deleted {deleted} entries {'' if before is None else f'logged before {before} '}from {log.path}")
    return 0


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise BotError(f"--before takes a day as YYYY-MM-DD (e.g. 2024-05-01), not {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Citation-first medical Q&A over a folder of documents.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    index = sub.add_parser("index", help="build or update the index, with a progress bar")
    index.add_argument("--corpus", help="folder of .md/.txt/.html/.pdf files (default corpus/)")
    ask = sub.add_parser("ask", help="answer a question (or one per line from standard input, as JSON lines)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ev = sub.add_parser("eval", help="score a queries file and print metrics as JSON")
    ev.add_argument("queries")
    ev.add_argument("--mode", choices=get_args(Retrieval), help="retrieval to score (default: the configured one)")
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--corpus")
    for cmd, run in ((index, _index), (ask, _ask), (ev, _eval), (serve, _serve)):
        cmd.add_argument("--index", help="index folder (default index/)")
        cmd.add_argument("--store", choices=get_args(VectorStoreKind),
                         help="where the vectors live (default faiss; BOT_VECTOR_STORE)")
        cmd.add_argument("--milvus-uri", help="with --store milvus: a local .db file (Milvus Lite) or http://host:19530")
        cmd.set_defaults(run=run)
    rep = sub.add_parser("report", help="the most frequent unanswered and down-voted questions, from the feedback log")
    rep.add_argument("--data", help="folder holding feedback.jsonl (default data/, or BOT_DATA)")
    rep.add_argument("--top", type=int, default=20, help="questions listed per table (default 20)")
    rep.add_argument("--index", help="index folder whose stale sources are listed too (default index/, or BOT_INDEX)")
    rep.add_argument("--json", action="store_true", help="print the tables as JSON")
    rep.set_defaults(run=_report)
    forget = sub.add_parser("forget", help="delete feedback log entries logged before a day, or all of them")
    when = forget.add_mutually_exclusive_group(required=True)
    when.add_argument("--before", metavar="YYYY-MM-DD", help="delete the entries logged before this day (UTC)")
    when.add_argument("--all", action="store_true", help="delete every entry")
    forget.add_argument("--data", help="folder holding feedback.jsonl (default data/, or BOT_DATA)")
    forget.set_defaults(run=_forget)
    return p
