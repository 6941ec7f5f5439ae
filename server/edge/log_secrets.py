"""Keeping secrets out of the server's log.

Personal links carry their secret in the URL (`/p/<token>`, `?token=`, `?key=`), and
uvicorn's access log writes every request line. A filter on uvicorn's loggers replaces
each secret with "…" before anything is written, wherever the log goes.
"""

from __future__ import annotations

import logging
import re
from typing import Final

_SECRETS: Final = (
    (re.compile(r"(/p/)[^/?#\s\"']+"), r"\1…"),
    (re.compile(r"([?&](?:token|key)=)[^&#\s\"']+"), r"\1…"),
)
LOGGERS: Final = ("uvicorn.access", "uvicorn.error", "uvicorn")


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message arguments (uvicorn passes the path as one) and
    message so that no URL secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Attach the filter to uvicorn's loggers (idempotent). Called once uvicorn has set
    up its logging, from the app's lifespan."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
