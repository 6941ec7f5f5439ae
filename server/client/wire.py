"""What the client needs of the `/ws` protocol (docs/protocol.md), on its own: the
subprotocols, message types, close codes after which to reconnect, and the two encodings.

A copy, on purpose: the client package imports nothing else of server/, so that an
integrator can vendor it. tests/test_client_wire.py holds it equal to the server's
server/wire/protocol.py.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import msgpack
import orjson

MSGPACK: Final = "msgpack"  # binary frames
JSON: Final = "json"  # text frames (UTF-8)
ENCODINGS: Final = (MSGPACK, JSON)
SUBPROTOCOL: Final = {MSGPACK: "matchboard.v1.msgpack", JSON: "matchboard.v1.json"}

# After these close codes a client reconnects (with backoff) and resumes; 1006 is what it
# sees when the connection dropped without a close frame.
RECONNECT_CODES: Final = frozenset({1001, 1006, 1011, 1012, 1013, 4002, 4008})


class ServerType(enum.StrEnum):
    WELCOME = "welcome"
    SNAPSHOT = "snapshot"
    UPDATE = "update"
    PONG = "pong"
    RESULT = "result"
    ERROR = "error"


class ClientType(enum.StrEnum):
    HELLO = "hello"
    PING = "ping"
    COMMAND = "command"


class Malformed(ValueError):
    """The server sent something that is not a message of the protocol."""


def check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, not {encoding!r}")
    return encoding


def is_text(encoding: str) -> bool:
    return encoding == JSON  # JSON travels in text frames, msgpack in binary


def encode(message: dict[str, Any], encoding: str) -> bytes:
    if encoding == MSGPACK:
        data: bytes = msgpack.packb(message, use_bin_type=True)
        return data
    return orjson.dumps(message)


def decode(data: bytes | str, encoding: str) -> dict[str, Any]:
    """A server message as a dict with a string `type`, or Malformed."""
    try:
        if encoding == MSGPACK:
            message = msgpack.unpackb(data, raw=False, strict_map_key=False)
        else:
            message = orjson.loads(data)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError) as exc:
        raise Malformed(f"not a valid {encoding} message: {exc}") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise Malformed("a message must be a map with a string 'type'")
    return message
