"""Use cases: the one path every change takes.

    decide(state) -> Change      (pure rules, against this process's replica)
    rules.check(state, change)   (invariants)
    store.commit(...)            (atomic; fails if anyone committed in between)
    replica.apply(change)

A version conflict is an ordinary outcome: catch up, decide again, retry a bounded
number of times, then give up with a `Conflict` error. Replicas are caches: they are
rebuilt from Redis whenever there is any doubt (gap, new epoch, unknown event). Redis at
a lower version than a replica, same epoch, means Redis went back in time: the event gets
a new epoch (`renew_epoch`), which every process and client treats like a re-creation.

A command sent with a request id (server/core/idempotency.py) is applied at most once: its
receipt is committed with its change, and a repeat raises `Duplicate` with the first
run's receipt instead of deciding again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from server.core import rules
from server.core.audit import LOOKBACK
from server.core.errors import Conflict, EventExists
from server.core.fresh import SEED_BYTES, Fresh, with_tokens
from server.core.idempotency import Receipt, Request
from server.core.model import Event, Record
from server.core.state import Change, ChangeRecord, Decide, EventState
from server.edge import metrics
from server.edge.store import Duplicate, EpochChanged, Store, VersionConflict

log = logging.getLogger("matchboard.service")
MAX_ATTEMPTS: Final = 8
CONFLICT_BACKOFF_S: Final = 0.001


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def mint() -> Fresh:
    """The entropy one command run (an import, an event's creation) derives its new ids
    and secrets from (server/core/fresh.py): minted here, at the edge, never in the core."""
    return Fresh(secrets.token_bytes(SEED_BYTES))


@dataclass(frozen=True, slots=True)
class Once:
    """Apply a command at most once under the client's request id."""

    request: Request
    preview: Callable[[], dict[str, Any]]  # what the change just decided does, for the receipt


class Service:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] = wall_clock_ms,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_attempts = max_attempts
        self._replicas: dict[str, EventState] = {}
        # One lock per event while anyone holds or waits on it (each of them keeps it
        # alive): never two locks for one event, and no entry left for every event ever used.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, event_id: str) -> asyncio.Lock:
        lock = self._locks.get(event_id)
        if lock is None:
            lock = self._locks[event_id] = asyncio.Lock()
        return lock

    async def create_event(
        self,
        event: Event,
        records: Sequence[Record] = (),
        *,
        actor: str,
        replace: bool = False,
    ) -> EventState:
        """Mint a new epoch for the event and commit its records as version 1."""
        async with self._lock(event.id):
            epoch = secrets.token_hex(8)
            if not await self.store.create_event(event.id, epoch, self.clock(), replace=replace):
                raise EventExists(f"event {event.id!r} exists already")
            self._replicas[event.id] = EventState(epoch, 0)
        upserts = tuple(with_tokens(event.id, None, [event, *records], mint()))
        await self.execute(
            event.id, "create_event", lambda _s: Change(upserts=upserts), actor=actor
        )
        return await self.state(event.id)

    async def state(self, event_id: str) -> EventState:
        """This process's replica of the event, caught up with Redis."""
        async with self._lock(event_id):
            return await self._fresh(event_id)

    async def _fresh(self, event_id: str) -> EventState:
        replica = self._replicas.get(event_id)
        if replica is None:
            replica = self._replicas[event_id] = await self.store.load(event_id)
            return replica
        changes = await self.store.changes_since(event_id, replica.version)
        if changes.epoch == replica.epoch and changes.version < replica.version:
            await self.renew_epoch(
                event_id, replica.epoch, seen=replica.version, found=changes.version
            )
        elif changes.continues(replica.epoch, replica.version) and (
            not changes.records or changes.records[-1].version == changes.version
        ):
            for record in changes.records:
                self._apply(replica, record)
            if replica.version == changes.version:
                return replica
        replica = self._replicas[event_id] = await self.store.load(event_id)
        return replica

    async def renew_epoch(self, event_id: str, epoch: str, *, seen: int, found: int) -> None:
        """Redis holds an older state of the event than this process has seen, under the
        same epoch: it lost its last writes (an OS crash under appendfsync everysec, a
        restored backup), and the versions after `found` will be used again for other
        changes. Mint a new epoch, so that every process reloads and every client gets a
        snapshot rather than updates on top of a history that no longer exists."""
        for _ in range(self.max_attempts):
            new_epoch = secrets.token_hex(8)
            if await self.store.renew_epoch(event_id, epoch, found, new_epoch):
                log.warning(
                    "event %s went back in time in Redis: version %d was seen, %d found "
                    "(epoch %s); new epoch %s, so every screen reloads",
                    event_id, seen, found, epoch, new_epoch,
                )  # fmt: skip
                return
            current, found = await self.store.position(event_id)
            if current != epoch:
                return  # another process renewed it first (or the event was re-created)
        raise Conflict(f"event {event_id!r} kept changing while its epoch was renewed; try again")

    @staticmethod
    def _apply(replica: EventState, record: ChangeRecord) -> None:
        """Apply a record that follows the replica's version; skip one it already has."""
        if record.version == replica.version + 1:
            replica.apply(record.change)
            replica.version = record.version

    def replica(self, event_id: str) -> EventState:
        """The replica as it is now, without asking Redis (see `state` for a fresh one)."""
        return self._replicas[event_id]

    def absorb(self, event_id: str, record: ChangeRecord) -> bool:
        """Bring a change committed anywhere into the replica; False if it does not fit
        (the replica is behind or gone), in which case `state` rebuilds it."""
        replica = self._replicas.get(event_id)
        if replica is None or record.version > replica.version + 1:
            return False
        self._apply(replica, record)
        return True

    async def recent_changes(self, event_id: str, limit: int = LOOKBACK) -> list[ChangeRecord]:
        """The last `limit` change records, oldest first: the audit log, what undo reads."""
        state = await self.state(event_id)
        changes = await self.store.changes_since(event_id, max(0, state.version - limit))
        return changes.records

    async def receipt(self, event_id: str, request: Request) -> Receipt | None:
        """The first run's receipt if `request` repeats a committed one (IdempotencyMismatch
        if its id was used for another command)."""
        state = await self.state(event_id)
        return await self._receipt(event_id, state.epoch, request)

    async def _receipt(self, event_id: str, epoch: str, request: Request) -> Receipt | None:
        first = await self.store.receipt(event_id, epoch, request.id)
        return None if first is None else first.answers(request)

    async def execute(
        self,
        event_id: str,
        command: str,
        decide: Decide,
        *,
        actor: str,
        args: dict[str, Any] | None = None,
        once: Once | None = None,
    ) -> ChangeRecord | None:
        """Decide, check and commit one change; None when the decision changes nothing.
        With `once`: Duplicate when the request was committed before, even by a run that
        raced this one (the commit finds its receipt), so it is never applied twice."""
        async with self._lock(event_id):
            for attempt in range(self.max_attempts):
                state = await self._fresh(event_id)
                # Checked on every attempt: a replica that caught up with the first run's
                # commit must not decide again (it could refuse, or apply it twice).
                if once is not None and (
                    first := await self._receipt(event_id, state.epoch, once.request)
                ):
                    raise Duplicate(first)
                change = decide(state)
                if not change:
                    return None
                rules.check(state, change)
                record = ChangeRecord(
                    version=state.version + 1,
                    at_ms=self.clock(),
                    actor=actor,
                    command=command,
                    change=change,
                    before=state.before(change),
                    args=args or {},
                    request_id=None if once is None else once.request.id,
                )
                receipt = (
                    None if once is None else Receipt(once.request, record.version, once.preview())
                )
                try:
                    await self.store.commit(event_id, state.epoch, record, receipt)
                except Duplicate as repeat:
                    assert once is not None  # only a commit with a receipt finds one
                    repeat.receipt.answers(once.request)
                    raise
                except VersionConflict:
                    # Someone else committed first: catch up and decide again, after a
                    # short random pause so that two busy writers stop colliding.
                    await asyncio.sleep(random.uniform(0, CONFLICT_BACKOFF_S * 2**attempt))
                    continue
                except EpochChanged:
                    self._replicas.pop(event_id, None)
                    continue
                self._apply(state, record)
                metrics.committed(command)
                return record
        raise Conflict(
            f"event {event_id!r} kept changing while {command} was being applied "
            f"({self.max_attempts} attempts); try again"
        )

    def forget(self, event_id: str) -> None:
        self._replicas.pop(event_id, None)

    async def release(self, event_id: str, in_use: Callable[[], bool]) -> None:
        """Drop the event's replica unless `in_use()` says someone follows it again.
        Under the event's lock, so that it never disappears in the middle of a catch-up
        (whose caller, like the timekeeper's tick, reads `replica` right after)."""
        async with self._lock(event_id):
            if not in_use():
                self._replicas.pop(event_id, None)
