"""`/ws` as a lean uvicorn WebSocket protocol: no ASGI task per connection.

An idle connection through ASGI carries uvicorn's receive queue and events, Starlette's
WebSocket and the endpoint's coroutine stack: about 26 KB of Python objects, most of it
doing nothing while a phone waits for the next change. This protocol speaks the same
`/ws` protocol (docs/protocol.md) directly on the transport with websockets' sans-I/O
`ServerProtocol`: it answers the handshake, reads frames as they arrive and hands each
message to the connection's Session (server/wire/session.py, through server/edge/wsdriver.py),
and is itself the connection's frame writer for the hub. Nothing waits per connection;
a hub-wide heartbeat pings every connection, and a connection holds a timer only while
its ping is unanswered: one that sends nothing, not even the pong, in time is closed
with 1011.

uvicorn is given this class whenever `ws_lean` is on, with permessage-deflate or not.
With deflate negotiated, frames are compressed per connection (`ServerProtocol` does
it); without, the hub's pre-built frame is written as is, shared by every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final, cast

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from server.core.errors import MatchboardError, NotFound
from server.edge import metrics
from server.edge.http_errors import error_body
from server.edge.hub import Hub
from server.edge.settings import Settings
from server.edge.wsconn import ABORT_AFTER_S, TOO_SLOW_REASON, Backlog, reset
from server.edge.wsdriver import SessionDriver
from server.wire import protocol
from server.wire.handshake import handshake_refusal
from server.wire.protocol import CloseCode, Encoding
from server.wire.session import Phase, Session

log = logging.getLogger("matchboard.ws")
PING_FRAME: Final = Frame(Opcode.PING, b"").serialize(mask=False)


class LeanDriver(SessionDriver):
    """The session's driver on the lean protocol: pings through the hub's heartbeat."""

    __slots__ = ("socket",)

    def __init__(self, session: Session, hub: Hub, socket: LeanWebSocket) -> None:
        super().__init__(session, hub, socket)
        self.socket = socket

    def opened(self) -> None:
        self.hub.heartbeats.add(self)

    def beat(self) -> None:
        """Called by the hub's heartbeat (server.edge.hub.Beating)."""
        self.execute(self.session.heartbeat())

    def ping(self) -> None:
        self.socket.ping()

    def hang_up(self) -> None:
        self.socket.hang_up()


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
        deflate = [ServerPerMessageDeflateFactory()] if self.settings.ws_compression else None
        self.ws = ServerProtocol(
            subprotocols=list(protocol.SUBPROTOCOLS),  # type: ignore[arg-type]
            extensions=deflate,
            max_size=config.ws_max_size,
        )
        self.transport: asyncio.Transport | None = None
        self.backlog: Backlog | None = None
        self.encoding = Encoding.MSGPACK
        self.compressed = False  # permessage-deflate negotiated: frames per connection
        self.driver: LeanDriver | None = None  # after the handshake
        self.hello_timer: asyncio.TimerHandle | None = None
        self.answer_due: asyncio.TimerHandle | None = None  # while a ping is unanswered
        self._closed = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.backlog = Backlog(self.transport, self.settings.ws_send_buffer_bytes)
        self.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self.driver is not None:  # the pong, or any other frame: the client is there
            self.driver.session.heard_from_client()
            self._stop_answer_timer()
        self.ws.receive_data(data)
        self._process()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._process()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._closed = True
        self._stop_hello_timer()
        self._stop_answer_timer()
        if self.driver is not None:
            self.hub.heartbeats.discard(self.driver)
            self.driver.end()

    def shutdown(self) -> None:
        """uvicorn is stopping: tell the client to come back (1012)."""
        self.close(CloseCode.SERVER_RESTART, "server restarting")

    # -- websockets sans-I/O plumbing

    def _process(self) -> None:
        for event in self.ws.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                self._message(event)
        self._flush()

    def _message(self, frame: Frame) -> None:
        driver = self.driver
        if driver is None or self._closed:
            return
        if not frame.fin:
            driver.fragmented()
        else:
            raw = bytes(frame.data)
            driver.receive(raw.decode() if frame.opcode is Opcode.TEXT else raw)
        if driver.session.phase is not Phase.AWAITING_HELLO:
            self._stop_hello_timer()

    def _flush(self) -> int:
        """Write what websockets has to send; the bytes written."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return 0
        written = 0
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
                written += len(chunk)
            elif transport.can_write_eof():
                # The protocol is done: half-close, and keep reading (and discarding) until
                # the client closes its side too. Closing outright while the rest of a
                # client's frame is still arriving (one that was too big, say) makes the
                # kernel answer with a reset, and the client never sees our close frame.
                self._closed = True  # nothing may be written after the end of stream
                transport.write_eof()
            else:
                transport.close()
                return written
        if self.ws.close_expected():
            self.loop.call_later(ABORT_AFTER_S, reset, transport)
        return written

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
                request.headers.get("Origin"),
                request.headers.get("Host"),
                offered,
                self.settings.allowed_origins,
            )
        )
        if refusal is not None:
            self._reject(refusal)
            return
        response = self.ws.accept(request)
        self.ws.send_response(response)
        if response.status_code == 101:
            self.encoding = Encoding.for_subprotocol(str(self.ws.subprotocol))
            self.compressed = bool(self.ws.extensions)
            self.driver = LeanDriver(Session(self.encoding), self.hub, self)
            self.hello_timer = self.loop.call_later(protocol.HELLO_TIMEOUT_S, self._hello_timeout)

    def _reject(self, refusal: MatchboardError) -> None:
        response = self.ws.reject(refusal.status, error_body(refusal).decode())
        # reject() labels the body text/plain; assigning would add a second Content-Type.
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        self.ws.send_response(response)

    def _hello_timeout(self) -> None:
        self.hello_timer = None
        if self.driver is not None:
            self.driver.execute(self.driver.session.hello_timed_out())

    def _stop_hello_timer(self) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
            self.hello_timer = None

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
        if self.ws.state is not State.OPEN:  # the client's close frame came
            return False
        if not snapshot and backlog.too_far_behind():
            metrics.closed_too_slow()
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        if self.compressed:  # each connection's own compressor: its own frame
            if self.encoding is Encoding.MSGPACK:
                self.ws.send_binary(payload)
            else:
                self.ws.send_text(payload)
            size = self._flush()
        else:
            data = prebuilt_frame or protocol.frame(payload, self.encoding)
            transport.write(data)
            size = len(data)
        backlog.wrote(size, snapshot=snapshot)
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

    # -- what the session's driver asks for

    def ping(self) -> None:
        """Ping, and give the client the timeout to answer (Session.ping_overdue)."""
        if self.closed:
            return
        assert self.transport is not None
        self.transport.write(PING_FRAME)
        self._stop_answer_timer()
        self.answer_due = self.loop.call_later(self.settings.ws_ping_timeout_s, self._overdue)

    def _overdue(self) -> None:
        self.answer_due = None
        if self.driver is not None:
            self.driver.execute(self.driver.session.ping_overdue())

    def _stop_answer_timer(self) -> None:
        if self.answer_due is not None:
            self.answer_due.cancel()
            self.answer_due = None

    def hang_up(self) -> None:
        """End the connection after the close frame, without waiting for the closing
        handshake (a client that answers no ping will not answer that either)."""
        if self.transport is not None:
            self.transport.close()  # after the close frame; close() resets it if stuck
