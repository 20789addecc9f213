"""The help-desk page /admin without a browser: its own password (never the public one), 404 when
it has none, what it shows (escaped), and the CSV export read back with the csv module."""

from __future__ import annotations

import base64
import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SEED_CORPUS, FakeEmbedder
from fastapi.testclient import TestClient

from bot import Answer, Bot, Settings
from bot.admin import AdminPage, cell, to_csv
from bot.build import build
from bot.chat import create_app
from bot.feedback import FeedbackLog
from bot.insights import Catalog, DocumentInfo, tables
from bot.schema import Safety

PUBLIC, DESK = "public-pw", "desk-pw"
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
XSS = "<script>alert(1)</script> is it safe?"
HARD = ['Is "Klonopin", or clonazepam, safe\nin pregnancy?', "¿Es seguro el Klonopin en el embarazo? ñ 🙂",
        "=HYPERLINK(\"http://x\",\"click\")", "+1 tablet — @home -2", XSS]
OLD_DOC = "---\ntitle: Old Leaflet\nreviewed: 2020-05-01\n---\n\n# Dosing\n\nTake one tablet of the leaflet drug a day.\n"


def basic(password: str, user: str = "desk") -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("admin")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    (root / "corpus" / "old.md").write_text(OLD_DOC, encoding="utf-8")
    return Settings.load(corpus=root / "corpus", index=root / "index", data=root / "data", min_score=0.2,
                         auth=PUBLIC, admin_auth=DESK, stale_months=24, rate_limit=0)


@pytest.fixture(scope="module")
def bot(settings: Settings) -> Bot:
    fake = FakeEmbedder()
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake)


@pytest.fixture(scope="module")
def log(bot: Bot, settings: Settings) -> FeedbackLog:
    """A scripted log: hard questions the documents do not answer (one twice), an answer voted
    down, a crisis message and a thumb on its reply."""
    log = FeedbackLog(settings.data)
    for q in HARD + [HARD[0]]:
        log.ask(Answer(q, "no_answer", None, (), "md", "d"), "chat")
    answer = bot.ask("What are the withdrawal symptoms of Klonopin?")
    assert answer.status == "answered"
    rec = log.ask(answer, "api")
    assert rec is not None
    log.vote(rec, "down")
    crisis = log.ask(Answer("i dont want to live anymore", "no_answer", Safety("crisis", "988"), (), "md", "d"), "chat")
    assert crisis is not None
    log.vote(crisis, "down")
    return log


@pytest.fixture(scope="module")
def client(bot: Bot, settings: Settings, log: FeedbackLog) -> Iterator[TestClient]:
    with TestClient(create_app(bot, settings, log)) as c:
        yield c


@pytest.mark.parametrize("headers", [{}, basic("wrong"), basic(PUBLIC), {"authorization": f"Bearer {DESK}"},
                                     {"authorization": "Basic !!!"}])
@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/unanswered.csv"])
def test_admin_refuses_without_its_own_password(client: TestClient, headers: dict, path: str):
    r = client.get(path, headers=headers)
    assert r.status_code == 401, r.text
    assert 'realm="help desk"' in r.headers["www-authenticate"]  # not the chat's realm: the browser asks anew
    assert "BOT_ADMIN_AUTH" in r.text


def test_admin_opens_with_its_password_and_any_user_name(client: TestClient):
    for user in ("desk", "", "anyone"):
        r = client.get("/admin", headers=basic(DESK, user))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-store"


def test_the_admin_password_opens_nothing_else(client: TestClient):
    assert client.get("/", headers=basic(DESK)).status_code == 401
    assert client.post("/api/ask", json={"question": "hi"}, headers=basic(DESK)).status_code == 401
    # (a question the documents answer: an unanswered one would join the page's data the next test reads)
    assert client.post("/api/ask", json={"question": "What are the symptoms of Klonopin withdrawal?"},
                       headers=basic(PUBLIC)).status_code == 200
    # only the page's own paths skip the public password, not whatever starts with /admin
    assert client.get("/administrator", headers=basic(DESK)).status_code == 401
    assert client.get("/admin/../config", headers=basic(DESK)).status_code == 401


@pytest.mark.parametrize("public", ["", PUBLIC])
def test_no_admin_password_no_admin_page(bot: Bot, settings: Settings, log: FeedbackLog, public: str):
    off = replace(settings, admin_auth="", auth=public)
    with TestClient(create_app(bot, off, log)) as c:
        headers = basic(public) if public else {}
        assert c.get("/admin", headers=headers).status_code == 404
        assert c.get("/admin/unanswered.csv", headers=headers).status_code == 404
        assert c.get("/admin", headers=basic("")).status_code in (401, 404)


def test_the_page_shows_the_groups_votes_documents_and_counts_notices_apart(client: TestClient):
    html = client.get("/admin", headers=basic(DESK)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is it safe?" in html and "<script>" not in html  # escaped
    groups = html[html.index('id="groups"'):html.index('id="time"')]
    assert "Is &quot;Klonopin&quot;, or clonazepam, safe\nin pregnancy?" in groups
    assert '<td class="n" data-label="Asked">2</td>' in groups  # asked twice
    assert "live anymore" not in html  # the crisis message: counted, never listed
    assert "1 crisis" in html
    voted = html[html.index('id="voted"'):html.index('id="documents"')]
    assert "What are the withdrawal symptoms of Klonopin?" in voted and "(1 down, 0 up)" in voted
    assert "Klonopin withdrawal symptoms include insomnia" in voted  # the quote, read from the index
    stale = html[html.index('id="stale"'):html.index('id="all-documents"')]
    assert "Old Leaflet" in stale and "May 2020" in stale and "Facts About Klonopin" not in stale
    assert "<svg" in html and "http://www.w3.org/2000/svg" in html and "<script" not in html.replace("&lt;script", "")


def test_the_csv_export_reads_back_as_the_page_data(bot: Bot, settings: Settings, log: FeedbackLog,
                                                     client: TestClient):
    data = tables(AdminPage(lambda: bot, log, settings, clock=lambda: NOW).insights())
    assert {q for q, *_ in data["unanswered"][1]} == set(HARD)
    for name, (header, rows) in data.items():
        r = client.get(f"/admin/{name}.csv", headers=basic(DESK))
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheets read it as UTF-8
        read = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
        assert read == [list(header)] + [[cell(v) for v in row] for row in rows], name
        assert rows, name
    unanswered = {row[0]: row for row in csv.reader(io.StringIO(
        client.get("/admin/unanswered.csv", headers=basic(DESK)).content.decode("utf-8-sig"), newline=""))}
    assert unanswered[HARD[0]][1] == "2"  # commas, quotes and a newline survive
    assert HARD[1] in unanswered and XSS in unanswered
    assert "'=HYPERLINK(\"http://x\",\"click\")" in unanswered  # never a formula
    assert "'+1 tablet — @home -2" in unanswered
    assert client.get("/admin/secrets.csv", headers=basic(DESK)).status_code == 404


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("a=1", "a=1"), ("", ""), (3, "3"), (-2, "-2"), ("ñ, \"x\"\n", "ñ, \"x\"\n")])
def test_a_cell_is_never_a_formula(value, written):
    assert cell(value) == written
    assert list(csv.reader(io.StringIO(to_csv(("h",), [(value,)]), newline="")))[1] == [written]


def test_a_replica_without_the_corpus_lists_the_documents_with_their_dates_from_the_index(bot: Bot, settings: Settings,
                                                                                          tmp_path: Path):
    replica = replace(settings, corpus=tmp_path / "no-corpus")
    found = AdminPage(lambda: bot, FeedbackLog(tmp_path), replica, clock=lambda: NOW).insights()
    assert {d.doc: (d.reviewed, d.state) for d in found.documents} == {
        "klonopin-addiction-treatment.txt": (None, "undated"), "old.md": ("May 2020", "stale")}
    assert [d.doc for d in found.stale] == ["old.md"]
    assert found.groups == () and found.asked == 0


def test_a_document_the_index_holds_no_dates_for_is_listed_with_date_unknown(bot: Bot, settings: Settings,
                                                                             tmp_path: Path):
    page = AdminPage(lambda: bot, FeedbackLog(tmp_path), settings, clock=lambda: NOW)
    docs = page.documents(bot, Catalog(titles={"old.md": "Old Leaflet", "gone.md": "Gone"}))
    assert docs == [DocumentInfo("old.md", "Old Leaflet", "2020-05-01", None), DocumentInfo("gone.md", "Gone", known=False)]


def test_the_answers_that_quoted_each_document_are_counted(bot: Bot, settings: Settings, log: FeedbackLog):
    found = AdminPage(lambda: bot, log, settings, clock=lambda: NOW).insights()
    counts = {d.doc: d.answers for d in found.documents}
    answered = [e for e in log.events() if e["event"] == "ask" and e["status"] == "answered"]
    assert answered and all({p["doc"] for p in e["passages"]} == {"klonopin-addiction-treatment.txt"} for e in answered)
    assert counts == {"klonopin-addiction-treatment.txt": len(answered), "old.md": 0}  # each answer once, votes not
