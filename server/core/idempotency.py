"""Exactly-once retries: a command sent with a client-chosen `request_id` is applied once.

When the answer to a command is lost (the connection drops after the commit), the client
cannot know whether it was applied. It sends the command again with the same request id;
the server answers a repeat with the first run's result instead of applying it again.

The commit that applies a request also keeps its `Receipt` (server/edge/lua/commit.lua, in the
same script, for RECEIPT_TTL_S), so there is never a change without its receipt or the
other way round. Pure: validation and the receipt's plain form; server/edge/store.py keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from server.core.errors import IdempotencyMismatch, InvalidArgument

REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
RECEIPT_TTL_S: Final = 24 * 60 * 60


def request_id(value: Any, field: str = "request_id") -> str | None:
    """A request id as sent (None when absent), or InvalidArgument naming `field`."""
    if value is None:
        return None
    if not isinstance(value, str) or not REQUEST_ID_RE.fullmatch(value):
        raise InvalidArgument(
            f"{field} must be 1-64 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-', "
            f"not {value!r:.80}",
            arg=field,
        )
    return value


@dataclass(frozen=True, slots=True)
class Request:
    """One run of a command under a request id: what was asked, and by whom."""

    id: str
    command: str
    actor: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the first run of a request committed and answered."""

    request: Request
    version: int
    preview: dict[str, Any]

    def answers(self, request: Request) -> Receipt:
        """This receipt, if `request` repeats the one it was made for; else the reuse of
        the id for something else is refused (the id may belong to another actor, so the
        error says nothing about the first request)."""
        if request != self.request:  # the same id: another command, args or actor
            raise IdempotencyMismatch(
                f"request_id {request.id!r} was already used for another command; "
                "send a new request_id for a new command",
                arg="request_id",
            )
        return self

    def to_plain(self) -> dict[str, Any]:
        r = self.request
        return {
            "id": r.id,
            "command": r.command,
            "actor": r.actor,
            "args": r.args,
            "version": self.version,
            "preview": self.preview,
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Receipt:
        request = Request(data["id"], data["command"], data["actor"], data["args"])
        return cls(request, data["version"], data["preview"])
