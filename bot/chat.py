"""The web app: the Gradio chat, its compact widget and the JSON API, in one server.

`python app.py` (the entry point beside the package) or `python -m bot serve` opens the published
index version and serves it on BOT_HOST:BOT_PORT; it never builds (`python -m bot index` does;
`make run` runs both), and it follows a newly published version within BOT_RELOAD_SECONDS
without a restart (`bot/live.py`):

    /            the chat page: title, what the documents are, helplines, examples, conversation
    /widget/     the same chat for a forum's side column: a one-line title, the disclaimer and
                 the helplines always in view in a 380x640 frame
    /es/, /widget/es/   the same in every other locale's language (`?lang=es` or a Spanish
                 browser leads there)
    /api/ask     POST {"question", "history"} → the answer's JSON (OpenAPI at /docs)
    /gradio.js   the <gradio-app> web component, served here so embedding needs no CDN
    /embed.js    the one-line script for forums: a floating "Ask" button opening the widget
    /primary.css the widget's colours for `/widget/?primary=%230b7285` (bot/colors.py)
    /source/<doc>?passage=<start>-<end>   a document's text with a quoted passage marked
                 (`bot/source_view.py`): where a citation without a web address leads

Gradio appears only here. A question is shown at once with its emergency or crisis notice, if
any (no model, not queued); then the answer replaces it: `Answer.markdown` (documents' text
already escaped) with the notice set apart, then a collapsed "Sources" panel, and the chat
scrolls to the top of the new answer. What the user typed is escaped too, so HTML in a
question is shown as text. Thumbs up and down go to the feedback log with every answered and
unanswered question, never with who asked. While the vector store is down the API answers 503
(a notice still 200) and the chat says to ask again soon. "Copy answer with sources" under the
chat copies the last answer as plain text (bot/share.py); printed, the page shows only the
conversation, in black on white. Link previews show the bot's own title and description
(bot/preview.py).
"""

from __future__ import annotations

import logging
import re
from html import escape as escape_html
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from .admin import AdminPage, mount_admin
from .answer import escape
from .colors import primary_css
from .config import Settings, prepare_environment
from .feedback import FeedbackLog
from .guard import RateLimiter
from .live import LiveBot
from .locale import Locale
from .pipeline import Bot, clean_question
from .preview import LinkPreview, Preview
from .schema import Answer, Safety
from .service import Service
from .share import share_text
from .source_view import SourceView
from .sources import Sources
from .web import create_api, frame_ancestors

prepare_environment()  # among others, GRADIO_ANALYTICS_ENABLED: no calls home from a medical page
log = logging.getLogger("app")
EMBED_JS = Path(__file__).parent / "static" / "embed.js"
THEME = gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"])  # no web fonts fetched
CSS = """
.notice { border-left: 6px solid #b3261e; background: #fdecea; color: #410e0b; padding: .4em .9em;
          border-radius: 6px; margin-bottom: .6em; }
.notice p, .notice strong, .notice a { color: #410e0b !important; }
.notice-crisis { border-left-color: #4a2a8a; background: #eee8fb; }
.notice-crisis p, .notice-crisis strong, .notice-crisis a { color: #21133d !important; }
.notice a, .helplines a { text-decoration: underline; font-weight: 700; white-space: nowrap; }
.helplines { background: #fdecea; border-radius: 6px; padding: .2em .7em; }
.helplines p, .helplines a, .helplines strong { color: #410e0b !important; }
.header h1 { margin: 0 0 .2em; font-size: 1.6em; }
.header p { margin: .15em 0; }
.message-wrap .message { overflow-wrap: anywhere; }
.thought-group .message-content { opacity: 1 !important; }  /* the Sources panel: full contrast */
.thought-group .content, .thought-group .content p { font-size: 14px !important; }
footer, footer button, footer a { color: #52525b !important; }
@media (max-width: 480px) {
  .message-row.bubble { margin: 8px 2px 6px !important; max-width: 100% !important; }
  .header h1 { font-size: 1.15em; }
  .header p { font-size: 13px; line-height: 1.3; }
}
"""
WIDGET_CSS = """
/* the frame never scrolls: the conversation takes the height the header and the box leave */
#conversation { flex: 1 1 0 !important; min-height: 160px !important; height: auto !important; }
.header h1 { font-size: 1.05em; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.header p, .helplines p { font-size: 12px; line-height: 1.3; margin: .1em 0; }
"""
# Gradio scopes `css` to its content; the page's own padding is outside it, so it goes in <head>.
HEAD = '<style>@media (max-width: 480px) { .gradio-container .app { padding: 6px !important; } }</style>'
WIDGET_HEAD = '<style>.gradio-container .app { padding: 4px !important; }</style>'
# Printed (for the doctor), a page shows the conversation only: no box, buttons, examples or
# footer, the whole conversation rather than its scrolling window, black text on white.
PRINT_HEAD = """<style>@media print {
  html, body, .gradio-container, .app, .main, .wrap, .contain, #conversation, #conversation [role=log],
  .bubble-wrap, .message-wrap { height: auto !important; max-height: none !important; overflow: visible !important;
    position: static !important; }
  #question, #copy-answer, footer, .examples, .helplines, .header p, .icon-button-wrapper, .message-buttons,
  .message-buttons-bubble, button[aria-label], .progress-text, .toast-wrap, label[data-testid=block-label] {
    display: none !important; }
  * { color: #000 !important; background: #fff !important; box-shadow: none !important; text-shadow: none !important; }
  .message-row .message, .bubble { border: 0 !important; padding: 0 !important; }
  .notice { border: 2px solid #000 !important; }
  blockquote { border-left: 3px solid #000 !important; }
  a { text-decoration: underline !important; }
}</style>"""
# The widget takes a forum's colour (`?primary=`, checked by /primary.css: anything else changes
# nothing) and, framed, tells the page that embeds it when Escape is pressed (the embed script
# closes its panel). `{up}` leads from the page to the app's root.
WIDGET_SCRIPT = """<script>(() => {
  const primary = new URLSearchParams(location.search).get("primary");
  if (primary) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("{up}primary.css?primary=" + encodeURIComponent(primary), location.href).href;
    document.head.append(css);
  }
  if (window.parent !== window) document.addEventListener("keydown", e => {
    if (e.key === "Escape") window.parent.postMessage({type: "medquote:close"}, "*");
  });
})()</script>"""
# "Copy answer with sources": the text is made on the server with each answer (bot/share.py);
# the button only puts it on the clipboard and says so for two seconds.
COPY_JS = """(text) => {
  const button = document.querySelector("#copy-answer");
  const copied = () => {
    if (!button || !text) return;
    const label = button.textContent;
    button.textContent = "\u2713 " + label;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const fallback = () => {
    const area = Object.assign(document.createElement("textarea"), {value: text});
    area.style.cssText = "position:fixed;opacity:0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    copied();
  };
  if (text) (navigator.clipboard ? navigator.clipboard.writeText(text).then(copied, fallback) : fallback());
  return text;
}"""
# When an answer arrives, the chat shows its top (the notice, when there is one), not its end:
# the latest user message is scrolled to the top of the conversation box, and the box into the
# window. It watches the DOM because Gradio's own autoscroll (turned off) only knows "bottom".
SCROLL_JS = """
() => {
  let last = -1, timer = null;
  const show = () => {
    const log = document.querySelector('#conversation [role=log]');
    if (!log) return;
    const rows = [...log.querySelectorAll('.user-row, .bot-row')];
    const i = rows.map(r => r.classList.contains('user-row')).lastIndexOf(true);
    const count = rows.length * 1000 + i;
    if (i < 0 || count === last) return;
    last = count;
    const user = rows[i], answer = rows[i + 1];
    const at = el => el.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
    // the question, then its answer; of a question too long to fit above it, only the end
    let top = at(user);
    if (answer && at(answer) - top > log.clientHeight * 0.3) top = at(answer) - log.clientHeight * 0.15;
    log.scrollTo({top: Math.max(0, top - 4)});
    const box = log.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 0.5) log.scrollIntoView({block: 'start'});
  };
  new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(show, 60); })
    .observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


def notice_html(safety: Safety) -> str:
    """The notice set apart (an alert box): its text and links come only from the locale file."""
    return f'<div class="notice notice-{safety.kind}" role="alert">\n\n{safety.message}\n\n</div>'


def cite_anchors(markdown: str, n: int, key: str) -> str:
    """Each quote's `[k]` (k ≤ n, at the end of a quoted line) made a link to its line under
    "Sources", which gets the id `<key>-k`: `key` tells this answer's ids from the other answers'
    in the conversation. Only the answer's own `[k]` can match: a document's brackets are escaped."""
    def quote(m: re.Match[str]) -> str:
        k = int(m[2])
        return f'{m[1]}<a href="#{key}-{k}" class="cite">[{k}]</a>' if 1 <= k <= n else m[0]

    def line(m: re.Match[str]) -> str:
        k = int(m[1])
        return f'<span id="{key}-{k}" class="source-line"></span>{m[0]}' if 1 <= k <= n else m[0]

    markdown = re.sub(r"(?m)^(>.* )\[(\d+)\]$", quote, markdown)
    return re.sub(r"(?m)^\[(\d+)\] (?=\[)", line, markdown)


def render(answer: Answer, sources: Sources, locale: Locale, key: str = "cite") -> list[dict[str, Any]]:
    """The chat messages of one answer: the answer itself, then its Sources panel. `key`: what
    makes the ids of this answer's citations unique in the conversation."""
    text = answer.markdown
    if answer.safety and text.startswith(answer.safety.message):  # set the notice apart
        text = notice_html(answer.safety) + "\n\n" + text[len(answer.safety.message):].lstrip("\n")
    text = cite_anchors(text, len(answer.hits), key)
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": text}]
    if answer.hits:
        n = len(answer.hits)
        title = locale.ui["sources_panel"].format(n=n) if n > 1 else locale.ui["sources_panel_one"]
        messages.append({"role": "assistant", "content": sources.markdown(answer.hits),
                         "metadata": {"title": title, "status": "done"}})
    return messages


def origin(request: gr.Request | None) -> str:
    """`scheme://host:port` of this server as the browser reached it ("" when unknown)."""
    try:
        url = request.base_url if request is not None else None  # the wrapped Starlette request's
        return f"{url.scheme}://{url.netloc}" if url and url.netloc else ""
    except Exception:  # not a web request (a test's direct call)
        return ""


def absolute_links(markdown: str, here: str) -> str:
    """The answer's links to this server's source view made absolute (`here` + path): in a
    `<gradio-app>` on a forum's page a relative link would lead into the forum's own site."""
    return re.sub(r"\]\((/source/)", lambda m: f"]({here}{m[1]}", markdown) if here else markdown


class Chat:
    """The chat's event handlers, in two steps. `screen` (not queued: no model, never waits
    behind other questions) shows the question and, at once, any emergency or crisis notice;
    `answer` (queued) searches and replaces that notice with the whole answer. The messages
    live on the server (`gr.State`), so the browser sends only the new question however long
    the conversation; `turns` keeps each question as typed and what to log if it gets a thumb."""

    def __init__(self, service: Service, corpus: Path) -> None:
        self.service, self.corpus = service, corpus
        self._views: tuple[Bot, Sources, SourceView] | None = None

    @property
    def bot(self) -> Bot:
        return self.service.bot

    def _of(self, bot: Bot) -> tuple[Bot, Sources, SourceView]:
        """The Sources panel and the source view of `bot`'s index version, sharing one reader of
        its documents (made again when another version is served)."""
        if self._views is None or self._views[0] is not bot:
            sources = Sources(self.corpus, bot.index.passages)
            view = SourceView(sources, bot.index.manifest.get("documents") or {}, bot.texts, bot.settings.stale_months)
            self._views = (bot, sources, view)
        return self._views

    def source_view(self, bot: Bot) -> SourceView:
        """The source view of `bot`'s index version."""
        return self._of(bot)[2]

    def sources(self, bot: Bot) -> Sources:
        """The Sources panel of `bot`'s index version."""
        return self._of(bot)[1]

    def screen(self, message: str, messages: list[dict], turns: list[dict], lang: str) -> tuple:
        limit = self.bot.settings.max_question_chars
        shown = clean_question(message[:limit]) + ("…" if len(message) > limit else "")
        _, notice = self.bot.screen(message, lang)
        messages = messages + [{"role": "user", "content": escape(shown)}]
        if notice:
            messages.append({"role": "assistant", "content": notice_html(notice)})
        return "", messages, messages, {"message": message, "interim": notice is not None}

    def answer(self, pending: dict, messages: list[dict], turns: list[dict], lang: str, via: str,
               request: gr.Request | None) -> tuple:
        if not pending:
            return messages, messages, turns
        if pending["interim"]:
            messages = messages[:-1]
        if len(messages) == 1:
            turns = []  # a new conversation (a cleared chat forgets the topic)
        client = self.service.client(request)
        reply = self.service.ask(pending["message"], [t["question"] for t in turns], client=client, via=via, page=lang)
        first = len(messages)
        bot = self.bot
        here = origin(request)
        shown = render(reply.answer, self.sources(bot), bot.locales.get(lang), f"cite{first}")
        messages = messages + [{**m, "content": absolute_links(m["content"], here)} for m in shown]
        share = share_text(reply.answer, asked=bot.locales.get(lang).ui["question_label"], base=here)
        turns = turns + [{"question": pending["message"], "record": reply.record,
                          "messages": list(range(first, len(messages))), "share": share}]
        return messages, messages, turns

    def like(self, turns: list[dict], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns if index in t["messages"]), None)
        log = self.service.log
        if log and turn and turn["record"] and data.liked in (True, False):
            log.vote(turn["record"], "up" if data.liked else "down")


def examples(bot: Bot, settings: Settings, locale: Locale) -> list[str]:
    if settings.examples.strip() and locale.language == bot.texts.language:
        return [e.strip() for e in settings.examples.split("|") if e.strip()]
    if locale.language != bot.texts.language:  # the documents' headings are in another language
        return [locale.example]
    headings = dict.fromkeys(s for _, sections in bot.index.outline for s in sections if s not in bot.titles)
    return [locale.ui["example_question"].format(heading=h) for h in list(headings)[:3]]


def header(bot: Bot, locale: Locale, links: str, *, widget: bool) -> str:
    """Title, what the documents are, the disclaimer and the helplines (links from the locale file)."""
    ui = locale.ui
    helplines = f'<div class="helplines">\n\n{ui["emergency_link"]}\n\n</div>'
    if widget:
        return f"# {escape(ui['title'])}\n{escape(locale.disclaimer)} {links}\n\n{helplines}"
    titles = ", ".join(f"*{escape(t)}*" for t in bot.titles[:5])
    if len(bot.titles) > 5:
        titles += " " + locale.more_documents.format(n=len(bot.titles) - 5)
    return (f"# {escape(ui['title'])}\n{escape(ui['intro']).format(titles=titles)}  \n{escape(locale.disclaimer)} "
            f"{links}\n\n{helplines}")


def create_blocks(chat: Chat, settings: Settings, locale: Locale, links: str, *, widget: bool) -> gr.Blocks:
    """The chat page, or (`widget=True`) the compact one for a forum's side column, in one locale."""
    bot, ui, lang = chat.bot, locale.ui, locale.locale
    via = "widget" if widget else "chat"
    limit = settings.max_question_chars
    with gr.Blocks(title=ui["title"], analytics_enabled=False, fill_height=widget) as blocks:
        gr.Markdown(header(bot, locale, links, widget=widget), elem_classes=["header"])
        conversation = gr.Chatbot(
            label=ui["chat_label"], height="100%" if widget else "70vh",
            elem_id="conversation", layout="bubble", autoscroll=False, scale=1 if widget else None,
            examples=[{"text": e} for e in examples(bot, settings, locale)], latex_delimiters=[],
            sanitize_html=True, allow_tags=False, feedback_options=("Like", "Dislike"), group_consecutive_messages=True,
            placeholder=escape(ui["chat_placeholder"]),
        )
        # the browser stops at 4x the question limit: longer text is still explained in the chat,
        # and the request stays under the body limit, which would answer with a bare error
        box = gr.Textbox(label=ui["question_label"], placeholder=ui["question_placeholder"], submit_btn=ui["submit"],
                         autofocus=not widget, max_lines=4, elem_id="question",
                         max_length=min(4 * limit, settings.max_request_kb * 1024 // 8) or None)
        copy = gr.Button(ui.get("copy_answer", "Copy answer with sources"), elem_id="copy-answer", size="sm",
                         variant="secondary", visible=False)
        shared = gr.Textbox(visible=False, elem_id="share-text")  # what the copy button copies
        messages, turns, pending = gr.State([]), gr.State([]), gr.State(None)

        def screen(message: str, past: list[dict], asked: list[dict]) -> tuple:
            return chat.screen(message, past, asked, lang)

        def pick(past: list[dict], asked: list[dict], data: gr.SelectData) -> tuple:
            return chat.screen(data.value["text"], past, asked, lang)

        def answer(waiting: dict, past: list[dict], asked: list[dict], request: gr.Request) -> tuple:
            shown, past, asked = chat.answer(waiting, past, asked, lang, via, request)
            text = asked[-1].get("share", "") if asked else ""
            return shown, past, asked, text, gr.update(visible=bool(text))

        shown = [box, conversation, messages, pending]
        answered = [conversation, messages, turns, shared, copy]
        box.submit(screen, [box, messages, turns], shown, queue=False, api_visibility="private").then(
            answer, [pending, messages, turns], answered, api_visibility="private")
        conversation.example_select(pick, [messages, turns], shown, queue=False, api_visibility="private").then(
            answer, [pending, messages, turns], answered, api_visibility="private")
        conversation.like(chat.like, [turns], None, api_visibility="private")
        conversation.clear(lambda: ([], [], "", gr.update(visible=False)), None, [messages, turns, shared, copy],
                           api_visibility="private")
        copy.click(None, [shared], None, js=COPY_JS, queue=False, api_visibility="private")
        if not widget and locale is bot.texts:
            @gr.api(api_name="ask")
            def ask(question: str, history: list[str] | None = None, request: gr.Request = None) -> dict:  # type: ignore[assignment]
                """The answer's JSON (as POST /api/ask): question, status, safety, passages, markdown, disclaimer."""
                return chat.service.ask(question, history or [], client=chat.service.client(request),
                                        via="api").answer.to_dict()
    # a bounded queue: up to 4 questions answered at once (the model is the bottleneck on 2 cores),
    # and at most 256 waiting, so a crowd gets "busy" instead of an ever-growing backlog; the
    # notice does not wait in it (`screen` is not queued)
    return blocks.queue(default_concurrency_limit=4, max_size=256)


def create_app(serving: Bot | LiveBot, settings: Settings | None = None, feedback: FeedbackLog | None = None) -> FastAPI:
    """One FastAPI app: the JSON API, the web component script, and the chat page and widget in
    every locale (`/` and `/widget/` in the default one, `/es/` and `/widget/es/`...). A `LiveBot`
    is followed to each newly published index version; the pages' titles and examples are those
    of the version served at start."""
    settings = settings or serving.settings
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None
    service = Service(serving, feedback, limiter, trusted_proxies=settings.trusted_proxies)
    bot = service.bot
    api = create_api(service, settings)
    script = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        return FileResponse(script, media_type="text/javascript")

    mount_admin(api, AdminPage(lambda: service.bot, feedback, settings), settings.admin_auth)  # before the chat at /

    @api.get("/embed.js", include_in_schema=False)
    def embed_script() -> FileResponse:
        return FileResponse(EMBED_JS, media_type="text/javascript", headers={"cache-control": "public, max-age=3600"})

    @api.get("/primary.css", include_in_schema=False)
    def primary_colours(primary: str = "") -> Response:
        return Response(primary_css(primary[:32]) or "", media_type="text/css",
                        headers={"cache-control": "public, max-age=86400"})

    chat = Chat(service, settings.corpus)

    @api.get("/source/{doc:path}", include_in_schema=False)
    def source(doc: str, passage: str = "") -> HTMLResponse:  # sync: reading a file runs in a worker thread
        page = chat.source_view(chat.bot).page(doc, passage)
        if page is None:
            return HTMLResponse(f"<!doctype html><title>Not found</title><p>No document {escape_html(doc)} in the "
                                "index: open a citation of an answer.</p>", 404)
        return HTMLResponse(page)
    common: dict[str, Any] = {"theme": THEME, "ssr_mode": False, "run_history": False, "mcp_server": False,
                              "server_name": settings.host, "server_port": settings.port, "js": SCROLL_JS}
    locales = [bot.texts] + [loc for lang, loc in bot.locales.by_language.items() if loc is not bot.texts]
    prefixes = {loc.language: "" if loc is bot.texts else f"/{loc.language}" for loc in locales}
    previews: dict[str, Preview] = {}
    for widget in (True, False):  # the more specific paths first: /widget/es, /widget, /es, /
        for loc in reversed(locales):
            path = ("/widget" if widget else "") + prefixes[loc.language] or "/"
            links = " · ".join(f"[{escape(other.name)}](?lang={other.language})" for other in locales if other is not loc)
            blocks = create_blocks(chat, settings, loc, links, widget=widget)
            head = WIDGET_HEAD + WIDGET_SCRIPT.replace("{up}", "../" * path.count("/")) if widget else HEAD
            app = gr.mount_gradio_app(api, blocks, path=path, footer_links=[] if widget else ["api"],
                                      css=CSS + WIDGET_CSS * widget, head=head + PRINT_HEAD, **common)
            previews[path] = preview(bot, loc)
    app.add_middleware(LanguageRedirect, prefixes=prefixes, default=bot.texts.language)
    app.add_middleware(LinkPreview, pages=previews)
    return app


def preview(bot: Bot, locale: Locale) -> Preview:
    """What a link preview of a page says: the bot's title and what its documents are, in the page's language."""
    titles = ", ".join(bot.titles[:5]) + (" " + locale.more_documents.format(n=len(bot.titles) - 5)
                                          if len(bot.titles) > 5 else "")
    return Preview(locale.ui["title"], locale.ui["intro"].format(titles=titles))


class LanguageRedirect:
    """`/?lang=es` and `/widget/?lang=es` lead to the Spanish page (`/es/`, `/widget/es/`); a
    first visit to `/` or `/widget/` from a browser that prefers a language the bot has does too."""

    def __init__(self, app: Any, *, prefixes: dict[str, str], default: str) -> None:
        self.app, self.prefixes, self.default = app, prefixes, default

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET":
            path = scope.get("path", "")
            base = "/widget" if path.startswith("/widget") else ""
            rest = path[len(base):]
            current = next((lang for lang, p in self.prefixes.items() if p and rest.rstrip("/") == p), None)
            if current or rest in ("", "/"):
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                wanted = query.pop("lang", None)
                if wanted is None and current is None:
                    wanted = _preferred(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"),
                                        self.prefixes, self.default)
                lang = (wanted or "").split("-")[0].lower()
                if lang in self.prefixes and lang != (current or self.default):
                    target = f"{base}{self.prefixes[lang]}/" + (f"?{urlencode(query)}" if query else "")
                    return await _redirect(send, target)
        await self.app(scope, receive, send)


def _preferred(header: str, prefixes: dict[str, str], default: str) -> str | None:
    """The first language of an Accept-Language header that the bot has, by its q order."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        lang, _, q = part.strip().partition(";q=")
        try:
            ranked.append((-float(q or 1), i, lang.split("-")[0].lower()))
        except ValueError:
            continue
    return next((lang for _, _, lang in sorted(ranked) if lang in prefixes), default)


async def _redirect(send: Any, target: str) -> None:
    await send({"type": "http.response.start", "status": 302,
                "headers": [(b"location", target.encode()), (b"content-length", b"0"), (b"vary", b"accept-language")]})
    await send({"type": "http.response.body", "body": b""})


def main(settings: Settings | None = None) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    settings = settings or Settings.load()
    frame_ancestors(settings.frame_ancestors)  # a bad value stops here, before the index is opened
    feedback = FeedbackLog(settings.data, questions=settings.log_questions)
    if dropped := feedback.prune(settings.log_days):
        log.info("feedback log: dropped %d entries older than %d days", dropped, settings.log_days)
    live = LiveBot.open(settings).start()  # never builds: a missing index is an error saying how to build it
    app = create_app(live, settings, feedback)
    print(f"Chat at http://{settings.host}:{settings.port}  (widget: /widget/, API: POST /api/ask, docs: /docs)")
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, access_log=False)  # no IP addresses in logs
    finally:
        live.close()
