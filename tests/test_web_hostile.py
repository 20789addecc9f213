"""The public web endpoint under attack: hostile questions through the HTTP API and the chat (never
a 500, nothing live in what is shown), and the guard around the app: optional password, request
size limit, per-client rate limit answering 429, no uploads, nothing on the web that writes — and
no limit that withholds an emergency or crisis notice.

The bot runs on the fake embedder; the app is `app.create_app` as the server runs it, its guard
and rate limit configured from `Settings`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEED_CORPUS, FakeEmbedder
from fastapi.testclient import TestClient
from hostile import TRUSTED, assert_inert, assert_valid_answer, load_cases, question, source_links

from bot import Bot, Settings
from bot.build import build
from bot.chat import Chat, create_app
from bot.feedback import FeedbackLog
from bot.guard import RateLimiter, client_address
from bot.service import Service

CASES = load_cases()
QUESTION = "What are the withdrawal symptoms of Klonopin?"
EMERGENCY = "my dad took all his klonopin pills and he is not breathing"
#: the app's own citation anchors around `[n]` (bot/chat.py cite_anchors): taken out before the oracle
_ANCHORS = re.compile(r'<a href="#cite\d+-(\d+)" class="cite">\[\1\]</a>|<span id="cite\d+-\d+" class="source-line"></span>')
_NOTICE = re.compile(r'\A<div class="notice notice-(emergency|crisis)" role="alert">\n\n(.*?)\n\n</div>(?:\n\n|\Z)', re.S)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bot, Settings]:
    root = tmp_path_factory.mktemp("web")
    settings = Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data", min_score=0.2)
    fake = FakeEmbedder()
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake), settings


def served(web: tuple[Bot, Settings], peer: str = "testclient", **changes: object) -> TestClient:
    """The app as the server runs it, wide open but for these settings (auth, rate_limit, max_request_kb...),
    its requests coming from the address `peer`."""
    bot, settings = web
    wide = replace(settings, rate_limit=0, max_request_kb=16 * 1024, auth="")
    return TestClient(create_app(bot, replace(wide, **changes), FeedbackLog(settings.data)), client=(peer, 50000))


def chat_turn(chat: Chat, text: str, messages: list, turns: list, lang: str = "en-US") -> tuple[list, list]:
    """One question through the chat's two steps, as the browser runs them: screen, then answer."""
    _, shown, messages, pending = chat.screen(text, messages, turns, lang)
    shown, messages, turns = chat.answer(pending, messages, turns, lang, "chat", None)
    return messages, turns


def test_guard_is_configured_from_settings(web):
    bot, settings = web
    strict = replace(settings, rate_limit=3, max_request_kb=1, auth="pw")
    with TestClient(create_app(bot, strict, FeedbackLog(settings.data))) as client:
        assert client.post("/api/ask", json={"question": "What is Klonopin?"}).status_code == 401
        auth = {"Authorization": "Bearer pw"}
        assert client.post("/api/ask", json={"question": "x" * 2000}, headers=auth).status_code == 413
        codes = [client.post("/api/ask", json={"question": "What is Klonopin?"}, headers=auth).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]


@pytest.fixture(scope="module")
def open_client(web) -> Iterator[TestClient]:
    """The app with the guard's defaults but no rate limit, so every case gets through."""
    with served(web) as client:
        yield client


# --- hostile questions through the HTTP API and the chat ----------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_http_api(open_client, case):
    text = question(case)
    payload = {"question": text, "history": [text[:2000], {"role": "assistant", "content": "<b>"}]}
    r = open_client.post("/api/ask", content=json.dumps(payload), headers={"content-type": "application/json"})  # \u escapes
    assert r.status_code == 200, r.text[:500]
    assert_valid_answer(r.json(), case)


@pytest.mark.parametrize("body", [
    b"", b"null", b"[]", b'"question"', b'{"question": null}', b'{"question": 42}', b'{"question": ["a"]}',
    b'{"question": "a", "history": "not a list"}', b'{"question": "a", "history": [{"role": "system", "content": "x"}]}',
    b'{"question": "a", "history": [' + b'"x",' * 200 + b'"x"]}', b'{"question": "\\ud800"}', b'{"question": "a"' ,
    b"\xff\xfe\x00", b'{"question": "' + b"[" * 5000 + b'"}', b"[" * 50_000, b'{"a":' * 10_000,
])
def test_malformed_or_hostile_bodies_never_get_a_500(open_client, body):
    r = open_client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (200, 400, 422), (r.status_code, r.text[:300])  # a client error, never a 500
    assert r.headers["content-type"].startswith("application/json")
    r.json()


@pytest.mark.parametrize("case", [c for c in CASES if len(question(c)) <= 102_400], ids=lambda c: c["id"])
def test_chat_shows_nothing_live(web, case):
    """What the chat shows for a hostile question: the question escaped, the answer and its sources inert."""
    bot, settings = web
    chat = Chat(Service(bot), settings.corpus)
    messages, turns = chat_turn(chat, question(case), [], [])
    user, *shown = messages
    assert user["role"] == "user"
    assert_inert(user["content"])
    for message in shown:
        content = message["content"]
        if m := _NOTICE.match(content):  # the app's own notice box around the fixed safety text
            assert m.group(2) in TRUSTED
            content = content[m.end():]
        for text in TRUSTED:
            content = content.replace(text, "")
        content = _ANCHORS.sub(lambda m: f"[{m[1]}]" if m[1] else "", content)
        assert_inert(content, source_links(content, "klonopin-addiction-treatment.txt"))
    follow = chat_turn(chat, "and what about it?", messages, turns)[0]
    assert all("<script" not in m["content"] for m in follow)


def test_gradio_api_endpoint_takes_hostile_input(open_client):
    """The page's Gradio API endpoint (as `gradio_client` calls it) answers hostile text without an error."""
    for text in ["<script>alert(1)</script>", "\x00\ud800", "x" * 100_000, "[a](javascript:alert(1))"]:
        r = open_client.post("/gradio_api/call/ask", content=json.dumps({"data": [text, []]}),
                             headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        event = r.json()["event_id"]
        stream = open_client.get(f"/gradio_api/call/ask/{event}").text
        assert "event: complete" in stream and "event: error" not in stream, stream[:500]


# --- the guard ------------------------------------------------------------------------------------

def test_rate_limit_answers_429_per_client(web):
    with served(web, rate_limit=3) as client:
        codes = [client.post("/api/ask", json={"question": QUESTION}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = client.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60
        assert "wait" in r.json()["detail"] and r.headers["content-type"] == "application/json"
        assert r.json()["status"] == "invalid" and r.json()["safety"] is None  # the answer's JSON shape too
        assert r.headers["content-security-policy"].startswith("frame-ancestors")
        embedded = client.post("/api/ask", json={"question": QUESTION}, headers={"origin": "https://forum.example.org"})
        assert embedded.status_code == 429 and embedded.headers["access-control-allow-origin"] == "https://forum.example.org"
        assert client.get("/").status_code == 200  # reading the page is not limited
        event = client.post("/gradio_api/call/ask", json={"data": [QUESTION, []]}).json()["event_id"]
        assert "Too many questions" in client.get(f"/gradio_api/call/ask/{event}").text  # the same budget


def test_a_rate_limited_emergency_or_crisis_still_gets_its_notice(web):
    with served(web, rate_limit=1) as client:
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 429
        for message, kind in [(EMERGENCY, "emergency"), ("i dont want to live anymore", "crisis")]:
            r = client.post("/api/ask", json={"question": message})
            assert r.status_code == 200 and 0 < int(r.headers["retry-after"]) <= 60  # a reply no client drops
            data = r.json()
            assert data["safety"]["kind"] == kind and data["markdown"].startswith(data["safety"]["message"])
            assert data["status"] == "invalid" and data["passages"] == [] and "wait" in data["markdown"]
            assert "could not find" not in data["markdown"]
    bot, settings = web
    chat = Chat(Service(bot, limiter=RateLimiter(1)), settings.corpus)
    messages, turns = chat_turn(chat, QUESTION, [], [])
    messages, turns = chat_turn(chat, EMERGENCY, messages, turns)
    last = messages[-1]["content"]
    assert last.startswith('<div class="notice notice-emergency" role="alert">') and "Too many questions" in last


def test_rate_limit_counts_each_client_alone():
    now = [0.0]
    limiter = RateLimiter(2, window=10, clock=lambda: now[0])
    assert [limiter.check("a"), limiter.check("a"), limiter.check("b")] == [0, 0, 0]
    assert limiter.check("a") == pytest.approx(10)
    now[0] = 5.0
    assert limiter.check("a") == pytest.approx(5)
    now[0] = 10.01
    assert limiter.check("a") == 0 and limiter.check("b") == 0


def asks(client: TestClient) -> Callable[..., int]:
    """A function asking QUESTION with that X-Forwarded-For header (None: without it), giving the status code."""
    def ask(forwarded: str | None = None) -> int:
        headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
        return client.post("/api/ask", json={"question": QUESTION}, headers=headers).status_code
    return ask


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit(web):
    with served(web, peer="10.0.0.5", rate_limit=1, trust_proxy="10.0.0.0/8") as client:
        ask = asks(client)
        assert [ask("203.0.113.1"), ask("203.0.113.2")] == [200, 200]  # two people behind one load balancer
        assert [ask("203.0.113.1"), ask("203.0.113.2")] == [429, 429]  # each over their own limit
        # the chat's API (Gradio) counts the same person
        limited = client.post("/gradio_api/call/ask", json={"data": [QUESTION, []]}, headers={"x-forwarded-for": "203.0.113.1"})
        assert "Too many questions" in client.get(f"/gradio_api/call/ask/{limited.json()['event_id']}").text
        other = client.post("/gradio_api/call/ask", json={"data": [QUESTION, []]}, headers={"x-forwarded-for": "203.0.113.9"})
        assert "Too many questions" not in client.get(f"/gradio_api/call/ask/{other.json()['event_id']}").text
        # an address the client wrote into the header itself, before the one the proxy added, is not believed
        assert ask("198.51.100.1, 203.0.113.2") == 429
        # through two trusted proxies: the address the outer one saw
        assert [ask("203.0.113.3, 10.9.9.9"), ask("203.0.113.3")] == [200, 429]
        assert [ask(), ask()] == [200, 429]  # no header: the proxy's own address
    for untrusted in ({"peer": "192.0.2.50", "trust_proxy": "10.0.0.0/8"}, {"peer": "10.0.0.5"}):
        with served(web, rate_limit=1, **untrusted) as client:  # the header of an untrusted peer is ignored
            ask = asks(client)
            assert [ask("203.0.113.1"), ask("203.0.113.2"), ask()] == [200, 429, 429]


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("10.0.0.5", "203.0.113.1", "10.0.0.0/8", "203.0.113.1"),
    ("10.0.0.5", "203.0.113.1", "", "10.0.0.5"),
    ("192.0.2.1", "203.0.113.1", "10.0.0.0/8", "192.0.2.1"),
    ("::ffff:10.0.0.5", "203.0.113.1", "10.0.0.5", "203.0.113.1"),  # a dual-stack socket's IPv4 peer
    ("fd00::1", "2001:db8::7, fd00::2", "fd00::/8", "2001:db8::7"),
    ("10.0.0.5", "not-an-address, 203.0.113.1", "10.0.0.0/8", "203.0.113.1"),
    ("10.0.0.5", "198.51.100.1, 10.0.0.6", "*", "198.51.100.1"),  # every peer trusted: the first address
    ("10.0.0.5", " , ", "10.0.0.0/8", "10.0.0.5"),
    (None, "203.0.113.1", "*", "unknown"),
])
def test_client_address(peer, forwarded, trusted, client):
    headers = {"x-forwarded-for": forwarded}
    assert client_address(headers, peer, Settings.load(trust_proxy=trusted).trusted_proxies) == client


def test_request_size_limit(web):
    with served(web, max_request_kb=4) as client:
        assert client.post("/api/ask", json={"question": "x" * 3000}).status_code == 200
        big = client.post("/api/ask", json={"question": "x" * 10_000})
        assert big.status_code == 413 and "KB" in big.json()["detail"]

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"question": "'
            for _ in range(100):
                yield b"x" * 1000
            yield b'"}'

        assert client.post("/api/ask", content=chunked(), headers={"content-type": "application/json"}).status_code == 413
        assert client.post("/gradio_api/call/ask", json={"data": ["x" * 10_000, []]}).status_code == 413


def test_a_question_over_the_size_limit_that_describes_an_emergency_gets_its_notice(web):
    with served(web, max_request_kb=4) as client:
        for story in [EMERGENCY + ". " + "We were at home all day. " * 400, "ya no quiero seguir viviendo " * 400]:
            r = client.post("/api/ask", json={"question": story})
            assert r.status_code == 200, r.text[:200]
            data = r.json()
            assert data["safety"] and data["status"] == "invalid" and data["passages"] == []
            assert data["markdown"].startswith(data["safety"]["message"]) and "2,000" in data["markdown"]  # the limit
        assert client.post("/api/ask", json={"question": "We were at home all day. " * 400}).status_code == 413


def test_password(web):
    with served(web, auth="s3cret pass") as client:
        for path in ("/", "/widget/", "/docs", "/gradio.js"):
            r = client.get(path)
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 401
        wrong = base64.b64encode(b"user:nope").decode()
        assert client.get("/", headers={"authorization": f"Basic {wrong}"}).status_code == 401
        assert client.get("/", headers={"authorization": "Basic !!!not-base64"}).status_code == 401
        right = base64.b64encode(b"anyone:s3cret pass").decode()
        assert client.get("/", headers={"authorization": f"Basic {right}"}).status_code == 200
        r = client.post("/api/ask", json={"question": QUESTION}, headers={"authorization": "Bearer s3cret pass"})
        assert r.status_code == 200 and r.json()["status"] == "answered"
    with served(web) as client:  # no password set: open
        assert client.get("/").status_code == 200


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_read_only(web, tmp_path):
    bot, settings = web
    before = tree_digest(Path(settings.index)), tree_digest(Path(settings.corpus))
    with served(web) as client:
        for path in ("/gradio_api/upload", "/widget/gradio_api/upload", "/upload"):
            r = client.post(path, files={"files": ("x.txt", b"Injected\n\nText.\n", "text/plain")})
            assert r.status_code == 403, (path, r.status_code)
        for method, path in [("POST", "/api/index"), ("POST", "/index"), ("PUT", "/api/ask"), ("DELETE", "/api/ask"),
                             ("POST", "/api/build"), ("GET", "/api/ask")]:
            assert client.request(method, path).status_code in (404, 405), (method, path)
        client.post("/api/ask", json={"question": "../../corpus/x.txt <script>"})
    assert (tree_digest(Path(settings.index)), tree_digest(Path(settings.corpus))) == before


def test_no_identifiers_in_the_feedback_log(web):
    bot, settings = web
    with served(web, peer="10.0.0.5", trust_proxy="10.0.0.5") as client:
        client.post("/api/ask", json={"question": "What is Klonopin?"},
                    headers={"x-forwarded-for": "198.51.100.77", "user-agent": "UniqueAgent/9.9", "cookie": "sid=abc123"})
    log = (Path(settings.data) / "feedback.jsonl").read_text()
    assert "What is Klonopin?" in log
    for identifier in ("198.51.100.77", "10.0.0.5", "UniqueAgent", "abc123"):
        assert identifier not in log
    keys = {"event", "time", "via", "question", "status", "passages", "vote", "id", "searched_for", "safety",
            "unanswered_parts"}
    assert all(set(json.loads(line)) <= keys for line in log.splitlines()), log.splitlines()[0]
