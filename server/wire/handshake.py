"""Whether a WebSocket upgrade request is accepted: Origin and subprotocol. Pure.

Both `/ws` drivers (server/edge/wsserver.py, server/edge/sockets.py) ask it before accepting; a
refusal is answered with the HTTP error (server/edge/http_errors.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from server.core.errors import BadSubprotocol, ForbiddenOrigin, MatchboardError
from server.wire import protocol


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin (not a browser) passes; else it must be allowed, or the same host."""
    if not origin:
        return True
    origin = origin.rstrip("/")
    if allowed:
        return origin in allowed or "*" in allowed
    return urlsplit(origin).netloc == (host or "")


def choose_subprotocol(offered: list[str]) -> str | None:
    for name in offered:
        if name in protocol.SUBPROTOCOLS:
            return name
    return None


def handshake_refusal(
    origin: str | None, host: str | None, offered: list[str], allowed_origins: tuple[str, ...]
) -> MatchboardError | None:
    """Why an upgrade request is refused (an HTTP error answers it), or None."""
    if not origin_allowed(origin, host, allowed_origins):
        return ForbiddenOrigin("this page's origin may not connect")
    if choose_subprotocol(offered) is None:
        return BadSubprotocol(f"offer one of the subprotocols {', '.join(protocol.SUBPROTOCOLS)}")
    return None
