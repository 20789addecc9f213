"""The web app: the Gradio chat, its compact widget and the JSON API, in one server.

`python app.py` or `python -m bot serve` builds the index if it is missing or stale (an
unchanged corpus costs a hash of its files), then serves on BOT_HOST:BOT_PORT:

    /            the chat page: title, what the documents are, examples, conversation
    /widget/     the same chat for a forum's side column (narrow, no header)
    /api/ask     POST {"question", "history"} → the answer's JSON (OpenAPI at /docs)
    /gradio.js   the <gradio-app> web component, served here so embedding needs no CDN

Gradio appears only here. Each answer is `Answer.markdown` (documents' text already escaped)
with the emergency or crisis notice set apart, then a collapsed "Sources" panel; what the
user typed is escaped too, so HTML in a question is shown as text. Thumbs up and down go to
the feedback log with every answered and unanswered question, never with who asked.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse

from bot import Answer, Bot, BotError, Settings
from bot.answer import escape
from bot.embed import make_embedder
from bot.feedback import FeedbackLog
from bot.index import build
from bot.sources import Sources
from bot.web import create_api, frame_ancestors

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a medical page
log = logging.getLogger("app")
TITLE = "Ask the documents"
THEME = gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"])  # no web fonts fetched
CSS = """
.notice { border-left: 6px solid #b3261e; background: #fdecea; color: #410e0b; padding: .4em .9em;
          border-radius: 6px; margin-bottom: .6em; }
.notice p, .notice strong { color: #410e0b !important; }
.notice-crisis { border-left-color: #4a2a8a; background: #eee8fb; }
.notice-crisis p, .notice-crisis strong { color: #21133d !important; }
.message-wrap .message { overflow-wrap: anywhere; }
.thought-group .message-content { opacity: 1 !important; }  /* the Sources panel: full contrast */
.thought-group .content, .thought-group .content p { font-size: 14px !important; }
footer, footer button, footer a { color: #52525b !important; }
@media (max-width: 480px) { .gradio-container .main { padding: 8px !important; } }
"""
WIDGET_CSS = ".gradio-container .main { padding: 4px !important; }"


def create_bot(settings: Settings) -> Bot:
    embedder = make_embedder(settings)
    report = build(settings, embedder, progress=True)
    for warning in report.skipped:
        log.warning(warning)
    return Bot.load(settings=settings, embedder=embedder)


def render(answer: Answer, sources: Sources) -> list[dict[str, Any]]:
    """The chat messages of one answer: the answer itself, then its Sources panel."""
    text = answer.markdown
    if answer.safety and text.startswith(answer.safety.message):  # set the notice apart
        rest = text[len(answer.safety.message):].lstrip("\n")
        text = (f'<div class="notice notice-{answer.safety.kind}" role="alert">\n\n'
                f"{answer.safety.message}\n\n</div>\n\n{rest}")
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": text}]
    if answer.hits:
        n = len(answer.hits)
        messages.append({"role": "assistant", "content": sources.markdown(answer.hits),
                         "metadata": {"title": f"Sources: the {n} passage{'s' * (n > 1)} in context", "status": "done"}})
    return messages


class Chat:
    """The chat's event handlers. `turns` (per browser tab) keeps each question as typed and
    what to log if its answer gets a thumb; the Chatbot itself only holds escaped Markdown."""

    def __init__(self, bot: Bot, feedback: FeedbackLog | None, sources: Sources) -> None:
        self.bot, self.feedback, self.sources = bot, feedback, sources

    def respond(self, message: str, chat: list[dict], turns: list[dict], via: str = "chat") -> tuple[str, list, list]:
        if not chat:
            turns = []  # a new conversation (or an API client starting one)
        answer = self.bot.ask(message, [t["question"] for t in turns])
        rec = self.feedback.ask(answer, via) if self.feedback else None
        chat = chat + [{"role": "user", "content": escape(answer.question or message)}]
        first = len(chat)
        chat = chat + render(answer, self.sources)
        turns = turns + [{"question": message, "record": rec, "messages": list(range(first, len(chat)))}]
        return "", chat, turns

    def like(self, turns: list[dict], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns if index in t["messages"]), None)
        if self.feedback and turn and turn["record"] and data.liked in (True, False):
            self.feedback.vote(turn["record"], "up" if data.liked else "down")


def examples(bot: Bot, settings: Settings) -> list[str]:
    if settings.examples.strip():
        return [e.strip() for e in settings.examples.split("|") if e.strip()]
    headings = dict.fromkeys(s for _, sections in bot.index.outline for s in sections if s not in bot.titles)
    return [f"Tell me about {h}" for h in list(headings)[:3]]


def create_blocks(bot: Bot, chat_handlers: Chat, settings: Settings, *, widget: bool) -> gr.Blocks:
    """The chat page, or (`widget=True`) the compact one for a forum's side column."""
    via = "widget" if widget else "chat"
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=widget) as blocks:
        if not widget:
            titles = ", ".join(f"*{escape(t)}*" for t in bot.titles[:5])
            more = f" and {len(bot.titles) - 5} more" if len(bot.titles) > 5 else ""
            gr.Markdown(f"# {TITLE}\nEvery answer is quoted word for word from: {titles}{more}, with "
                        f"numbered sources.  \n{escape(bot.texts.disclaimer)}")
        chat = gr.Chatbot(
            label="Conversation", height=440 if widget else "72vh", elem_id="conversation", layout="bubble",
            examples=[{"text": e} for e in examples(bot, settings)], latex_delimiters=[],
            sanitize_html=True, allow_tags=False, feedback_options=("Like", "Dislike"), group_consecutive_messages=True,
            placeholder="Ask a health question in your own words. Answers are quotes from the documents, with sources.",
        )
        box = gr.Textbox(label="Your question", placeholder="Type a question and press Enter",
                         submit_btn="Ask", autofocus=not widget, max_lines=4, elem_id="question")
        turns = gr.State([])

        def respond(message: str, history: list[dict], past: list[dict]) -> tuple[str, list, list]:
            return chat_handlers.respond(message, history, past, via)

        def pick(history: list[dict], past: list[dict], data: gr.SelectData) -> tuple[str, list, list]:
            return chat_handlers.respond(data.value["text"], history, past, via)

        box.submit(respond, [box, chat, turns], [box, chat, turns], api_name="chat")
        chat.example_select(pick, [chat, turns], [box, chat, turns], api_visibility="private")
        chat.like(chat_handlers.like, [turns], None, api_visibility="private")
        chat.clear(lambda: [], None, turns, api_visibility="private")
        if not widget:
            @gr.api(api_name="ask")
            def ask(question: str, history: list[str] | None = None) -> dict:
                """The answer's JSON (as POST /api/ask): question, status, safety, passages, markdown, disclaimer."""
                answer = bot.ask(question, history or [])
                if chat_handlers.feedback:
                    chat_handlers.feedback.ask(answer, "api")
                return answer.to_dict()
    # a bounded queue: up to 4 questions answered at once (the model is the bottleneck on 2 cores),
    # and at most 256 waiting, so a crowd gets "busy" instead of an ever-growing backlog
    return blocks.queue(default_concurrency_limit=4, max_size=256)


def create_app(bot: Bot, settings: Settings | None = None, feedback: FeedbackLog | None = None) -> FastAPI:
    """One FastAPI app: the JSON API, the web component script, the widget and the chat page."""
    settings = settings or bot.settings
    api = create_api(bot, feedback, settings)
    script = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        return FileResponse(script, media_type="text/javascript")

    handlers = Chat(bot, feedback, Sources(settings.corpus, bot.index.passages))
    common: dict[str, Any] = {"theme": THEME, "ssr_mode": False, "run_history": False, "mcp_server": False,
                              "server_name": settings.host, "server_port": settings.port}
    widget = create_blocks(bot, handlers, settings, widget=True)
    gr.mount_gradio_app(api, widget, path="/widget", footer_links=[], css=CSS + WIDGET_CSS, **common)
    page = create_blocks(bot, handlers, settings, widget=False)
    return gr.mount_gradio_app(api, page, path="/", footer_links=["api"], css=CSS, **common)


def main(settings: Settings | None = None) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    settings = settings or Settings.load()
    frame_ancestors(settings.frame_ancestors)  # a bad value stops here, before the index is built
    feedback = FeedbackLog(settings.data)
    if dropped := feedback.prune(settings.log_days):
        log.info("feedback log: dropped %d entries older than %d days", dropped, settings.log_days)
    app = create_app(create_bot(settings), settings, feedback)
    print(f"Chat at http://{settings.host}:{settings.port}  (widget: /widget/, API: POST /api/ask, docs: /docs)")
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False)  # no IP addresses in logs


if __name__ == "__main__":
    try:
        main()
    except BotError as exc:  # as the CLI does: one line saying what to do, exit status 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
