"""Who is asking: tokens per role. Comparisons are constant-time."""

from __future__ import annotations

import secrets

from starlette.requests import HTTPConnection

from server.errors import Forbidden, Unauthorized
from server.state import EventState


def request_token(conn: HTTPConnection) -> str:
    """The token from `Authorization: Bearer <token>`, else from `?token=`."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.query_params.get("token", "")


def require_moderator(state: EventState, token: str) -> None:
    if not token:
        raise Unauthorized(
            "this needs the event's moderator token: send 'Authorization: Bearer <token>'"
        )
    expected = state.event.moderator_token if state.event else ""
    if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("the token is not this event's moderator token")
