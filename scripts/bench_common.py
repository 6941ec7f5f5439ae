"""Pieces of scripts/bench_fanout.py that run in child processes (spawn context).

- `client_worker`: one client process holding up to 2,500 WebSocket feeds. It obeys
  commands from the benchmark over a pipe: ("connect", targets), ("collect", (version,
  timeout_s)), ("close", None), ("exit", None). Each feed records, for every `update`, the
  pair (version, receive time in µs since the epoch) in a flat array, nothing else.
- `stop_processes`, `run_bench`: shared by scripts/bench_fanout.py and bench_events.py:
  stopping what a benchmark started, and running it so that Ctrl-C or SIGTERM stops
  everything it started.
- `limit_server`: the practical limit. A bare asyncio server (no framework) that does
  the WebSocket handshake with the sans-I/O `websockets.server.ServerProtocol`, sends a
  tiny welcome and snapshot, then on ("send", k) writes the k-th pre-encoded frame to
  every socket with `transport.write`, timestamping just before the write loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import subprocess
import tempfile
import time
from array import array
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.http11 import Request
from websockets.server import ServerProtocol

from server.client.client_connect import ClientError, open_feed
from server.wire import protocol
from server.wire.protocol import SUBPROTOCOLS, Encoding

MAX_FILES: Final = 20_000  # per process, a limit of this machine
BATCH: Final = 200  # connections opened at once by one client process
CONNECT_TIMEOUT_S: Final = 30.0
CLOSE_TIMEOUT_S: Final = 15.0
CONNECT_KWARGS: Final[dict[str, Any]] = {
    "compression": None,
    "proxy": None,  # loopback only: never through a configured proxy
    "ping_interval": None,  # the server pings; the client answers automatically
    "open_timeout": CONNECT_TIMEOUT_S,
    "close_timeout": 5,
}

# A target: (url, event id, token, encoding value, instance index).
Target = tuple[str, str, str, str, int]

T = TypeVar("T")


class Started(Protocol):
    """What a benchmark started, in a temporary folder; `cleanup` stops all of it."""

    def cleanup(self) -> None: ...


R = TypeVar("R", bound=Started)


def stop_processes(
    servers: list[subprocess.Popen[bytes]], children: list[tuple[BaseProcess, Connection]]
) -> None:
    """Stop client processes (asked to exit, then killed) and server processes (SIGTERM,
    then killed), all of them whatever state they are in; empties both lists."""
    for _proc, pipe in children:
        with contextlib.suppress(OSError):
            pipe.send(("exit", None))
    for proc in servers:
        if proc.poll() is None:
            proc.terminate()
    for child, _pipe in children:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)
    for proc in servers:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    servers.clear()
    children.clear()


def run_bench(
    prefix: str, start: Callable[[Path], R], bench: Callable[[R], Coroutine[Any, Any, T]]
) -> T:
    """`bench(start(tmp))` in a temporary folder, everything it started stopped at the end;
    Ctrl-C or SIGTERM stops what runs and exits with a line saying so."""
    stopped: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopped.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        res = start(Path(tmp))
        try:
            return asyncio.run(bench(res))
        except BaseException:
            if stopped:  # whatever broke after the signal (the servers and Redis got it too)
                raise SystemExit("interrupted: stopping everything the benchmark started") from None
            raise
        finally:
            res.cleanup()


def now_us() -> int:
    return time.time_ns() // 1000


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = MAX_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_FILES)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


async def receive(pipe: Connection) -> Any:
    """The next message on a pipe, without blocking the event loop (EOFError at the end)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(pipe.fileno(), lambda: None if ready.done() else ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(pipe.fileno())
    return pipe.recv()


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- Client processes


class Feed:
    __slots__ = ("encoding", "instance", "last", "receipts", "task", "ws")

    def __init__(self, ws: ClientConnection, encoding: Encoding, instance: int) -> None:
        self.ws = ws
        self.encoding = encoding
        self.instance = instance
        self.receipts = array("q")  # version, µs, version, µs, ...
        self.last = 0
        self.task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in self.ws:
                at = now_us()
                message = protocol.decode(data, self.encoding)
                if message["type"] == "update":
                    self.receipts.append(message["version"])
                    self.receipts.append(at)
                    self.last = message["version"]


async def _open(target: Target) -> Feed | str:
    url, event, token, encoding_name, instance = target
    encoding = Encoding(encoding_name)
    error = ""
    for attempt in range(3):
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                ws, _welcome = await open_feed(
                    url, event=event, token=token, encoding=encoding, **CONNECT_KWARGS
                )
                snapshot = protocol.decode(await ws.recv(), encoding)
            if snapshot["type"] != "snapshot":
                await ws.close()
                return f"expected snapshot, got {snapshot['type']}"
            feed = Feed(ws, encoding, instance)
            feed.task = asyncio.create_task(feed.read())
            return feed
        except (OSError, WebSocketException, ClientError, protocol.ProtocolError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.2 * (attempt + 1))
    return error


async def _connect(targets: list[Target], feeds: list[Feed]) -> tuple[int, list[str]]:
    errors: list[str] = []
    for start in range(0, len(targets), BATCH):
        for result in await asyncio.gather(*(_open(t) for t in targets[start : start + BATCH])):
            if isinstance(result, Feed):
                feeds.append(result)
            else:
                errors.append(result)
    return len(feeds), errors[:5] + ([f"... {len(errors)} failed"] if errors else [])


async def _collect(feeds: list[Feed], last: int, timeout_s: float) -> list[tuple[int, array[int]]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(f.last >= last or (f.task and f.task.done()) for f in feeds):
            break
        await asyncio.sleep(0.05)
    out = [(f.instance, f.receipts) for f in feeds]
    for f in feeds:
        f.receipts, f.last = array("q"), 0
    return out


async def _close(feeds: list[Feed]) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await asyncio.gather(*(f.ws.close() for f in feeds), return_exceptions=True)
    for f in feeds:
        if f.ws.transport is not None:
            f.ws.transport.abort()
        if f.task:
            f.task.cancel()
    await asyncio.gather(*(f.task for f in feeds if f.task), return_exceptions=True)
    feeds.clear()


async def _client_loop(pipe: Connection) -> None:
    feeds: list[Feed] = []
    while True:
        try:
            command, arg = await receive(pipe)
        except (EOFError, OSError):
            command, arg = "exit", None  # the benchmark is gone
        if command == "connect":
            pipe.send(await _connect(arg, feeds))
        elif command == "collect":
            pipe.send(await _collect(feeds, *arg))
        elif command == "close":
            await _close(feeds)
            pipe.send("closed")
        else:
            await _close(feeds)
            return


def client_worker(pipe: Connection) -> None:
    raise_file_limit()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_client_loop(pipe))


# -- The bare asyncio limit server


class _Bare(asyncio.Protocol):
    def __init__(
        self, conns: dict[Encoding, set[asyncio.Transport]], hello: dict[Encoding, bytes]
    ) -> None:
        self.conns, self.hello = conns, hello
        self.ws = ServerProtocol(subprotocols=list(SUBPROTOCOLS), max_size=2**16)  # type: ignore[arg-type]
        self.transport: asyncio.Transport | None = None
        self.encoding: Encoding | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.ws.receive_data(data)
        for event in self.ws.events_received():  # the request, then client frames: ignored
            if self.encoding is None and isinstance(event, Request):
                response = self.ws.accept(event)
                self.ws.send_response(response)
                if response.status_code == 101:
                    self.encoding = Encoding.for_subprotocol(self.ws.subprotocol or "")
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.close()
        if self.encoding is not None and self.transport not in self.conns[self.encoding]:
            self.transport.write(self.hello[self.encoding])  # welcome + snapshot
            self.conns[self.encoding].add(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.encoding is not None and self.transport is not None:
            self.conns[self.encoding].discard(self.transport)


async def _limit_loop(port: int, frames: list[dict[Encoding, bytes]], pipe: Connection) -> None:
    conns: dict[Encoding, set[asyncio.Transport]] = {e: set() for e in Encoding}
    hello: dict[Encoding, bytes] = {}
    for e in Encoding:
        welcome = {"type": "welcome", "role": "hall", "event": "bench", "participant": None,
                   "epoch": "bench", "version": 0, "server_ms": 0, "resumed": False}  # fmt: skip
        snap = protocol.snapshot(epoch="bench", version=0, server_ms=0, data={})
        hello[e] = protocol.frame(protocol.encode(welcome, e), e)
        hello[e] += protocol.frame(protocol.encode(snap, e), e)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Bare(conns, hello), "127.0.0.1", port, backlog=4096)
    pipe.send("ready")
    while True:
        try:
            command, arg = await receive(pipe)
        except (EOFError, OSError):
            break
        if command == "send":
            msgpack_frame, json_frame = frames[arg][Encoding.MSGPACK], frames[arg][Encoding.JSON]
            stamp = now_us()
            for transport in conns[Encoding.MSGPACK]:
                transport.write(msgpack_frame)
            for transport in conns[Encoding.JSON]:
                transport.write(json_frame)
            pipe.send(stamp)
        elif command == "count":
            pipe.send(sum(len(c) for c in conns.values()))
        else:
            break
    server.close()
    for transport in [t for c in conns.values() for t in c]:
        transport.abort()


def limit_server(port: int, frames: list[dict[Encoding, bytes]], pipe: Connection) -> None:
    raise_file_limit()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_limit_loop(port, frames, pipe))
