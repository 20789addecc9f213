"""The web app in a real browser: Debian's Chromium driven by Playwright against the running server.

One server for the module, on a free loopback port, over a small corpus (the shipped document
plus one holding HTML, with a source URL) indexed with the real model. A second loopback server plays a forum
that embeds the chat with the README's three snippets. Screenshots go to tests/screenshots/.

The server trusts X-Forwarded-For (as behind a proxy) and allows RATE questions a minute per
address: each page gets an address of its own, so only the rate-limit test ever reaches it.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SEED_CORPUS
from test_web import live_server

from bot import Bot, Settings
from bot.build import build
from bot.chat import create_app
from bot.feedback import FeedbackLog
from bot.links import text_fragment

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "tests" / "screenshots"
SEED_QUESTION = "What are the withdrawal symptoms of Klonopin?"
# an emergency whose quotes answer it (the notice first, then the overdose signs)
EMERGENCY = "My dad took a whole bottle of Klonopin, what are the signs of an overdose?"
RATE = 6
SIZES = {"phone": (375, 667), "widget": (380, 640), "desktop": (1280, 800)}
#: (language, page question, emergency, crisis): what a frightened person types, after a first question
SAFETY = {
    "en": ("What are the withdrawal symptoms of Klonopin?",
           "my friend took a whole bottle of klonopin and she is not breathing", "i dont want to live anymore"),
    "es": ("¿Cuáles son los síntomas de abstinencia del Klonopin?",
           "mi esposo tomó demasiadas pastillas y no respira bien", "ya no quiero seguir viviendo"),
}
_ADDRESSES = (f"198.51.100.{i}" for i in itertools.count(1))
XSS = "<img src=x onerror=alert(1)>"
HTML_DOC = """---
title: Sunscreen Label Facts
url: https://example.org/sunscreen-labels
---

# Reading a Sunscreen Label

Sunscreen labels print <b>bold</b> warnings about reapplying sunscreen every two hours. \
A sunscreen label copied from a web page may even hold <script>alert("corpus")</script> \
and <img src=x onerror=alert(2)> as plain text, and the sunscreen label must still be read as text.
"""
EMBED_PLACEHOLDER = "https://chat.example.org"


@dataclass(frozen=True)
class Site:
    url: str  # the bot
    forum: str  # a page on another origin embedding it
    log: FeedbackLog


def readme_snippets() -> list[str]:
    """The HTML snippets of the README's web section, as a forum would paste them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    web = readme[readme.index("<!-- web:start -->"):readme.index("<!-- web:end -->")]
    return re.findall(r"```html\n(.*?)```", web, re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    (root / "corpus" / "sunscreen.md").write_text(HTML_DOC, encoding="utf-8")
    forum_sock = socket.socket()
    forum_sock.bind(("127.0.0.1", 0))
    forum_origin = f"http://localhost:{forum_sock.getsockname()[1]}"
    settings = Settings.load(corpus=root / "corpus", index=root / "index", data=root / "data",
                             frame_ancestors=f"'self' {forum_origin}",  # the restricted path, end to end
                             rate_limit=RATE, trust_proxy="127.0.0.1 ::1")
    build(settings, real_embedder)
    log = FeedbackLog(settings.data)
    app = create_app(Bot.load(settings=settings, embedder=real_embedder), settings, log)
    with live_server(app) as url:
        (root / "forum").mkdir()
        snippets = "\n".join(s.replace(EMBED_PLACEHOLDER, url) for s in readme_snippets())
        (root / "forum" / "index.html").write_text(
            f"<!doctype html><title>Forum</title><main><h1>A forum thread</h1>{snippets}</main>", encoding="utf-8")
        handler = functools.partial(_QuietHandler, directory=str(root / "forum"))
        forum = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        forum.socket = forum_sock
        forum.server_activate()
        threading.Thread(target=forum.serve_forever, daemon=True).start()
        try:
            yield Site(url, forum_origin + "/", log)
        finally:
            forum.shutdown()
            forum.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = "Chromium is not installed: run `apt-get install -y chromium` as root (.ci/run does)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture
def open_page(browser, dialogs: list[str]):
    """Opens a page at a URL and width; records every dialog (none may fire) and every request."""
    pages = []

    def _open(url: str, width: int = 1100, height: int = 900, label: str = "Your question", address: str = ""):
        page = browser.new_page(viewport={"width": width, "height": height},
                                extra_http_headers={"x-forwarded-for": address or next(_ADDRESSES)})
        page.requests = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(url, wait_until="domcontentloaded")  # a Gradio page never goes network-idle
        page.get_by_role("textbox", name=label).wait_for()
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
    assert dialogs == []


def ask(page, question: str, scope=None, label: str = "Your question", done: str = "educational information"):
    """Type a question, press Enter, wait for its whole answer (a notice shows first, alone; the
    answer ends with the disclaimer, which holds `done`); returns the answer's row."""
    scope = scope or page
    before = scope.locator(".bot-row").count()
    finished = scope.locator(".bot-row em", has_text=done)
    answers = finished.count()
    box = scope.get_by_role("textbox", name=label)
    box.fill(question)
    box.press("Enter")
    deadline = time.monotonic() + 60
    while finished.count() <= answers:
        assert time.monotonic() < deadline, f"no answer to {question!r}"
        page.wait_for_timeout(100)
    page.wait_for_timeout(400)  # let the Markdown settle and the chat scroll to the answer
    return scope.locator(".bot-row").nth(before)


def assert_in_view(page, element, what: str) -> None:
    """The element's first line is inside the window and inside the chat's scrolling box."""
    box = element.bounding_box()
    chat = page.locator("#conversation [role=log]").bounding_box()
    height = page.viewport_size["height"]
    top, line = box["y"], min(box["height"], 28)
    assert chat["y"] - 1 <= top and top + line <= chat["y"] + chat["height"] + 1, (what, box, chat)
    assert 0 <= top and top + line <= height, (what, box, height)


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_seed_question_shows_the_quote_its_citation_and_the_disclaimer(site: Site, open_page):
    page = open_page(site.url + "/", height=1300)
    answer = ask(page, SEED_QUESTION)
    text = answer.inner_text()
    assert "Klonopin withdrawal symptoms include insomnia" in text
    assert "[1]" in text and "Facts About Klonopin Addiction Treatment › " in text
    assert "not medical advice" in answer.locator("em").last.inner_text()
    assert "withdrawal symptoms" in answer.locator("blockquote strong").first.inner_text().lower()  # best sentence bold
    assert text.index("From the documents") < text.index("[1]") < text.index("Sources") < text.index("not medical advice")
    page.locator("#conversation [role=log]").evaluate("e => e.scrollTo(0, 0)")
    shot(page, "chat")
    hosts = {re.sub(r"^\w+://([^/]+).*", r"\1", u) for u in page.requests if u.startswith("http")}
    assert hosts == {site.url.removeprefix("http://")}  # no CDN, web font or analytics request


def test_an_emergency_shows_the_notice_above_the_quotes(site: Site, open_page):
    page = open_page(site.url + "/")
    answer = ask(page, EMERGENCY)
    notice = answer.locator(".notice-emergency[role=alert]")
    assert notice.inner_text().startswith("Call 911 now.") and "1-800-222-1222" in notice.inner_text()
    assert notice.bounding_box()["y"] < answer.locator("blockquote").first.bounding_box()["y"]
    colors = notice.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftColor]")
    assert colors[0] != answer.evaluate("e => getComputedStyle(e).backgroundColor")  # set apart
    notice.scroll_into_view_if_needed()
    shot(page, "emergency")


def test_html_typed_by_the_user_is_shown_as_text(site: Site, open_page, dialogs):
    page = open_page(site.url + "/")
    ask(page, XSS)
    page.wait_for_timeout(500)
    assert page.locator("[data-testid=user]").last.inner_text().strip() == XSS
    assert page.locator("#conversation img[src=x]").count() == 0
    assert dialogs == []


def test_html_in_a_document_is_shown_as_text(site: Site, open_page, dialogs):
    page = open_page(site.url + "/")
    answer = ask(page, "What warnings do sunscreen labels print?")
    text = answer.inner_text()
    assert "<b>bold</b>" in text and '<script>alert("corpus")</script>' in text and "<img src=x onerror=alert(2)>" in text
    assert answer.locator("b, script, img[src=x]").count() == 0
    link = answer.locator("a[href^='https://example.org/sunscreen-labels#']")  # the citation leads to the source
    assert link.inner_text() == "Sunscreen Label Facts › Reading a Sunscreen Label"
    # ... at its quoted sentence: a text fragment built from the exact words shown in bold
    sentence = answer.locator("blockquote strong").first.inner_text()
    assert "<b>bold</b>" in sentence or "<script>" in sentence or "<img" in sentence
    assert link.get_attribute("href") == "https://example.org/sunscreen-labels#:~:" + text_fragment(sentence)
    answer.get_by_text("Sources:").click()
    panel = answer.get_by_text("sunscreen.md · line")
    panel.wait_for()
    assert "<b>bold</b>" in answer.inner_text()
    page.wait_for_timeout(300)
    assert dialogs == []
    shot(page, "html-in-corpus")


def test_the_sources_panel_shows_each_passage_in_context_and_where_it_is(site: Site, open_page):
    page = open_page(site.url + "/")
    answer = ask(page, SEED_QUESTION)
    assert not answer.get_by_text("characters ").first.is_visible()  # collapsed until asked
    answer.get_by_text("Sources:").click()
    location = answer.get_by_text(re.compile(r"klonopin-addiction-treatment\.txt · line \d+ · characters [\d,]+–[\d,]+")).first
    location.wait_for()
    panel = answer.locator("blockquote").filter(has_text="…").first
    assert "Klonopin withdrawal symptoms include insomnia" in answer.inner_text()
    assert panel.locator("strong").count() >= 1  # the passage, bold inside its context
    shot(page, "sources")


def test_a_thumbs_down_lands_in_the_log(site: Site, open_page):
    page = open_page(site.url + "/")
    question = "How is Klonopin addiction treated?"
    ask(page, question)
    page.get_by_label("Dislike").last.click()
    deadline = time.monotonic() + 10
    while not (votes := [e for e in site.log.events() if e["event"] == "vote" and e["question"] == question]):
        assert time.monotonic() < deadline, "no vote in the log"
        time.sleep(0.1)
    assert votes[-1]["vote"] == "down" and votes[-1]["status"] == "answered"
    assert {"doc", "section", "start", "end"} == set(votes[-1]["passages"][0])
    assert not re.search(r"127\.0\.0\.1|session|agent", json.dumps(votes[-1]))


@pytest.mark.parametrize(("path", "width"), [("/widget/", 380), ("/", 360)])
def test_narrow_columns_and_phones_get_no_horizontal_scroll(site: Site, open_page, path: str, width: int):
    page = open_page(site.url + path, width=width, height=720)
    ask(page, SEED_QUESTION).get_by_text("Sources:").click()
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.get_by_text("Ask the documents").count() == 1
    assert (page.get_by_text("Every answer is quoted").count() == 0) is (path == "/widget/")  # the widget's header is short
    shot(page, f"narrow-{width}")


def test_the_readme_embed_snippets_work_on_another_origin(site: Site, open_page, browser):
    assert len(readme_snippets()) == 3
    page = browser.new_page(viewport={"width": 1000, "height": 1500})
    try:
        page.goto(site.forum, wait_until="domcontentloaded")
        component = page.locator("gradio-app")
        component.get_by_role("textbox", name="Your question").wait_for(timeout=30_000)
        assert "Klonopin withdrawal symptoms include" in ask(page, SEED_QUESTION, component).inner_text()
        frame = page.frame_locator("iframe")
        frame.get_by_role("textbox", name="Your question").wait_for(timeout=30_000)
        assert "Klonopin withdrawal symptoms include" in ask(page, SEED_QUESTION, frame).inner_text()
        shot(page, "forum")
    finally:
        page.close()


def test_the_floating_button_opens_the_chat_on_another_origin(site: Site, browser):
    """The README's one-line script on the forum: a round Ask button in the forum's colour opens
    the widget in a panel; an answer with its citation comes inside it; Escape closes it."""
    snippet = readme_snippets()[2]
    assert snippet.count("\n") == 1 and "embed.js" in snippet and 'data-primary="#0b7285"' in snippet  # one line
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        page.goto(site.forum, wait_until="domcontentloaded")
        button = page.get_by_role("button", name="Ask the documents")
        assert button.inner_text() == "Ask" and button.get_attribute("aria-expanded") == "false"
        assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 114, 133)"
        box = button.bounding_box()
        assert box["x"] + box["width"] > 1000 - 40 and box["y"] + box["height"] > 900 - 40  # bottom right
        assert page.locator("[data-medquote] iframe").count() == 0  # nothing loaded before the click
        button.focus()
        page.keyboard.press("Enter")  # the keyboard opens it
        panel = page.get_by_role("dialog", name="Ask the documents")
        panel.wait_for()
        assert button.get_attribute("aria-expanded") == "true"
        frame_box = panel.bounding_box()
        assert (frame_box["width"], frame_box["height"]) == (380, 640)
        frame = page.frame_locator("[data-medquote] iframe")
        frame.get_by_role("textbox", name="Your question").wait_for(timeout=30_000)
        answer = ask(page, SEED_QUESTION, frame)
        assert "Klonopin withdrawal symptoms include" in answer.inner_text() and "[1]" in answer.inner_text()
        assert "Facts About Klonopin Addiction Treatment › " in answer.inner_text()  # the citation
        ask_button = frame.get_by_role("button", name="Ask", exact=True)
        assert ask_button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 114, 133)"  # ?primary=
        assert contrast(ask_button) >= 4.5
        shot(page, "forum-floating-button")
        frame.get_by_role("textbox", name="Your question").press("Escape")  # inside the widget
        panel.wait_for(state="hidden")
        assert button.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.matches('[data-medquote]')")  # focus back on the button
        page.set_viewport_size({"width": 375, "height": 667})  # a phone: the panel takes the whole screen
        button.click()
        panel.wait_for()
        assert panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 667}
        page.get_by_role("button", name="Close").click()
        panel.wait_for(state="hidden")
    finally:
        page.close()


def test_the_api_docs_render_with_the_network_blocked(site: Site, browser):
    page = browser.new_page()
    blocked: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    try:
        page.route("**/*", only_local)
        page.goto(site.url + "/docs", wait_until="domcontentloaded")
        operation = page.locator(".opblock-post .opblock-summary-path", has_text="/api/ask")
        operation.wait_for(timeout=30_000)
        assert page.get_by_text("Answer a question by quoting the documents").is_visible()
        assert page.locator(".title", has_text="Medical Q&A that quotes its sources").is_visible()
        shot(page, "api-docs-offline")
        assert blocked == []
    finally:
        page.close()


def test_copy_answer_with_sources_and_the_printed_page(site: Site, browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"],
                                  extra_http_headers={"x-forwarded-for": next(_ADDRESSES)})
    try:
        page = context.new_page()
        page.goto(site.url + "/", wait_until="domcontentloaded")
        page.get_by_role("textbox", name="Your question").wait_for()
        copy = page.get_by_role("button", name="Copy answer with sources")
        assert copy.count() == 0  # nothing to copy yet
        answer = ask(page, "What warnings do sunscreen labels print?")
        copy.click()
        page.get_by_role("button", name="✓ Copy answer with sources").wait_for()  # says it was copied
        text = page.evaluate("navigator.clipboard.readText()")
        assert text.startswith("Your question: What warnings do sunscreen labels print?\n\n")
        assert "> Sunscreen labels print <b>bold</b> warnings" in text  # the verbatim quote, as text
        assert re.search(r"— https://example\.org/sunscreen-labels#:~:text=\S+\n", text)  # the citation, to its sentence
        assert re.search(r"^\[1\] Sunscreen Label Facts › Reading a Sunscreen Label — ", text, re.M)
        assert text.rstrip().endswith("call 911.") and "not medical advice" in text
        assert "**" not in text and "&lt;" not in text
        page.emulate_media(media="print")
        assert not page.get_by_role("textbox", name="Your question").is_visible() and not copy.is_visible()
        assert answer.locator("blockquote").first.is_visible()
        assert answer.locator("em").last.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
        page.screenshot(path=str(SHOTS / "print.png"), full_page=True)
    finally:
        context.close()


def test_accessibility_basics(site: Site, open_page):
    page = open_page(site.url + "/", width=1100)
    box = page.get_by_role("textbox", name="Your question")  # labelled
    assert box.evaluate("e => e === document.activeElement")  # focused on load: type at once
    page.keyboard.type(SEED_QUESTION)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Ask"
    page.keyboard.press("Enter")  # the keyboard alone asks
    page.locator(".bot-row").first.wait_for()
    answer = ask(page, EMERGENCY)
    answer.get_by_text("Sources:").click()
    location = answer.get_by_text("characters ").first
    location.wait_for()
    for element in [answer.locator("blockquote").first, answer.locator(".notice p").first, location,
                    page.get_by_text("Your question").first, answer.locator("em").last, page.locator("footer button").first]:
        assert contrast(element) >= 4.5, element


LANGUAGES = {"en": ("", "Your question", "educational information", "could not find"),
             "es": ("?lang=es", "Su pregunta", "información educativa", "No encontré")}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", ["/", "/widget/"])
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_notice_of_the_next_answer_is_in_view_with_its_helplines_as_links(site: Site, open_page, lang, path, size):
    """After a first, long answer fills the chat, the emergency and the crisis notice of the next
    answers are in view (in the window and in the chat's box), on phones, in the widget, on desktops."""
    query, label, done, not_found = LANGUAGES[lang]
    first, emergency, crisis = SAFETY[lang]
    page = open_page(site.url + path + query, *SIZES[size], label=label)
    assert page.locator(".helplines a[href='tel:911']").is_visible()  # the header: one tap to call
    ask(page, first, label=label, done=done)
    answer = ask(page, emergency, label=label, done=done)
    notice = answer.locator(".notice-emergency[role=alert]")
    assert_in_view(page, notice, f"{lang} emergency")
    assert notice.locator("a[href='tel:911']").count() and notice.locator("a[href='tel:+18002221222']").count()
    name = f"notice-{lang}-{'widget' if 'widget' in path else 'page'}-{size}"
    shot(page, name + "-emergency")
    answer = ask(page, crisis, label=label, done=done)
    notice = answer.locator(".notice-crisis[role=alert]")
    assert_in_view(page, notice, f"{lang} crisis")
    assert notice.locator("a[href='tel:988']").count() and notice.locator("a[href^='sms:988']").count()
    assert not_found not in answer.inner_text()  # a kind reply, not "could not find an answer"
    shot(page, name + "-crisis")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]


def test_the_widget_shows_its_title_disclaimer_and_emergency_link_without_scrolling(site: Site, open_page):
    page = open_page(site.url + "/widget/", *SIZES["widget"])
    for element in [page.locator(".header h1"), page.get_by_text("not medical advice").first,
                    page.locator(".helplines a[href='tel:911']")]:
        box = element.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 640, element
    assert page.locator(".header h1").bounding_box()["height"] < 32  # one line
    ask(page, SEED_QUESTION)
    assert page.evaluate("window.scrollY") == 0 and page.locator(".helplines a[href='tel:911']").is_visible()
    assert page.evaluate("document.documentElement.scrollHeight") <= 640 + 1  # the frame never scrolls
    shot(page, "widget-after-answer")


def test_a_rate_limited_emergency_still_gets_its_notice_in_the_api_and_the_chat(site: Site, open_page):
    import httpx

    address = "203.0.113.9"
    page = open_page(site.url + "/", *SIZES["phone"], address=address)
    headers = {"x-forwarded-for": address}
    for _ in range(RATE):
        assert httpx.post(site.url + "/api/ask", json={"question": SEED_QUESTION}, headers=headers).status_code == 200
    assert httpx.post(site.url + "/api/ask", json={"question": SEED_QUESTION}, headers=headers).status_code == 429
    r = httpx.post(site.url + "/api/ask", json={"question": "my dad took all his klonopin pills and he is not breathing"},
                   headers=headers)
    assert r.status_code == 200 and r.json()["safety"]["kind"] == "emergency" and "wait" in r.json()["markdown"]
    answer = ask(page, "my dad took all his klonopin pills and he is not breathing")
    assert_in_view(page, answer.locator(".notice-emergency[role=alert]"), "rate-limited emergency")
    assert "Too many questions" in answer.inner_text()
    assert page.get_by_text("Error").count() == 0  # no red error box, no toast
    shot(page, "rate-limited-emergency")


def test_a_message_over_the_size_limit_is_explained_in_the_chat_with_its_notice(site: Site, open_page):
    page = open_page(site.url + "/", *SIZES["phone"])
    story = "My mother took all her klonopin pills and she is not breathing. " + "We were at home all day and " * 100
    answer = ask(page, story)
    assert_in_view(page, answer.locator(".notice-emergency[role=alert]"), "long message")
    assert "characters long; the limit is 2,000" in answer.inner_text()
    assert page.get_by_text("Error").count() == 0
    box = page.get_by_role("textbox", name="Your question")
    box.fill("x" * 20_000)  # past what the browser sends: cut at the box, explained in the chat
    assert len(box.input_value()) == 8_000


def contrast(element) -> float:
    """WCAG contrast ratio of an element's text (faded by its ancestors' opacity) against the
    first opaque background behind it."""
    fg, bg, opacity = element.evaluate("""e => {
        const rgb = c => c.match(/[\\d.]+/g).map(Number);
        let n = e, bg = null, opacity = 1;
        for (let o = e; o; o = o.parentElement) opacity *= Number(getComputedStyle(o).opacity);
        while (n && !bg) {
            const c = rgb(getComputedStyle(n).backgroundColor);
            if (c.length < 4 || c[3] > 0.9) bg = c;
            n = n.parentElement;
        }
        return [rgb(getComputedStyle(e).color), bg || [255, 255, 255], opacity];
    }""")
    seen = [f * opacity + b * (1 - opacity) for f, b in zip(fg[:3], bg[:3])]

    def luminance(rgb: list[float]) -> float:
        c = [v / 255 for v in rgb[:3]]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted([luminance(seen), luminance(bg)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


PUBLIC_PASSWORD, DESK_PASSWORD = "chat-pw", "desk-pw"
#: an unanswered pair of paraphrases (cosine 0.89 with the bundled model), another unanswered question
PARAPHRASES = ("Can I give Klonopin to my cat?", "is klonopin safe for cats")
OTHER_UNANSWERED = "Is Klonopin safe during pregnancy?"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[str]:
    """A server with both passwords set: the chat's and the help desk's."""
    root = tmp_path_factory.mktemp("desk")
    settings = Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data", rate_limit=0,
                             auth=PUBLIC_PASSWORD, admin_auth=DESK_PASSWORD, stale_months=12)
    build(settings, real_embedder)
    app = create_app(Bot.load(settings=settings, embedder=real_embedder), settings, FeedbackLog(settings.data))
    with live_server(app) as url:
        yield url


def test_the_help_desk_page_groups_what_a_session_left_unanswered(desk: str, browser):
    """A scripted chat session (two wordings of one unanswered question, another unanswered one, a
    thumbs down), then /admin: refused without its password and with the chat's, and with its own
    the paraphrases are one group of two, the other question apart, the down-voted answer quoted."""
    chat = browser.new_context(viewport={"width": 1100, "height": 900},
                               http_credentials={"username": "me", "password": PUBLIC_PASSWORD})
    page = chat.new_page()
    page.goto(desk + "/", wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Your question").wait_for()
    for question in [PARAPHRASES[0], OTHER_UNANSWERED, PARAPHRASES[1]]:
        ask(page, question)
    ask(page, "How is Klonopin addiction treated?")
    page.get_by_label("Dislike").last.click()
    page.wait_for_timeout(500)
    refused = chat.request.get(desk + "/admin")  # with the chat's password (a page would show the browser's error)
    assert refused.status == 401 and "BOT_ADMIN_AUTH" in refused.text()
    chat.close()
    nobody = browser.new_context()  # no password at all: a headless page cannot ask, so the request shows it
    assert nobody.request.get(desk + "/admin").status == 401
    nobody.close()
    for width, height in [(1280, 800), (375, 667)]:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      http_credentials={"username": "desk", "password": DESK_PASSWORD})
        admin = context.new_page()
        deadline = time.monotonic() + 10
        while True:  # the vote is written by the chat's event, a moment after the click
            assert admin.goto(desk + "/admin", wait_until="domcontentloaded").status == 200
            if admin.locator("#voted li").count() or time.monotonic() > deadline:
                break
            admin.wait_for_timeout(300)
        rows = admin.locator("#groups tbody tr")
        assert rows.count() == 2
        first = rows.first.inner_text()
        assert PARAPHRASES[1] in first and PARAPHRASES[0] in first and "2" in first  # latest wording, then the other
        assert OTHER_UNANSWERED in rows.nth(1).inner_text()
        voted = admin.locator("#voted li").first
        assert "How is Klonopin addiction treated?" in voted.inner_text() and voted.locator("blockquote").count() >= 1
        assert admin.locator("svg.chart").is_visible()
        assert "Facts About Klonopin Addiction Treatment" in admin.locator("#all-documents").inner_text()
        assert admin.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        admin.screenshot(path=str(SHOTS / f"admin-{width}.png"), full_page=width > 400)
        context.close()


def test_a_citation_opens_its_source_on_the_quoted_passage(site: Site, open_page, browser):
    page = open_page(site.url + "/", width=375, height=667)
    answer = ask(page, SEED_QUESTION)
    quote = answer.locator("blockquote").first
    # [1] in the quote leads to its line under Sources, in the same message
    number = quote.locator("a.cite", has_text="[1]")
    target = number.get_attribute("href")
    assert re.fullmatch(r"#cite\d+-1", target)
    number.click()
    page.wait_for_timeout(300)
    line = answer.locator(f"[id='{target[1:]}']")
    assert line.count() == 1
    source = line.locator("xpath=following-sibling::a[1]")
    assert_in_view(page, source, "the source line of [1]")
    href = source.get_attribute("href")
    # absolute: the same chat inside a <gradio-app> on a forum's page must still lead here
    assert re.fullmatch(re.escape(site.url) + r"/source/klonopin-addiction-treatment\.txt\?passage=\d+-\d+#passage", href)
    with page.context.expect_page() if source.get_attribute("target") == "_blank" else _SameTab(page) as opened:
        source.click()
    view = opened.value
    view.wait_for_load_state("domcontentloaded")
    assert view.url == href
    mark = view.locator("mark#passage")
    passage = quote.inner_text().rsplit("[1]", 1)[0].strip()
    assert mark.inner_text().split() == passage.split()  # the quoted passage, highlighted
    box, height = mark.bounding_box(), view.viewport_size["height"]
    assert 0 <= box["y"] < height * 0.5, box  # in view on load, with some of the text above it
    assert view.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll on a phone
    assert view.locator("h1").inner_text() == "Facts About Klonopin Addiction Treatment"
    SHOTS.mkdir(exist_ok=True)
    view.screenshot(path=str(SHOTS / "citation-source.png"))
    if view is not page:
        view.close()


class _SameTab:
    """`expect_page` for a link that opens in the same tab: the page itself."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.value = page

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        self.value.wait_for_url("**/source/**")
