"""A rehearsal's line to the server: commands over HTTP, the event followed over a WebSocket.

`Api` sends each command as a real participant or moderator would (`POST
/api/events/{id}/commands` with their own token) and counts what was sent and refused.
It uses the standard library's HTTP client in worker threads: a rehearsal sends a few
commands a second, and the server it talks to may share this process's event loop.

`Follower` is a moderator connection of the reference client (server/client/client.py): its
records, turned into an `EventState`, are what the simulated people and the automatic
moderator look at, as people look at their phones and at the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

import orjson

from server.client.client import Client, ClientError
from server.client.client_state import Message
from server.core import clock
from server.core.state import EventState
from server.demo.rehearsal_report import Tally, state_from_snapshot
from server.wire.protocol import ServerType

log = logging.getLogger("matchboard.rehearsal")
HTTP_TIMEOUT_S: Final = 10.0
CONNECT_TIMEOUT_S: Final = 20.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # 0: the server could not be reached
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.body.get("ok"))

    @property
    def code(self) -> str:
        error = self.body.get("error")
        return str(error.get("code", "")) if isinstance(error, dict) else ""

    @property
    def data(self) -> dict[str, Any]:
        data = self.body.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def details(self) -> dict[str, Any]:
        error = self.body.get("error")
        details = error.get("details") if isinstance(error, dict) else None
        return details if isinstance(details, dict) else {}


class Api:
    def __init__(self, base_url: str, event_id: str, moderator_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.event_id = event_id
        self.moderator_token = moderator_token
        self.tally = Tally()
        # The server is local: never send its requests through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _request(self, path: str, token: str, body: dict[str, Any] | None) -> Answer:
        request = urllib.request.Request(
            f"{self.base_url}/api/events/{self.event_id}{path}",
            data=None if body is None else orjson.dumps(body),
            method="GET" if body is None else "POST",
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                return Answer(response.status, orjson.loads(response.read()))
        except urllib.error.HTTPError as err:
            with contextlib.closing(err):
                payload = err.read()
            try:
                return Answer(err.code, orjson.loads(payload))
            except orjson.JSONDecodeError:
                return Answer(err.code, {"ok": False, "error": {"code": f"http_{err.code}"}})
        except (OSError, orjson.JSONDecodeError) as exc:
            return Answer(0, {"ok": False, "error": {"code": "unreachable", "message": str(exc)}})

    async def command(self, token: str, name: str, args: dict[str, Any]) -> Answer:
        """Run a command with `token`; a refusal is an answer, never an exception."""
        answer = await asyncio.to_thread(
            self._request, "/commands", token, {"name": name, "args": args}
        )
        self.tally.note(name, None if answer.ok else answer.code or f"http_{answer.status}")
        return answer

    async def moderate(self, name: str, args: dict[str, Any] | None = None) -> Answer:
        return await self.command(self.moderator_token, name, args or {})

    async def read(self, path: str = "") -> dict[str, Any]:
        """A moderator's GET (the state, or `/audit`); RuntimeError when it fails."""
        answer = await asyncio.to_thread(self._request, path, self.moderator_token, None)
        if not answer.ok:
            raise RuntimeError(f"GET {path or 'state'} failed: {answer.status} {answer.body}")
        return answer.body


def ws_url(base_url: str) -> str:
    return base_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://") + "/ws"


class Follower:
    """The event as a moderator's WebSocket connection sees it, kept live."""

    def __init__(self, base_url: str, event_id: str, token: str) -> None:
        self.client = Client(ws_url(base_url), event=event_id, token=token, on_message=self._seen)
        self._tick = asyncio.Event()  # replaced at every change: each waiter sees it set
        self._loaded = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._cache: EventState | None = None

    def _seen(self, message: Message) -> None:
        if message.get("type") not in (ServerType.SNAPSHOT, ServerType.UPDATE):
            return
        if message["type"] == ServerType.SNAPSHOT:
            self._loaded.set()
        self._tick.set()
        self._tick = asyncio.Event()

    async def start(self) -> None:
        """Connect and wait for the first snapshot (bounded)."""
        self._task = asyncio.create_task(self.client.run(stop=self._stop), name="follower")
        loaded = asyncio.create_task(self._loaded.wait())
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await asyncio.wait({self._task, loaded}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            loaded.cancel()
        if self._task.done():
            self._task.result()  # raises why it could not connect
            raise RuntimeError("the follower stopped before its first snapshot")
        if not self._loaded.is_set():
            raise TimeoutError(f"no snapshot within {CONNECT_TIMEOUT_S} s")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await self._task
            except ClientError as exc:  # it had stopped for good (e.g. the event is gone)
                log.warning("the rehearsal's follower had stopped: %s", exc)

    def state(self) -> EventState:
        """The followed records as an `EventState` (rebuilt only when the version moved)."""
        position = self.client.state.position()
        cache = self._cache
        if cache is None or position != (cache.epoch, cache.version):
            epoch, version = position or ("", 0)
            data = self.client.state.snapshot_like()
            cache = self._cache = state_from_snapshot(data, epoch, version)
        return cache

    def now_ms(self) -> int:
        """The server's clock, as estimated from pings (docs/protocol.md)."""
        offset = self.client.clock_offset.offset_ms or 0.0
        return round(time.time() * 1000 + offset)

    def effective_now_ms(self, state: EventState) -> int:
        """The instant phases are computed at: the pause instant while paused."""
        return clock.effective_now(self.now_ms(), state.clock)

    async def changed(self, timeout: float) -> None:  # noqa: ASYNC109 (a pacing wait)
        """Return at the next change, or after `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._tick.wait()
