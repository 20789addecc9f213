"""The server without a browser: POST /api/ask, its OpenAPI description, the embedding headers,
the web component script, the Gradio API from `gradio_client`, and the chat's handlers.

The bot runs on the deterministic fake embedder, so these tests are exact and fast.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import pytest
import uvicorn
from conftest import SEED_CORPUS, FakeEmbedder
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import Bot, ConfigError, Settings
from bot.build import build
from bot.chat import Chat, create_app, render
from bot.contract import AnswerOut
from bot.feedback import FeedbackLog
from bot.service import Service
from bot.sources import Sources
from bot.web import cors_regex, frame_ancestors

QUESTION = "What are the withdrawal symptoms of Klonopin?"
KEYS = ["question", "status", "safety", "passages", "markdown", "disclaimer", "language", "uncovered",
        "parts"]  # DESIGN.md, in order


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("web")
    return Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data", min_score=0.2)


@pytest.fixture(scope="module")
def bot(web_settings: Settings) -> Bot:
    fake = FakeEmbedder()
    build(web_settings, fake)
    return Bot.load(settings=web_settings, embedder=fake)


@pytest.fixture(scope="module")
def client(bot: Bot, web_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(bot, web_settings, FeedbackLog(web_settings.data))) as c:
        yield c


def test_api_ask_returns_exactly_the_answer_json(client: TestClient, bot: Bot):
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert list(r.json()) == KEYS
    assert r.json() == json.loads(json.dumps(bot.ask(QUESTION).to_dict()))
    assert r.json()["status"] == "answered" and r.json()["passages"][0]["rank"] == 1


def test_api_ask_passes_the_history_so_follow_ups_work(client: TestClient, bot: Bot):
    earlier = "How is Klonopin addiction treated?"
    as_text = client.post("/api/ask", json={"question": "what about withdrawal?", "history": [earlier]}).json()
    as_messages = client.post("/api/ask", json={"question": "what about withdrawal?", "history": [
        {"role": "user", "content": earlier}, {"role": "assistant", "content": "…"}]}).json()
    assert as_text == as_messages == bot.ask("what about withdrawal?", [earlier]).to_dict()
    assert "Searched for:* Klonopin addiction: what about withdrawal?" in as_text["markdown"]


def test_api_ask_logs_the_question_without_identifiers(client: TestClient, web_settings: Settings):
    client.post("/api/ask", json={"question": "Is banana bread good for gout?"}, headers={"X-Forwarded-For": "203.0.113.9"})
    events = [json.loads(line) for line in (web_settings.data / "feedback.jsonl").read_text().splitlines()]
    last = events[-1]
    assert (last["event"], last["question"], last["via"]) == ("ask", "Is banana bread good for gout?", "api")
    assert "203.0.113" not in json.dumps(events) and "testclient" not in json.dumps(events)


def test_api_ask_logs_the_question_scrubbed_and_answers_it_as_typed(client: TestClient, web_settings: Settings):
    question = "Is banana bread good for gout? Reply to jane.doe@example.com or (555) 123-4567"
    answer = client.post("/api/ask", json={"question": question}).json()
    last = json.loads((web_settings.data / "feedback.jsonl").read_text().splitlines()[-1])
    assert answer["question"] == question  # the answer is not changed, only the log
    assert last["question"] == "Is banana bread good for gout? Reply to [email] or [phone]"


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b"null", b'{"history": []}', b'{"question": 5}', b'{"question": null}',
    b'{"question": "hi", "history": "nope"}', b'{"question": "hi", "history": [{"role": "robot", "content": "x"}]}',
    b'{"question": "hi", "history": [' + b'"x",' * 100 + b'"x"]}', b'\xff\xfe{"question"',
])
def test_malformed_requests_get_a_json_error_not_a_500(client: TestClient, body: bytes):
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.json()["detail"]


def test_unusable_questions_are_answers_with_status_invalid(client: TestClient):
    for question in ["", "   ", "?!", "x" * 5000]:
        r = client.post("/api/ask", json={"question": question})
        assert r.status_code == 200 and r.json()["status"] == "invalid"
    for surrogates in ['"\\ud800"', '"' + "\\udc00" * 3000 + '"']:  # lone surrogates: valid JSON, not UTF-8
        r = client.post("/api/ask", content=f'{{"question": {surrogates}, "history": [{surrogates}]}}',
                        headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["status"] == "invalid"


def test_openapi_describes_the_request_and_the_answer(client: TestClient, bot: Bot):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/ask"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskRequest")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerOut")
    schemas = spec["components"]["schemas"]
    assert list(schemas["AnswerOut"]["properties"]) == KEYS
    assert schemas["AskRequest"]["required"] == ["question"]
    AnswerOut.model_validate(bot.ask(QUESTION).to_dict())  # the described shape is the real one
    assert client.get("/docs").status_code == 200


def test_every_page_says_who_may_frame_it(client: TestClient):
    for path in ["/", "/widget/", "/openapi.json"]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-security-policy"] == "frame-ancestors *"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_restricted_origins_frame_and_call_it_others_do_not(bot: Bot, web_settings: Settings):
    settings = Settings.load(corpus=web_settings.corpus, index=web_settings.index,
                             frame_ancestors="'self' https://forum.example.org https://*.example.net")
    with TestClient(create_app(bot, settings, None)) as c:
        assert c.get("/widget/").headers["content-security-policy"] == (
            "frame-ancestors 'self' https://forum.example.org https://*.example.net")
        for origin, allowed in [("https://forum.example.org", True), ("https://help.example.net", True),
                                ("https://evil.example.com", False), ("http://forum.example.org", False)]:
            r = c.options("/api/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed, origin
            r = c.get("/widget/config", headers={"Origin": origin})
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed, origin


@pytest.mark.parametrize("value", ["forum.example.org", "https://forum.example.org/path", "'none' https://a.org", "javascript:x"])
def test_a_bad_frame_ancestors_setting_says_how_to_fix_it(value: str):
    with pytest.raises(ConfigError, match="write origins like https://forum.example.org"):
        frame_ancestors(value)


def test_cors_regex():
    assert re.fullmatch(cors_regex("*"), "https://anything.example")
    assert not re.fullmatch(cors_regex("'self'"), "https://forum.example.org")
    assert re.fullmatch(cors_regex("https://*.example.org:8443"), "https://a.b.example.org:8443")
    assert not re.fullmatch(cors_regex("https://*.example.org"), "https://example.org.evil.com")


def test_the_web_component_script_is_served_with_what_it_imports(client: TestClient):
    r = client.get("/gradio.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    (asset,) = re.findall(r'import\("\./(assets/[^"]+\.js)"\)', r.text)
    assert client.get("/" + asset).status_code == 200


def test_the_widget_is_the_chat_with_a_one_line_header(client: TestClient):
    def texts(path: str) -> str:
        return json.dumps([c.get("props", {}) for c in client.get(path).json()["components"]])

    assert "Ask the documents" in texts("/config") and "Facts About Klonopin Addiction Treatment" in texts("/config")
    widget = texts("/widget/config")
    assert "Ask the documents" in widget and "Facts About Klonopin Addiction Treatment" not in widget
    assert "Your question" in widget and "not medical advice" in widget and "(tel:911)" in widget


@pytest.mark.parametrize(("path", "headers", "target"), [
    ("/?lang=es", {}, "/es/"),
    ("/widget/?lang=es-MX", {}, "/widget/es/"),
    ("/widget/?lang=es&__theme=light", {}, "/widget/es/?__theme=light"),
    ("/", {"accept-language": "es-US,es;q=0.9,en;q=0.8"}, "/es/"),
    ("/widget/", {"accept-language": "es"}, "/widget/es/"),
    ("/es/?lang=en", {}, "/"),
    ("/widget/es/?lang=en", {}, "/widget/"),
])
def test_the_page_and_widget_follow_lang_and_the_browsers_language(client: TestClient, path, headers, target):
    r = client.get(path, headers=headers, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == target


def test_pages_in_their_own_language_are_not_redirected(client: TestClient):
    for path, headers in [("/", {"accept-language": "en-US,en;q=0.9,es;q=0.5"}), ("/", {"accept-language": "fr"}),
                          ("/es/", {"accept-language": "en"}), ("/?lang=xx", {})]:
        assert client.get(path, headers=headers, follow_redirects=False).status_code == 200, (path, headers)
    spanish = json.dumps(client.get("/es/config").json()["components"])
    assert "Su pregunta" in spanish and "Pregunte a los documentos" in spanish and "(tel:911)" in spanish


def test_gradio_client_gets_the_answer_json(bot: Bot, web_settings: Settings):
    from gradio_client import Client

    with live_server(create_app(bot, web_settings, None)) as url:
        client = Client(url + "/", verbose=False)
        assert client.predict(QUESTION, [], api_name="/ask") == json.loads(json.dumps(bot.ask(QUESTION).to_dict()))
        assert [e for e in client.view_api(print_info=False, return_format="dict")["named_endpoints"]] == ["/ask"]


# --- the chat's handlers, without a browser -------------------------------------------------------------------------

def turn(chat: Chat, text: str, messages: list, turns: list, lang: str = "en-US") -> tuple[list, list]:
    """One question through the chat's two steps, as the browser runs them: screen, then answer."""
    box, shown, messages, pending = chat.screen(text, messages, turns, lang)
    assert box == "" and shown == messages
    shown, messages, turns = chat.answer(pending, messages, turns, lang, "chat", None)
    assert shown == messages
    return messages, turns


def test_chat_escapes_the_question_and_passes_earlier_questions(bot: Bot, tmp_path: Path):
    chat = Chat(Service(bot, FeedbackLog(tmp_path)), bot.settings.corpus)
    history, turns = turn(chat, "How is Klonopin addiction treated?", [], [])
    history, turns = turn(chat, "what about <b>withdrawal</b>?", history, turns)
    users = [m["content"] for m in history if m["role"] == "user"]
    assert users == ["How is Klonopin addiction treated?", "what about &lt;b&gt;withdrawal&lt;/b&gt;?"]
    assert "Searched for:* Klonopin addiction: what about" in history[-2]["content"]
    assert [t["question"] for t in turns] == ["How is Klonopin addiction treated?", "what about <b>withdrawal</b>?"]
    fresh, turns = turn(chat, "what about withdrawal?", [], turns)  # a cleared chat forgets the topic
    assert "Searched for" not in fresh[1]["content"] and len(turns) == 1


def test_a_thumb_on_any_message_of_an_answer_logs_that_answer(bot: Bot, tmp_path: Path):
    log = FeedbackLog(tmp_path)
    chat = Chat(Service(bot, log), bot.settings.corpus)
    history, turns = turn(chat, QUESTION, [], [])
    history, turns = turn(chat, "Is it safe to drink alcohol?", history, turns)
    first_sources = turns[0]["messages"][-1]
    chat.like(turns, gr.LikeData(None, {"index": first_sources, "value": "", "liked": False}))
    chat.like(turns, gr.LikeData(None, {"index": turns[1]["messages"][0], "value": "", "liked": True}))
    votes = [e for e in log.events() if e["event"] == "vote"]
    assert [(v["question"], v["vote"]) for v in votes] == [(QUESTION, "down"), ("Is it safe to drink alcohol?", "up")]
    assert votes[0]["passages"] == [{"doc": h.passage.doc, "section": h.passage.section, "start": h.passage.start,
                                     "end": h.passage.end} for h in bot.ask(QUESTION).hits]


def test_render_puts_the_notice_first_and_the_sources_in_a_collapsed_panel(bot: Bot):
    answer = bot.ask("My dad took a whole bottle of Klonopin, what are the signs of an overdose?")
    assert answer.safety is not None and answer.hits
    main, panel = render(answer, Sources(bot.settings.corpus, bot.index.passages), bot.texts)
    assert main["content"].startswith('<div class="notice notice-emergency" role="alert">\n\n' + answer.safety.message)
    assert main["content"].index("</div>") < main["content"].index("> ") < main["content"].index("[1]")
    assert panel["metadata"]["title"].startswith("Sources") and panel["metadata"]["status"] == "done"
    assert len(render(bot.ask("?!"), Sources(bot.settings.corpus, ()), bot.texts)) == 1  # no passages, no panel


def test_the_chat_shows_the_notice_at_once_then_replaces_it_with_the_whole_answer(bot: Bot):
    chat = Chat(Service(bot), bot.settings.corpus)
    message = "My dad took a whole bottle of Klonopin, what are the signs of an overdose?"
    _, shown, messages, pending = chat.screen(message, [], [], "en-US")
    assert [m["role"] for m in shown] == ["user", "assistant"]
    assert shown[1]["content"] == f'<div class="notice notice-emergency" role="alert">\n\n{bot.texts.emergency}\n\n</div>'
    shown, messages, turns = chat.answer(pending, messages, [], "en-US", "chat", None)
    assert [m["role"] for m in shown] == ["user", "assistant", "assistant"]  # the answer, then its sources
    assert shown[1]["content"].startswith(f'<div class="notice notice-emergency" role="alert">\n\n{bot.texts.emergency}')
    assert shown[1]["content"].count("notice-emergency") == 1 and turns[0]["messages"] == [1, 2]


def test_a_crisis_reply_is_kind_and_never_says_not_found(bot: Bot):
    for message in ["i dont want to live anymore", "I have been giving my things away and wrote goodbye letters",
                    "i dont want to live anymore, can a klonopin overdose kill you"]:
        answer = bot.ask(message)
        assert answer.safety and answer.safety.kind == "crisis", message
        assert bot.texts.crisis_support in answer.markdown
        assert "could not find" not in answer.markdown and "Try asking" not in answer.markdown
        assert answer.hits == () and "death" not in answer.markdown, message  # the help is the reply: no quote
