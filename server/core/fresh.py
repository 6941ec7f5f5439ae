"""Fresh ids and secrets, derived from entropy the edge mints and passes in.

The core draws no randomness. A command run (or an import, or an event's creation) gets a
`Fresh` made from 32 random bytes the edge minted (`service.mint`); every id or secret the
run needs is derived from them and a label naming its use, with SHA-256. A derived value
is as hard to guess as the seed, and the same for the same label: when a commit conflicts
and the service decides again, a walk-in gets the same meeting id, a rotation the same new
token. Tests pass a seed of their own.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Final

from server.core.model import Event, Participant, Record
from server.core.state import EventState

SEED_BYTES: Final = 32
TOKEN_BYTES: Final = 16


class Fresh:
    __slots__ = ("_seed",)

    def __init__(self, seed: bytes) -> None:
        if len(seed) < SEED_BYTES:
            raise ValueError(f"a Fresh seed needs at least {SEED_BYTES} bytes")
        self._seed = seed

    def bytes(self, label: str, size: int) -> bytes:
        """`size` bytes (at most 32) for the use `label`."""
        return hashlib.sha256(self._seed + label.encode()).digest()[:size]

    def hex(self, label: str, size: int) -> str:
        return self.bytes(label, size).hex()

    def token(self, label: str) -> str:
        """A URL-safe secret of 128 bits, as `secrets.token_urlsafe(16)` would give."""
        return base64.urlsafe_b64encode(self.bytes(label, TOKEN_BYTES)).rstrip(b"=").decode()


def participant_token(event_id: str, fresh: Fresh, label: str) -> str:
    """A participant's personal secret. It starts with the event id, so that the phone
    link `/p/<token>` alone says which event it belongs to."""
    return f"{event_id}.{fresh.token(label)}"


def check_in_code(fresh: Fresh, label: str) -> str:
    """A short code for the badge's QR code; staff may also type it."""
    return fresh.hex(label, 5).upper()


def event_of_token(token: str) -> str:
    return token.partition(".")[0]


def with_tokens(
    event_id: str, state: EventState | None, records: Iterable[Record], fresh: Fresh
) -> list[Record]:
    """Give every new participant (and a new event) its secrets; keep existing ones."""
    out: list[Record] = []
    for record in records:
        if isinstance(record, Participant) and not (record.token and record.check_in_code):
            old = state.participants.get(record.id) if state else None
            record = dataclasses.replace(
                record,
                token=record.token
                or (old.token if old else participant_token(event_id, fresh, record.id)),
                check_in_code=record.check_in_code
                or (
                    old.check_in_code
                    if old and old.check_in_code
                    else check_in_code(fresh, f"code:{record.id}")
                ),
            )
        elif isinstance(record, Event) and not (record.moderator_token and record.screen_key):
            old_event = state.event if state else None
            record = dataclasses.replace(
                record,
                moderator_token=record.moderator_token
                or (old_event.moderator_token if old_event else fresh.token("moderator")),
                screen_key=record.screen_key
                or (old_event.screen_key if old_event else fresh.token("hall")),
            )
        out.append(record)
    return out
