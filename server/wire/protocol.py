"""The WebSocket protocol: message types, encodings, frames and close codes.

Pure: building, encoding and decoding messages; no sockets. docs/protocol.md describes
every message and code defined here, and a test holds the two in step.
"""

from __future__ import annotations

import enum
from typing import Any, Final

import msgpack
import orjson
from websockets.frames import Frame, Opcode

# ErrorCode and ProtocolError belong to the one error hierarchy; named here as well for
# the protocol's users.
from server.core.errors import ErrorCode as ErrorCode
from server.core.errors import MatchboardError
from server.core.errors import ProtocolError as ProtocolError

# The audiences are the core's (server/core/model.py); named here for the protocol's users.
from server.core.model import Role as Role

SUBPROTOCOL_MSGPACK: Final = "matchboard.v1.msgpack"
SUBPROTOCOL_JSON: Final = "matchboard.v1.json"
SUBPROTOCOLS: Final = (SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON)

HELLO_TIMEOUT_S: Final = 5.0
# The largest message a client may send; commands are small. Bigger frames are refused
# by the WebSocket layer with close code 1009.
MAX_CLIENT_MESSAGE_BYTES: Final = 64 * 1024
# A connection that sends this many messages answered with a `ProtocolError` after hello
# (malformed, bad_frame, unknown_type; a command's errors do not count) is closed (4000).
MAX_CLIENT_ERRORS: Final = 10


class Encoding(enum.StrEnum):
    MSGPACK = "msgpack"  # binary frames
    JSON = "json"  # text frames (UTF-8)

    @classmethod
    def for_subprotocol(cls, subprotocol: str) -> Encoding:
        return cls.MSGPACK if subprotocol == SUBPROTOCOL_MSGPACK else cls.JSON


class ClientType(enum.StrEnum):
    HELLO = "hello"
    PING = "ping"
    COMMAND = "command"


class ServerType(enum.StrEnum):
    WELCOME = "welcome"
    SNAPSHOT = "snapshot"
    UPDATE = "update"
    PONG = "pong"
    RESULT = "result"
    ERROR = "error"


class CloseCode(enum.IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down: reconnect
    MESSAGE_TOO_BIG = 1009  # a client frame over MAX_CLIENT_MESSAGE_BYTES
    SERVER_ERROR = 1011  # a server error, or no answer to the server's ping in time: reconnect
    SERVER_RESTART = 1012  # reconnect
    TRY_AGAIN_LATER = 1013  # Redis is down or loading: reconnect with backoff
    BAD_REQUEST = 4000  # the client broke the protocol: fix the client
    UNAUTHORIZED = 4001  # token missing, wrong, or not for this event
    HELLO_TIMEOUT = 4002  # no hello in time: reconnect
    EVENT_NOT_FOUND = 4004
    REVOKED = 4005  # the token was revoked while connected
    TOO_SLOW = 4008  # could not keep up: reconnect and resume


# Codes after which a client should reconnect (with backoff) and resume. 1006 is what a
# client sees when the connection drops without a close frame (network, crash).
RECONNECT_CODES: Final = frozenset(
    {1001, 1006, 1011, 1012, CloseCode.TRY_AGAIN_LATER, CloseCode.HELLO_TIMEOUT, CloseCode.TOO_SLOW}
)


# The errors that end a connection, and how: the rest leave it open (up to
# MAX_CLIENT_ERRORS of them).
CLOSE_AFTER: Final[dict[ErrorCode, CloseCode]] = {
    ErrorCode.BAD_REQUEST: CloseCode.BAD_REQUEST,
    ErrorCode.HELLO_TIMEOUT: CloseCode.HELLO_TIMEOUT,
    ErrorCode.UNAUTHORIZED: CloseCode.UNAUTHORIZED,
    ErrorCode.EVENT_NOT_FOUND: CloseCode.EVENT_NOT_FOUND,
    ErrorCode.UNAVAILABLE: CloseCode.TRY_AGAIN_LATER,
}


def encode(message: dict[str, Any], encoding: Encoding) -> bytes:
    if encoding is Encoding.MSGPACK:
        data: bytes = msgpack.packb(message, use_bin_type=True)
        return data
    return orjson.dumps(message)


def decode(data: bytes | str, encoding: Encoding) -> dict[str, Any]:
    """A client message as a dict with a string `type`, or ProtocolError."""
    try:
        if encoding is Encoding.MSGPACK:
            if isinstance(data, str):
                raise ProtocolError(
                    ErrorCode.BAD_FRAME, "this connection speaks msgpack: send binary frames"
                )
            message = msgpack.unpackb(data, raw=False, strict_map_key=False)
        else:
            if isinstance(data, bytes):
                raise ProtocolError(
                    ErrorCode.BAD_FRAME, "this connection speaks JSON: send text frames"
                )
            message = orjson.loads(data)
    # TypeError: a msgpack map whose key is a list or a map (unhashable in Python).
    except (
        ValueError,
        TypeError,
        msgpack.ExtraData,
        msgpack.FormatError,
        msgpack.StackError,
    ) as exc:
        error = f"the message is not valid {encoding}: {exc}"
        raise ProtocolError(ErrorCode.MALFORMED, error) from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError(ErrorCode.MALFORMED, "a message must be a map with a string 'type'")
    return message


def frame(payload: bytes, encoding: Encoding) -> bytes:
    """The whole WebSocket frame for a server message: unmasked, so one frame serves
    every connection that uses the same encoding (no compression)."""
    opcode = Opcode.BINARY if encoding is Encoding.MSGPACK else Opcode.TEXT
    return Frame(opcode, payload).serialize(mask=False)


# -- Server messages. Every message after `welcome` carries the event's epoch and version.


def welcome(
    *,
    role: Role,
    event_id: str,
    epoch: str,
    version: int,
    server_ms: int,
    participant_id: str | None,
    resumed: bool,
) -> dict[str, Any]:
    return {
        "type": ServerType.WELCOME.value,
        "role": role.value,
        "event": event_id,
        "participant": participant_id,
        "epoch": epoch,
        "version": version,
        "server_ms": server_ms,
        "resumed": resumed,
    }


def snapshot(*, epoch: str, version: int, server_ms: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": ServerType.SNAPSHOT.value,
        "epoch": epoch,
        "version": version,
        "server_ms": server_ms,
        "data": data,
    }


def update(
    *, epoch: str, version: int, at_ms: int, changes: dict[str, Any], meta: dict[str, Any] | None
) -> dict[str, Any]:
    message = {
        "type": ServerType.UPDATE.value,
        "epoch": epoch,
        "version": version,
        "at_ms": at_ms,
        "changes": changes,
    }
    if meta is not None:
        message["meta"] = meta
    return message


def pong(
    *, ping_id: Any, client_ms: Any, server_ms: int, epoch: str, version: int
) -> dict[str, Any]:
    return {
        "type": ServerType.PONG.value,
        "id": ping_id,
        "client_ms": client_ms,
        "server_ms": server_ms,
        "epoch": epoch,
        "version": version,
    }


def result(
    *,
    command_id: Any,
    committed: int | None,
    preview: dict[str, Any],
    data: dict[str, Any] | None,
    epoch: str,
    version: int,
) -> dict[str, Any]:
    out = {
        "type": ServerType.RESULT.value,
        "id": command_id,
        "committed": committed,
        "preview": preview,
        "epoch": epoch,
        "version": version,
    }
    if data is not None:
        out["data"] = data
    return out


def error(
    err: MatchboardError,
    *,
    command_id: Any = None,
    epoch: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Any error as an `error` message: a ProtocolError (docs/protocol.md's codes) or a
    command's error (docs/api.md's codes, with the command's `id`). `epoch` and `version`
    once the client has authenticated."""
    out: dict[str, Any] = {"type": ServerType.ERROR.value, **err.to_dict()}
    if epoch is not None:
        out["epoch"] = epoch
        out["version"] = version
    if command_id is not None:
        out["id"] = command_id
    return out
