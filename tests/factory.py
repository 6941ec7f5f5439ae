"""Small hand-made events for tests: readable names, predictable times."""

from __future__ import annotations

import hashlib
import itertools

from server.core.fresh import Fresh
from server.core.model import (
    Event,
    Meeting,
    MeetingStatus,
    Participant,
    Record,
    Round,
    Table,
)
from server.core.state import Change, Decide, EventState, state_from_records

T0_MS = 1_780_000_000_000  # a fixed instant; tests never read the clock
NAMES = [
    ("Anna Berg", "Cluster Nord"),
    ("Jonas Weber", "Automotive BW"),
    ("Ayşe Yılmaz", "Istanbul Tech Cluster"),
    ("Jānis Bērziņš", "Latvian IT Cluster"),
    ("Marco Rossi", "Lombardia Biotech"),
    ("Kateřina Dvořáková", "Moravian Microsystems"),
    ("Liam Borg", "Malta Digital Hub"),
    ("Elin Svensson", "Smart Production West"),
]


def small_event_records(
    *,
    event_id: str = "test-event",
    tables: int = 3,
    rounds: int = 4,
    people: int = 8,
    t0_ms: int = T0_MS,
) -> list[Record]:
    records: list[Record] = [Event(id=event_id, name="Test Matchmaking", timezone="Europe/Berlin")]
    records += [Table(number=n, label=f"Table {n}") for n in range(1, tables + 1)]
    for i in range(people):
        name, org = NAMES[i % len(NAMES)]
        records.append(
            Participant(
                id=f"p{i}",
                name=name if i < len(NAMES) else f"{name} {i}",
                external_id=f"EXT-{i}",
                organisation=org if i < len(NAMES) else f"{org} {i}",
                country="DE",
                email=f"p{i}@example.org",
            )
        )
    records += [
        Round(index=r, day=1, starts_at_ms=t0_ms + (r - 1) * 25 * 60_000)
        for r in range(1, rounds + 1)
    ]
    return records


def event_and_rest(records: list[Record]) -> tuple[Event, list[Record]]:
    """The event record (always first in `small_event_records`) and the others, typed."""
    event, *rest = records
    assert isinstance(event, Event)
    return event, rest


def small_state(*, tables: int = 3, rounds: int = 4, people: int = 8) -> EventState:
    records = small_event_records(tables=tables, rounds=rounds, people=people)
    return state_from_records(records, epoch="e", version=1)


def meeting(mid: str, a: str, b: str, rnd: int | None = None, table: int | None = None) -> Meeting:
    status = (
        MeetingStatus.SCHEDULED
        if rnd is not None and table is not None
        else MeetingStatus.REQUESTED
    )
    return Meeting(id=mid, side_a=(a,), side_b=(b,), round=rnd, table=table, status=status)


def upserting(*records: Record) -> Decide:
    """A decision for `Service.execute` that writes these records, whatever the state."""
    return lambda _state: Change(upserts=records)


_seeds = itertools.count()


def minted() -> Fresh:
    """Entropy for one command run, as the edge mints it (service.mint), but reproducible:
    each call gives the next of a fixed sequence of seeds."""
    return Fresh(hashlib.sha256(f"test-seed-{next(_seeds)}".encode()).digest())
