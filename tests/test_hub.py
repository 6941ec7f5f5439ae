"""The hub's feeds in one process: an idle feed stops, and nothing attaches to a stopped one
(#10 item 6). The live side (a real server, both /ws paths) is in tests/test_sockets.py."""

from __future__ import annotations

import asyncio

import pytest

from server.core.model import Announcement, Event
from server.core.state import Change
from server.edge.hub import Feed, Hub
from server.edge.redis_client import RedisClient
from server.edge.service import Service
from server.edge.store import Store
from server.edge.timekeeper import Timekeeper
from server.wire.protocol import Role
from tests.factory import small_event_records
from tests.test_redis_regression import EV, Recorder, attach, make_event

# Every test with a Redis runs on a single Redis and on a Redis Cluster (tests/conftest.py).
pytestmark = pytest.mark.both_redis

WAIT_S = 10.0
OTHER = "other-ev"


async def stopped(feed: Feed) -> None:
    """Wait (bounded) until the feed's task has ended."""
    assert feed.task is not None
    _done, running = await asyncio.wait([feed.task], timeout=WAIT_S)
    assert not running, "the feed did not stop"


async def next_update(writer: Recorder) -> dict[str, object]:
    async with asyncio.timeout(WAIT_S):  # bounds the wait only
        while True:  # the feed offers no event to await: polling
            updates = [m for m in writer.messages if m["type"] == "update"]
            if updates:
                return updates[0]
            await asyncio.sleep(0.02)


async def test_an_idle_feed_stops_and_the_process_forgets_the_replica(
    service: Service, redis: RedisClient
) -> None:
    await make_event(service, versions=2)
    hub = Hub(Service(Store(redis)), idle_s=0.05)
    try:
        feed = await hub.feed(EV)
        hall = attach(feed, Role.HALL, None)
        feed.detach(feed.connections.pop())
        await stopped(feed)
        assert EV not in hub.feeds and feed.stopped
        if hub._tasks:  # the replica's release, unless it is done already
            await asyncio.wait(set(hub._tasks), timeout=WAIT_S)
        assert EV not in hub.service._replicas
        assert hall.messages[-1]["type"] == "snapshot"
        # The timekeeper reloads what the process forgot.
        await Timekeeper(hub.service).tick(EV)
        assert hub.service.replica(EV).version == 2
        # The next connection gets a new feed, and live updates from it.
        again = await hub.feed(EV)
        assert again is not feed and hub.feeds[EV] is again
        phone = attach(again, Role.HALL, (again.epoch, again.version))
        note = Announcement("late", "x")
        await service.execute(EV, "t", lambda _s: Change(upserts=(note,)), actor="t")
        assert (await next_update(phone))["version"] == 3
    finally:
        await hub.stop()


async def test_a_connection_during_the_idle_time_keeps_the_feed(
    service: Service, redis: RedisClient
) -> None:
    await make_event(service, versions=1)
    other_event, *records = small_event_records(event_id=OTHER)
    assert isinstance(other_event, Event)
    await service.create_event(other_event, records, actor="t")
    hub = Hub(Service(Store(redis)), idle_s=0.05)
    try:
        feed = await hub.feed(EV)
        attach(feed, Role.HALL, None)
        feed.detach(feed.connections.pop())  # idle from now...
        attach(feed, Role.HALL, None)  # ...but not for long
        # A feed started later, with the same idle time, stops: the first one's time is up.
        other = await hub.feed(OTHER)
        await stopped(other)
        assert hub.feeds[EV] is feed and not feed.stopped
        assert feed.task is not None and not feed.task.done()
    finally:
        await hub.stop()


async def test_a_caller_waiting_for_a_feed_that_stops_meanwhile_gets_a_running_one(
    service: Service, redis: RedisClient
) -> None:
    """The first caller starts the feed and never attaches (its token was wrong, say); the
    feed goes idle at once, before the second caller, waiting for the start, resumes."""
    await make_event(service, versions=1)
    hub = Hub(Service(Store(redis)), idle_s=0)
    try:

        async def attaching() -> Feed:
            feed = await hub.feed(EV)
            attach(feed, Role.HALL, None)  # at once, as /ws does
            return feed

        first, second = await asyncio.gather(hub.feed(EV), attaching())
        assert first.stopped
        assert second is not first and not second.stopped and hub.feeds[EV] is second
    finally:
        await hub.stop()
    # Both tasks ended, the first one even though its cancel came as it sent its first
    # read (Python 3.11's wait_for can lose such a cancel).
    assert first.task is not None and first.task.done()
    assert second.task is not None and second.task.done()


async def test_forgetting_a_replica_waits_for_a_catch_up_and_spares_a_followed_event(
    service: Service,
) -> None:
    """The timekeeper reads the replica right after its command caught it up: the release
    of an idle feed's replica never falls in between. And a new feed keeps it."""
    await make_event(service, versions=1)
    await service.release(EV, lambda: True)  # followed again: kept
    assert EV in service._replicas
    async with service._lock(EV):  # a command in progress
        releasing = asyncio.create_task(service.release(EV, lambda: False))
        await asyncio.sleep(0)  # one step: it runs up to the lock
        assert EV in service._replicas
    await releasing
    assert EV not in service._replicas
