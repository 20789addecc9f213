"""The HTTP side of the web app: `POST /api/ask` (with its OpenAPI description) and the headers
that say who may embed the chat.

`create_api` returns a FastAPI app; `bot/chat.py` mounts the Gradio chat on it, so the JSON API,
its documentation (`/docs`, Swagger UI, and `/openapi.json`) and the chat share one server. The
documentation page loads its script and styles from this server (the files of the
fastapi-offline package, under `/static-offline-docs/`), never from a CDN, so it works on a
network without the internet. The reply is exactly `Answer.to_dict()` (bot/contract.py); a
malformed request gets a 422 with a JSON body saying which field is wrong. A client over its
rate limit gets 429 with Retry-After and the same JSON (status `invalid`) — unless the message
describes an emergency or a crisis: then the reply is 200, with the notice, so that no client
can drop it as an error. The same holds while the vector store is down: 503 with Retry-After and
the same JSON, saying the documents cannot be searched right now, or 200 with the notice.

Embedding: `Settings.frame_ancestors` (BOT_FRAME_ANCESTORS) lists the origins allowed to put
the chat in an `<iframe>` (the Content-Security-Policy `frame-ancestors` header on every
response) and, the same list, the origins whose pages may run the `<gradio-app>` web component
or call the API from the browser (CORS). `*` (the default) allows any site; `'none'` none.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .admin import ADMIN_PATHS
from .config import Settings
from .contract import AnswerOut
from .errors import ConfigError
from .guard import Guard
from .service import Service

_ORIGIN = re.compile(r"^(https?)://(\*\.)?([a-z0-9.-]+|\[[0-9a-f:]+\])(:[0-9]{1,5})?$", re.I)
_FIX = ("write origins like https://forum.example.org separated by spaces (a leading *. allows "
        "sub-domains), or * for any site, or 'self' or 'none'")


def valid_unicode(text: str) -> str:
    """Lone surrogates (legal in JSON's \\u escapes, not in UTF-8) become U+FFFD, so every reply encodes."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str

    @field_validator("content")
    @classmethod
    def _unicode(cls, v: str) -> str:
        return valid_unicode(v)


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "What are the withdrawal symptoms of Klonopin?", "history": []},
        {"question": "how long do they last?", "history": ["What are the withdrawal symptoms of Klonopin?"]}]})

    question: str = Field(description="the user's message, as typed")
    history: list[str | Turn] = Field(default_factory=list, max_length=100, description=(
        "earlier messages of the conversation, oldest first: strings (the user's earlier "
        "questions) or {role, content} messages; a short follow-up is searched with the earlier topic"))

    @field_validator("question")
    @classmethod
    def _unicode(cls, v: str) -> str:
        return valid_unicode(v)

    @field_validator("history")
    @classmethod
    def _history_unicode(cls, v: list[str | Turn]) -> list[str | Turn]:
        return [valid_unicode(t) if isinstance(t, str) else t for t in v]


def create_api(service: Service, settings: Settings) -> FastAPI:
    """The FastAPI app with `POST /api/ask`, the embedding headers and CORS."""
    # no ReDoc: its page fetches a logo from a CDN
    api = FastAPIOffline(title="Medical Q&A that quotes its sources", version="1", redoc_url=None,
                  description="Answers only by quoting trusted documents, with numbered citations. "
                              "Educational information, not medical advice.")
    # added first, so it sits innermost and its 401/413/429 replies still carry CORS and CSP headers
    def oversize(head: bytes) -> bytes | None:  # a question too big to read: only its notice
        question = question_head(head)
        answer = service.bot.too_long(question, f"{len(question):,}+")
        return json.dumps(answer.to_dict(), ensure_ascii=False).encode() if answer.safety else None

    api.add_middleware(Guard, auth=settings.auth, max_body=settings.max_request_kb * 1024, oversize=oversize,
                       own=ADMIN_PATHS if settings.admin_auth else None)  # /admin checks its own password

    @api.post("/api/ask", response_model=None, tags=["ask"], summary="Answer a question by quoting the documents",
              responses={200: {"model": AnswerOut}, 429: {"model": AnswerOut, "description": "over the rate limit"},
                         503: {"model": AnswerOut, "description": "the documents cannot be searched right now"}})
    def ask(body: AskRequest, request: Request) -> JSONResponse:  # sync: FastAPI runs it in a worker thread
        history = [t if isinstance(t, str) else t.model_dump() for t in body.history]
        reply = service.ask(body.question, history, client=service.client(request), via="api")
        if not reply.retry_after and not reply.unavailable:
            return JSONResponse(reply.answer.to_dict())
        seconds = reply.retry_after or max(1, math.ceil(settings.reload_seconds))
        data, wait = reply.answer.to_dict(), {"retry-after": str(seconds)}
        if reply.answer.safety:
            return JSONResponse(data, headers=wait)
        return JSONResponse({"detail": data["markdown"].split("\n\n")[0], **data}, 503 if reply.unavailable else 429,
                            headers=wait)

    policy = f"frame-ancestors {' '.join(frame_ancestors(settings.frame_ancestors))}"

    @api.middleware("http")
    async def headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    # Gradio adds its own CORS rules only when the parent app has none; these replace them.
    api.add_middleware(CORSMiddleware, allow_origin_regex=cors_regex(settings.frame_ancestors),
                       allow_credentials=True, allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"])
    return api


_ESCAPES = re.compile(r'(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')


def question_head(body: bytes) -> str:
    """The readable start of the "question" string of a JSON body cut short (the rest unread)."""
    text = body.decode("utf-8", "ignore")
    start = re.search(r'"question"\s*:\s*"', text)
    if not start:
        return ""
    raw = _ESCAPES.match(text, start.end())
    return valid_unicode(json.loads(f'"{raw.group(0) if raw else ""}"'))


def frame_ancestors(value: str) -> list[str]:
    """The CSP sources of BOT_FRAME_ANCESTORS, checked; raises ConfigError saying how to fix it."""
    sources = value.split() or ["'none'"]
    for source in sources:
        if source not in ("*", "'self'", "'none'") and not _ORIGIN.match(source):
            raise ConfigError(f"BOT_FRAME_ANCESTORS holds {source!r}, which is not an origin: {_FIX}")
    if "'none'" in sources and len(sources) > 1:
        raise ConfigError(f"BOT_FRAME_ANCESTORS mixes 'none' with other origins: {_FIX}")
    return sources


def cors_regex(value: str) -> str:
    """A regular expression of the origins allowed cross-origin; matches nothing for 'self'/'none'."""
    parts = []
    for source in frame_ancestors(value):
        if source == "*":
            return r"https?://.+"
        if m := _ORIGIN.match(source):
            scheme, wild, host, port = (g.lower() if g else "" for g in m.groups())
            parts.append(re.escape(f"{scheme}://") + (r"[^/:]+\." if wild else "") + re.escape(host + port))
    return "(" + "|".join(parts) + ")" if parts else r"(?!)"
