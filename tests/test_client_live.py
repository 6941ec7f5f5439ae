"""Client.run() against a real server: reconnect, resume, recover, give up, stop.

Connections are dropped without a close frame by a TCP relay in front of the server
(the client sees 1006), or the server itself restarts on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from server.client.client import Client, ClientError
from server.core.model import Announcement, Event
from server.core.state import Change, EventState
from server.edge.redis_client import RedisClient
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from tests.factory import meeting, small_event_records
from tests.servers import free_port, running_server

# Every test with a Redis runs on a single Redis and on a Redis Cluster (tests/conftest.py).
pytestmark = pytest.mark.both_redis

EVENT = "run-ev"


@dataclass
class Relay:
    """A TCP relay to the server whose connections can be cut (abort: no close frame)."""

    target_port: int
    port: int = 0
    refuse: bool = False  # close new connections at once
    swallow: bool = False  # drop what the server sends: its answers are lost on the way
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, down: bool = False
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if down and self.swallow:
                    continue
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer, down=True)
        )

    def cut(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield f"ws://127.0.0.1:{self.port}/ws"
            self.cut()


@dataclass
class Live:
    service: Service
    state: EventState
    redis_url: str

    def token(self, who: str) -> str:
        event = self.state.event
        assert event is not None
        if who == "hall":
            return event.screen_key
        return event.moderator_token if who == "moderator" else self.state.participants[who].token

    async def announce(self, n: int) -> int:
        change = Change(upserts=(Announcement(f"a{n}", f"note {n}"),))
        record = await self.service.execute(EVENT, "announce", lambda _s: change, actor="test")
        assert record is not None
        return record.version

    async def version(self) -> int:
        return (await self.service.state(EVENT)).version


@pytest.fixture
async def live(redis: RedisClient, redis_url: str) -> Live:
    service = Service(Store(redis))
    # The servers run on the real clock: round 1 starts in an hour, so their timekeepers
    # have nothing to record and every change a test sees is one it made.
    records = small_event_records(event_id=EVENT, t0_ms=wall_clock_ms() + 3_600_000)
    assert isinstance(records[0], Event)
    placed = [meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 2, 1)]
    await service.create_event(records[0], [*records[1:], *placed], actor="test")
    return Live(service, await service.state(EVENT), redis_url)


@dataclass
class Running:
    """A Client.run() task and every message it saw."""

    client: Client
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def welcomes(self) -> list[dict[str, Any]]:
        return [m for m in self.seen if m["type"] == "welcome"]

    def kinds(self) -> list[str]:
        return [m["type"] for m in self.seen if m["type"] != "pong"]

    async def until(self, check: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not check():
                assert self.task is not None
                if self.task.done():
                    self.task.result()
                    raise AssertionError("run() returned early")
                await asyncio.sleep(0.01)

    async def ended(self) -> None:
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)

    async def finish(self) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)


def start(url: str, token: str, **run: Any) -> Running:
    running = Running(Client(url, event=EVENT, token=token, rng=random.Random(1)))
    running.client.on_message = running.seen.append
    running.client.backoff_base_s = 0.02
    running.task = asyncio.create_task(running.client.run(stop=running.stop, **run))
    return running


async def fresh_snapshot(url: str, token: str) -> dict[str, Any]:
    client = Client(url, event=EVENT, token=token)
    await client.connect()
    await client.close()
    return client.state.snapshot_like()


async def test_run_syncs_the_clock_follows_updates_and_stops(live: Live) -> None:
    async with running_server(live.redis_url) as url:
        run = start(url, live.token("p0"))
        await run.until(lambda: run.client.connections == 1)
        version = await live.announce(1)
        await run.until(lambda: run.client.state.version == version)
        assert run.kinds()[:2] == ["welcome", "snapshot"]
        assert run.client.clock_offset.offset_ms is not None  # pinged on connect
        assert abs(run.client.clock_offset.offset_ms) < 1_000
        await run.finish()
        assert run.client.close_code == 1000


@pytest.mark.parametrize("who", ["p0", "hall", "moderator"])
async def test_a_dropped_connection_resumes_with_exactly_what_was_missed(
    live: Live, who: str
) -> None:
    async with running_server(live.redis_url) as url:
        relay = Relay(int(url.split(":")[2].split("/")[0]))
        async with relay.running() as relayed:
            run = start(relayed, live.token(who))
            await run.until(lambda: run.client.connections == 1)
            relay.refuse = True  # the Wi-Fi is down for a while
            relay.cut()
            missed = [await live.announce(n) for n in range(5)]
            await asyncio.sleep(0.2)  # a few failed attempts
            relay.refuse = False
            await run.until(lambda: run.client.state.version == missed[-1])
            assert [w["resumed"] for w in run.welcomes()] == [False, True]
            assert run.kinds().count("snapshot") == 1
            updates = [m["version"] for m in run.seen if m["type"] == "update"]
            # Every change after the first snapshot, once each and in order: the missed
            # announcements and whatever the server's timekeeper committed meanwhile
            # (its first housekeeping may come after the connection, as on a cluster).
            snapshot = next(m for m in run.seen if m["type"] == "snapshot")
            assert updates == list(range(snapshot["version"] + 1, missed[-1] + 1))
            assert set(missed) <= set(updates)
            assert run.client.state.snapshot_like() == await fresh_snapshot(url, live.token(who))
            await run.finish()


async def test_a_server_restart_is_survived(live: Live) -> None:
    port = free_port()
    async with running_server(live.redis_url, port=port) as url:
        run = start(url, live.token("p1"))
        await run.until(lambda: run.client.connections == 1)
    missed = [await live.announce(n) for n in range(3)]  # while no server runs
    async with running_server(live.redis_url, port=port):
        await run.until(lambda: run.client.state.version == missed[-1])
        assert len(run.welcomes()) == 2
        assert run.client.state.snapshot_like() == await fresh_snapshot(url, live.token("p1"))
        await run.finish()


async def test_out_of_sync_reloads_like_at_startup(live: Live) -> None:
    async with running_server(live.redis_url) as url:
        run = start(url, live.token("hall"))
        await run.until(lambda: run.client.connections == 1)
        assert run.client.state.version is not None
        run.client.state.version -= 1  # as if an update had been lost: the next one is a gap
        version = await live.announce(1)
        await run.until(lambda: run.client.connections == 2)
        # At least the announcement's version: the server's timekeeper may commit its
        # housekeeping after it (as on a cluster, where its first round can come later).
        await run.until(lambda: (run.client.state.version or 0) >= version)
        assert [w["resumed"] for w in run.welcomes()] == [False, False]
        assert run.kinds().count("snapshot") == 2
        await run.finish()


async def test_a_wrong_token_stops_run_with_the_servers_reason(live: Live) -> None:
    async with running_server(live.redis_url) as url:
        run = start(url, f"{EVENT}.not-a-token")
        with pytest.raises(ClientError) as caught:
            await run.ended()
    assert (caught.value.code, caught.value.close_code) == ("unauthorized", 4001)
    assert not caught.value.reconnect
    assert run.client.connections == 0


async def test_a_revoked_token_stops_run(live: Live) -> None:
    async with running_server(live.redis_url) as url:
        run = start(url, live.token("p2"))
        await run.until(lambda: run.client.connections == 1)
        person = replace(live.state.participants["p2"], token=f"{EVENT}.fresh-token")
        await live.service.execute(
            EVENT, "revoke", lambda _s: Change(upserts=(person,)), actor="test"
        )
        with pytest.raises(ClientError) as caught:
            await run.ended()
    assert caught.value.close_code == 4005
    assert run.client.connections == 1


async def test_run_gives_up_after_max_attempts(live: Live) -> None:
    run = start(f"ws://127.0.0.1:{free_port()}/ws", live.token("p0"), max_attempts=3)
    with pytest.raises(ClientError, match="3 failed attempts") as caught:
        await run.ended()
    assert caught.value.code == "gave_up"
    assert isinstance(caught.value.__cause__, OSError)


async def test_stop_ends_the_backoff_at_once(live: Live) -> None:
    run = start(f"ws://127.0.0.1:{free_port()}/ws", live.token("p0"))
    run.client.backoff_base_s = run.client.backoff_cap_s = 60.0
    await asyncio.sleep(0.2)  # connect refused; now waiting up to a minute
    loop = asyncio.get_running_loop()
    started = loop.time()
    await run.finish()
    assert loop.time() - started < 1
