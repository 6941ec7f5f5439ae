"""`/ws` through ASGI: the Starlette route used when the lean protocol is off.

With `MATCHBOARD_WS_LEAN=0` uvicorn serves WebSockets with its stock sans-I/O
implementation and this route speaks `/ws` (docs/protocol.md): the handshake checks
(server/wire/handshake.py), then an async read loop feeding every message to the
connection's Session (server/wire/session.py, through server/edge/wsdriver.py), which decides
everything else. Messages go out through a `QueueWriter` (below).

What plain ASGI cannot do, this path does not: it cannot see the transport, so the
backlog limit counts queued messages, not bytes (docs/scaling.md); WebSocket pings are
uvicorn's keepalive, which only a pong answers; a frame over ASGI_MAX_FRAME_BYTES ends
the connection without the 1009 close frame surely reaching the client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Final

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.edge import metrics
from server.edge.http_errors import error_response
from server.edge.hub import Hub
from server.edge.settings import Settings
from server.edge.wsconn import TOO_SLOW_REASON
from server.edge.wsdriver import SessionDriver
from server.wire import protocol
from server.wire.handshake import choose_subprotocol, handshake_refusal
from server.wire.protocol import CloseCode, Encoding
from server.wire.session import Phase, Session

# The frame size uvicorn's stock protocol reads before giving up on a frame (closing
# outright, so the client may see 1006 rather than 1009): above the protocol's limit,
# which the Session enforces with a 1009 close once the whole message is in.
ASGI_MAX_FRAME_BYTES: Final = 16 * protocol.MAX_CLIENT_MESSAGE_BYTES
QUEUE_MESSAGES: Final = 256
Spawn = Callable[[Coroutine[Any, Any, None]], None]


async def ws_endpoint(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    hub: Hub = websocket.app.state.hub
    offered = websocket.scope.get("subprotocols", [])
    refusal = handshake_refusal(
        websocket.headers.get("origin"),
        websocket.headers.get("host"),
        offered,
        settings.allowed_origins,
    )
    if refusal is not None:
        await websocket.send_denial_response(error_response(refusal))
        return
    subprotocol = choose_subprotocol(offered)
    assert subprotocol is not None  # handshake_refusal checked it
    await websocket.accept(subprotocol=subprotocol)
    encoding = Encoding.for_subprotocol(subprotocol)
    writer = QueueWriter(websocket, encoding, hub.spawn)
    driver = SessionDriver(Session(encoding), hub, writer)
    try:
        with contextlib.suppress(WebSocketDisconnect):
            await _read_loop(websocket, driver)
    finally:
        driver.end()
        writer.end()  # the connection owns its writer's task: it ends with it


async def _receive_data(websocket: WebSocket) -> bytes | str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    data: bytes | None = message.get("bytes")
    if data is not None:
        return data
    text: str = message.get("text", "")
    return text


async def _read_loop(websocket: WebSocket, driver: SessionDriver) -> None:
    """Every message to the session until the client disconnects. After the session
    closed, reading goes on (and is ignored) until uvicorn reports the end: that comes
    once the close frame is out, so the writer has sent everything before it."""
    session = driver.session
    deadline = asyncio.get_running_loop().time() + protocol.HELLO_TIMEOUT_S
    while True:
        if session.phase is Phase.AWAITING_HELLO:
            try:
                async with asyncio.timeout_at(deadline):
                    data = await _receive_data(websocket)
            except TimeoutError:
                driver.execute(session.hello_timed_out())
                continue
        else:
            data = await _receive_data(websocket)
        driver.receive(data)


class QueueWriter:
    """Sends through ASGI from one task, with at most QUEUE_MESSAGES waiting: past that
    the connection is closed as too slow. A close waits behind the messages queued before
    it (an error then its close), unless the queue is full."""

    def __init__(self, websocket: WebSocket, encoding: Encoding, spawn: Spawn) -> None:
        self.websocket = websocket
        self.encoding = encoding
        self.spawn = spawn
        self.queue: asyncio.Queue[bytes | tuple[int, str]] = asyncio.Queue(QUEUE_MESSAGES)
        self._closed = False
        # Owned by the connection: ended by `end` (or a full queue's close), never left
        # waiting on a queue nobody fills.
        self.task = asyncio.create_task(self._drain(), name="ws-writer")

    @property
    def closed(self) -> bool:
        return self._closed

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        if self._closed:
            return False
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            metrics.closed_too_slow()
            self.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.queue.put_nowait((code, reason))  # after what was queued before it
        except asyncio.QueueFull:  # too slow for those anyway: close now
            self.task.cancel()
            self.spawn(self.websocket.close(code, reason))

    def end(self) -> None:
        self._closed = True
        self.task.cancel()

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                item = await self.queue.get()
                if isinstance(item, tuple):
                    await self.websocket.close(*item)
                    return
                if self.encoding is Encoding.MSGPACK:
                    await self.websocket.send_bytes(item)
                else:
                    await self.websocket.send_text(item.decode())
