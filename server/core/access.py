"""Which audience a token opens for an event: pure, no I/O, comparisons constant-time.

Used by both WebSocket drivers (through server/wire/session.py) and by the HTTP routes
(server/edge/auth.py reads the token off the request).
"""

from __future__ import annotations

import hmac

from server.core.errors import Unauthorized
from server.core.model import Role
from server.core.state import EventState
from server.core.views import Audience


def _same(token: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def authenticate(state: EventState, token: str) -> Audience:
    """The audience a token opens for this event: moderator, hall screen or participant."""
    event = state.event
    if token and event is not None:
        if _same(token, event.moderator_token):
            return Audience(Role.MODERATOR)
        if _same(token, event.screen_key):
            return Audience(Role.HALL)
        pid = state.by_token.get(token)
        if pid is not None:
            return Audience(Role.PARTICIPANT, pid)
    event_id = event.id if event else "?"
    raise Unauthorized(f"the token is not valid for event {event_id!r}")
