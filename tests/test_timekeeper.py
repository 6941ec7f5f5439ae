"""Bells: every phase boundary recorded exactly once, by whichever process gets there."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.core.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Announcement,
    EventSettings,
    MeetingOutcome,
    Round,
)
from server.core.state import Change, EventState
from server.edge.service import Service, wall_clock_ms
from server.edge.store import EVENTS_KEY, Store, _event_keys
from server.edge.timekeeper import CATCH_UP_MS, Timekeeper, housekeeping, record_bells
from tests.factory import T0_MS, event_and_rest, meeting, small_event_records, small_state
from tests.servers import server_process


def test_due_bells_are_recorded_once_with_seating_alerts() -> None:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))
    anna = dataclasses.replace(state.participants["p0"], checked_in_at_ms=T0_MS - 600_000)
    state.apply(Change(upserts=(anna,)))
    seating = state.rounds[1].seating_at_ms
    assert not record_bells(state, seating - 1)
    change = record_bells(state, seating)
    kinds = sorted((r.KIND, r.key) for r in change.upserts)
    assert kinds == [("alert", "alert-m1"), ("bell", "1-seating")]
    (alert,) = [r for r in change.upserts if r.KIND == "alert"]
    assert isinstance(alert, Alert)
    assert alert.kind is AlertKind.AT_RISK
    assert alert.reporter == ""  # raised by the timekeeper
    state.apply(change)
    assert not record_bells(state, seating + 1)  # already there: nothing twice
    start = record_bells(state, state.rounds[1].starts_at_ms)
    assert [r.key for r in start.upserts] == ["1-start"]


def test_a_round_over_by_its_seating_gets_its_alerts_expired_in_the_same_step() -> None:
    """A process catching up (or a round ended early, right at its seating) records the
    seating bell, its at-risk alerts and the round's outcomes at once: the alerts it raises
    are expired in that same change, not left open for another tick."""
    state = small_state()
    short = dataclasses.replace(state.rounds[1], meeting_s=60)  # over a minute after it starts
    state.apply(Change(upserts=(short, meeting("m1", "p0", "p1", 1, 1))))  # nobody checked in
    now = short.ends_at_ms + 1000
    assert now - short.seating_at_ms < CATCH_UP_MS  # the seating bell is still recorded
    state.apply(housekeeping(state, now))
    alert = state.alerts["alert-m1"]
    assert (alert.status, alert.resolution) == (AlertStatus.EXPIRED, "no_show")
    assert state.meetings["m1"].outcome is MeetingOutcome.NO_SHOW
    assert not housekeeping(state, now)  # nothing left to do


def test_a_late_process_catches_up_but_not_forever() -> None:
    state = small_state()
    end = state.rounds[1].ends_at_ms
    late = record_bells(state, end + 1000)  # the 20-minute round is long over
    # Within the last 10 minutes: round 1 warning and end, and round 2 seating (at 1-end).
    assert {r.key for r in late.upserts} == {"1-warning", "1-end", "2-seating"}
    way_later = record_bells(small_state(), end + CATCH_UP_MS + 1)
    assert "1-end" not in {r.key for r in way_later.upserts}


def test_paused_clock_rings_nothing() -> None:
    state = small_state()
    state.apply(Change(upserts=(dataclasses.replace(state.clock, paused_at_ms=T0_MS - 10**6),)))
    assert not record_bells(state, state.rounds[2].ends_at_ms)


@pytest.mark.both_redis  # on a single Redis and on a Redis Cluster (tests/conftest.py)
async def test_two_server_processes_record_each_bell_exactly_once(
    redis: aioredis.Redis, redis_url: str, tmp_path: Path
) -> None:
    service = Service(Store(redis))
    start = wall_clock_ms() + 1500
    records = small_event_records(event_id="bells", rounds=2, t0_ms=start)
    event, rest = event_and_rest(records)
    event = dataclasses.replace(event, settings=EventSettings(warning_s=1))
    short = [  # 2 rounds: 1 s seating, 2 s meetings, 1 s warning: 8 bells in ~6 s
        dataclasses.replace(
            r, starts_at_ms=start + (r.index - 1) * 3000, meeting_s=2, changeover_s=1
        )
        for r in records
        if isinstance(r, Round)
    ]
    others = [r for r in rest if not isinstance(r, Round)]
    await service.create_event(event, [*others, *short], actor="t")
    expected = {f"{r}-{c}" for r in (1, 2) for c in ("seating", "start", "warning", "end")}
    with server_process(redis_url, tmp_path), server_process(redis_url, tmp_path):
        state: EventState = await service.state("bells")
        async with asyncio.timeout(20):
            while set(state.bells) != expected:
                await asyncio.sleep(0.1)  # bounded by the timeout; the bells ring on time
                state = await service.state("bells")
    log = (await service.store.changes_since("bells", 0)).records
    written = Counter(r.key for rec in log for r in rec.change.upserts if r.KIND == "bell")
    assert written == dict.fromkeys(expected, 1)
    assert {rec.actor for rec in log if rec.command == "housekeeping"} == {"timekeeper"}
    for bell in state.bells.values():
        # Never before its moment; how soon after is a latency, not something to assert
        # on a loaded CI machine.
        assert bell.recorded_at_ms >= bell.at_ms


def present(state: EventState, *pids: str) -> None:
    state.apply(
        Change(
            upserts=tuple(
                dataclasses.replace(state.participants[p], checked_in_at_ms=T0_MS - 900_000)
                for p in pids
            )
        )
    )


def test_automatic_substitute_after_the_grace_period() -> None:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2))))
    present(state, "p0", "p4")  # p1 never came; p4 is here with nothing to do
    assert state.event is not None
    on = dataclasses.replace(state.event.settings, auto_substitute=True, substitute_grace_s=300)
    state.apply(Change(upserts=(dataclasses.replace(state.event, settings=on),)))
    # Bells are recorded first (one concern per tick); then, once the grace is over:
    state.apply(housekeeping(state, T0_MS + 299_000))
    assert not housekeeping(state, T0_MS + 299_000)
    change = housekeeping(state, T0_MS + 300_000)
    state.apply(change)
    new = state.meetings["sub-1-p0-p4"]
    assert (new.table, new.origin.value, new.status.value) == (1, "substitute", "scheduled")
    assert state.meetings["m1"].status.value == "no_show"
    assert not housekeeping(state, T0_MS + 301_000)  # p2 and p3 are both missing: no one waits


def test_automatic_mode_is_off_by_default_and_announcements_expire() -> None:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))
    present(state, "p0", "p4")
    state.apply(housekeeping(state, T0_MS + 600_000))  # bells only
    assert not housekeeping(state, T0_MS + 600_000)
    note = Announcement("a1", "Coffee", expires_at_ms=T0_MS + 700_000)
    state.apply(Change(upserts=(note,)))
    assert not housekeeping(state, T0_MS + 699_999).deletes
    assert housekeeping(state, T0_MS + 700_000).deletes == (("announcement", "a1"),)


async def test_the_timekeeper_lets_go_of_a_deleted_event(service: Service) -> None:
    """Its task for an event ends when the event is deleted, and leaves no entry behind."""
    event, records = event_and_rest(small_event_records(event_id="gone"))
    await service.create_event(event, records, actor="test")
    keeper = Timekeeper(service)
    keeper._start_keeping("gone")
    task = keeper.tasks["gone"]
    try:
        # No command deletes an event; an operator may drop its keys by hand.
        await service.store.redis.delete(*_event_keys("gone"))
        await service.store.redis.srem(EVENTS_KEY, "gone")
        _done, running = await asyncio.wait([task], timeout=10)  # bounds the wait only
        assert not running
        assert "gone" not in keeper.tasks
    finally:
        await keeper.stop()
