"""What a forum needs beyond the chat, without a browser: the link previews of the pages, the
widget's `?primary=` colour, the embed script, "Copy answer with sources" and the API docs
served from the app itself. The bot runs on the deterministic fake embedder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import SEED_CORPUS, FakeEmbedder
from fastapi.testclient import TestClient

from bot import Bot, Settings
from bot.build import build
from bot.chat import EMBED_JS, Chat, create_app
from bot.colors import contrast, darken, parse, primary_css, text_on
from bot.preview import Preview, with_preview
from bot.schema import Answer, Hit, Passage
from bot.service import Service
from bot.share import citation, link, plain, share_text

QUESTION = "What are the withdrawal symptoms of Klonopin?"
SOCIAL = re.compile(r"<meta[^>]*(?:property|name)=\"(?:og|twitter):[^>]*>", re.S)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    root = tmp_path_factory.mktemp("widget")
    settings = Settings.load(corpus=SEED_CORPUS, index=root / "index", data=root / "data", min_score=0.2)
    fake = FakeEmbedder()
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake)


@pytest.fixture(scope="module")
def client(bot: Bot) -> Iterator[TestClient]:
    with TestClient(create_app(bot, bot.settings, None)) as c:
        yield c


# --- link previews ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "title", "description"), [
    ("/", "Ask the documents", "Every answer is quoted word for word from Facts About Klonopin Addiction Treatment"),
    ("/widget/", "Ask the documents", "Every answer is quoted word for word from Facts About Klonopin"),
    ("/es/", "Pregunte a los documentos", "Cada respuesta se cita palabra por palabra de Facts About Klonopin"),
    ("/widget/es/", "Pregunte a los documentos", "Cada respuesta se cita"),
])
def test_each_page_has_one_set_of_link_preview_tags_with_its_own_title(client: TestClient, path, title, description):
    page = client.get(path, headers={"accept-encoding": "gzip"}).text
    tags = SOCIAL.findall(page)
    names = [re.search(r'(?:property|name)="([^"]+)"', t).group(1) for t in tags]
    assert sorted(names) == sorted(["og:type", "og:title", "og:description", "twitter:card", "twitter:title",
                                    "twitter:description"])  # each once
    assert f'property="og:title" content="{title}"' in page and f'name="twitter:title" content="{title}"' in page
    assert re.search(r'property="og:description" content="' + re.escape(description), page)
    assert "Gradio" not in " ".join(tags) and "Click to try out" not in page and "raw.githubusercontent" not in page
    assert "window.gradio_config" in page  # the rest of the page as it was


def test_preview_tags_are_escaped_and_pages_without_them_get_them_after_the_charset():
    page = '<html><head><meta charset="utf-8" /><meta property="og:title" content="Gradio" /><title>x</title>'
    out = with_preview(page, Preview('Q&A "quoted" <b>', "a > b"))
    assert out.startswith('<html><head><meta charset="utf-8" /><meta property="og:type"')
    assert 'content="Q&amp;A &quot;quoted&quot; &lt;b&gt;"' in out and 'content="a &gt; b"' in out
    assert "Gradio" not in out and out.endswith("<title>x</title>")


def test_other_responses_pass_untouched(client: TestClient):
    config = client.get("/widget/config")
    assert config.headers["content-type"].startswith("application/json") and "og:title" not in config.text
    assert client.get("/openapi.json").json()["info"]["title"] == "Medical Q&A that quotes its sources"


# --- the widget's colour ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "rgb"), [("#0b7285", (11, 114, 133)), ("#FFF", (255, 255, 255)),
                                            (" Teal ", (0, 128, 128)), ("rebeccapurple", (102, 51, 153))])
def test_accepted_colours(value: str, rgb):
    assert parse(value) == rgb


@pytest.mark.parametrize("value", ["", "#12", "#1234", "#gggggg", "0b7285", "red;}body{display:none", "rgb(0,0,0)",
                                   "url(https://evil.example/x)", "#0b7285 !important", "transparent", "javascript:1"])
def test_anything_else_changes_nothing(value: str):
    assert parse(value) is None and primary_css(value) is None


def test_button_text_and_links_stay_readable():
    assert text_on((11, 114, 133)) == (255, 255, 255) and text_on((255, 215, 0)) == (0, 0, 0)  # teal, gold
    for value in ["#0b7285", "gold", "yellow", "#ffffff", "navy", "lime", "#f0f"]:
        rgb = parse(value)
        assert rgb is not None
        assert contrast(text_on(rgb), rgb) >= 4.5, value  # the button's text on the button
        assert contrast(darken(rgb), (255, 255, 255)) >= 4.5, value  # a link on the white page
    assert darken((0, 0, 128)) == (0, 0, 128)  # dark enough already: unchanged
    css = primary_css("gold") or ""
    assert "--button-primary-background-fill: #ffd700 !important" in css
    assert "--button-primary-text-color: #000000 !important" in css


def test_primary_css_is_served_only_for_a_valid_colour(client: TestClient):
    r = client.get("/primary.css", params={"primary": "#0b7285"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "--color-accent: #0b7285 !important" in r.text and "--button-primary-text-color: #ffffff" in r.text
    bad = client.get("/primary.css", params={"primary": "red;}*{display:none"})
    assert bad.status_code == 200 and bad.text == ""


def test_the_widget_keeps_primary_when_lang_sends_it_elsewhere(client: TestClient):
    r = client.get("/widget/?lang=es&primary=%230b7285", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/widget/es/?primary=%230b7285"


def test_the_widget_pages_load_the_colour_from_the_apps_root(client: TestClient):
    heads = {path: client.get(path.rstrip("/") + "/config").json()["head"] for path in ["/widget/", "/widget/es/"]}
    assert '"../primary.css?primary="' in heads["/widget/"] and '"../../primary.css?primary="' in heads["/widget/es/"]
    assert "primary.css" not in client.get("/config").json()["head"]


# --- the embed script ------------------------------------------------------------------------------------------------

def test_the_embed_script_is_served_from_the_package(client: TestClient):
    r = client.get("/embed.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert r.text == EMBED_JS.read_text(encoding="utf-8")
    for needed in ['new URL("widget/", script.src)', "aria-label", 'e.key === "Escape"', "max-width: 480px",
                   "width: 380px", "height: 640px", "attachShadow"]:
        assert needed in r.text, needed
    assert r.headers["content-security-policy"] == "frame-ancestors *"


# --- Copy answer with sources ----------------------------------------------------------------------------------------

def test_the_copy_text_of_a_real_answer_has_the_quotes_the_citations_and_the_disclaimer(bot: Bot):
    answer = bot.ask(QUESTION)
    text = share_text(answer)
    assert text.startswith(f"Question: {QUESTION}\n\n")
    for i, hit in enumerate(answer.hits, 1):
        assert f"> {hit.passage.text.strip()} [{i}]" in text  # the verbatim quote, its number after it
        assert f"\n[{i}] {hit.passage.title} › {hit.passage.section} — {hit.link}\n" in text  # the source view
        assert hit.link.startswith(f"/source/{hit.passage.doc}?passage=")
    absolute = share_text(answer, base="https://bot.example")
    assert f"— https://bot.example{answer.hits[0].link}\n" in absolute
    assert text.rstrip().endswith(answer.disclaimer)
    assert "**" not in text and "\\" not in text and "<" not in text  # plain text: no Markdown, no HTML


def test_a_citation_with_a_url_copies_the_url_and_a_relative_link_is_made_absolute():
    passage = Passage("sun.md", "Sunscreen <Facts>", "Labels_and *stars*", "https://example.org/sun?a=1&b=2", 0, 10,
                      "Reapply it.")
    hit = Hit(passage, 1, 0.9)
    assert link(hit) == hit.link == "https://example.org/sun?a=1&b=2#:~:text=Reapply%20it."
    answer = Answer("sun?", "answered", None, (hit,), "**From the documents:**\n\n> Reapply it. [1]\n\n**Sources**\n\n"
                    "[1] [Sunscreen <Facts> › Labels\\_and \\*stars\\*](https://example.org/sun)  \n\n*Not advice.*",
                    "Not advice.")
    text = share_text(answer, asked="Your question")
    assert "[1] Sunscreen <Facts> › Labels_and *stars* — https://example.org/sun?a=1&b=2#:~:text=Reapply%20it.\n" in text
    assert text.startswith("Your question: sun?") and text.rstrip().endswith("Not advice.")
    assert citation(hit, 2, "https://bot.example", where=lambda h: "/source/sun.md#L3") == (
        "[2] Sunscreen <Facts> › Labels_and *stars* — https://bot.example/source/sun.md#L3")
    assert link(Hit(Passage("a.md", "A", "B", "javascript:alert(1)", 0, 1, "x"), 1, 0.5)) == "/source/a.md?passage=0-1#passage"


def test_a_notice_copies_with_its_links_spelled_out(bot: Bot):
    answer = bot.ask("i want to end my life, i am addicted to klonopin and cant stop, how is it treated")
    text = share_text(answer)
    assert "988lifeline.org (https://988lifeline.org/chat/)" in text and "Call or text 988" in text
    assert text.index("988") < text.index(answer.disclaimer) and "[1]" not in text  # a crisis reply quotes nothing
    assert plain("a *b* [c](https://d.example) `e`\n\n> f") == "a b c (https://d.example) e\n\n> f"


def test_the_chat_keeps_each_answers_copy_text(bot: Bot):
    chat = Chat(Service(bot), bot.settings.corpus)
    _, _, messages, pending = chat.screen(QUESTION, [], [], "en-US")
    _, _, turns = chat.answer(pending, messages, [], "en-US", "chat", None)
    assert turns[0]["share"] == share_text(bot.ask(QUESTION), asked="Your question")
    _, _, messages, pending = chat.screen("¿Cuáles son los síntomas de abstinencia del Klonopin?", [], [], "es-US")
    _, _, turns = chat.answer(pending, messages, [], "es-US", "chat", None)
    assert turns[0]["share"].startswith("Su pregunta: ¿Cuáles son")


# --- the API docs, offline -------------------------------------------------------------------------------------------

def test_the_api_docs_load_their_files_from_the_app(client: TestClient):
    assert client.get("/redoc").status_code == 404  # ReDoc's page fetches a logo from a CDN: not served
    for path in ["/docs"]:
        page = client.get(path).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources and all(s.startswith("/static-offline-docs/") for s in sources), sources
        for source in sources:
            assert client.get(source).status_code == 200, source
        assert "cdn" not in page.lower() and "fonts.googleapis" not in page


def test_the_openapi_description_names_nothing_outside_the_repository(client: TestClient):
    spec = client.get("/openapi.json").text
    assert not re.search(r"DESIGN|\w+\.md\b|https?://", spec), re.findall(r".{40}(?:DESIGN|\.md\b|https?://).{40}", spec)


def test_the_chats_links_to_the_source_view_are_absolute_for_pages_on_other_sites():
    from bot.chat import absolute_links

    text = "> quote [1]\n\n[1] [Title › Section](/source/a.md?passage=0-9#passage) · [web](https://x.example/source/)"
    assert absolute_links(text, "https://bot.example:8443") == (
        "> quote [1]\n\n[1] [Title › Section](https://bot.example:8443/source/a.md?passage=0-9#passage) · "
        "[web](https://x.example/source/)")
    assert absolute_links(text, "") == text  # where the server's address is unknown, as it was
