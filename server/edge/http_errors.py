"""The one HTTP rendering of an error, for the HTTP API (server/edge/routes.py) and for a
refused WebSocket handshake (server/edge/sockets.py, server/edge/wsserver.py):
    {"ok": false, "error": {"code": "...", "message": "...", "details": {...}?}}
with the error's status (docs/api.md, The error shape).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from server.core.errors import MatchboardError


def error_body(err: MatchboardError) -> bytes:
    """The JSON body of the error's answer."""
    body: dict[str, Any] = {"ok": False, "error": err.to_dict()}
    return orjson.dumps(body)


def error_response(err: MatchboardError, status: int | None = None) -> Response:
    """The error's answer, with the error's status unless another is given."""
    return Response(
        error_body(err), status_code=status or err.status, media_type="application/json"
    )
