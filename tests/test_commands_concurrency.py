"""Moderators racing through real Redis: several server processes, conflicting commands.

Each moderator runs a burst of commands through `run_command` on a Service of its own (or
shared with another moderator, like two browser tabs on one server process). Whatever the
interleaving, Redis must end up with no double booking, exactly one change record per
successful command, and every successful move still in place unless something later
touched that meeting.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from server.core import codec
from server.core.errors import MatchboardError
from server.core.model import Event, Meeting
from server.core.state import EventState
from server.core.views import Audience
from server.edge.redis_client import redis_client
from server.edge.runner import Outcome, run_command
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from server.wire.protocol import Role
from tests.factory import meeting, small_event_records

# Every test with a Redis runs on a single Redis and on a Redis Cluster (tests/conftest.py).
pytestmark = pytest.mark.both_redis

EVENT = "race"
MOD = Audience(Role.MODERATOR)
MODERATORS = 8
PROCESSES = 4  # moderator i works through process i % PROCESSES
PLACED = (
    *(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2)),
    *(meeting("m3", "p4", "p5", 2, 1), meeting("m4", "p6", "p7", 2, 2)),
    *(meeting("m5", "p8", "p9", 2, 3), meeting("m6", "p10", "p11", 2, 4)),
    meeting("m7", "p0", "p4", 3, 1),
)


@dataclass
class Attempt:
    moderator: int
    name: str
    args: dict[str, Any]
    outcome: Outcome | None = None
    error: MatchboardError | None = None


def burst(i: int) -> list[tuple[str, dict[str, Any]]]:
    """Moderator i's commands: everyone wants tables 3 and 4 of round 1, the same people
    for a walk-in in round 3, and the same few check-ins; the order differs per moderator."""
    commands: list[tuple[str, dict[str, Any]]] = [
        ("move_meeting", {"meeting": f"m{3 + i % 4}", "round": 1, "table": 3 + i % 2}),
        ("move_meeting", {"meeting": f"m{1 + i % 2}", "table": 3 + (i + 1) % 2}),
        ("walk_in", {"side_a": ["p10"], "side_b": ["p11"], "round": 3, "id": f"w{i}a"}),
        ("walk_in", {"side_a": ["p5"], "side_b": ["p6"], "round": 3, "id": f"w{i}b"}),
        ("swap_tables", {"meeting_a": "m3", "meeting_b": "m4"}),
        ("check_in", {"participant": f"p{i % 3}"}),
        ("check_in", {"participant": f"p{(i + 1) % 3}"}),
    ]
    random.Random(i).shuffle(commands)
    return commands


def snapshot(state: EventState) -> list[bytes]:
    return sorted(codec.pack(r) for r in state.records())


def double_bookings(state: EventState) -> list[tuple[Any, ...]]:
    occupying = [m for m in state.meetings.values() if m.occupies]
    seats = Counter(("person", p, m.round) for m in occupying for p in m.people)
    tables = Counter(("table", m.table, m.round) for m in occupying)
    return [key for key, n in (seats + tables).items() if n > 1]


@pytest.fixture
async def processes(service: Service, redis_url: str) -> AsyncIterator[list[Service]]:
    """The test's service plus more server processes, each with its own connection."""
    clients = [redis_client(redis_url) for _ in range(PROCESSES - 1)]
    yield [service, *(Service(Store(c)) for c in clients)]
    for client in clients:
        await client.aclose()


async def run_burst(services: list[Service], i: int) -> list[Attempt]:
    attempts = [Attempt(i, name, args) for name, args in burst(i)]
    for attempt in attempts:
        service = services[i % len(services)]
        try:
            attempt.outcome = await run_command(
                service, EVENT, attempt.name, attempt.args, MOD, wall_clock_ms()
            )
        except MatchboardError as error:
            attempt.error = error
    return attempts


async def test_racing_moderators_never_double_book(processes: list[Service], store: Store) -> None:
    records = small_event_records(
        event_id=EVENT, tables=4, rounds=3, people=12, t0_ms=wall_clock_ms() + 3_600_000
    )
    event = records[0]
    assert isinstance(event, Event)
    await processes[0].create_event(event, [*records[1:], *PLACED], actor="test")
    for service in processes:
        await service.state(EVENT)  # every replica caught up before the race
    _, version_before = await store.position(EVENT)

    async with asyncio.timeout(60):
        bursts = await asyncio.gather(*(run_burst(processes, i) for i in range(MODERATORS)))
    attempts = [a for b in bursts for a in b]

    final = await store.load(EVENT)
    assert double_bookings(final) == []
    for service in processes:  # every process's replica agrees with Redis
        assert snapshot(await service.state(EVENT)) == snapshot(final)

    # One change record per successful command, in a gapless run of versions.
    done = [a for a in attempts if a.outcome is not None and a.outcome.record is not None]
    nothing = [a for a in attempts if a.outcome is not None and a.outcome.record is None]
    assert {a.name for a in nothing} <= {"check_in"}  # checking in twice changes nothing
    changes = (await store.changes_since(EVENT, version_before)).records
    assert len(changes) == len(done)
    versions = [c.version for c in changes]
    assert versions == list(range(version_before + 1, final.version + 1))
    by_version = {c.version: c for c in changes}
    for a in done:
        assert a.outcome is not None and a.outcome.record is not None
        committed = by_version[a.outcome.record.version]
        assert (committed.command, committed.args) == (a.name, a.args)
        assert committed.change == a.outcome.record.change

    # Every check-in asked for happened exactly once.
    checked_in = Counter(
        r.key for c in changes if c.command == "check_in" for r in c.change.upserts
    )
    assert checked_in == Counter(f"p{n}" for n in range(3))

    # A successful move stands unless a later committed change touched the same meeting.
    for a in done:
        if a.name != "move_meeting":
            continue
        assert a.outcome is not None and a.outcome.record is not None
        (moved,) = a.outcome.record.change.upserts
        assert isinstance(moved, Meeting)
        later = [
            c
            for c in changes
            if c.version > a.outcome.record.version
            and any(isinstance(r, Meeting) and r.id == moved.id for r in c.change.upserts)
        ]
        if not later:
            assert final.meetings[moved.id] == moved, (a, later)

    # The race really was one: some commands lost, and the walk-in pairs seated once.
    codes = Counter(a.error.code for a in attempts if a.error is not None)
    assert codes["table_taken"] > 0, codes
    assert codes["participant_busy"] > 0, codes
    assert set(codes) <= {"table_taken", "participant_busy", "invalid_meeting", "conflict"}
    walk_ins = Counter(tuple(a.args["side_a"]) for a in done if a.name == "walk_in")
    assert walk_ins == Counter({("p10",): 1, ("p5",): 1}), walk_ins
