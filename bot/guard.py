"""The public endpoint's guard: an optional password, a request size limit and no uploads, in
one ASGI middleware around the whole web app (API and chat); and the per-client rate limiter
that `service.py` applies to every question.

- Password (`auth`, BOT_AUTH): when set, every request needs it, as HTTP Basic auth (any user
  name; browsers ask for it) or `Authorization: Bearer <password>` (scripts); else 401 — but
  the paths `own` matches, which check a password of their own (the help-desk page).
- Size: a request body over `max_body` bytes gets 413, whether it declares its length or not —
  except a question to `/api/ask` whose first `max_body` bytes describe an emergency or a
  crisis: `oversize` turns that head into a reply carrying the notice (200), never withheld.
- Rate (`RateLimiter`): `rate` questions per `window` seconds per client. It is not applied
  here but where the question is read, so that a client over its limit still gets a notice.
  Counts live in memory only, for one window, and are never logged. A client is its peer's
  address; behind a load balancer (`client_address`), the address in X-Forwarded-For that the
  proxies listed in BOT_TRUST_PROXY saw, so that everyone behind them is not one client.
- Read-only: file uploads to the chat are refused (403); nothing on the web changes the corpus
  or the index, which only `python -m bot index` builds.

Left out: limits shared across several server processes (one process serves the bot).
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from .config import Network

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the JSON API's question endpoint, whose oversized questions are still screened for a notice
API_ASK = re.compile(r"^/api/ask/?$")
UPLOADS = re.compile(r"/(?:gradio_api/)?upload/?$")
_MAX_CLIENTS = 100_000  # oldest forgotten first: memory stays bounded under a spoofed-address flood


class RateLimiter:
    """A sliding-window counter per client: at most `rate` events in any `window` seconds."""

    def __init__(self, rate: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.window, self.clock = rate, window, clock
        self._hits: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> float:
        """Record one event; 0 if allowed, else the seconds until the client may try again."""
        now = self.clock()
        with self._lock:
            hits = [t for t in self._hits.pop(client, []) if now - t < self.window]
            if len(hits) >= self.rate:
                self._hits[client] = hits
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            self._hits[client] = hits  # re-inserted: most recent last
            while len(self._hits) > _MAX_CLIENTS:
                self._hits.popitem(last=False)
            return 0.0


def client_address(headers: Mapping[str, str], peer: str | None, trusted: Sequence[Network] = ()) -> str:
    """Who counts against a rate limit: the peer's IP address; or, when the peer is one of the
    `trusted` proxies (BOT_TRUST_PROXY), the X-Forwarded-For address that the nearest of them saw:
    the header is read from its end, past every trusted proxy, so an address the client wrote
    into it itself is never believed."""
    if not _within(peer, trusted):
        return peer or "unknown"
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    client = peer or "unknown"
    for hop in reversed(hops):
        client = hop[:64]
        if not _within(hop, trusted):
            break
    return client


def _within(address: str | None, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # no address, a name, or something forged into the header
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:10.0.0.1 from a dual-stack socket
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


class Guard:
    """ASGI middleware; `auth=""` turns the password off, `max_body=0` the size limit. `oversize`
    gets the head of a too-big question to /api/ask and returns a JSON reply to send instead of
    413 (the safety notice), or None."""

    def __init__(self, app: ASGIApp, *, max_body: int, auth: str = "",
                 oversize: Callable[[bytes], bytes | None] | None = None, own: re.Pattern[str] | None = None) -> None:
        self.app, self.auth, self.max_body, self.oversize, self.own = app, auth, max_body, oversize, own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        own = self.own is not None and scope["type"] == "http" and bool(self.own.match(path))
        if self.auth and not own and not self._authorized(headers.get("authorization", "")):
            return await _reply(send, scope, 401, "This bot needs a password: sign in, or send "
                                "`Authorization: Bearer <password>`.", {"www-authenticate": 'Basic realm="bot", charset="UTF-8"'})
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        if UPLOADS.search(path):
            return await _reply(send, scope, 403, "This bot is read-only: it takes no files.")
        if self.max_body and scope.get("method") in ("POST", "PUT", "PATCH"):
            body, more = await _read_up_to(receive, self.max_body)
            if more:
                notice = self.oversize(body) if self.oversize and API_ASK.search(path) else None
                if notice is not None:
                    return await _send(send, 200, notice, {})
                return await _reply(send, scope, 413, self._too_big())
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            given = value.strip()
        elif scheme.lower() == "basic":
            try:
                given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return False
        else:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.auth.encode("utf-8"))

    def _too_big(self) -> str:
        return f"The request is over {self.max_body // 1024} KB: ask a shorter question."


async def _read_up_to(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, stopping as soon as it is over `limit` bytes (then `more` is True and
    the body is its first `limit` bytes)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then wait for the disconnect, as the server would

    return again


async def _reply(send: Send, scope: Scope, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await _send(send, status, json.dumps({"detail": detail}).encode(), extra or {})


async def _send(send: Send, status: int, body: bytes, extra: dict[str, str]) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
