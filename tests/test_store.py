"""The Redis store: epochs, versions, atomic commits, change records, restarts."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from server.core import codec
from server.core.errors import BadRequest, EventExists, EventNotFound
from server.core.model import Announcement, AnnouncementAudience, Event
from server.core.state import Change, ChangeRecord
from server.edge.embedded import EmbeddedRedis
from server.edge.redis_client import RedisClient, redis_client
from server.edge.service import Service
from server.edge.store import EpochChanged, Store, VersionConflict, check_event_id
from tests.factory import meeting, small_event_records, upserting

# Every test with a Redis runs on a single Redis and on a Redis Cluster (tests/conftest.py).
pytestmark = pytest.mark.both_redis


async def make_event(service: Service, event_id: str = "ev1") -> None:
    records = small_event_records(event_id=event_id)
    event, rest = records[0], records[1:]
    assert isinstance(event, Event)
    await service.create_event(event, rest, actor="test")


def replicas_agree(a: Service, b: Service, event_id: str) -> None:
    """Two processes' replicas hold the same records."""
    ra, rb = a._replicas[event_id], b._replicas[event_id]
    assert (ra.epoch, ra.version) == (rb.epoch, rb.version)
    assert sorted(map(codec.pack, ra.records())) == sorted(map(codec.pack, rb.records()))


async def test_create_mints_epoch_and_version_one(service: Service, store: Store) -> None:
    await make_event(service)
    epoch, version = await store.position("ev1")
    assert len(epoch) == 16
    assert version == 1
    state = await store.load("ev1")
    assert state.event is not None
    assert state.event.moderator_token
    assert state.event.screen_key
    assert all(p.token for p in state.participants.values())
    assert len({p.token for p in state.participants.values()}) == len(state.participants)
    with pytest.raises(EventExists):
        await make_event(service)


async def test_keys_carry_the_event_hash_tag(service: Service, redis: RedisClient) -> None:
    await make_event(service, "tagged")
    if isinstance(redis, RedisCluster):  # every master's keys, not one node's
        found = await redis.keys("*", target_nodes=RedisCluster.PRIMARIES)
    else:
        found = await redis.keys("*")
    keys = [k.decode() if isinstance(k, bytes) else k for k in found]
    event_keys = [k for k in keys if k != "mb:events"]
    assert event_keys
    assert all(k.startswith("mb:{tagged}:") for k in event_keys)


def test_event_ids_are_checked() -> None:
    assert check_event_id("icmc-2026") == "icmc-2026"
    for bad in ("", "Upper", "with space", "a{b}", "-lead", "x" * 64):
        with pytest.raises(BadRequest):
            check_event_id(bad)


async def test_each_commit_bumps_version_by_one_and_leaves_a_record(
    service: Service, store: Store
) -> None:
    await make_event(service)
    for n, (table, rnd) in enumerate([(1, 1), (2, 2), (3, 3)], start=1):
        m = meeting(f"m{n}", "p0", f"p{n}", rnd, table)
        rec = await service.execute("ev1", "place", upserting(m), actor="mod-a", args={"n": n})
        assert rec is not None
        assert rec.version == n + 1
    changes = await store.changes_since("ev1", 1)
    assert [r.version for r in changes.records] == [2, 3, 4]
    assert changes.version == 4
    last = changes.records[-1]
    assert (last.actor, last.command, last.args) == ("mod-a", "place", {"n": 3})
    assert last.before == (None,)
    assert last.change.upserts[0] == meeting("m3", "p0", "p3", 3, 3)


async def test_a_commit_publishes_nothing(service: Service, redis: RedisClient) -> None:
    """Other processes read the change stream; a pub/sub message per commit had no reader."""
    await make_event(service)
    # On a cluster, every master's counters ({"host:port": {...}} per node).
    on: dict[str, Any] = (
        {"target_nodes": RedisCluster.PRIMARIES} if isinstance(redis, RedisCluster) else {}
    )
    await redis.config_resetstat(**on)
    m = meeting("m1", "p0", "p1", 1, 1)
    await service.execute("ev1", "place", lambda _s: Change(upserts=(m,)), actor="a")
    stats = await redis.info("commandstats", **on)
    names = set(stats) | {k for v in stats.values() if isinstance(v, dict) for k in v}
    assert "cmdstat_xadd" in names  # the commit ran (and Redis counts its script's calls)
    assert not {"cmdstat_publish", "cmdstat_spublish"} & names


async def test_commit_with_stale_version_is_refused_and_writes_nothing(
    service: Service, store: Store
) -> None:
    await make_event(service)
    state = await store.load("ev1")
    good = ChangeRecord(2, 0, "a", "x", Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))
    assert await store.commit("ev1", state.epoch, good) == 2
    stale = ChangeRecord(2, 0, "b", "x", Change(upserts=(meeting("m2", "p2", "p3", 1, 1),)))
    with pytest.raises(VersionConflict) as caught:
        await store.commit("ev1", state.epoch, stale)
    assert caught.value.current_version == 2
    with pytest.raises(EpochChanged):
        await store.commit("ev1", "another-epoch", dataclasses.replace(stale, version=3))
    with pytest.raises(EventNotFound):
        await store.commit("nope", state.epoch, stale)
    after = await store.load("ev1")
    assert "m2" not in after.meetings
    assert after.version == 2


async def test_concurrent_conflicting_commits_exactly_one_wins(
    store: Store, redis_url: str
) -> None:
    """Two processes (own connections, own replicas) book the same table at once."""
    first = Service(store)
    await make_event(first)
    clients = [redis_client(redis_url) for _ in range(6)]
    services = [Service(Store(c)) for c in clients]
    for s in services:
        await s.state("ev1")  # every replica at version 1 before the race

    async def book(s: Service, n: int) -> str:
        m = meeting(f"m{n}", f"p{n}", f"p{n + 1 if n < 7 else 0}", 1, 1)
        try:
            await s.execute("ev1", "place", lambda _s: Change(upserts=(m,)), actor=f"mod{n}")
        except Exception as exc:
            return type(exc).__name__
        return "ok"

    outcomes = await asyncio.gather(*(book(s, n) for n, s in enumerate(services)))
    for c in clients:
        await c.aclose()
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"TableTaken", "ParticipantBusy"}
    state = await store.load("ev1")
    assert state.version == 2
    assert len([m for m in state.meetings.values() if m.round == 1 and m.table == 1]) == 1


async def test_replica_follows_other_processes_changes(store: Store, redis: RedisClient) -> None:
    a, b = Service(store), Service(Store(redis))
    await make_event(a)
    await b.state("ev1")
    await a.execute(
        "ev1", "p", lambda _s: Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)), actor="a"
    )
    await a.execute("ev1", "p", lambda _s: Change(deletes=(("table", "3"),)), actor="a")
    await b.state("ev1")
    replicas_agree(a, b, "ev1")
    fresh = await store.load("ev1")
    assert sorted(map(codec.pack, fresh.records())) == sorted(
        map(codec.pack, (await b.state("ev1")).records())
    )


async def test_recreated_event_gets_a_new_epoch_and_replicas_reload(
    store: Store,
) -> None:
    a, b = Service(store), Service(store)
    await make_event(a)
    old = await b.state("ev1")
    records = small_event_records(event_id="ev1", tables=1)
    event = records[0]
    assert isinstance(event, Event)
    await a.create_event(event, records[1:], actor="t", replace=True)
    new = await b.state("ev1")
    assert new.epoch != old.epoch
    assert list(new.tables) == [1]


async def test_nothing_is_lost_when_redis_restarts(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "data", appendfsync="always")
    url = server.start()
    client = aioredis.from_url(url)
    service = Service(Store(client))
    await make_event(service)
    await service.execute(
        "ev1", "p", lambda _s: Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)), actor="a"
    )
    before = await service.store.load("ev1")
    await client.aclose()
    server.stop()

    again = EmbeddedRedis(tmp_path / "data")
    client = aioredis.from_url(again.start())
    try:
        after = await Store(client).load("ev1")
        assert (after.epoch, after.version) == (before.epoch, before.version)
        assert sorted(map(codec.pack, after.records())) == sorted(map(codec.pack, before.records()))
        changes = await Store(client).changes_since("ev1", 0)
        assert [r.version for r in changes.records] == [1, 2]
    finally:
        await client.aclose()
        again.stop()


async def test_a_new_server_process_rebuilds_the_same_state(service: Service, store: Store) -> None:
    await make_event(service)
    await service.execute(
        "ev1", "p", lambda _s: Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)), actor="a"
    )
    restarted = Service(store)  # a fresh process: nothing in memory
    state = await restarted.state("ev1")
    assert state.meetings["m1"].table == 1
    assert state.seat_of[("p0", 1)] == "m1"
    replicas_agree(service, restarted, "ev1")


async def test_the_lock_map_empties_once_no_command_runs(service: Service) -> None:
    """An event's lock lives while someone holds or waits on it, not for every event ever
    used: after commands on many events, none is left."""
    ids = [f"many-{i}" for i in range(200)]
    note = Announcement("a1", "note", AnnouncementAudience.EVERYONE)
    for event_id in ids:
        await make_event(service, event_id)
        await service.execute(event_id, "test", lambda _s: Change(upserts=(note,)), actor="t")
    assert len(service._locks) == 0


async def test_commands_on_one_event_still_run_one_at_a_time(service: Service) -> None:
    """Commands started together on one event share its lock (it is not dropped and made
    anew while they wait): no two of them are ever committing at once."""
    await make_event(service)
    committing = most = 0
    original = service.store.commit

    async def commit(*args: Any, **kw: Any) -> int:
        nonlocal committing, most
        committing += 1
        most = max(most, committing)
        try:
            return await original(*args, **kw)
        finally:
            committing -= 1

    service.store.commit = commit  # type: ignore[method-assign]
    notes = [Announcement(f"a{i}", "note", AnnouncementAudience.EVERYONE) for i in range(6)]
    await asyncio.gather(*(service.execute("ev1", "test", upserting(n), actor="t") for n in notes))
    assert most == 1
    assert (await service.state("ev1")).version == 1 + len(notes)
    assert len(service._locks) == 0
