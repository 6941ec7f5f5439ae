"""Vectors for the records server/core/views.py sends ↔ the record types in protocol.ts.

For each audience (moderator, hall, participant), the field names of every record kind
in a snapshot of a small event that holds every kind ("me" is the participant's own
record), and of the records nested in them ("event.settings",
"participant.available_windows[]").
"""

from __future__ import annotations

from typing import Any

from server.client.client_state import LIST_KINDS
from server.core import views
from server.core.model import (
    Alert,
    AlertKind,
    Announcement,
    Bell,
    Break,
    Clock,
    Participant,
    Record,
    TimeWindow,
)
from server.core.state import state_from_records
from server.wire.protocol import Role
from tests.factory import T0_MS, meeting, small_event_records

AUDIENCES = {
    "moderator": views.Audience(Role.MODERATOR),
    "hall": views.Audience(Role.HALL),
    "participant": views.Audience(Role.PARTICIPANT, "p0"),
}


def every_kind() -> list[Record]:
    """A small event with a record of every kind; p0 has a partner and waits in an alert."""
    records = small_event_records(tables=2, rounds=2, people=3)
    window = TimeWindow(starts_at_ms=T0_MS, ends_at_ms=T0_MS + 3_600_000)
    p0 = next(r for r in records if isinstance(r, Participant) and r.id == "p0")
    return [
        *(r for r in records if r is not p0),
        Participant(
            id="p0",
            name=p0.name,
            available_windows=(window,),
            checked_in_at_ms=T0_MS,
            home_table=1,
        ),
        meeting("m1", "p0", "p1", 1, 1),
        Break("b1", day=1, starts_at_ms=T0_MS + 3_000_000, ends_at_ms=T0_MS + 3_600_000),
        Announcement("a1", "Coffee in the foyer", created_at_ms=T0_MS),
        Alert("alert-m1", AlertKind.NEEDS_PARTNER, "m1", 1, 1, "", T0_MS, waiting=("p0",)),
        Bell("1-start", round=1, cue="start", at_ms=T0_MS, recorded_at_ms=T0_MS + 5),
        Clock(paused_at_ms=T0_MS + 60_000),
    ]


def fields_by_kind(data: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in data.items():
        kind = LIST_KINDS.get(name, name)
        records = value if isinstance(value, list) else [value]
        assert records and all(records), f"the event lacks a record in {name!r}"
        out[kind] = sorted({field for record in records for field in record})
        for record in records:
            if isinstance(record.get("settings"), dict):
                out[f"{kind}.settings"] = sorted(record["settings"])
            for window in record.get("available_windows") or ():
                out[f"{kind}.available_windows[]"] = sorted(window)
    return dict(sorted(out.items()))


def build() -> dict[str, Any]:
    state = state_from_records(every_kind(), epoch="e", version=1)
    return {
        "about": __doc__,
        "fields": {
            name: fields_by_kind(views.snapshot(state, audience))
            for name, audience in AUDIENCES.items()
        },
    }
