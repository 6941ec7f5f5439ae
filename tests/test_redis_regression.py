"""Redis going back in time (#9 item 5): when Redis loses its last writes (an OS crash under
appendfsync everysec, a restored backup), the event's version goes back under the same
epoch. A process that notices mints a new epoch, once, and every screen reloads from a
snapshot instead of receiving updates on top of a history that no longer exists.

The live tests lose the writes for real: a copy of the append-only files taken earlier is
put back and redis-server restarted from it. The unit tests rewrite the version in Redis."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.client.client import Client
from server.core.model import Announcement, Event
from server.core.state import Change
from server.core.views import Audience
from server.edge.embedded import EmbeddedRedis
from server.edge.hub import Connection, Feed, Hub
from server.edge.service import Service
from server.edge.store import EpochChanged, Store, changes_key, meta_key
from server.edge.wsconn import FrameWriter
from server.wire import protocol
from server.wire.protocol import Encoding, Role
from tests.factory import small_event_records, upserting
from tests.servers import server_process
from tests.test_redis_faults import WAIT_S, create, http_base, server_log
from tests.test_sockets import next_of

EV = "rewind-ev"
RENEWED = "went back in time"


# -- Helpers ------------------------------------------------------------------------------


@contextmanager
def aof_copy(redis_server: EmbeddedRedis, into: Path) -> Iterator[None]:
    """Copy the append-only files now (every write so far is fsynced: appendfsync always);
    on leaving, put the copy back and restart redis-server from it, as after an OS crash
    that lost every write made in between."""
    aof = redis_server.data_dir / "appendonlydir"
    shutil.copytree(aof, into)
    yield
    redis_server.stop()
    shutil.rmtree(aof)
    shutil.copytree(into, aof)
    redis_server.start()


async def announce(http: httpx.AsyncClient, text: str) -> int:
    answer = await http.post(f"/api/events/{EV}/commands",
                             json={"name": "announce", "args": {"text": text}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    version: int = answer.json()["version"]
    return version


async def caught_up(clients: list[Client], version: int) -> None:
    for client in clients:
        while client.state.version != version:
            await client.recv(WAIT_S)


@asynccontextmanager
async def moderator_http(url: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=http_base(url), headers=headers, timeout=WAIT_S) as http:
        yield http


async def position_in(redis_server: EmbeddedRedis) -> tuple[str, int]:
    client = aioredis.from_url(redis_server.url)
    try:
        return await Store(client).position(EV)
    finally:
        await client.aclose()


def folder(path: Path) -> Path:
    path.mkdir()
    return path


def renewals(log: str) -> list[str]:
    return [line for line in log.splitlines() if RENEWED in line]


# -- Live: a server process, screens connected, Redis restarted from an older AOF ----------


async def test_connected_screens_get_a_new_epoch_when_redis_goes_back_in_time(
    own_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    state = await create(own_redis.url, EV)
    assert state.event is not None
    with server_process(own_redis.url, folder(tmp_path / "logs")) as url:
        screens = [
            Client(url, event=EV, token=state.event.moderator_token, encoding=Encoding.JSON),
            Client(url, event=EV, token=state.event.screen_key),
            Client(url, event=EV, token=state.participants["p0"].token),
        ]
        away = Client(url, event=EV, token=state.participants["p1"].token)
        for client in (*screens, away):
            await client.connect()
        async with moderator_http(url, state.event.moderator_token) as http:
            kept = [await announce(http, f"kept {n}") for n in range(2)]
            await caught_up(screens, kept[-1])
            old_epoch = screens[0].state.epoch
            with aof_copy(own_redis, tmp_path / "aof"):
                lost = [await announce(http, f"lost {n}") for n in range(3)]
                await caught_up([*screens, away], lost[-1])
                await away.close()  # offline while Redis loses its last writes
            # Redis is back with the first two announcements only, under the old epoch.
            for client in screens:
                snapshot = await next_of(client, "snapshot", timeout=WAIT_S)
                assert snapshot["epoch"] != old_epoch
                assert snapshot["version"] == kept[-1]
            epoch, version = await position_in(own_redis)
            assert (epoch, version) == (screens[0].state.epoch, kept[-1])
            texts = {a["text"] for a in screens[1].state.records["announcement"].values()}
            assert texts == {"kept 0", "kept 1"}
            for client in screens:  # what each screen holds is what Redis holds
                fresh = Client(url, event=EV, token=client.token, encoding=client.encoding)
                await fresh.connect()
                assert client.state.snapshot_like() == fresh.state.snapshot_like()
                await fresh.close()

            later = await announce(http, "after the loss")
            assert later == kept[-1] + 1  # the lost versions are used again
            for client in screens:
                update = await next_of(client, "update", timeout=WAIT_S)
                assert (update["epoch"], update["version"]) == (epoch, later)
            # The phone that was away resumes from a lost position: a snapshot, no updates.
            welcome = await away.connect(resume=True)
            assert welcome["resumed"] is False
            assert away.state.position() == (epoch, later)
            texts = {a["text"] for a in away.state.records["announcement"].values()}
            assert texts == {"kept 0", "kept 1", "after the loss"}
        for client in (*screens, away):
            await client.close()
    (line,) = renewals(server_log(tmp_path / "logs"))
    assert f"event {EV}" in line
    assert f"version {lost[-1]} was seen, {kept[-1]} found" in line


async def test_a_hall_screen_resuming_ahead_of_redis_reveals_the_loss_to_a_new_process(
    own_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    """Redis and every server process restarted (an OS crash of the one machine): nobody
    in the server remembers the lost versions, but the hall screen does."""
    state = await create(own_redis.url, EV)
    assert state.event is not None
    # The server stops before Redis is restarted from the copy.
    with (
        aof_copy(own_redis, tmp_path / "aof"),
        server_process(own_redis.url, folder(tmp_path / "before")) as url,
    ):
        hall = Client(url, event=EV, token=state.event.screen_key)
        await hall.connect()
        async with moderator_http(url, state.event.moderator_token) as http:
            lost = await announce(http, "lost")
        await caught_up([hall], lost)
        await hall.close()
    old_epoch = hall.state.epoch
    with server_process(own_redis.url, folder(tmp_path / "after")) as url:
        hall.url = url
        welcome = await hall.connect(resume=True)
        assert welcome["resumed"] is False  # the server has less than the screen: snapshot
        snapshot = await next_of(hall, "snapshot", timeout=WAIT_S)
        assert snapshot["epoch"] != old_epoch
        assert (snapshot["epoch"], snapshot["version"]) == await position_in(own_redis)
        assert snapshot["version"] == lost - 1
        await hall.close()
    (line,) = renewals(server_log(tmp_path / "after"))
    assert f"version {lost} was seen, {lost - 1} found" in line


# -- Unit: Store, Service and Feed against the session's Redis -----------------------------


async def make_event(service: Service, versions: int) -> None:
    records = small_event_records(event_id=EV)
    event = records[0]
    assert isinstance(event, Event)
    await service.create_event(event, records[1:], actor="test")
    for n in range(versions - 1):
        await service.execute(EV, "t", upserting(Announcement(f"a{n}", "x")), actor="t")


async def lose_writes_after(redis: aioredis.Redis, version: int) -> None:
    """Mimic Redis losing the writes after `version`: its version and stream go back."""
    current = await redis.hget(meta_key(EV), "version")
    assert current is not None
    await redis.hset(meta_key(EV), "version", version)
    await redis.xdel(changes_key(EV), *[f"{v}-0" for v in range(version + 1, int(current) + 1)])
    # redis-py leaves execute_command unannotated.
    await redis.execute_command("XSETID", changes_key(EV), f"{version}-0")  # type: ignore[no-untyped-call]


async def test_the_epoch_is_renewed_only_from_the_state_it_was_found_in(
    service: Service, store: Store
) -> None:
    await make_event(service, versions=3)
    epoch, version = await store.position(EV)
    assert not await store.renew_epoch(EV, "another", version, "new-1")
    assert not await store.renew_epoch(EV, epoch, version - 1, "new-1")
    assert await store.position(EV) == (epoch, version)
    assert await store.renew_epoch(EV, epoch, version, "new-1")
    assert await store.position(EV) == ("new-1", version)
    assert not await store.renew_epoch(EV, epoch, version, "new-2")  # the second one: no


async def test_replicas_ahead_of_redis_mint_one_new_epoch_between_them(
    service: Service, store: Store, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    other = Service(Store(redis))  # another process
    await make_event(service, versions=5)
    old = await other.state(EV)
    old_epoch = old.epoch
    await lose_writes_after(redis, 3)
    with caplog.at_level(logging.WARNING, logger="matchboard.service"):
        a, b = await asyncio.gather(service.state(EV), other.state(EV))
    assert a.epoch == b.epoch != old_epoch
    assert a.version == b.version == 3
    assert await store.position(EV) == (a.epoch, 3)
    (warning,) = [r.getMessage() for r in caplog.records if RENEWED in r.getMessage()]
    assert f"event {EV} went back in time in Redis: version 5 was seen, 3 found" in warning
    # Commits go on from the version Redis has, in the new epoch.
    record = await service.execute(
        EV, "t", lambda _s: Change(upserts=(Announcement("b", "y"),)), actor="t"
    )
    assert record is not None and record.version == 4
    assert (await other.state(EV)).announcements.keys() >= {"b"}


@dataclass
class Recorder(FrameWriter):
    """A connection's frame writer that keeps the messages it was given."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        self.messages.append(protocol.decode(payload, Encoding.MSGPACK))
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed = True

    async def wait_for(self, kind: str, epoch_not: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while True:  # the feed offers no event to await: bounded polling
            for message in self.messages:
                if message["type"] == kind and message["epoch"] != epoch_not:
                    return message
            assert time.monotonic() < deadline, self.messages
            await asyncio.sleep(0.02)


def attach(feed: Feed, role: Role, resume: tuple[str, int] | None) -> Recorder:
    writer = Recorder()
    participant = "p0" if role is Role.PARTICIPANT else None
    feed.attach(Connection(Audience(role, participant), Encoding.MSGPACK, writer), resume, None)
    return writer


async def test_a_feed_ahead_of_redis_renews_the_epoch_and_sends_snapshots(
    service: Service, redis: aioredis.Redis
) -> None:
    await make_event(service, versions=5)
    hub = Hub(Service(Store(redis)))  # a process of its own: its replica stays at 5
    try:
        feed = await hub.feed(EV)
        hall = attach(feed, Role.HALL, None)
        epoch = feed.epoch
        await lose_writes_after(redis, 2)
        snapshot = await hall.wait_for("snapshot", epoch_not=epoch)
        assert snapshot["version"] == 2
        assert (feed.epoch, feed.version) == (snapshot["epoch"], 2)
        # A resume from the old epoch gets a snapshot, never the window's old records.
        late = attach(feed, Role.HALL, (epoch, 2))
        assert [m["type"] for m in late.messages] == ["welcome", "snapshot"]
    finally:
        await hub.stop()


async def test_only_staff_screens_resuming_ahead_make_a_feed_check_redis(
    service: Service, redis: aioredis.Redis
) -> None:
    await make_event(service, versions=3)
    hub = Hub(Service(Store(redis)))
    feed = Feed(EV, hub.service)
    await feed._reset(await hub.service.state(EV))  # no follow task: checked by hand below
    epoch = feed.epoch
    phone = attach(feed, Role.PARTICIPANT, (epoch, 9))
    assert phone.messages[0]["resumed"] is False
    await feed._verify()  # a phone's claim alone changes nothing
    assert await hub.service.store.position(EV) == (epoch, 3)
    hall = attach(feed, Role.HALL, (epoch, 9))
    assert hall.messages[0]["resumed"] is False
    with pytest.raises(EpochChanged):
        await feed._verify()
    renewed, version = await hub.service.store.position(EV)
    assert renewed != epoch and version == 3
