"""The web app: a Gradio chat over the index, started by `python app.py` or `python -m bot serve`.

On start it builds the index if it is missing or stale (an unchanged corpus costs a hash of
its files). Gradio appears only here; the bot itself returns an `Answer`, rendered as Markdown.
What the user typed is escaped before it is shown, so HTML in a question is shown as text.
"""

from __future__ import annotations

import logging

import gradio as gr

from bot import Bot, Settings
from bot.answer import escape
from bot.embed import SentenceTransformerEmbedder
from bot.index import build

log = logging.getLogger("app")


def create_bot(settings: Settings) -> Bot:
    embedder = SentenceTransformerEmbedder(settings.model)
    report = build(settings, embedder, progress=True)
    for warning in report.skipped:
        log.warning(warning)
    return Bot.load(settings=settings, embedder=embedder)


def create_app(bot: Bot) -> gr.Blocks:
    def respond(message: str, history: list[dict]) -> tuple[str, list[dict]]:
        answer = bot.ask(message)
        history = history + [
            {"role": "user", "content": escape(answer.question or message[:200])},
            {"role": "assistant", "content": answer.markdown},
        ]
        return "", history

    covered = ", ".join(bot.titles[:3]) + (f" and {len(bot.titles) - 3} more" if len(bot.titles) > 3 else "")
    with gr.Blocks(title="Medical Q&A from trusted documents") as demo:
        gr.Markdown(f"## Ask the documents\nAnswers are quoted from: {escape(covered)}.")
        chat = gr.Chatbot(label="Conversation", height=520)
        box = gr.Textbox(label="Your question", placeholder="e.g. What are the withdrawal symptoms of Klonopin?",
                         submit_btn=True)
        box.submit(respond, [box, chat], [box, chat])
    return demo


def main(settings: Settings | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    settings = settings or Settings.load()
    create_app(create_bot(settings)).launch(server_name=settings.host, server_port=settings.port)


if __name__ == "__main__":
    main()
