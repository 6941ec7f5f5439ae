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
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from server import protocol
from server.auth import authenticate
from server.commands import dry_run_flag, run_command
from server.errors import EventNotFound, MatchboardError, Unauthorized, Unavailable
from server.hub import Connection, Feed, Hub
from server.protocol import ClientType, CloseCode, Encoding, ProtocolError
from server.routes import error_response
from server.service import wall_clock_ms
from server.settings import Settings
from server.store import check_event_id
from server.wsconn import writer_for

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


async def ws_endpoint(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    if not origin_allowed(
        websocket.headers.get("origin"), websocket.headers.get("host"), settings.allowed_origins
    ):
        await websocket.send_denial_response(
            error_response(403, "forbidden_origin", "this page's origin may not connect")
        )
        return
    subprotocol = choose_subprotocol(websocket.scope.get("subprotocols", []))
    if subprotocol is None:
        offered = ", ".join(protocol.SUBPROTOCOLS)
        await websocket.send_denial_response(
            error_response(400, "bad_subprotocol", f"offer one of the subprotocols {offered}")
        )
        return
    await websocket.accept(subprotocol=subprotocol)
    encoding = Encoding.for_subprotocol(subprotocol)
    with contextlib.suppress(WebSocketDisconnect):
        await _serve(websocket, hub, settings, encoding)


async def _refuse(
    websocket: WebSocket, encoding: Encoding, code: CloseCode, error: str, message: str
) -> None:
    payload = protocol.encode(protocol.error(error, message), encoding)
    if encoding is Encoding.MSGPACK:
        await websocket.send_bytes(payload)
    else:
        await websocket.send_text(payload.decode())
    await websocket.close(code, message[:120])


def hello_fields(hello: dict[str, Any]) -> tuple[str, str, tuple[str, int] | None]:
    if hello.get("type") != ClientType.HELLO:
        raise ProtocolError("bad_request", "the first message must be a hello")
    event, token, resume = hello.get("event"), hello.get("token"), hello.get("resume")
    if not isinstance(event, str) or not isinstance(token, str):
        raise ProtocolError("bad_request", "hello needs 'event' and 'token' strings")
    position = None
    if resume is not None:
        epoch = resume.get("epoch") if isinstance(resume, dict) else None
        version = resume.get("version") if isinstance(resume, dict) else None
        if not isinstance(epoch, str) or not isinstance(version, int) or version < 0:
            raise ProtocolError(
                "bad_request", "resume must be {epoch: string, version: integer >= 0}"
            )
        position = (epoch, version)
    return event, token, position


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
        await _refuse(websocket, encoding, CloseCode.HELLO_TIMEOUT, "hello_timeout",
                      f"no hello within {protocol.HELLO_TIMEOUT_S:.0f} s")  # fmt: skip
        return
    try:
        event_id, token, resume = hello_fields(protocol.decode(first, encoding))
        check_event_id(event_id)
    except (ProtocolError, MatchboardError) as exc:
        await _refuse(websocket, encoding, CloseCode.BAD_REQUEST, "bad_request", exc.message)
        return
    try:
        feed = await hub.feed(event_id)
        audience = authenticate(feed.state, token)
    except EventNotFound as exc:
        await _refuse(websocket, encoding, CloseCode.EVENT_NOT_FOUND, exc.code, exc.message)
        return
    except Unauthorized as exc:
        await _refuse(websocket, encoding, CloseCode.UNAUTHORIZED, exc.code, exc.message)
        return
    except Unavailable as exc:  # the event could not be loaded: Redis is down or loading
        await _refuse(websocket, encoding, CloseCode.TRY_AGAIN_LATER, exc.code, exc.message)
        return

    writer = writer_for(websocket, encoding, settings.ws_send_buffer_bytes, hub.spawn)
    conn = Connection(audience, encoding, writer)
    feed.attach(conn, resume, audience.participant_id)
    try:
        await _read_loop(websocket, conn, feed, hub)
    finally:
        feed.detach(conn)


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
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")


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
        conn.send(
            protocol.error(exc.code, exc.message, epoch=feed.epoch, version=conn.version,
                           command_id=command_id, details=exc.details)
        )  # fmt: skip
        return
    except Exception:
        log.exception("command %r failed", message.get("name"))
        conn.send(
            protocol.error("internal_error", "the command failed on the server",
                           epoch=feed.epoch, version=conn.version, command_id=command_id)
        )  # fmt: skip
        return
    conn.send(
        protocol.result(command_id=command_id, committed=outcome.committed, preview=outcome.preview,
                        data=outcome.data, epoch=feed.epoch, version=conn.version)
    )  # fmt: skip


async def _read_loop(websocket: WebSocket, conn: Connection, feed: Feed, hub: Hub) -> None:
    errors = 0
    while True:
        data = await _receive_data(websocket)
        try:
            handle_message(protocol.decode(data, conn.encoding), conn, feed, hub)
        except ProtocolError as exc:
            errors += 1
            error = protocol.error(exc.code, exc.message, epoch=feed.epoch, version=conn.version)
            conn.send(error)
            if errors >= protocol.MAX_CLIENT_ERRORS:
                await websocket.close(CloseCode.BAD_REQUEST, "too many bad messages")
                return
