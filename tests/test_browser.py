"""The web app in a real browser: Debian's Chromium driven by Playwright against the running server.

One server for the module, on a free loopback port, over a small corpus (the shipped document
plus one holding HTML, with a source URL) indexed with the real model. A second loopback server plays a forum
that embeds the chat with the README's two snippets. Screenshots go to tests/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
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

from app import create_app
from bot import Bot, Settings
from bot.feedback import FeedbackLog
from bot.index import build

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "tests" / "screenshots"
SEED_QUESTION = "What are the withdrawal symptoms of Klonopin?"
EMERGENCY = "My dad took a whole bottle of Klonopin and won't wake up"
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
                             frame_ancestors=f"'self' {forum_origin}")  # the restricted path, end to end
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

    def _open(url: str, width: int = 1100, height: int = 900):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.requests = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(url, wait_until="domcontentloaded")  # a Gradio page never goes network-idle
        page.get_by_role("textbox", name="Your question").wait_for()
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
    assert dialogs == []


def ask(page, question: str, scope=None):
    """Type a question, press Enter, wait for its answer; returns the answer's row."""
    scope = scope or page
    before = scope.locator(".bot-row").count()
    box = scope.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")
    scope.locator(".bot-row").nth(before).wait_for()
    page.wait_for_timeout(300)  # let the Markdown settle
    return scope.locator(".bot-row").nth(before)


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
    assert "call 911" in notice.inner_text() and "1-800-222-1222" in notice.inner_text()
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
    link = answer.locator("a[href='https://example.org/sunscreen-labels']")  # the citation leads to the source
    assert link.inner_text() == "Sunscreen Label Facts › Reading a Sunscreen Label"
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
    assert (page.get_by_text("Ask the documents").count() == 0) is (path == "/widget/")  # the widget has no header
    shot(page, f"narrow-{width}")


def test_the_readme_embed_snippets_work_on_another_origin(site: Site, open_page, browser):
    assert len(readme_snippets()) == 2
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
