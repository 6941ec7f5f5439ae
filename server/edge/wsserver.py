"""`/ws` as a lean uvicorn WebSocket protocol: no ASGI task per connection.

An idle connection through ASGI carries uvicorn's receive queue and events, Starlette's
WebSocket and the endpoint's coroutine stack: about 26 KB of Python objects, most of it
doing nothing while a phone waits for the next change. This protocol speaks the same
`/ws` protocol (docs/protocol.md) directly on the transport with websockets' sans-I/O
`ServerProtocol`: it answers the handshake, reads frames as they arrive, and is itself
the connection's frame writer for the hub. Nothing waits per connection; a hub-wide
heartbeat pings every connection, and a connection holds a timer only while its ping is
unanswered: one that sends nothing, not even the pong, in time is closed with 1011.

uvicorn is given this class when permessage-deflate is off (the default); with
compression on, the ASGI endpoint in server/edge/sockets.py serves `/ws` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from server.core.errors import EventNotFound, MatchboardError, NotFound, Unauthorized, Unavailable
from server.edge.auth import authenticate
from server.edge.http_errors import error_body
from server.edge.hub import Connection, Feed, Hub
from server.edge.settings import Settings
from server.edge.sockets import (
    HELLO_TIMEOUT,
    handle_message,
    handshake_refusal,
    hello_fields,
    hello_refusal,
)
from server.edge.wsconn import ABORT_AFTER_S, TOO_SLOW_REASON, Backlog, reset
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding, ErrorCode, ProtocolError

log = logging.getLogger("matchboard.ws")
PING_FRAME: Final = Frame(Opcode.PING, b"").serialize(mask=False)


class LeanWebSocket(asyncio.Protocol):
    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.loop = _loop or asyncio.get_event_loop()
        self.connections: set[Any] = server_state.connections
        self.hub: Hub = app_state["hub"]
        self.settings: Settings = app_state["settings"]
        self.ws = ServerProtocol(
            subprotocols=list(protocol.SUBPROTOCOLS),  # type: ignore[arg-type]
            max_size=config.ws_max_size,
        )
        self.transport: asyncio.Transport | None = None
        self.backlog: Backlog | None = None
        self.encoding = Encoding.MSGPACK
        self.conn: Connection | None = None
        self.feed: Feed | None = None
        self.pending: list[bytes | str] | None = None  # frames while authenticating
        self.hello_timer: asyncio.TimerHandle | None = None
        self.errors = 0
        self.answer_due: asyncio.TimerHandle | None = None  # while a ping is unanswered
        self._closed = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.backlog = Backlog(self.transport, self.settings.ws_send_buffer_bytes)
        self.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self._answered()  # the pong, or any other frame: the client is there
        self.ws.receive_data(data)
        self._process()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._process()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._closed = True
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        self._answered()
        self.hub.heartbeats.discard(self)
        if self.feed is not None and self.conn is not None:
            self.feed.detach(self.conn)

    def shutdown(self) -> None:
        """uvicorn is stopping: tell the client to come back (1012)."""
        self.close(CloseCode.SERVER_RESTART, "server restarting")

    # -- websockets sans-I/O plumbing

    def _process(self) -> None:
        for event in self.ws.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                if not event.fin:
                    error = ProtocolError(
                        ErrorCode.BAD_FRAME, "fragmented messages are not supported"
                    )
                    self._client_error(error)
                    continue
                raw = bytes(event.data)
                self._message(raw.decode() if event.opcode is Opcode.TEXT else raw)
        self._flush()

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                # The protocol is done: half-close, and keep reading (and discarding) until
                # the client closes its side too. Closing outright while the rest of a
                # client's frame is still arriving (one that was too big, say) makes the
                # kernel answer with a reset, and the client never sees our close frame.
                self._closed = True  # nothing may be written after the end of stream
                transport.write_eof()
            else:
                transport.close()
                return
        if self.ws.close_expected():
            self.loop.call_later(ABORT_AFTER_S, reset, transport)

    # -- handshake

    def _handshake(self, request: Request) -> None:
        path = request.path.partition("?")[0]
        offered = [
            s.strip()
            for h in request.headers.get_all("Sec-WebSocket-Protocol")
            for s in h.split(",")
        ]
        refusal = (
            NotFound(f"no WebSocket endpoint at {path}")
            if path != "/ws"
            else handshake_refusal(
                request.headers.get("Origin"), request.headers.get("Host"), offered, self.settings
            )
        )
        if refusal is not None:
            self._reject(refusal)
        else:
            response = self.ws.accept(request)
            self.ws.send_response(response)
            if response.status_code == 101:
                self.encoding = Encoding.for_subprotocol(str(self.ws.subprotocol))
                self.hello_timer = self.loop.call_later(
                    protocol.HELLO_TIMEOUT_S, self._hello_timeout
                )

    def _reject(self, refusal: MatchboardError) -> None:
        response = self.ws.reject(refusal.status, error_body(refusal).decode())
        # reject() labels the body text/plain; assigning would add a second Content-Type.
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        self.ws.send_response(response)

    # -- messages

    def _message(self, data: bytes | str) -> None:
        if self._closed:
            return
        if self.conn is not None:
            self._after_hello(data)
        elif self.pending is not None:
            self.pending.append(data)  # hello is being handled
        else:
            self._hello(data)

    def _hello(self, data: bytes | str) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
            self.hello_timer = None
        try:
            event_id, token, resume = hello_fields(protocol.decode(data, self.encoding))
        except ProtocolError as exc:
            self._refuse(hello_refusal(exc))
            return
        feed = self.hub.feeds.get(event_id)
        if feed is not None:
            self._attach(feed, token, resume)
        else:  # the first client of this event in this process: start its feed
            self.pending = []
            self.hub.spawn(self._start_feed(event_id, token, resume))

    async def _start_feed(self, event_id: str, token: str, resume: tuple[str, int] | None) -> None:
        try:
            feed = await self.hub.feed(event_id)
        except EventNotFound as exc:
            self._refuse(exc)
            return
        except Unavailable as exc:  # Redis is down or loading: come back later
            self._refuse(exc)
            return
        except Exception:
            log.exception("starting the feed of %s failed", event_id)
            self.close(CloseCode.SERVER_ERROR, "server error")
            return
        if not self._closed:
            self._attach(feed, token, resume)

    def _attach(self, feed: Feed, token: str, resume: tuple[str, int] | None) -> None:
        try:
            audience = authenticate(feed.state, token)
        except Unauthorized as exc:
            self._refuse(exc)
            return
        self.conn = Connection(audience, self.encoding, self)
        self.feed = feed
        feed.attach(self.conn, resume, audience.participant_id)
        self.hub.heartbeats.add(self)
        pending, self.pending = self.pending or [], None
        for data in pending:
            self._after_hello(data)

    def _after_hello(self, data: bytes | str) -> None:
        assert self.conn is not None and self.feed is not None
        try:
            handle_message(protocol.decode(data, self.encoding), self.conn, self.feed, self.hub)
        except ProtocolError as exc:
            self._client_error(exc)

    def _client_error(self, exc: ProtocolError) -> None:
        self.errors += 1
        epoch = self.feed.epoch if self.feed else None
        version = self.conn.version if self.conn else None
        self._send_message(protocol.error(exc, epoch=epoch, version=version))
        if self.errors >= protocol.MAX_CLIENT_ERRORS:
            self.close(CloseCode.BAD_REQUEST, "too many bad messages")

    def _hello_timeout(self) -> None:
        self.hello_timer = None
        if self.conn is None and self.pending is None:
            self._refuse(HELLO_TIMEOUT)

    def _refuse(self, err: MatchboardError) -> None:
        """An error that ends the connection: one of protocol.CLOSE_AFTER's codes."""
        self._send_message(protocol.error(err))
        self.close(protocol.CLOSE_AFTER[ErrorCode(err.code)], err.message[:120])

    def _send_message(self, message: dict[str, Any]) -> None:
        self.send(protocol.encode(message, self.encoding))

    # -- the hub's frame writer (server.edge.wsconn.FrameWriter)

    @property
    def closed(self) -> bool:
        return self._closed or self.transport is None or self.transport.is_closing()

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        transport, backlog = self.transport, self.backlog
        if self._closed or transport is None or backlog is None or transport.is_closing():
            return False
        if not snapshot and backlog.too_far_behind():
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        data = prebuilt_frame or protocol.frame(payload, self.encoding)
        transport.write(data)
        backlog.wrote(len(data), snapshot=snapshot)
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # a close frame already sent or received
            self.ws.send_close(code, reason)
        self._flush()
        if self.transport is not None:
            # A client that stopped reading never takes the close frame: cut it off.
            self.loop.call_later(ABORT_AFTER_S, reset, self.transport)

    # -- heartbeat

    def beat(self) -> None:
        """Called by the hub's heartbeat: ping, and give the client the timeout to answer."""
        if self.closed or self.answer_due is not None:
            return  # a ping is still unanswered: its timer decides
        assert self.transport is not None
        self.transport.write(PING_FRAME)
        self.answer_due = self.loop.call_later(self.settings.ws_ping_timeout_s, self._unanswered)

    def _answered(self) -> None:
        if self.answer_due is not None:
            self.answer_due.cancel()
            self.answer_due = None

    def _unanswered(self) -> None:
        """No answer to the ping in time: a close frame, then the end of the connection,
        without waiting for a closing handshake the client will not answer either."""
        self.answer_due = None
        self.close(CloseCode.SERVER_ERROR, "no answer to ping")
        if self.transport is not None:
            self.transport.close()  # after the close frame; close() resets it if stuck
