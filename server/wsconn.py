"""How frames reach one WebSocket connection, with a bounded backlog.

Fan-out writes the same pre-encoded frame to thousands of sockets; doing that through
an ASGI `send` per connection (one awaited call, one task wake-up each) costs several
times what writing the bytes costs. So uvicorn is given `RawFrameProtocol`, its own
sans-I/O WebSocket protocol plus one addition: it exposes itself to the endpoint through
the ASGI scope, and the endpoint writes whole frames to the transport synchronously.
Server frames are unmasked, so one frame serves every connection of an encoding.

When that is not possible (permessage-deflate negotiated: frames are compressed per
connection; or another server), `QueueWriter` sends through ASGI from a task with a
bounded queue. Either way a connection that falls too far behind is closed with
`CloseCode.TOO_SLOW` instead of growing server memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any, Final, Protocol

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from server.protocol import CloseCode, Encoding, frame

RAW_EXTENSION: Final = "matchboard.raw_frames"
QUEUE_MESSAGES: Final = 256
TOO_SLOW_REASON: Final = "too slow: reconnect and resume"
ABORT_AFTER_S: Final = 5.0


class RawFrameProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, reachable from the app as scope["extensions"]. Its
    keepalive pings and closes (1011) a client that does not answer in time."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Whatever the client sends shows it is there, as on the lean path (wsserver.py):
        # it answers the ping in flight as its pong would.
        if self.pending_ping_payload is not None:
            self.handle_pong(Frame(Opcode.PONG, self.pending_ping_payload))

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][RAW_EXTENSION] = self


Spawn = Callable[[Coroutine[Any, Any, None]], None]


class FrameWriter(Protocol):
    def send(self, payload: bytes, prebuilt_frame: bytes | None = None) -> bool:
        """Queue one message (its frame, if already built); False once closed."""

    def close(self, code: int, reason: str) -> None: ...
    @property
    def closed(self) -> bool: ...


class RawWriter:
    """Writes frames straight to the transport; closes when the backlog passes a limit."""

    def __init__(
        self,
        websocket: WebSocket,
        proto: WebSocketsSansIOProtocol,
        encoding: Encoding,
        limit_bytes: int,
        spawn: Spawn,
    ) -> None:
        self.websocket = websocket
        self.proto = proto
        self.transport = proto.transport
        self.encoding = encoding
        self.limit_bytes = limit_bytes
        self.spawn = spawn
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed or self.proto.close_sent or self.proto.transport.is_closing()

    def send(self, payload: bytes, prebuilt_frame: bytes | None = None) -> bool:
        transport = self.transport
        if self._closed or self.proto.close_sent or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > self.limit_bytes:
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        transport.write(prebuilt_frame or frame(payload, self.encoding))
        return True

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self._closed = True
            self.spawn(self.websocket.close(code, reason))
            # A client that stopped reading never takes the close frame from the end of
            # its backlog, and closing a transport waits for the backlog: cut it off.
            self.proto.loop.call_later(ABORT_AFTER_S, reset, self.proto.transport)


def reset(transport: asyncio.Transport) -> None:
    """Drop a connection at once: RST instead of FIN, so neither this process nor the
    kernel keeps a stalled client's backlog around."""
    if transport.is_closing() and transport.get_write_buffer_size() == 0:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class QueueWriter:
    """Sends through ASGI from one task, with at most QUEUE_MESSAGES waiting."""

    def __init__(self, websocket: WebSocket, encoding: Encoding, spawn: Spawn) -> None:
        self.websocket = websocket
        self.encoding = encoding
        self.spawn = spawn
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_MESSAGES)
        self._closed = False
        self.task = asyncio.create_task(self._drain())

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, payload: bytes, prebuilt_frame: bytes | None = None) -> bool:
        if self._closed:
            return False
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if not self._closed:
            self._closed = True
            self.task.cancel()
            self.spawn(self.websocket.close(code, reason))

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                item = await self.queue.get()
                if self.encoding is Encoding.MSGPACK:
                    await self.websocket.send_bytes(item)
                else:
                    await self.websocket.send_text(item.decode())


def writer_for(
    websocket: WebSocket, encoding: Encoding, limit_bytes: int, spawn: Spawn
) -> FrameWriter:
    proto = websocket.scope.get("extensions", {}).get(RAW_EXTENSION)
    if isinstance(proto, WebSocketsSansIOProtocol) and not proto.conn.extensions:
        # The handshake is over: its request and response are never read again, and with
        # thousands of idle connections their headers add up.
        proto.request = proto.response = None  # type: ignore[assignment]
        return RawWriter(websocket, proto, encoding, limit_bytes, spawn)
    return QueueWriter(websocket, encoding, spawn)
