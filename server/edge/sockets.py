"""The WebSocket endpoint `/ws`: handshake checks, authentication, then the live feed.

Order on a connection (docs/protocol.md): subprotocol and Origin are checked at the
handshake; the first message must be `hello` within HELLO_TIMEOUT_S; then `welcome`,
a snapshot or the missed updates, and live updates from the event's feed. Afterwards the
client may send `ping`. Errors from the client are answered with an `error` message;
the ones that make going on pointless also close the connection with a documented code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.core.commands import dry_run_flag
from server.core.errors import (
    BadSubprotocol,
    EventNotFound,
    ForbiddenOrigin,
    InternalError,
    MatchboardError,
    Unauthorized,
    Unavailable,
)
from server.edge.auth import authenticate
from server.edge.http_errors import error_response
from server.edge.hub import Connection, Feed, Hub
from server.edge.runner import run_command
from server.edge.service import wall_clock_ms
from server.edge.settings import Settings
from server.edge.store import check_event_id
from server.edge.wsconn import writer_for
from server.wire import protocol
from server.wire.protocol import ClientType, CloseCode, Encoding, ErrorCode, ProtocolError

log = logging.getLogger("matchboard.ws")


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
    origin: str | None, host: str | None, offered: list[str], settings: Settings
) -> MatchboardError | None:
    """Why an upgrade request is refused (an HTTP error answers it), or None."""
    if not origin_allowed(origin, host, settings.allowed_origins):
        return ForbiddenOrigin("this page's origin may not connect")
    if choose_subprotocol(offered) is None:
        return BadSubprotocol(f"offer one of the subprotocols {', '.join(protocol.SUBPROTOCOLS)}")
    return None


async def ws_endpoint(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    offered = websocket.scope.get("subprotocols", [])
    refusal = handshake_refusal(
        websocket.headers.get("origin"), websocket.headers.get("host"), offered, settings
    )
    if refusal is not None:
        await websocket.send_denial_response(error_response(refusal))
        return
    subprotocol = choose_subprotocol(offered)
    assert subprotocol is not None  # handshake_refusal checked it
    await websocket.accept(subprotocol=subprotocol)
    encoding = Encoding.for_subprotocol(subprotocol)
    with contextlib.suppress(WebSocketDisconnect):
        await _serve(websocket, hub, settings, encoding)


HELLO_TIMEOUT: Final = ProtocolError(
    ErrorCode.HELLO_TIMEOUT, f"no hello within {protocol.HELLO_TIMEOUT_S:.0f} s"
)


def hello_refusal(err: ProtocolError) -> ProtocolError:
    """The error that ends a connection whose first message failed: a first message that
    is not a hello at all (malformed, a bad frame) is a bad request too, as nothing else
    may come first."""
    if err.code in protocol.CLOSE_AFTER:
        return err
    return ProtocolError(ErrorCode.BAD_REQUEST, err.message)


async def _refuse(websocket: WebSocket, encoding: Encoding, err: MatchboardError) -> None:
    """An error that ends the connection: one of protocol.CLOSE_AFTER's codes."""
    payload = protocol.encode(protocol.error(err), encoding)
    if encoding is Encoding.MSGPACK:
        await websocket.send_bytes(payload)
    else:
        await websocket.send_text(payload.decode())
    await websocket.close(protocol.CLOSE_AFTER[ErrorCode(err.code)], err.message[:120])


def hello_fields(hello: dict[str, Any]) -> tuple[str, str, tuple[str, int] | None]:
    """The event id, token and resume position of a first message, or ProtocolError:
    `bad_request` unless it is a hello with an event id (a valid one: check_event_id),
    `unauthorized` without a token string."""
    if hello.get("type") != ClientType.HELLO:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the first message must be a hello")
    event, token = hello.get("event"), hello.get("token")
    if not isinstance(event, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "hello needs an 'event' string")
    try:
        check_event_id(event)
    except MatchboardError as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, exc.message) from exc
    if not isinstance(token, str):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "hello needs a 'token' string")
    return event, token, resume_position(hello.get("resume"))


def resume_position(resume: Any) -> tuple[str, int] | None:
    """A hello's `resume` as (epoch, version); anything malformed counts as no position,
    so the client gets a snapshot (docs/protocol.md, Resume rules)."""
    if not isinstance(resume, dict):
        return None
    epoch, version = resume.get("epoch"), resume.get("version")
    if not isinstance(epoch, str) or type(version) is not int or version < 0:
        return None
    return epoch, version


async def _receive_data(websocket: WebSocket) -> bytes | str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    data: bytes | None = message.get("bytes")
    if data is not None:
        return data
    text: str = message.get("text", "")
    return text


async def _serve(websocket: WebSocket, hub: Hub, settings: Settings, encoding: Encoding) -> None:
    try:
        async with asyncio.timeout(protocol.HELLO_TIMEOUT_S):
            first = await _receive_data(websocket)
    except TimeoutError:
        await _refuse(websocket, encoding, HELLO_TIMEOUT)
        return
    try:
        event_id, token, resume = hello_fields(protocol.decode(first, encoding))
    except ProtocolError as exc:
        await _refuse(websocket, encoding, hello_refusal(exc))
        return
    try:
        feed = await hub.feed(event_id)
        audience = authenticate(feed.state, token)
    # Unavailable: the event could not be loaded, Redis is down or loading.
    except (EventNotFound, Unauthorized, Unavailable) as exc:
        await _refuse(websocket, encoding, exc)
        return

    writer = writer_for(websocket, encoding, settings.ws_send_buffer_bytes, hub.spawn)
    conn = Connection(audience, encoding, writer)
    try:
        feed.attach(conn, resume, audience.participant_id)
        await _read_loop(websocket, conn, feed, hub)
    finally:
        feed.detach(conn)
        writer.end()  # the connection owns its writer's task: it ends with it


def handle_message(message: dict[str, Any], conn: Connection, feed: Feed, hub: Hub) -> None:
    """A client's message after hello, for both /ws implementations."""
    kind = message["type"]
    if kind == ClientType.PING:
        conn.send(
            protocol.pong(
                ping_id=message.get("id"),
                client_ms=message.get("client_ms"),
                server_ms=wall_clock_ms(),
                epoch=feed.epoch,
                version=conn.version,
            )
        )
    elif kind == ClientType.COMMAND:
        hub.spawn(_run_command(message, conn, feed, hub))
    else:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}")


async def _run_command(message: dict[str, Any], conn: Connection, feed: Feed, hub: Hub) -> None:
    # A change that revokes this connection's own token closes it only after this result.
    conn.commands_in_flight += 1
    try:
        await _answer_command(message, conn, feed, hub)
    finally:
        conn.command_done()


async def _answer_command(message: dict[str, Any], conn: Connection, feed: Feed, hub: Hub) -> None:
    command_id = message.get("id")
    try:
        if conn.revoked:  # closing once its earlier commands are answered
            raise Unauthorized("the token was revoked")
        outcome = await run_command(
            hub.service,
            feed.event_id,
            message.get("name"),
            message.get("args"),
            conn.audience,
            wall_clock_ms(),
            dry_run=dry_run_flag(message.get("dry_run")),
            request_id=message.get("request_id"),
        )
    except MatchboardError as exc:
        failed = exc
    except Exception:
        log.exception("command %r failed", message.get("name"))
        failed = InternalError("the command failed on the server")
    else:
        conn.send(
            protocol.result(command_id=command_id, committed=outcome.committed,
                            preview=outcome.preview,
                            data=outcome.data, epoch=feed.epoch, version=conn.version)
        )  # fmt: skip
        return
    conn.send(protocol.error(failed, command_id=command_id, epoch=feed.epoch, version=conn.version))


async def _read_loop(websocket: WebSocket, conn: Connection, feed: Feed, hub: Hub) -> None:
    errors = 0
    while True:
        data = await _receive_data(websocket)
        try:
            handle_message(protocol.decode(data, conn.encoding), conn, feed, hub)
        except ProtocolError as exc:
            errors += 1
            conn.send(protocol.error(exc, epoch=feed.epoch, version=conn.version))
            if errors >= protocol.MAX_CLIENT_ERRORS:
                await websocket.close(CloseCode.BAD_REQUEST, "too many bad messages")
                return
