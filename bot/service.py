"""Ask, within the rate limit, and log: the one path every door takes (the API, the chat, the widget).

`Service.ask` screens the message for an emergency or a crisis before anything can refuse it:
a client over its rate limit still gets the notice (the question is not searched, and the
reply says when to ask again). The limit counts questions per client address, in memory, for
one window, and is never logged. When the vector store is down (a Milvus outage) the reply is
`unavailable` (the web app's 503), still with its notice, and the question is logged as such;
a `LiveBot` then answers the next questions at once, without waiting on the store, until its
watcher finds the store back.

Left out: limits shared across server processes; who the client is (the web layer says).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import Network
from .dialogue import Turn
from .errors import VectorStoreError
from .feedback import FeedbackLog
from .guard import RateLimiter, client_address
from .live import LiveBot, StoreDownError
from .pipeline import Bot
from .schema import Answer


@dataclass(frozen=True)
class Reply:
    answer: Answer
    retry_after: int = 0  # seconds until the client may ask again; 0: it was answered
    record: dict[str, Any] | None = None  # what the feedback log holds, for a later thumb
    unavailable: bool = False  # the documents could not be searched (the vector store is down)


class Service:
    def __init__(self, bot: Bot | LiveBot, log: FeedbackLog | None = None, limiter: RateLimiter | None = None, *,
                 trusted_proxies: Sequence[Network] = ()) -> None:
        self.live = bot if isinstance(bot, LiveBot) else None
        self._bot = bot if isinstance(bot, Bot) else None
        self.log, self.limiter, self.trusted_proxies = log, limiter, tuple(trusted_proxies)

    @property
    def bot(self) -> Bot:
        """The bot serving now: a request takes it once and keeps it to the end."""
        return self.live.bot if self.live else self._bot  # type: ignore[return-value]

    def client(self, request: Any) -> str:
        """Who a request (Starlette's, or Gradio's `gr.Request`; None: unknown) counts as for the
        rate limit (see `guard.client_address`)."""
        if request is None:
            return ""
        peer = request.client.host if request.client else None
        return client_address(request.headers, peer, self.trusted_proxies)

    def ask(self, question: str, history: Sequence[Turn] = (), *, client: str = "", via: str = "api",
            page: str | None = None) -> Reply:
        bot = self.bot
        wait = self.limiter.check(client or "unknown") if self.limiter else 0.0
        if wait:
            seconds = math.ceil(wait)
            return Reply(bot.limited(question, seconds, page), seconds)
        try:
            if self.live:
                bot = self.live.current()
            answer = bot.ask(question, history, page=page)
        except VectorStoreError as exc:  # StoreDownError: it failed before and is not back yet
            if self.live and not isinstance(exc, StoreDownError):
                self.live.failed(exc)
            answer = bot.unavailable(question, page)
            return Reply(answer, 0, self.log.ask(answer, via, unavailable=True) if self.log else None, True)
        record = self.log.ask(answer, via) if self.log else None
        return Reply(answer, 0, record)
