"""The organiser's workbook as tables: Schedule, Outcomes and Agendas, one sheet each.

Pure: state in, `SheetTable`s out (title, column names, rows of plain values: text,
whole numbers, datetimes in the event's timezone); server/edge/xlsx.py writes them as
XLSX. Meetings and people are named by the organiser's ids, as in the CSV exports.

- **Schedule**: the columns of schedule.csv (`exporter.SCHEDULE_COLUMNS`), so the sheet
  reads back with `matchboard import` without duplicating a meeting.
- **Outcomes**: every meeting given a round, what became of it (the outcome is empty
  until its round ends), who was absent, notes.
- **Agendas**: one row per person and meeting, sorted by organisation, name and time: filter
  on a name for one person's agenda, or print it (the header repeats on every page). One
  sheet rather than one per person, because events have hundreds of people and a filter
  finds anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from server.core import exporter
from server.core.import_fields import zone
from server.core.model import Meeting, MeetingStatus
from server.core.state import EventState

SheetName = Literal["schedule", "outcomes", "agendas"]
OUTCOME_COLUMNS: Final = (
    "meeting_id",
    "round",
    "day",
    "starts_at",
    "table",
    "name_a",
    "organisation_a",
    "name_b",
    "organisation_b",
    "status",
    "outcome",  # held, no_show, substituted, cancelled; empty until the round ends
    "absent",  # who did not come
    "replaced_by",  # the substitute meeting that took its place
    "note",
)
AGENDA_COLUMNS: Final = (
    "participant",  # the external id
    "name",
    "organisation",
    "day",
    "round",
    "starts_at",
    "ends_at",
    "table",  # the table's label, else its number
    "partner",  # who they meet: names
    "partner_organisation",
    "meeting_id",
    "status",
    "note",
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SheetTable:
    title: str
    columns: tuple[str, ...]
    rows: list[list[object]]


def _at(state: EventState, ms: int) -> datetime:
    tz = (zone(state.event.timezone) if state.event else None) or UTC
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz)


def _names(state: EventState, pids: tuple[str, ...]) -> tuple[str, str]:
    people = [state.participants.get(pid) for pid in pids]
    names = "; ".join(p.name if p else pid for p, pid in zip(people, pids, strict=True))
    orgs = "; ".join(dict.fromkeys(p.organisation for p in people if p and p.organisation))
    return names, orgs


def _order(m: Meeting) -> tuple[int, int, str]:
    return (m.round or 0, m.table or 0, m.id)


def schedule_sheet(state: EventState) -> SheetTable:
    return SheetTable("Schedule", exporter.SCHEDULE_COLUMNS, exporter.schedule_rows(state))


def outcomes_sheet(state: EventState) -> SheetTable:
    rows: list[list[object]] = []
    for m in sorted((m for m in state.meetings.values() if m.round is not None), key=_order):
        rnd = state.rounds.get(m.round or 0)
        absent = "; ".join(state.participants[p].name for p in m.absent if p in state.participants)
        rows.append([
            m.external_id or m.id, m.round, rnd.day if rnd else None,
            _at(state, rnd.starts_at_ms) if rnd else None, m.table,
            *_names(state, m.side_a), *_names(state, m.side_b), m.status.value,
            m.outcome.value if m.outcome else "", absent, m.replaced_by, m.note,
        ])  # fmt: skip
    return SheetTable("Outcomes", OUTCOME_COLUMNS, rows)


def agendas_sheet(state: EventState) -> SheetTable:
    mine: dict[str, list[Meeting]] = {}
    for m in state.meetings.values():
        if m.round is not None and m.status is not MeetingStatus.CANCELLED:
            for pid in m.people:
                mine.setdefault(pid, []).append(m)
    rows: list[list[object]] = []
    people = sorted(state.participants.values(),
                    key=lambda p: (p.organisation.casefold(), p.name.casefold(), p.id))  # fmt: skip
    for person in people:
        for m in sorted(mine.get(person.id, ()), key=_order):
            rnd = state.rounds.get(m.round or 0)
            table = state.tables.get(m.table or 0)
            others = m.side_b if person.id in m.side_a else m.side_a
            rows.append([
                person.external_id or person.id, person.name, person.organisation,
                rnd.day if rnd else None, m.round,
                _at(state, rnd.starts_at_ms) if rnd else None,
                _at(state, rnd.ends_at_ms) if rnd else None,
                (table.label or table.number) if table else m.table,
                *_names(state, others), m.external_id or m.id, m.status.value, m.note,
            ])  # fmt: skip
    return SheetTable("Agendas", AGENDA_COLUMNS, rows)


SHEETS: Final = {"schedule": schedule_sheet, "outcomes": outcomes_sheet, "agendas": agendas_sheet}


def workbook(state: EventState, first: SheetName = "schedule") -> list[SheetTable]:
    """The three sheets, `first` first (the one a spreadsheet program opens on)."""
    order = [first, *(name for name in SHEETS if name != first)]
    return [SHEETS[name](state) for name in order]
