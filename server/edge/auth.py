"""Who is asking: tokens per role. Comparisons are constant-time."""

from __future__ import annotations

import secrets

from starlette.requests import HTTPConnection

from server.core.errors import Forbidden, Unauthorized
from server.core.state import EventState
from server.core.views import Audience
from server.wire.protocol import Role


def request_token(conn: HTTPConnection) -> str:
    """The token from `Authorization: Bearer <token>`, else from `?token=`."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.query_params.get("token", "")


def require_moderator(state: EventState, token: str) -> None:
    """No token, or one not valid for this event: Unauthorized (401); a hall screen's or
    a participant's token of this event: Forbidden (403), as for a command of another role."""
    if not token:
        raise Unauthorized(
            "this needs the event's moderator token: send 'Authorization: Bearer <token>'"
        )
    role = authenticate(state, token).role
    if role is not Role.MODERATOR:
        raise Forbidden(f"this needs the event's moderator token, not a {role} token")


def _same(token: str, expected: str) -> bool:
    return bool(expected) and secrets.compare_digest(token.encode(), expected.encode())


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
