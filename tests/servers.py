"""Real Matchboard servers for tests: in this process (uvicorn on an ephemeral port) or
as separate processes (`matchboard serve`), both against the test session's Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.edge.app import create_app, uvicorn_options
from server.edge.settings import Settings

START_TIMEOUT_S = 20.0


@asynccontextmanager
async def running_server(redis_url: str, **overrides: Any) -> AsyncIterator[str]:
    """Serve the app on 127.0.0.1 with a free port; yields the ws:// URL of /ws."""
    settings = dataclasses.replace(
        Settings(redis_url=redis_url, port=0, log_level="warning"), **overrides
    )
    config = uvicorn.Config(create_app(settings), **uvicorn_options(settings))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:  # uvicorn offers no event to await; bounded polling
        assert not task.done(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server_process(
    redis_url: str, log_dir: Path, *, port: int | None = None, **env: str
) -> Iterator[str]:
    """`matchboard serve` as its own process; yields the ws:// URL of /ws."""
    port = port or free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATCHBOARD_")}
    environ.update({"MATCHBOARD_REDIS_URL": redis_url, "MATCHBOARD_LOG_LEVEL": "warning"})
    environ.update(env)  # e.g. MATCHBOARD_LOG_LEVEL="info" to see the access log
    log = log_dir / f"server-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.edge.cli", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"server not ready:\n{log.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
