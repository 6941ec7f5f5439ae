"""Redis Cluster: the client factory, events on every shard, commits that wait for replicas.

The cluster is the test session's local one (tests/conftest.py: 3 masters with a replica
each); the failover test, which kills a master, has a cluster of its own
(tests/test_cluster_failover.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.cluster import RedisCluster as SyncCluster

from server.core.errors import InvalidSetting, Unavailable
from server.core.model import Announcement, Event
from server.core.state import Change
from server.edge.cli import main
from server.edge.embedded import EmbeddedRedis
from server.edge.embedded_cluster import LocalCluster
from server.edge.hub import Hub
from server.edge.redis_client import RedisClient, cluster_nodes, is_cluster_url, redis_client
from server.edge.service import Service
from server.edge.settings import Settings
from server.edge.store import Store, meta_key
from server.wire.protocol import Role
from tests.factory import small_event_records, upserting
from tests.test_redis_regression import Recorder, attach

WAIT_S = 10.0
DATA = Path(__file__).parent / "data"


def test_a_cluster_url_names_its_nodes_and_gets_the_cluster_client() -> None:
    url = "redis+cluster://user:s%40cret@10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002"
    assert is_cluster_url(url) and is_cluster_url("REDISS+CLUSTER://h:1")
    assert not is_cluster_url("redis://localhost:6379/0")
    assert cluster_nodes(url) == (
        [("10.0.0.1", 7000), ("10.0.0.2", 7001), ("::1", 7002)],
        "user",
        "s@cret",
    )
    assert isinstance(redis_client("redis+cluster://127.0.0.1:7000"), RedisCluster)
    assert not isinstance(redis_client("redis://127.0.0.1:6379/0"), RedisCluster)
    for bad in ("redis+cluster://", "redis+cluster://host", "redis+cluster://h:0,h:x"):
        with pytest.raises(InvalidSetting, match="MATCHBOARD_REDIS_URL"):
            redis_client(bad)


def test_the_wait_settings_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {"MATCHBOARD_REDIS_WAIT_REPLICAS": "1", "MATCHBOARD_REDIS_WAIT_TIMEOUT_MS": "250"}
    )
    assert (settings.redis_wait_replicas, settings.redis_wait_timeout_ms) == (1, 250)
    assert Settings.from_env({}).redis_wait_replicas == 0
    for name, value in (("REDIS_WAIT_REPLICAS", "-1"), ("REDIS_WAIT_TIMEOUT_MS", "0")):
        with pytest.raises(InvalidSetting, match=f"MATCHBOARD_{name}"):
            Settings.from_env({f"MATCHBOARD_{name}": value})


async def each_updated(halls: list[Recorder]) -> None:
    """Until every recorder has an update (the feed offers no event to await: polling,
    bounded by WAIT_S)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            if all(any(m["type"] == "update" for m in h.messages) for h in halls):
                return
            await asyncio.sleep(0.02)


async def make_event(service: Service, event_id: str) -> None:
    records = small_event_records(event_id=event_id)
    assert isinstance(records[0], Event)
    await service.create_event(records[0], records[1:], actor="test")


@pytest.fixture
async def cluster_client(redis_cluster: LocalCluster) -> RedisClient:
    client = redis_client(redis_cluster.url)
    await client.flushall()
    return client


async def test_one_process_follows_events_on_every_shard(
    cluster_client: RedisClient, redis_cluster: LocalCluster
) -> None:
    """Events spread over the masters; one hub's feeds follow each on its own shard, and
    the list of events (mb:events, one key on one shard) holds them all."""
    service = Service(Store(cluster_client))
    ids = [f"shard-{i}" for i in range(9)]
    for event_id in ids:
        await make_event(service, event_id)
    masters = {redis_cluster.master_of(meta_key(e)).port for e in ids}
    assert len(masters) == 3, "the events should land on every master"
    assert await service.store.event_ids() == sorted(ids)

    hub = Hub(Service(Store(redis_client(redis_cluster.url))))
    try:
        feeds = [await hub.feed(e) for e in ids]
        halls = [attach(feed, Role.HALL, None) for feed in feeds]
        for n, event_id in enumerate(ids):
            note = Announcement(f"a{n}", f"note {n}")
            await service.execute(event_id, "announce", upserting(note), actor="t")
        await each_updated(halls)
        for n, hall in enumerate(halls):
            update = next(m for m in hall.messages if m["type"] == "update")
            assert update["version"] == 2
            assert f"note {n}" in str(update["changes"])
    finally:
        await hub.stop()
        await hub.service.store.redis.aclose()
        await cluster_client.aclose()


async def test_a_commit_waits_for_its_replica(
    cluster_client: RedisClient, redis_cluster: LocalCluster
) -> None:
    """With one replica per master, WAIT 1 confirms every commit; asking for two replicas,
    which no master has, answers `unavailable` instead of a success."""
    durable = Service(Store(cluster_client, wait_replicas=1, wait_timeout_ms=5000))
    await make_event(durable, "durable")
    note = Announcement("a1", "kept")
    record = await durable.execute("durable", "announce", upserting(note), actor="t")
    assert record is not None and record.version == 2

    greedy = Service(Store(cluster_client, wait_replicas=2, wait_timeout_ms=50))
    change = Change(upserts=(Announcement("a2", "not confirmed"),))
    with pytest.raises(Unavailable, match="1 of 2 Redis replicas"):
        await greedy.execute("durable", "announce", lambda _s: change, actor="t")
    await cluster_client.aclose()


async def test_a_single_redis_without_replicas_confirms_no_durable_commit(
    redis_server: EmbeddedRedis,
) -> None:
    client = redis_client(redis_server.url)
    await client.flushall()
    await make_event(Service(Store(client)), "alone")
    service = Service(Store(client, wait_replicas=1, wait_timeout_ms=20))
    change = Change(upserts=(Announcement("a1", "x"),))
    try:
        with pytest.raises(Unavailable, match="0 of 1 Redis replicas"):
            await service.execute("alone", "announce", lambda _s: change, actor="t")
    finally:
        await client.aclose()


def test_the_command_line_works_on_the_cluster(
    redis_cluster: LocalCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """create, import and export through MATCHBOARD_REDIS_URL=redis+cluster://..."""
    first = redis_cluster.nodes[0]
    with SyncCluster(host="127.0.0.1", port=first.port) as sync:
        sync.flushall()  # every master's keys
    monkeypatch.setenv("MATCHBOARD_REDIS_URL", redis_cluster.url)
    assert main(["create", "cli-ev", "--name", "On a cluster", "--timezone", "Europe/Berlin"]) == 0
    assert "Moderator token:" in capsys.readouterr().out
    assert main(["import", "cli-ev", str(DATA / "participants.csv")]) == 0
    assert "participants.csv: 12 created" in capsys.readouterr().out
    target = tmp_path / "participants.csv"
    assert main(["export", "cli-ev", "--what", "participants", "-o", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 12


@pytest.mark.both_redis
async def test_one_process_follows_more_events_than_the_clients_default_pool(
    redis: RedisClient, redis_url: str
) -> None:
    """Each followed event holds a connection for its blocking read: past redis-py's
    default pool of 100, the 101st event's feed failed (MaxConnectionsError)."""
    service = Service(Store(redis))
    ids = [f"many-{i:03d}" for i in range(110)]
    for event_id in ids:
        await make_event(service, event_id)
    hub = Hub(Service(Store(redis_client(redis_url))))
    try:
        halls = [attach(await hub.feed(e), Role.HALL, None) for e in ids]
        for event_id in ids:
            note = Announcement("a1", "note")
            await service.execute(event_id, "announce", upserting(note), actor="t")
        await each_updated(halls)
    finally:
        await hub.stop()
        await hub.service.store.redis.aclose()
