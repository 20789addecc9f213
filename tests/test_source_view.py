"""The source view (`/source/<doc>`): a document of the index with the quoted passage marked, where
every citation without a web address leads; nothing outside the index's documents is served."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEED_CORPUS, FakeEmbedder
from fastapi.testclient import TestClient

from bot import Bot, Settings
from bot.build import build
from bot.chat import cite_anchors, create_app
from bot.feedback import FeedbackLog
from bot.source_view import SourceView
from bot.sources import Sources

QUESTION = "What are the withdrawal symptoms of Klonopin?"
HOSTILE = """---
title: Label <b>Facts</b>
reviewed: 2023-02-10
review_by: 2024-02-10
---

# Reading a Label

Sunscreen labels print <b>bold</b> warnings & <script>alert("corpus")</script> about reapplying every two hours.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("source")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    (root / "corpus" / "care").mkdir()
    (root / "corpus" / "care" / "label notes.md").write_text(HOSTILE, encoding="utf-8")
    (root / "secret.txt").write_text("TOP SECRET, outside the corpus", encoding="utf-8")
    return root / "corpus"


@pytest.fixture(scope="module")
def bot(corpus: Path) -> Bot:
    settings = Settings.load(corpus=corpus, index=corpus.parent / "index", data=corpus.parent / "data", min_score=0.2,
                             stale_months=12)
    build(settings, FakeEmbedder())
    return Bot.load(settings=settings, embedder=FakeEmbedder())


@pytest.fixture(scope="module")
def client(bot: Bot) -> Iterator[TestClient]:
    with TestClient(create_app(bot, bot.settings, FeedbackLog(bot.settings.data))) as c:
        yield c


def marked(page: str) -> str:
    found = re.findall(r'<mark id="passage">(.*?)</mark>', page, re.S)
    assert len(found) == 1, page[:500]
    return html.unescape(found[0])


def test_every_passage_of_an_answer_links_to_its_source_view_with_the_passage_marked(client: TestClient):
    data = client.post("/api/ask", json={"question": QUESTION}).json()
    assert data["passages"]
    for p in data["passages"]:
        r = client.get(p["link"])  # relative: the caller knows the host
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert marked(r.text) == p["text"]
        assert "<h1>Facts About Klonopin Addiction Treatment</h1>" in r.text
        assert 'name="viewport" content="width=device-width' in r.text  # a phone's width


def test_html_in_a_document_is_shown_as_text_with_its_review_dates(client: TestClient, bot: Bot):
    info = bot.index.manifest["documents"]["care/label notes.md"]
    assert (info["reviewed"], info["review_by"]) == ("2023-02-10", "2024-02-10")
    passage = bot.index.passages[info["rows"][0]]
    r = client.get(f"/source/care/label%20notes.md?passage={passage.start}-{passage.end}")
    assert r.status_code == 200
    assert "<script>" not in r.text.split("</style>", 1)[1] and "<b>" not in r.text
    assert "&lt;script&gt;alert(&quot;corpus&quot;)&lt;/script&gt;" in r.text and "&lt;b&gt;bold&lt;/b&gt;" in r.text
    assert "<h1>Label &lt;b&gt;Facts&lt;/b&gt;</h1>" in r.text
    assert "reviewed February 2023" in r.text and '<span class="overdue">review overdue</span>' in r.text
    assert marked(r.text) == passage.text


@pytest.mark.parametrize("path", [
    "/source/nothing.md", "/source/../secret.txt", "/source/%2e%2e/secret.txt", "/source/..%2fsecret.txt",
    "/source/care/../../secret.txt", "/source//etc/passwd", "/source/%2Fetc%2Fpasswd", "/source/care",
    "/source/klonopin-addiction-treatment.txt/../../secret.txt"])
def test_unknown_documents_and_paths_out_of_the_corpus_are_not_found(client: TestClient, path: str):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "TOP SECRET" not in r.text and "root:x" not in r.text


def test_a_passage_out_of_range_or_malformed_marks_nothing(client: TestClient):
    for passage in ("", "abc", "5-2", "0-99999999", "-1-4"):
        r = client.get(f"/source/klonopin-addiction-treatment.txt?passage={passage}")
        assert r.status_code == 200 and "<mark" not in r.text


def test_a_replica_without_the_corpus_shows_the_indexed_passages(bot: Bot, tmp_path: Path):
    """No corpus folder (or a file edited since indexing): the page is made of the document's passages."""
    view = SourceView(Sources(tmp_path / "no-corpus", bot.index.passages), bot.index.manifest["documents"], bot.texts)
    first, end = bot.index.manifest["documents"]["klonopin-addiction-treatment.txt"]["rows"]
    target = bot.index.passages[first + 2]
    page = view.page("klonopin-addiction-treatment.txt", f"{target.start}-{target.end}")
    assert page is not None and marked(page) == target.text
    text = html.unescape(page.split('<div class="text">', 1)[1])
    assert all(bot.index.passages[i].text in text for i in range(first, end))
    assert view.page("../secret.txt") is None


def test_each_quote_number_links_to_its_source_line_in_the_same_message(bot: Bot):
    answer = bot.ask(QUESTION)
    text = cite_anchors(answer.markdown, len(answer.hits), "cite4")
    for h in answer.hits:
        assert f'<a href="#cite4-{h.rank}" class="cite">[{h.rank}]</a>' in text
        assert f'<span id="cite4-{h.rank}" class="source-line"></span>[{h.rank}] [' in text
    # a document's own brackets are escaped, so they never become links
    assert cite_anchors("> a quote \\[2\\]\n\n\\[2\\] x", 3, "k") == "> a quote \\[2\\]\n\n\\[2\\] x"


def test_an_incremental_build_keeps_each_documents_rows_and_dates(settings: Settings, fake):
    (settings.corpus / "a.md").write_text("---\ntitle: A\nreviewed: May 2024\n---\n\n# One\n\nAlpha text here.\n",
                                          encoding="utf-8")
    build(settings, fake)
    (settings.corpus / "a.md").write_text("---\ntitle: A\nreviewed: 2025-01-02\n---\n\n# One\n\nAlpha text, longer.\n",
                                          encoding="utf-8")
    build(settings, fake)  # the seed document is not read again: its entry is carried over
    bot = Bot.load(settings=settings, embedder=fake)
    documents = bot.index.manifest["documents"]
    assert documents["a.md"]["reviewed"] == "2025-01-02" and bot.reviews["a.md"].label() == "January 2025"
    for doc, info in documents.items():
        first, end = info["rows"]
        assert end > first and all(bot.index.passages[i].doc == doc for i in range(first, end))
    assert sum(e - f for f, e in (i["rows"] for i in documents.values())) == len(bot.index.passages)


def test_an_index_without_the_documents_entry_is_refused_and_rebuilt_without_embedding(settings: Settings, fake):
    """Format 4 (before each document's rows and dates): refused with the rebuild message, and the
    next build reuses every passage and sentence vector."""
    import json

    from bot.errors import IndexMismatchError
    from bot.index import load

    build(settings, fake)
    folder = settings.index / "current"
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["settings"]["format"] = 4
    del manifest["documents"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="index format 4, this version reads 5"):
        load(settings.index, settings=settings)
    report = build(settings, fake)
    assert not report.up_to_date and report.embedded == 0 and report.sentences_embedded == 0
    assert "klonopin-addiction-treatment.txt" in load(settings.index, settings=settings).manifest["documents"]
