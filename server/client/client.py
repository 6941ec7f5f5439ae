"""The reference Matchboard WebSocket client (docs/protocol.md), asyncio.

Owns `Client` (the local state it keeps is `ClientState`, server/client/client_state.py), which
connects, authenticates, resumes, estimates the server clock with ping/pong, keeps a
connection alive with `run()` and runs commands exactly once with `command()`. How it
opens a connection and when it retries is server/client/client_connect.py (with `open_feed`, a
lean helper for the load benchmark).
Used by tests, scripts/bench_* and integrators as the executable form of the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.client import wire
from server.client.client_connect import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    ClientError,
    CommandFailed,
    Stopped,
    backoff_delay,
    hello_message,
    open_socket,
    read_welcome,
    retryable,
    unless_stopped,
)
from server.client.client_state import ClientState, Message, OutOfSync
from server.client.clocksync import ClockOffset, Sample
from server.client.wire import MSGPACK, ServerType, is_text

# ClientError and CommandFailed are what a Client raises: importable from here.
__all__ = [
    "COMMAND_GIVE_UP_S",
    "Client",
    "ClientError",
    "CommandFailed",
    "new_request_id",
    "wall_ms",
]

# How long `command` keeps retrying a command whose answer was lost before it says that
# the outcome is unknown.
COMMAND_GIVE_UP_S: Final = 60.0


def wall_ms() -> float:
    return time.time() * 1000


def new_request_id() -> str:
    return str(uuid.uuid4())


class Client:
    """One connection's worth of protocol: connect, resume, receive, ping, stay alive.

    Not safe for concurrent use: one task calls recv/ping (or run) at a time.
    """

    backoff_base_s: float = BACKOFF_BASE_S
    backoff_cap_s: float = BACKOFF_CAP_S
    ping_timeout_s: float = 10.0

    def __init__(
        self,
        url: str,
        *,
        event: str,
        token: str,
        encoding: str = MSGPACK,
        origin: str | None = None,
        clock: Callable[[], float] = wall_ms,
        on_message: Callable[[Message], None] | None = None,
        compression: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.url, self.event, self.token = url, event, token
        self.encoding = wire.check_encoding(encoding)
        self.origin, self.compression = origin, compression
        self.clock, self.on_message = clock, on_message
        self.rng = rng or random.Random()
        self.state = ClientState()
        self.clock_offset = ClockOffset()
        self.welcome: Message | None = None
        self.received_at_ms: float | None = None  # clock() when the last message arrived
        self.connections = 0  # successful connects, for tests and monitoring
        self._ws: ClientConnection | None = None
        self._queue: deque[tuple[Message, float]] = deque()  # read by ping(), for recv()
        self._ping_ids = itertools.count(1)
        self._command_ids = itertools.count(1)
        self._pings: dict[Any, float] = {}  # id → t0 of pings not answered yet
        self._last_error: Message | None = None

    @property
    def close_code(self) -> int | None:
        return None if self._ws is None else self._ws.close_code

    async def connect(self, *, resume: bool = True) -> Message:
        """Open a connection, authenticate, and load the snapshot unless resumed."""
        await self.close()
        self._queue.clear()
        self._pings.clear()
        self._last_error = None
        self._ws = ws = await open_socket(self.url, self.encoding, self.origin, self.compression)
        position = self.state.position() if resume else None
        await self._send(hello_message(self.event, self.token, position))
        welcome = await read_welcome(ws, self.encoding)
        self._accept(welcome, self.clock())
        if not welcome.get("resumed"):
            snapshot, at = await self._read()
            if snapshot["type"] != ServerType.SNAPSHOT:
                raise ClientError("unexpected", f"expected snapshot, got {snapshot['type']}", None)
            self._accept(snapshot, at)
        self.welcome = welcome
        self.connections += 1
        return welcome

    async def recv(self, timeout: float | None = None) -> Message:  # noqa: ASYNC109 (the API)
        """The next server message, already applied to `state` (OutOfSync if it can't be)."""
        if self._queue:
            message, self.received_at_ms = self._queue.popleft()
            return message
        async with asyncio.timeout(timeout):
            message, at = await self._read()
        self._accept(message, at)
        return message

    async def ping(self) -> Sample:
        """One ping/pong exchange; messages that arrive meanwhile are queued for recv()."""
        ping_id = next(self._ping_ids)
        self._pings[ping_id] = sent_ms = self.clock()
        await self._send({"type": "ping", "id": ping_id, "client_ms": sent_ms})
        async with asyncio.timeout(self.ping_timeout_s):
            while True:
                message, at = await self._read()
                sample = self._accept(message, at)
                if sample is not None and message.get("id") == ping_id:
                    return sample
                self._queue.append((message, at))

    async def sync_clock(self, samples: int = 5) -> float:
        """Ping `samples` times; the estimated server-minus-client offset in ms."""
        for _ in range(samples):
            await self.ping()
        offset = self.clock_offset.offset_ms
        assert offset is not None
        return offset

    async def command(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        *,
        dry_run: bool = False,
        request_id: str | None = None,
        give_up_after_s: float = COMMAND_GIVE_UP_S,
    ) -> Message:
        """Run a command: its `result`, or CommandFailed with the server's error.

        The command carries a request id (a fresh one unless given), so the server applies
        it at most once. When the connection is lost before the answer, the client
        reconnects (resuming), sends it again with the same request id and gets the first
        run's result. With no answer after `give_up_after_s`: ClientError `outcome_unknown`.
        Connects first if need be; not for use while `run()` holds the connection.
        """
        message: Message = {"type": "command", "id": f"c-{next(self._command_ids)}",
                            "name": name, "args": args or {},
                            "request_id": request_id or new_request_id()}  # fmt: skip
        if dry_run:
            message["dry_run"] = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up_after_s
        attempt = 0
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    return await self._exchange(message)
            except Exception as exc:
                if not retryable(exc):
                    raise
                if isinstance(exc, OutOfSync):
                    self.state.reset()  # reload like at startup
                await self.close()  # the next attempt starts on a fresh connection
                if loop.time() >= deadline:
                    raise ClientError(
                        "outcome_unknown",
                        f"no answer to {name} (request_id {message['request_id']}) in "
                        f"{give_up_after_s:g} s: it may or may not have been applied",
                        self.close_code,
                    ) from exc
            delay = backoff_delay(attempt, self.rng, self.backoff_base_s, self.backoff_cap_s)
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            attempt += 1

    async def _exchange(self, command: Message) -> Message:
        """Send a command (connecting if the connection is gone) and read to its answer;
        messages that arrive meanwhile are applied and queued for recv()."""
        if self._ws is None or self._ws.close_code is not None:
            await self.connect()
        await self._send(command)
        while True:
            message, at = await self._read()
            self._accept(message, at)
            if message.get("id") == command["id"] and message["type"] in (
                ServerType.RESULT,
                ServerType.ERROR,
            ):
                break
            self._queue.append((message, at))
        if message["type"] == ServerType.ERROR:
            raise CommandFailed(message)
        return message

    async def send_raw(self, data: bytes | str) -> None:
        assert self._ws is not None, "not connected"
        await self._ws.send(data)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def run(
        self,
        *,
        stop: asyncio.Event,
        max_attempts: int | None = None,
        ping_every_s: float | None = 20.0,
        clock_samples: int = 3,
    ) -> None:
        """Stay connected until `stop` is set: reconnect with backoff, resume when possible.

        Raises ClientError on a close that says not to reconnect (4000, 4001, 4004, 4005,
        1009, ...), or after `max_attempts` consecutive failed connects.
        """
        failures = 0  # consecutive connects that did not get through
        try:
            while not stop.is_set():
                connected = False
                try:
                    await unless_stopped(stop, self.connect())
                    connected, failures = True, 0
                    await unless_stopped(stop, self._live(ping_every_s, clock_samples))
                except Stopped:
                    return
                except Exception as exc:
                    if isinstance(exc, InvalidStatus) and not retryable(exc):
                        status = exc.response.status_code
                        raise ClientError("handshake_refused", f"HTTP {status}", None) from exc
                    if not retryable(exc):
                        raise
                    if isinstance(exc, OutOfSync):
                        self.state.reset()  # reload like at startup
                    failures += 0 if connected else 1
                    if max_attempts is not None and failures >= max_attempts:
                        raise ClientError(
                            "gave_up", f"{failures} failed attempts; last: {exc!r}", self.close_code
                        ) from exc
                delay = backoff_delay(failures, self.rng, self.backoff_base_s, self.backoff_cap_s)
                with contextlib.suppress(Stopped):
                    await unless_stopped(stop, asyncio.sleep(delay))
        finally:
            await self.close()

    async def _live(self, ping_every_s: float | None, clock_samples: int) -> None:
        """Receive until the connection ends, pinging every `ping_every_s`."""
        loop = asyncio.get_running_loop()
        if ping_every_s is not None:
            await self.sync_clock(clock_samples)
        next_ping = None if ping_every_s is None else loop.time() + ping_every_s
        while True:
            if next_ping is not None and ping_every_s is not None and loop.time() >= next_ping:
                await self.ping()
                next_ping = loop.time() + ping_every_s
            with contextlib.suppress(TimeoutError):
                await self.recv(None if next_ping is None else max(0.0, next_ping - loop.time()))

    def _accept(self, message: Message, at: float) -> Sample | None:
        """Note a message's arrival and apply it; a pong's clock sample, if any."""
        self.received_at_ms = at
        sample = None
        kind = message["type"]
        self._last_error = message if kind == ServerType.ERROR else None
        if kind == ServerType.PONG:
            sent = self._pings.pop(message.get("id"), message.get("client_ms"))
            if isinstance(sent, int | float) and isinstance(message.get("server_ms"), int | float):
                sample = Sample(sent_ms=sent, received_ms=at, server_ms=message["server_ms"])
                self.clock_offset.add(sample)
        self.state.apply(message)
        if self.on_message is not None:
            self.on_message(message)
        return sample

    async def _read(self) -> tuple[Message, float]:
        assert self._ws is not None, "not connected"
        try:
            data = await self._ws.recv()
        except ConnectionClosed as exc:
            raise self._closed() from exc
        at = self.clock()
        return wire.decode(data, self.encoding), at

    async def _send(self, message: Message) -> None:
        assert self._ws is not None, "not connected"
        try:
            await self._ws.send(wire.encode(message, self.encoding), text=is_text(self.encoding))
        except ConnectionClosed as exc:
            raise self._closed() from exc

    def _closed(self) -> ClientError:
        error = self._last_error or {"code": "closed", "message": "the connection closed"}
        reason = self._ws.close_reason if self._ws is not None else None
        return ClientError(error["code"], reason or error["message"], self.close_code)
