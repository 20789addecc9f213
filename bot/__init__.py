"""A citation-first medical Q&A bot: answers by quoting trusted documents, with citations.

    from bot import Bot
    bot = Bot.load("index")
    print(bot.ask("What are the withdrawal symptoms of Klonopin?").markdown)

Educational information only, not medical advice.
"""

from .config import Settings
from .errors import (
    BotError,
    ConfigError,
    CorpusError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
    ModelError,
)
from .pipeline import Bot
from .schema import Answer, Document, Hit, Passage, Safety, Section

__all__ = [
    "Answer",
    "Bot",
    "BotError",
    "ConfigError",
    "CorpusError",
    "Document",
    "Hit",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexMissingError",
    "ModelError",
    "Passage",
    "Safety",
    "Section",
    "Settings",
]
