"""How frames reach one WebSocket connection, with a bounded backlog.

Fan-out writes the same pre-encoded frame to thousands of sockets; doing that through
an ASGI `send` per connection (one awaited call, one task wake-up each) costs several
times what writing the bytes costs. So the lean protocol (server/edge/wsserver.py) is itself
the connection's `FrameWriter` and writes whole frames to the transport synchronously:
server frames are unmasked, so one frame serves every connection of an encoding (with
permessage-deflate negotiated, each connection compresses its own). Its `Backlog` closes
a connection that falls too far behind with `CloseCode.TOO_SLOW` instead of growing
server memory.

How far behind a connection is (`Backlog`) counts the kernel's send queue too: a client
that stops reading first fills the socket's send buffer, which Linux grows to megabytes,
and only then the transport's; counting the transport alone let a stalled client hold
several times the limit.

Through ASGI (server/edge/sockets.py, `MATCHBOARD_WS_LEAN=0`) the endpoint cannot see the
transport: its `QueueWriter` sends from a task with a bounded queue (docs/scaling.md).
Nothing here knows a web framework, so the fan-out (hub, feed) does not either.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import socket
import struct
import termios
from typing import Final, Protocol

# ioctl: the bytes in a TCP socket's send queue, sent or not, that the peer has not yet
# acknowledged (Linux's SIOCOUTQ; elsewhere the ioctl fails and only the transport counts).
SIOCOUTQ: Final = termios.TIOCOUTQ
TOO_SLOW_REASON: Final = "too slow: reconnect and resume"
ABORT_AFTER_S: Final = 5.0


class FrameWriter(Protocol):
    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        """Queue one message (its frame, if already built); False once closed. A
        `snapshot` starts the connection over: it never counts as falling behind."""

    def close(self, code: int, reason: str) -> None: ...
    @property
    def closed(self) -> bool: ...


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
