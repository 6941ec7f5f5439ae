"""The one place configuration is read from the environment."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from server.core.errors import InvalidSetting


@dataclass(frozen=True, slots=True)
class Settings:
    # None: start a private redis-server in `data_dir` (see server/edge/embedded.py).
    redis_url: str | None = None
    data_dir: Path = Path("data")
    # A commit is acknowledged only once this many Redis replicas have it (WAIT); when they
    # do not confirm it within redis_wait_timeout_ms the command answers `unavailable`.
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 1000
    host: str = "127.0.0.1"
    port: int = 8000
    # Browser origins allowed to open the WebSocket; empty: same host as the request.
    allowed_origins: tuple[str, ...] = ()
    # The base URL printed in links and QR codes; default http://host:port.
    public_url: str = ""
    # Redis fsync policy for the embedded server: "everysec" loses at most a second of
    # writes on an OS crash (none on a process crash); "always" loses nothing, slower.
    appendfsync: str = "everysec"
    log_level: str = "info"
    # "text" (uvicorn's lines) or "json": one JSON object per line, each with the id of
    # its request or connection (server/edge/logs.py).
    log_format: str = "text"
    # permessage-deflate costs tens of KB per connection; off unless asked for.
    ws_compression: bool = False
    # A connection whose unsent backlog passes this is closed "too slow" (4008).
    ws_send_buffer_bytes: int = 1024 * 1024
    # The server pings every WebSocket this often (seconds), and closes one (1011) that
    # has sent nothing, not even the pong, within the timeout after a ping.
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    # Serve /ws with the lean protocol (server/edge/wsserver.py) rather than through ASGI
    # (server/edge/sockets.py); either compresses when ws_compression is on.
    ws_lean: bool = True
    # An event's feed with no WebSocket connections in this process stops after this
    # long (seconds), and the process forgets the event's replica (server/edge/hub.py).
    feed_idle_s: float = 300.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(f"MATCHBOARD_{name}", default).strip()

        port = get("PORT", "8000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidSetting(f"MATCHBOARD_PORT must be a port number, not {port!r}")
        fsync = get("APPENDFSYNC", "everysec")
        if fsync not in ("everysec", "always", "no"):
            raise InvalidSetting(
                f"MATCHBOARD_APPENDFSYNC must be everysec, always or no, not {fsync!r}"
            )
        buffer = get("WS_SEND_BUFFER_BYTES", str(1024 * 1024))
        if not buffer.isdigit() or int(buffer) < 1024:
            raise InvalidSetting(f"MATCHBOARD_WS_SEND_BUFFER_BYTES must be >= 1024, not {buffer!r}")
        log_format = get("LOG_FORMAT", "text").lower()
        if log_format not in ("text", "json"):
            raise InvalidSetting(f"MATCHBOARD_LOG_FORMAT must be text or json, not {log_format!r}")
        wait_replicas = get("REDIS_WAIT_REPLICAS", "0")
        if not wait_replicas.isdigit():
            raise InvalidSetting(
                f"MATCHBOARD_REDIS_WAIT_REPLICAS must be a whole number >= 0, not {wait_replicas!r}"
            )
        wait_ms = get("REDIS_WAIT_TIMEOUT_MS", "1000")
        if not wait_ms.isdigit() or int(wait_ms) < 1:
            raise InvalidSetting(
                f"MATCHBOARD_REDIS_WAIT_TIMEOUT_MS must be a whole number >= 1, not {wait_ms!r}"
            )
        origins = tuple(
            o.strip().rstrip("/") for o in get("ALLOWED_ORIGINS").split(",") if o.strip()
        )
        return cls(
            redis_url=get("REDIS_URL") or None,
            data_dir=Path(get("DATA_DIR", "data")),
            redis_wait_replicas=int(wait_replicas),
            redis_wait_timeout_ms=int(wait_ms),
            host=get("HOST", "127.0.0.1"),
            port=int(port),
            allowed_origins=origins,
            public_url=get("PUBLIC_URL"),
            appendfsync=fsync,
            log_level=get("LOG_LEVEL", "info"),
            log_format=log_format,
            ws_compression=get("WS_COMPRESSION", "0").lower() in ("1", "true", "yes", "on"),
            ws_lean=get("WS_LEAN", "1").lower() not in ("0", "false", "no", "off"),
            ws_send_buffer_bytes=int(buffer),
            ws_ping_interval_s=_seconds(get, "WS_PING_INTERVAL_S", "20"),
            ws_ping_timeout_s=_seconds(get, "WS_PING_TIMEOUT_S", "20"),
            feed_idle_s=_seconds(get, "FEED_IDLE_S", "300"),
        )


def _seconds(get: Callable[[str, str], str], name: str, default: str) -> float:
    """A positive number of seconds from MATCHBOARD_<name>."""
    value = get(name, default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < math.inf:
        raise InvalidSetting(
            f"MATCHBOARD_{name} must be a positive number of seconds, not {value!r}"
        )
    return seconds
