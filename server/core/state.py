"""One event's state in memory, and the change records that move it forward.

`EventState` is what the rules read and what each server process replicates from Redis.
It keeps the indexes the invariants need (who sits where in which round) up to date as
changes are applied, so a check costs work proportional to the change, not to the event.
No I/O here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.core.model import (
    KINDS,
    Alert,
    Announcement,
    Bell,
    Break,
    Clock,
    Event,
    Meeting,
    Participant,
    Record,
    Round,
    Table,
)


@dataclass(frozen=True, slots=True)
class Change:
    """What one command does: records to write and (kind, key) pairs to delete."""

    upserts: tuple[Record, ...] = ()
    deletes: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.upserts or self.deletes)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A committed change: its position, who did what, and the records before and after."""

    version: int
    at_ms: int
    actor: str
    command: str
    change: Change
    # The records the change replaced or deleted, same order as upserts then deletes;
    # None where the record did not exist. Used by the audit log and by undo.
    before: tuple[Record | None, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None  # the client's id for the command (server/core/idempotency.py)


class EventState:
    """The records of one event plus derived indexes. Mutated only by `apply`."""

    def __init__(self, epoch: str = "", version: int = 0) -> None:
        self.epoch = epoch
        self.version = version
        self.event: Event | None = None
        self.tables: dict[int, Table] = {}
        self.participants: dict[str, Participant] = {}
        self.rounds: dict[int, Round] = {}
        self.breaks: dict[str, Break] = {}
        self.meetings: dict[str, Meeting] = {}
        self.announcements: dict[str, Announcement] = {}
        self.alerts: dict[str, Alert] = {}
        self.bells: dict[str, Bell] = {}
        self.clock = Clock()
        # Indexes over meetings that occupy a seat (see Meeting.occupies).
        self.seat_of: dict[tuple[str, int], str] = {}  # (participant, round) -> meeting
        self.table_use: dict[tuple[int, int], str] = {}  # (table, round) -> meeting
        # Indexes over all meetings, whatever their status.
        self.meetings_of: defaultdict[str, set[str]] = defaultdict(set)
        self.meetings_at_table: defaultdict[int, set[str]] = defaultdict(set)
        self.meetings_in_round: defaultdict[int, set[str]] = defaultdict(set)
        self.followers: defaultdict[str, set[str]] = defaultdict(set)  # m -> those after m
        self.by_external_id: dict[str, str] = {}
        self.by_token: dict[str, str] = {}

    def get(self, kind: str, key: str) -> Record | None:
        if kind == Event.KIND:
            return self.event
        if kind == Table.KIND:
            return self.tables.get(int(key))
        if kind == Participant.KIND:
            return self.participants.get(key)
        if kind == Round.KIND:
            return self.rounds.get(int(key))
        if kind == Break.KIND:
            return self.breaks.get(key)
        if kind == Meeting.KIND:
            return self.meetings.get(key)
        if kind == Announcement.KIND:
            return self.announcements.get(key)
        if kind == Clock.KIND:
            return self.clock
        if kind == Alert.KIND:
            return self.alerts.get(key)
        if kind == Bell.KIND:
            return self.bells.get(key)
        raise KeyError(f"unknown record kind {kind!r}")

    def records(self) -> list[Record]:
        out: list[Record] = [] if self.event is None else [self.event]
        if self.clock != Clock():
            out.append(self.clock)
        for group in (
            self.tables,
            self.participants,
            self.rounds,
            self.breaks,
            self.meetings,
            self.announcements,
            self.alerts,
            self.bells,
        ):
            out.extend(group.values())
        return out

    def before(self, change: Change) -> tuple[Record | None, ...]:
        keys = [(r.KIND, r.key) for r in change.upserts] + list(change.deletes)
        return tuple(self.get(kind, key) for kind, key in keys)

    def apply(self, change: Change) -> None:
        for kind, key in change.deletes:
            self._remove(kind, key)
        for record in change.upserts:
            self._remove(record.KIND, record.key)
            self._add(record)

    def _add(self, record: Record) -> None:
        if isinstance(record, Meeting):
            self.meetings[record.id] = record
            for person in record.people:
                self.meetings_of[person].add(record.id)
            if record.table is not None:
                self.meetings_at_table[record.table].add(record.id)
            if record.round is not None:
                self.meetings_in_round[record.round].add(record.id)
            for before in record.after:
                self.followers[before].add(record.id)
            if record.occupies:
                assert record.round is not None and record.table is not None
                for person in record.people:
                    self.seat_of[(person, record.round)] = record.id
                self.table_use[(record.table, record.round)] = record.id
        elif isinstance(record, Participant):
            self.participants[record.id] = record
            if record.external_id:
                self.by_external_id[record.external_id] = record.id
            if record.token:
                self.by_token[record.token] = record.id
        elif isinstance(record, Table):
            self.tables[record.number] = record
        elif isinstance(record, Round):
            self.rounds[record.index] = record
        elif isinstance(record, Break):
            self.breaks[record.id] = record
        elif isinstance(record, Announcement):
            self.announcements[record.id] = record
        elif isinstance(record, Clock):
            self.clock = record
        elif isinstance(record, Alert):
            self.alerts[record.id] = record
        elif isinstance(record, Bell):
            self.bells[record.id] = record
        else:
            self.event = record

    def _remove(self, kind: str, key: str) -> None:
        old = self.get(kind, key)
        if old is None:
            return
        if isinstance(old, Meeting):
            del self.meetings[old.id]
            for person in old.people:
                self.meetings_of[person].discard(old.id)
            if old.table is not None:
                self.meetings_at_table[old.table].discard(old.id)
            if old.round is not None:
                self.meetings_in_round[old.round].discard(old.id)
            for before in old.after:
                self.followers[before].discard(old.id)
            if old.occupies:
                assert old.round is not None and old.table is not None
                for person in old.people:
                    if self.seat_of.get((person, old.round)) == old.id:
                        del self.seat_of[(person, old.round)]
                if self.table_use.get((old.table, old.round)) == old.id:
                    del self.table_use[(old.table, old.round)]
        elif isinstance(old, Participant):
            del self.participants[old.id]
            if self.by_external_id.get(old.external_id) == old.id:
                del self.by_external_id[old.external_id]
            if self.by_token.get(old.token) == old.id:
                del self.by_token[old.token]
        elif isinstance(old, Table):
            del self.tables[old.number]
        elif isinstance(old, Round):
            del self.rounds[old.index]
        elif isinstance(old, Break):
            del self.breaks[old.id]
        elif isinstance(old, Announcement):
            del self.announcements[old.id]
        elif isinstance(old, Clock):
            self.clock = Clock()
        elif isinstance(old, Alert):
            del self.alerts[old.id]
        elif isinstance(old, Bell):
            del self.bells[old.id]
        else:
            self.event = None


# A change decided against whatever the state is when it is made: Service.execute calls it
# again with the newer state after a conflict.
Decide = Callable[[EventState], Change]


def state_from_records(records: list[Record], epoch: str = "", version: int = 0) -> EventState:
    state = EventState(epoch, version)
    order = list(KINDS)
    state.apply(Change(upserts=tuple(sorted(records, key=lambda r: order.index(r.KIND)))))
    return state
