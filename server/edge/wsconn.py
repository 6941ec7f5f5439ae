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

How far behind a connection is (`Backlog`) counts the kernel's send queue too: a client
that stops reading first fills the socket's send buffer, which Linux grows to megabytes,
and only then the transport's; counting the transport alone let a stalled client hold
several times the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import socket
import struct
import termios
from collections.abc import Callable, Coroutine
from typing import Any, Final, Protocol

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from server.wire.protocol import CloseCode, Encoding, frame

RAW_EXTENSION: Final = "matchboard.raw_frames"
# ioctl: the bytes in a TCP socket's send queue, sent or not, that the peer has not yet
# acknowledged (Linux's SIOCOUTQ; elsewhere the ioctl fails and only the transport counts).
SIOCOUTQ: Final = termios.TIOCOUTQ
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

    _failed = False

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][RAW_EXTENSION] = self

    def handle_parser_exception(self) -> None:
        """A frame broke the protocol (too big, say): send the close frame, then half-close
        and keep reading (websockets discards the rest) until the client closes too.
        uvicorn closes the transport outright, and while the rest of a big frame is still
        arriving the kernel answers it with a reset: the client never sees the close frame
        (1006 instead of 1009). Called again for every later chunk; those are discarded."""
        if self._failed:
            return
        self._failed = True
        transport = self.transport
        if not transport.can_write_eof():
            super().handle_parser_exception()
            return
        assert self.conn.close_sent is not None
        close = self.conn.close_sent
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": close.code, "reason": close.reason}
        )
        transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        transport.write_eof()
        # uvicorn closes the transport when the app returns unless a close timer runs.
        self.close_timer = self.loop.call_later(ABORT_AFTER_S, reset, transport)


Spawn = Callable[[Coroutine[Any, Any, None]], None]


class FrameWriter(Protocol):
    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        """Queue one message (its frame, if already built); False once closed. A
        `snapshot` starts the connection over: it never counts as falling behind."""

    def close(self, code: int, reason: str) -> None: ...
    @property
    def closed(self) -> bool: ...


class EndpointWriter(FrameWriter, Protocol):
    """A writer the ASGI endpoint owns for the life of its connection."""

    def end(self) -> None:
        """The connection is over (closed, gone, failed): stop whatever sends for it."""


def _kernel_queue(fd: int) -> int:
    try:
        data = fcntl.ioctl(fd, SIOCOUTQ, b"\0\0\0\0")
    except OSError:  # not Linux, or the socket is gone
        return 0
    queued: int = struct.unpack("i", data)[0]
    return queued


class Backlog:
    """How far behind a connection is: of the bytes written to it since its last
    snapshot, those it has not received yet, in the transport's buffer or the kernel's
    send queue. A snapshot itself never counts: a hall screen of a large event gets
    megabytes at once without being slow. The kernel is asked only when the total could
    have passed the limit (its queue can only have grown by what was written since the
    last look), so a healthy connection costs no system call per message."""

    def __init__(self, transport: asyncio.Transport, limit_bytes: int) -> None:
        self.transport = transport
        self.limit = limit_bytes
        sock = transport.get_extra_info("socket")
        self.fd: int = sock.fileno() if sock is not None else -1
        self.since_snapshot = 0  # bytes written after the last snapshot
        self.kernel = 0  # the kernel's queue at the last look...
        self.since_look = 0  # ...and the bytes written since

    def wrote(self, size: int, *, snapshot: bool = False) -> None:
        self.since_look += size
        self.since_snapshot = 0 if snapshot else self.since_snapshot + size

    def too_far_behind(self, waiting: int = 0) -> bool:
        """Whether it is past the limit, with `waiting` bytes not yet in the transport."""
        if self.since_snapshot <= self.limit:
            return False
        buffered = waiting + self.transport.get_write_buffer_size()
        if buffered + self.kernel + self.since_look > self.limit:  # it might be over
            self.kernel, self.since_look = _kernel_queue(self.fd), 0
        return min(buffered + self.kernel, self.since_snapshot) > self.limit


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
        self.backlog = Backlog(proto.transport, limit_bytes)
        self.spawn = spawn
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed or self.proto.close_sent or self.proto.transport.is_closing()

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        transport = self.transport
        if self._closed or self.proto.close_sent or transport.is_closing():
            return False
        if not snapshot and self.backlog.too_far_behind():
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        data = prebuilt_frame or frame(payload, self.encoding)
        transport.write(data)
        self.backlog.wrote(len(data), snapshot=snapshot)
        return True

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self._closed = True
            self.spawn(self.websocket.close(code, reason))
            # A client that stopped reading never takes the close frame from the end of
            # its backlog, and closing a transport waits for the backlog: cut it off.
            self.proto.loop.call_later(ABORT_AFTER_S, reset, self.proto.transport)

    def end(self) -> None:
        self._closed = True  # writes are synchronous: nothing runs for the connection


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
    """Sends through ASGI from one task, with at most QUEUE_MESSAGES waiting, and within
    the byte limit when the transport is known (`backlog`: uvicorn's, compression on)."""

    def __init__(
        self, websocket: WebSocket, encoding: Encoding, spawn: Spawn, backlog: Backlog | None
    ) -> None:
        self.websocket = websocket
        self.encoding = encoding
        self.spawn = spawn
        self.backlog = backlog
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_MESSAGES)
        self.waiting = 0  # bytes queued or being handed to ASGI (before compression)
        self._closed = False
        # Owned by the connection: cancelled by `close` or `end`, never left waiting on a
        # queue nobody fills.
        self.task = asyncio.create_task(self._drain(), name="ws-writer")

    @property
    def closed(self) -> bool:
        return self._closed

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        if self._closed:
            return False
        backlog = self.backlog
        if not snapshot and backlog is not None and backlog.too_far_behind(self.waiting):
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        self.waiting += len(payload)
        if backlog is not None:
            backlog.wrote(len(payload), snapshot=snapshot)
        return True

    def close(self, code: int, reason: str) -> None:
        if not self._closed:
            self._closed = True
            self.task.cancel()
            self.spawn(self.websocket.close(code, reason))
            if self.backlog is not None:  # as RawWriter.close: cut off a stalled client
                transport = self.backlog.transport
                asyncio.get_running_loop().call_later(ABORT_AFTER_S, reset, transport)

    def end(self) -> None:
        self._closed = True
        self.task.cancel()

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                item = await self.queue.get()
                if self.encoding is Encoding.MSGPACK:
                    await self.websocket.send_bytes(item)
                else:
                    await self.websocket.send_text(item.decode())
                self.waiting -= len(item)  # now in the transport (compressed)


def writer_for(
    websocket: WebSocket, encoding: Encoding, limit_bytes: int, spawn: Spawn
) -> EndpointWriter:
    proto = websocket.scope.get("extensions", {}).get(RAW_EXTENSION)
    if not isinstance(proto, WebSocketsSansIOProtocol):
        return QueueWriter(websocket, encoding, spawn, None)
    if proto.conn.extensions:  # compressed per connection: through ASGI
        return QueueWriter(websocket, encoding, spawn, Backlog(proto.transport, limit_bytes))
    # The handshake is over: its request and response are never read again, and with
    # thousands of idle connections their headers add up.
    proto.request = proto.response = None  # type: ignore[assignment]
    return RawWriter(websocket, proto, encoding, limit_bytes, spawn)
