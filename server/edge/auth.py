"""Who is asking over HTTP: the token of a request, and the moderator check. Which
audience a token opens is server/core/access.py (pure, constant-time)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from server.core.access import authenticate
from server.core.errors import Forbidden, Unauthorized
from server.core.state import EventState
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
