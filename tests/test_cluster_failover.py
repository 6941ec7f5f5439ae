"""A Redis Cluster master dies (SIGKILL) during a stream of commands; its replica takes over.

The server runs throughout (never restarted) with MATCHBOARD_REDIS_WAIT_REPLICAS=1, so a
command is answered with success only once a replica has its change. Afterwards every
acknowledged command is in Redis, and every connected screen converges on what Redis
holds (resumed, or with a fresh snapshot after a new epoch).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.client.client import Client, ClientError
from server.core.model import Event
from server.edge.embedded_cluster import LocalCluster
from server.edge.redis_client import redis_client
from server.edge.service import Service
from server.edge.store import Store, meta_key
from tests.factory import small_event_records
from tests.servers import running_server

EV = "failover"
WAIT_S = 60.0  # bounds every wait; a failover takes a few node timeouts
BEFORE = 8  # commands acknowledged before the kill
AFTER = 8  # commands acknowledged after the replica took over
MAX_COMMANDS = 400  # bounds the stream


@pytest.fixture
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A cluster of this test alone: it kills one of its masters."""
    cluster = LocalCluster(tmp_path_factory.mktemp("failover"), node_timeout_ms=1000)
    cluster.start()
    yield cluster
    cluster.stop()


async def follow(client: Client, stop: asyncio.Event) -> None:
    client.backoff_base_s = 0.05
    client.backoff_cap_s = 0.5
    await client.run(stop=stop, ping_every_s=None)


async def fresh_view(url: str, token: str) -> dict[str, Any]:
    client = Client(url, event=EV, token=token)
    await client.connect()
    await client.close()
    return client.state.snapshot_like()


async def test_a_killed_master_loses_no_acknowledged_command(
    own_cluster: LocalCluster, tmp_path: Path
) -> None:
    setup = redis_client(own_cluster.url)
    service = Service(Store(setup, wait_replicas=1, wait_timeout_ms=5000))
    records = small_event_records(event_id=EV)
    assert isinstance(records[0], Event)
    state = await service.create_event(records[0], records[1:], actor="test")
    await setup.aclose()
    event = state.event
    assert event is not None
    tokens = [event.screen_key, event.moderator_token, state.participants["p0"].token]

    async with running_server(
        own_cluster.url, redis_wait_replicas=1, redis_wait_timeout_ms=500
    ) as url:
        stop = asyncio.Event()
        followers = [Client(url, event=EV, token=t, rng=random.Random(i)) for i, t in
                     enumerate(tokens)]  # fmt: skip
        tasks = [asyncio.create_task(follow(f, stop)) for f in followers]
        moderator = Client(url, event=EV, token=event.moderator_token)
        moderator.backoff_base_s = 0.05
        acknowledged: list[str] = []
        refused: list[str] = []  # error codes of commands not acknowledged
        n = 0

        async def announce() -> None:
            nonlocal n
            n += 1
            note = f"a{n}"
            try:
                await moderator.command(
                    "announce", {"text": f"note {n}", "id": note}, give_up_after_s=5
                )
            except ClientError as exc:  # unavailable, or no answer: not acknowledged
                refused.append(exc.code)
                await asyncio.sleep(0.05)
            else:
                acknowledged.append(note)

        async with asyncio.timeout(WAIT_S):  # bounds the whole stream
            while len(acknowledged) < BEFORE:
                await announce()
            dead = await asyncio.to_thread(own_cluster.kill_master, meta_key(EV))
            # Commands go on while the replica takes over (refused meanwhile: nobody can
            # confirm them), then while the new master has no replica of its own to
            # confirm them, until the dead node is back as its replica.
            failover = asyncio.create_task(asyncio.to_thread(own_cluster.wait_failover, dead))
            while not failover.done() and n < MAX_COMMANDS:
                await announce()
            await failover
            assert own_cluster.master_of(meta_key(EV)).port != dead.port
            rejoined = asyncio.create_task(asyncio.to_thread(own_cluster.restart, dead))
            while not rejoined.done() and n < MAX_COMMANDS:
                await announce()
            await rejoined
            before = len(acknowledged)
            while len(acknowledged) < before + AFTER and n < MAX_COMMANDS:
                await announce()
        assert len(acknowledged) == before + AFTER, "no command succeeded after the failover"
        assert refused, "the master's death went unnoticed: was the right one killed?"
        assert set(refused) <= {"unavailable", "outcome_unknown"}, refused

        # Every acknowledged command is in Redis, read by a new process.
        reader = redis_client(own_cluster.url)
        try:
            final = await Service(Store(reader)).state(EV)
        finally:
            await reader.aclose()
        assert set(acknowledged) <= set(final.announcements)

        # Every follower converges on what Redis holds.
        target = (final.epoch, final.version)
        async with asyncio.timeout(WAIT_S):
            while True:  # run() offers no event to await: polling
                if all((f.state.epoch, f.state.version) == target for f in followers):
                    break
                await asyncio.sleep(0.05)
        for follower, token in zip(followers, tokens, strict=True):
            assert follower.state.snapshot_like() == await fresh_view(url, token)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        await moderator.close()
