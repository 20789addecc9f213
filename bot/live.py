"""The bot a server answers with: the published index version, followed while serving.

A replica never builds. `LiveBot.open` opens the version the index folder publishes and refuses
a missing one with the command that builds it; every `Settings.reload_seconds` a watcher thread
asks which version is published now (`published`) and, when it changed, opens that one and
swaps it in with one assignment: a request that already holds the old `Bot` finishes on it,
the next one gets the new. The old one's vector store is closed a minute later.

Published means: with FAISS, the version folder `index/current` points to; with Milvus, the
version whose collection the alias names, once its folder is in `index/` (a replica on another
machine gets the folder copied in; until then it keeps serving the one `index/current` names).

When the vector store fails (a Milvus outage) the store is marked down: requests are answered
at once with `StoreDownError` (the web app turns it into a 503; safety notices need no search and are
still given), and the watcher checks the store every `reload_seconds` until it answers again.

Left out: anything about the corpus (a replica needs none) and building (`python -m bot index`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from . import stores
from .config import Settings
from .embed import Embedder, make_embedder
from .errors import BotError, VectorStoreError
from .index import load
from .layout import CURRENT
from .pipeline import Bot

log = logging.getLogger(__name__)
RETIRE_SECONDS = 60.0  # a replaced version's store stays open this long for requests still using it


class StoreDownError(VectorStoreError):
    """The vector store cannot be searched right now; the message says since when and why."""


def published(settings: Settings, root: Path | None = None) -> str | None:
    """The name of the version folder that should be served now (None: nothing built yet)."""
    root = root or settings.index
    version = stores.configured(settings).published(settings)  # Milvus: the version its alias names
    if version is not None and (root / version / "manifest.json").is_file():
        return version
    link = root / CURRENT
    return os.readlink(link) if link.is_symlink() else None


class LiveBot:
    def __init__(self, bot: Bot, version: str | None, settings: Settings, embedder: Embedder) -> None:
        self._bot, self.version = bot, version
        self.settings, self.embedder = settings, embedder
        self._down: str | None = None  # why the store failed, while it does
        self._retired: list[tuple[float, Bot]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, settings: Settings | None = None, *, embedder: Embedder | None = None) -> LiveBot:
        """The published version of `settings.index` (IndexMissingError when none was built)."""
        settings = settings or Settings.load()
        embedder = embedder or make_embedder(settings)
        version = published(settings)
        return cls(_open(settings, embedder, version), version, settings, embedder)

    @property
    def bot(self) -> Bot:
        """The bot to answer one request with (hold it for the whole request)."""
        return self._bot

    @property
    def down(self) -> str | None:
        return self._down

    def current(self) -> Bot:
        """The bot, or StoreDownError when the store failed and has not answered since."""
        if self._down:
            raise StoreDownError(self._down)
        return self._bot

    def failed(self, exc: VectorStoreError) -> None:
        """A request found the store failing: answer the next ones at once until it is back."""
        if not self._down:
            log.warning("vector store down, answering 503 until it is back: %s", exc)
        self._down = str(exc)

    def check(self) -> bool:
        """One round of the watcher: is the store back, was another version published? True if
        the bot was swapped."""
        self._close_retired()
        if self._down:
            try:
                self._bot.index.store.ping()
            except VectorStoreError:
                return False
            log.warning("vector store is back: answering again")
            self._down = None
        try:
            version = published(self.settings)
        except VectorStoreError as exc:  # cannot ask Milvus for the alias: the store is down
            self.failed(exc)
            return False
        if version == self.version or version is None:
            return False
        try:
            new = _open(self.settings, self.embedder, version)
        except BotError as exc:  # half-copied, or dropped already: keep serving, try again next round
            log.warning("index version %s is published but cannot be opened yet (%s): still serving %s",
                        version, exc, self.version)
            return False
        old, self._bot, self.version = self._bot, new, version
        self._retired.append((time.monotonic(), old))
        log.info("now serving index version %s", version)
        return True

    def start(self) -> LiveBot:
        """Run `check` every `reload_seconds` in a daemon thread (not at all when it is 0)."""
        if self.settings.reload_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="index-watcher", daemon=True)
            self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_seconds):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one failure
                log.exception("checking for a new index version failed")

    def close(self) -> None:
        """Stop the watcher and let go of every store (the server is shutting down)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for _, bot in self._retired:
            _close(bot)
        self._retired.clear()
        _close(self._bot)

    def _close_retired(self) -> None:
        now = time.monotonic()
        for item in [r for r in self._retired if now - r[0] > RETIRE_SECONDS]:
            self._retired.remove(item)
            _close(item[1])


def _open(settings: Settings, embedder: Embedder, version: str | None) -> Bot:
    """The bot of version folder `version` of the index (the folder itself when None)."""
    folder = settings.index / version if version else settings.index
    return Bot(load(folder, embedder=embedder, settings=settings), embedder, settings)


def _close(bot: Bot) -> None:
    bot.index.store.close()
