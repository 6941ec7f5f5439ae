"""Exactly-once retries (#9 item 6): a command sent again with its request id is applied
once, and the repeat gets the first run's result — checked against a real Redis, in the
store's commit script, in the service's retries, and command by command."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.core import audit
from server.core.audit import NothingToUndo
from server.core.errors import IdempotencyMismatch, InvalidArgument
from server.core.idempotency import RECEIPT_TTL_S, Receipt, Request
from server.core.model import Announcement, MeetingOrigin
from server.core.state import Change, ChangeRecord
from server.core.views import Audience
from server.edge.runner import Outcome, run_command
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Duplicate, Store, VersionConflict, receipt_key
from tests.test_dry_run import ANNA, ARGS, EVENT, make_event


@pytest.fixture
async def now(service: Service) -> int:
    """The test event (see test_dry_run: round 2 is running) at the time it was made."""
    now_ms = wall_clock_ms()
    await make_event(service, now_ms)
    return now_ms


async def run(
    service: Service, name: str, request_id: str | None, now_ms: int, **kw: Any
) -> Outcome:
    actor, args = ARGS[name]
    actor = kw.pop("actor", actor)
    args = kw.pop("args", args)
    return await run_command(service, EVENT, name, args, actor, now_ms, request_id=request_id, **kw)


async def version(service: Service) -> int:
    return (await service.state(EVENT)).version


# -- The commit script


def announcement_record(version: int, text: str, request_id: str) -> ChangeRecord:
    change = Change(upserts=(Announcement(f"a-{text}", text),))
    return ChangeRecord(version, 0, "moderator", "announce", change, (None,), {}, request_id)


async def test_the_commit_keeps_the_receipt_and_refuses_a_second_commit(
    service: Service, store: Store, redis: aioredis.Redis, now: int
) -> None:
    epoch, v = await store.position(EVENT)
    request = Request("r-1", "announce", "moderator", {"text": "one"})
    receipt = Receipt(request, v + 1, {"meetings": [], "people": []})
    assert (
        await store.commit(EVENT, epoch, announcement_record(v + 1, "one", "r-1"), receipt) == v + 1
    )

    key = receipt_key(EVENT, epoch, "r-1")
    assert key.startswith(f"mb:{{{EVENT}}}:")  # on the event's cluster shard
    assert 0 < await redis.ttl(key) <= RECEIPT_TTL_S
    assert await store.receipt(EVENT, epoch, "r-1") == receipt
    # The same request again, at the next version: nothing is written.
    with pytest.raises(Duplicate) as repeat:
        await store.commit(EVENT, epoch, announcement_record(v + 2, "one", "r-1"), receipt)
    assert repeat.value.receipt == receipt
    # A racing run decided at the same version as the first: a duplicate, not a conflict.
    with pytest.raises(Duplicate):
        await store.commit(EVENT, epoch, announcement_record(v + 1, "two", "r-1"), receipt)
    with pytest.raises(VersionConflict):  # without a request id it is a conflict, as ever
        await store.commit(EVENT, epoch, announcement_record(v + 1, "two", "r-2"))
    assert await store.position(EVENT) == (epoch, v + 1)
    (record,) = (await store.changes_since(EVENT, v)).records
    assert (record.version, record.request_id) == (v + 1, "r-1")
    assert await store.receipt(EVENT, epoch, "r-2") is None


# -- Commands


@pytest.mark.parametrize(
    "name", ["delay_rounds", "walk_in", "announce", "mark_absent", "check_in", "undo"]
)
async def test_a_repeat_gets_the_first_result_and_applies_nothing(
    service: Service, redis: aioredis.Redis, now: int, name: str
) -> None:
    if name == "undo":  # something of the moderator's to undo, and something before it
        await run(service, "announce", None, now, args={"text": "first"})
        await run(service, "announce", None, now, args={"text": "second"})
    first = await run(service, name, "req-1", now)
    assert first.committed == await version(service)
    state = await service.state(EVENT)
    records = sorted(map(repr, state.records()))
    # Again, in this process and in another one (a retry may reach any server).
    other = Service(Store(redis))
    for svc in (service, other):
        again = await run(svc, name, "req-1", now)
        assert (again.committed, again.preview, again.data) == (
            first.committed,
            first.preview,
            first.data,
        )
        assert again.record is None
    assert await version(service) == first.committed
    assert sorted(map(repr, (await service.state(EVENT)).records())) == records


async def test_a_repeated_undo_is_answered_before_it_looks_for_another(
    service: Service, now: int
) -> None:
    first = await run(service, "undo", "undo-1", now)  # the setup: the only action to undo
    with pytest.raises(NothingToUndo):
        await run(service, "undo", "undo-2", now)
    again = await run(service, "undo", "undo-1", now)
    assert (again.committed, again.preview) == (first.committed, first.preview)


async def test_a_walk_in_without_an_id_and_an_announcement_are_made_once(
    service: Service, now: int
) -> None:
    for _ in range(3):
        await run(service, "walk_in", "walk-1", now)
        await run(service, "announce", "note-1", now)
    state = await service.state(EVENT)
    walk_ins = [m for m in state.meetings.values() if m.origin is MeetingOrigin.WALK_IN]
    assert len(walk_ins) == 1
    assert [a.text for a in state.announcements.values()].count("Coffee is served") == 1


async def test_a_race_of_two_retries_commits_once_and_both_get_the_first_result(
    redis: aioredis.Redis, service: Service, now: int
) -> None:
    """Two processes get the same retry and decide before either commits: the commit
    script finds the first one's receipt for the second."""
    decided = asyncio.Barrier(2)

    class Racing(Store):
        async def commit(self, *args: Any, **kwargs: Any) -> int:
            await decided.wait()
            return await super().commit(*args, **kwargs)

    before = await version(service)
    racers = [Service(Racing(redis)), Service(Racing(redis))]
    async with asyncio.timeout(10):
        outcomes = await asyncio.gather(*(run(s, "delay_rounds", "delay-1", now) for s in racers))
    assert await version(service) == before + 1
    assert [o.committed for o in outcomes] == [before + 1] * 2
    assert outcomes[0].preview == outcomes[1].preview
    assert sorted(o.record is None for o in outcomes) == [False, True]
    records = (await service.store.changes_since(EVENT, before)).records
    assert [(r.command, r.request_id) for r in records] == [("delay_rounds", "delay-1")]


async def test_a_reused_request_id_for_something_else_is_refused(
    service: Service, now: int
) -> None:
    await run(service, "announce", "note-1", now)
    await run(service, "check_in", "in-1", now)  # Anna's
    before = await version(service)
    reuses: list[tuple[str, str, dict[str, Any]]] = [
        ("announce", "note-1", {"args": {"text": "Lunch is served"}}),  # other arguments
        ("delay_rounds", "note-1", {}),  # another command
        ("check_in", "in-1", {"actor": Audience(ANNA.role, "p4")}),  # someone else
    ]
    for name, rid, other in reuses:
        with pytest.raises(IdempotencyMismatch, match=rid) as refused:
            await run(service, name, rid, now, **other)
        assert refused.value.status == 422
        assert refused.value.details == {"arg": "request_id"}
    assert await version(service) == before


async def test_dry_runs_and_questions_are_not_recorded(service: Service, now: int) -> None:
    before = await version(service)
    dry = await run(service, "delay_rounds", "d-1", now, dry_run=True)
    assert dry.committed is None
    await run(service, "stats", "d-1", now)
    real = await run(service, "delay_rounds", "d-1", now)  # the id is still free
    assert real.committed == before + 1
    again = await run(service, "delay_rounds", "d-1", now, dry_run=True)
    assert again.committed is None  # a dry run previews; it does not look receipts up


@pytest.mark.parametrize("bad", ["", "x" * 65, "with space", "{tag}", "é", 7, ["r"], True])
async def test_a_bad_request_id_is_refused_naming_it(service: Service, now: int, bad: Any) -> None:
    before = await version(service)
    with pytest.raises(InvalidArgument) as refused:
        await run(service, "announce", bad, now)
    assert refused.value.details == {"arg": "request_id"}
    assert "request_id" in refused.value.message
    assert await version(service) == before


async def test_long_and_uuid_request_ids_are_fine(service: Service, now: int) -> None:
    for rid in ("x" * 64, "5f0c2e9a-3b7d-4c1e-9a8b-2d6f4e1c0b7a", "A_b.c:d-9"):
        assert (await run(service, "announce", rid, now, args={"text": rid})).committed


async def test_a_re_created_event_starts_without_requests(service: Service, now: int) -> None:
    await run(service, "announce", "note-1", now)
    state = await service.state(EVENT)
    assert state.event is not None
    await service.create_event(state.event, [], actor="test", replace=True)
    again = await run(service, "announce", "note-1", now)
    assert again.record is not None  # applied in the new epoch


async def test_the_audit_log_shows_the_request_id(service: Service, now: int) -> None:
    await run(service, "announce", "note-1", now)
    await run(service, "delay_rounds", None, now)
    entries = [audit.entry(r) for r in await service.recent_changes(EVENT)]
    assert [(e["command"], e["request_id"]) for e in entries[-2:]] == [
        ("announce", "note-1"),
        ("delay_rounds", None),
    ]
    rows = audit.log_csv(await service.recent_changes(EVENT)).splitlines()
    assert rows[0].endswith(",request_id")
    assert any("announce" in row and row.endswith(",note-1") for row in rows)
