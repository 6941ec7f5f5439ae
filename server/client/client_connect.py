"""How the reference client reaches the server: open a WebSocket, say hello, read welcome.

The connection side of server/client/client.py: the subprotocol per encoding, the handshake
(`open_feed`, also the load benchmark's lean connection), the errors a refusal or a close
becomes, and the retry policy (`retryable`, full-jitter `backoff_delay`, `unless_stopped`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Coroutine
from typing import Any, Final, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin, Subprotocol

from server.client import wire
from server.client.client_state import Message, OutOfSync, Position
from server.client.wire import MSGPACK, ServerType, is_text

T = TypeVar("T")

BACKOFF_BASE_S: Final = 0.25
BACKOFF_CAP_S: Final = 10.0
CLOSE_WAIT_S: Final = 5.0  # how long to wait for the close that follows an `error`


def subprotocol(encoding: str) -> Subprotocol:
    return Subprotocol(wire.SUBPROTOCOL[wire.check_encoding(encoding)])


class ClientError(Exception):
    """The server refused or ended the connection (an `error` code and/or a close code)."""

    def __init__(self, code: str, message: str, close_code: int | None) -> None:
        super().__init__(f"{code}: {message} (close code {close_code})")
        self.code = code
        self.message = message
        self.close_code = close_code

    @property
    def reconnect(self) -> bool:
        """Whether the protocol says to reconnect (and resume) after this."""
        return self.close_code in wire.RECONNECT_CODES


class CommandFailed(ClientError):
    """The server answered a command with an `error` (the connection stays open)."""

    def __init__(self, error: Message) -> None:
        super().__init__(error.get("code", "error"), error.get("message", ""), None)
        self.details: dict[str, Any] = error.get("details") or {}


async def open_socket(
    url: str, encoding: str, origin: str | None, compression: str | None, **kwargs: Any
) -> ClientConnection:
    ws = await connect(
        url,
        subprotocols=[subprotocol(encoding)],
        origin=None if origin is None else Origin(origin),
        compression=compression,
        max_size=None,
        **kwargs,
    )
    if ws.subprotocol != subprotocol(encoding):
        await ws.close()
        raise ClientError("bad_subprotocol", f"the server chose {ws.subprotocol!r}", None)
    return ws


def hello_message(event: str, token: str, resume: Position | None) -> Message:
    hello: Message = {"type": "hello", "event": event, "token": token}
    if resume is not None:
        hello["resume"] = {"epoch": resume[0], "version": resume[1]}
    return hello


async def refused(ws: ClientConnection, error: Message | None) -> ClientError:
    """The ClientError for an `error` message (or a close) during the handshake."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_WAIT_S):
            await ws.wait_closed()
    if error is None:
        return ClientError("closed", ws.close_reason or "closed before welcome", ws.close_code)
    return ClientError(error.get("code", "error"), error.get("message", ""), ws.close_code)


async def read_welcome(ws: ClientConnection, encoding: str) -> Message:
    try:
        message = wire.decode(await ws.recv(), encoding)
    except ConnectionClosed:
        raise await refused(ws, None) from None
    if message["type"] == ServerType.ERROR:
        raise await refused(ws, message)
    if message["type"] != ServerType.WELCOME:
        await ws.close()
        raise ClientError("unexpected", f"expected welcome, got {message['type']!r}", None)
    return message


async def open_feed(
    url: str,
    *,
    event: str,
    token: str,
    encoding: str = MSGPACK,
    resume: Position | None = None,
    origin: str | None = None,
    compression: str | None = None,
    **connect_kwargs: Any,
) -> tuple[ClientConnection, Message]:
    """Connect and authenticate; the raw connection (next: snapshot or updates) + welcome."""
    ws = await open_socket(url, encoding, origin, compression, **connect_kwargs)
    await ws.send(
        wire.encode(hello_message(event, token, resume), encoding), text=is_text(encoding)
    )
    return ws, await read_welcome(ws, encoding)


def backoff_delay(
    attempt: int, rng: random.Random, base_s: float = BACKOFF_BASE_S, cap_s: float = BACKOFF_CAP_S
) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return rng.uniform(0, min(cap_s, base_s * 2 ** min(attempt, 30)))


def retryable(exc: Exception) -> bool:
    """Whether a failed connect or a lost session should be retried (after a backoff)."""
    if isinstance(exc, ClientError):
        return exc.reconnect
    if isinstance(exc, InvalidStatus):  # a refused handshake: 5xx and 429 may pass later
        status = exc.response.status_code
        return status >= 500 or status == 429
    return isinstance(exc, OutOfSync | OSError | TimeoutError | InvalidHandshake)


class Stopped(Exception):
    """`unless_stopped` gave up on its work because `stop` was set."""


async def unless_stopped(stop: asyncio.Event, coro: Coroutine[Any, Any, T]) -> T:
    """Await `coro`, or cancel it and raise Stopped as soon as `stop` is set."""
    task = asyncio.ensure_future(coro)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise Stopped
    return task.result()
