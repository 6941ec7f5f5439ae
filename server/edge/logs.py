"""Structured logs on request: `MATCHBOARD_LOG_FORMAT=json` writes one JSON object per line.

Every line carries an `id`: the HTTP request's (`r-…`, set by `RequestIds` around each
request, so uvicorn's access line of that request has it too), the WebSocket connection's
(`c-…`, set by the connection's driver in the tasks it runs), or the process's own
(`p-<pid>`) for what belongs to no request (startup, the timekeeper, feeds). A client's
`X-Request-ID` header is used when it is a short plain token, so a proxy's id can be
followed through.

No secrets: the formatter passes every message (and traceback) through
`log_secrets.redact`, whatever logger wrote it, on top of the filter on uvicorn's loggers.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from server.edge.log_secrets import RedactSecrets, redact

FORMATS: Final = ("text", "json")
LOG_ID: Final[contextvars.ContextVar[str]] = contextvars.ContextVar("matchboard_log_id")
_CLIENT_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def new_id(kind: str) -> str:
    """A short random id: `r-…` for a request, `c-…` for a WebSocket connection."""
    return f"{kind}-{secrets.token_hex(4)}"


def bind(log_id: str) -> None:
    """Lines logged from here on, in this task or context, carry `log_id`."""
    LOG_ID.set(log_id)


@contextlib.contextmanager
def bound(log_id: str) -> Iterator[None]:
    """Lines logged inside carry `log_id` (for a callback that is not a task of its own)."""
    token = LOG_ID.set(log_id)
    try:
        yield
    finally:
        LOG_ID.reset(token)


def current_id() -> str:
    return LOG_ID.get("") or f"p-{os.getpid()}"


class RequestIds:
    """ASGI middleware: each HTTP request (and WebSocket through ASGI) gets an id that
    every line logged while it is served carries, uvicorn's access line included."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        kind = "r" if scope["type"] == "http" else "c"
        token = LOG_ID.set(given if _CLIENT_ID.fullmatch(given) else new_id(kind))
        try:
            await self.app(scope, receive, send)
        finally:
            LOG_ID.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, id, message, and
    the traceback as `exc` when there is one; secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "id": current_id(),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = redact(record.exc_text)
        return orjson.dumps(line).decode()


def uvicorn_log_config(fmt: str, level: str) -> dict[str, Any] | None:
    """uvicorn's `log_config` for the format: None (uvicorn's own) for text; for json,
    every line of uvicorn's loggers and ours as JSON on stderr."""
    if fmt != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["secrets"],
               "stream": "ext://sys.stderr"}  # fmt: skip
    logger = {"handlers": ["json"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"secrets": {"()": RedactSecrets}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": logger,
            "uvicorn.error": {**logger, "handlers": [], "propagate": True},
            "uvicorn.access": logger,
            "matchboard": logger,
        },
    }
