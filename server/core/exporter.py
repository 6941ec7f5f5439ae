"""Exports of one event for its organisers: the schedule and the participants as CSV, the
whole event as JSON, and the idle breaks per person (CSV or JSON).

Pure: state in, text out. Organisers need contact details, so emails and phone numbers are
included, but never a secret (participant tokens, the moderator token, the screen key).
Times are ISO 8601 in the event's timezone, with its offset. The participants CSV and the
JSON read back unchanged with `server.core.importer`. A CSV cell that a spreadsheet would run as
a formula gets a leading "'" (the importer drops it again).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final

import orjson

from server.core import idle
from server.core.codec import to_plain
from server.core.import_fields import FORMULA_STARTS, OPEN_END_MS, zone
from server.core.model import PRIVATE_FIELDS, Event, Meeting, Participant, TimeWindow
from server.core.state import EventState

SCHEDULE_COLUMNS: Final = (
    "meeting_id",  # the organiser's id (external_id) when it has one, else Matchboard's
    "status",
    "origin",
    "round",
    "day",
    "starts_at",
    "table",
    "participant_a",
    "name_a",
    "organisation_a",
    "participant_b",
    "name_b",
    "organisation_b",
    "outcome",  # held, no_show, substituted, cancelled; empty until the round ends
    "absent",  # who did not come, by name
    "replaced_by",  # the substitute meeting that took its place
    "rounds",  # the rounds it may be held in, e.g. "1-2, 4"; empty: any
    "after",  # the meetings (meeting_id) to be held before it
    "fixed",  # yes: schedulers keep its round and table
    "note",
)
PARTICIPANT_EXPORT_COLUMNS: Final = (
    "external_id",
    "name",
    "organisation",
    "country",
    "title",
    "email",
    "phone",
    "tags",
    "languages",
    "unavailable_rounds",
    "available_from",
    "available_until",
    "home_table",  # the table where they prefer to hold their meetings; empty: none
)
BREAKS_COLUMNS: Final = (
    "participant",  # the external id, as in the other exports
    "name",
    "organisation",
    "meetings",  # scheduled or held: the meetings that hold them in a round
    "breaks",  # idle breaks between two of their meetings in one block (server/core/idle.py)
    "rounds",  # the rounds they meet in, e.g. "1, 2, 4"
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def export_schedule_csv(state: EventState) -> str:
    return _csv(SCHEDULE_COLUMNS, schedule_rows(state))


def schedule_rows(state: EventState) -> list[list[object]]:
    """The schedule's rows (SCHEDULE_COLUMNS); `starts_at` a datetime in the event's zone."""
    tz = _timezone(state)
    rows: list[list[object]] = []
    for m in sorted(state.meetings.values(), key=_schedule_order):
        rnd = state.rounds.get(m.round) if m.round is not None else None
        rows.append(
            [
                m.external_id or m.id,
                m.status.value,
                m.origin.value,
                m.round,
                rnd.day if rnd else None,
                _moment(rnd.starts_at_ms, tz) if rnd else None,
                m.table,
                *_side(state, m.side_a),
                *_side(state, m.side_b),
                m.outcome.value if m.outcome else "",
                "; ".join(state.participants[p].name for p in m.absent if p in state.participants),
                m.replaced_by,
                _ranges(m.rounds),
                "; ".join(_meeting_ref(state, mid) for mid in m.after),
                "yes" if m.fixed else "",
                m.note,
            ]
        )
    return rows


def _ranges(rounds: Sequence[int]) -> str:
    """Round numbers as the importer reads them back: "1-3, 6"."""
    runs: list[list[int]] = []
    for n in sorted(rounds):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def export_participants_csv(state: EventState) -> str:
    tz = _timezone(state)
    rows = []
    for p in sorted(state.participants.values(), key=_participant_order):
        starts, ends = _window_ends(p.available_windows, tz)
        rows.append(
            [
                _ref(state, p.id),
                p.name,
                p.organisation,
                p.country,
                p.title,
                p.email,
                p.phone,
                ";".join(p.tags),
                ";".join(p.languages),
                ";".join(str(n) for n in sorted(p.unavailable_rounds)),
                ";".join(s or "" for s in starts),
                ";".join(e or "" for e in ends),
                p.home_table,
            ]
        )
    return _csv(PARTICIPANT_EXPORT_COLUMNS, rows)


def export_badges_csv(state: EventState, base_url: str) -> str:
    """For printing badges: the check-in code staff scan, and the participant's own
    phone link (personal: it opens their agenda), each to be printed as a QR code."""
    rows = [
        [p.name, p.organisation, p.country, p.check_in_code, phone_link(base_url, p)]
        for p in sorted(state.participants.values(), key=_participant_order)
    ]
    return _csv(("name", "organisation", "country", "check_in_code", "phone_link"), rows)


def phone_link(base_url: str, person: Participant) -> str:
    """A participant's personal link, for badges and printed agendas (as QR codes)."""
    return f"{base_url}/p/{person.token}"


def export_json(state: EventState) -> str:
    tz = _timezone(state)
    doc = {
        "event": _public_event(state.event),
        "tables": [
            {"number": t.number, "label": t.label, "zone": t.zone, "capacity": t.capacity}
            for t in sorted(state.tables.values(), key=lambda t: t.number)
        ],
        "rounds": [
            {
                "index": r.index,
                "day": r.day,
                "starts_at": _iso(r.starts_at_ms, tz),
                "meeting_minutes": _minutes(r.meeting_s),
                "changeover_minutes": _minutes(r.changeover_s),
                "label": r.label,
            }
            for r in sorted(state.rounds.values(), key=lambda r: r.index)
        ],
        "breaks": [
            {
                "id": b.id,
                "day": b.day,
                "starts_at": _iso(b.starts_at_ms, tz),
                "ends_at": _iso(b.ends_at_ms, tz),
                "label": b.label,
            }
            for b in sorted(state.breaks.values(), key=lambda b: (b.starts_at_ms, b.id))
        ],
        "participants": [
            _participant_json(p, tz)
            for p in sorted(state.participants.values(), key=_participant_order)
        ],
        "meetings": [
            {
                "id": m.id,
                "external_id": m.external_id,
                "participant_a": [_ref(state, pid) for pid in m.side_a],
                "participant_b": [_ref(state, pid) for pid in m.side_b],
                "round": m.round,
                "table": m.table,
                "status": m.status.value,
                "origin": m.origin.value,
                "note": m.note,
                "outcome": m.outcome.value if m.outcome else None,
                "absent": [_ref(state, pid) for pid in m.absent],
                "replaced_by": m.replaced_by,
                "rounds": list(m.rounds),
                "after": list(m.after),
                "fixed": m.fixed,
            }
            for m in sorted(state.meetings.values(), key=_schedule_order)
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


@dataclass(frozen=True)
class PersonBreaks:
    participant: str  # as files name them: the external id, or the own id of one without
    id: str
    name: str
    organisation: str
    meetings: int
    breaks: int
    rounds: tuple[int, ...]


def breaks_of_people(state: EventState) -> list[PersonBreaks]:
    """Who sits idle between meetings: one entry per participant with at least one meeting
    that holds them (scheduled or held), most breaks first, then by name."""
    busy = idle.busy_rounds(state)
    grouped = idle.blocks(state)
    meetings: dict[str, int] = dict.fromkeys(busy, 0)
    for m in state.meetings.values():
        if m.occupies:
            for pid in m.people:
                meetings[pid] += 1
    people = []
    for pid, rounds in busy.items():
        person = state.participants.get(pid)
        people.append(
            PersonBreaks(
                participant=_ref(state, pid),
                id=pid,
                name=person.name if person else pid,
                organisation=person.organisation if person else "",
                meetings=meetings[pid],
                breaks=idle.person_breaks(rounds, grouped),
                rounds=tuple(sorted(rounds)),
            )
        )
    return sorted(people, key=lambda r: (-r.breaks, r.name.casefold(), r.id))


def export_breaks_csv(state: EventState) -> str:
    """The breaks per person as a table, as `breaks_of_people` orders them (the summary is
    in the JSON)."""
    rows = [
        [r.participant, r.name, r.organisation, r.meetings, r.breaks, _listed(r.rounds)]
        for r in breaks_of_people(state)
    ]
    return _csv(BREAKS_COLUMNS, rows)


def export_breaks_json(state: EventState) -> str:
    """The breaks per person with a summary and the blocks of rounds they are counted in."""
    people = breaks_of_people(state)
    counts = [r.breaks for r in people]
    doc = {
        "summary": {
            "people": len(people),
            "total_breaks": sum(counts),
            "people_with_breaks": sum(1 for n in counts if n > 0),
            "max_breaks": max(counts, default=0),
        },
        "blocks": [list(b) for b in idle.blocks(state)],
        "people": [asdict(r) | {"rounds": list(r.rounds)} for r in people],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _listed(rounds: Iterable[int]) -> str:
    return ", ".join(str(n) for n in rounds)


def _public_event(event: Event | None) -> dict[str, Any] | None:
    if event is None:
        return None
    plain: dict[str, Any] = to_plain(event)
    return {k: v for k, v in plain.items() if k not in PRIVATE_FIELDS[Event.KIND]}


def _participant_json(p: Participant, tz: tzinfo) -> dict[str, Any]:
    starts, ends = _window_ends(p.available_windows, tz)
    return {
        "id": p.id,
        "external_id": p.external_id,
        "name": p.name,
        "organisation": p.organisation,
        "country": p.country,
        "title": p.title,
        "email": p.email,
        "phone": p.phone,
        "tags": list(p.tags),
        "languages": list(p.languages),
        "unavailable_rounds": sorted(p.unavailable_rounds),
        "available_from": starts,
        "available_until": ends,
        "home_table": p.home_table,
    }  # never p.token


def _timezone(state: EventState) -> tzinfo:
    return (zone(state.event.timezone) if state.event else None) or UTC


def _moment(ms: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz)


def _iso(ms: int, tz: tzinfo) -> str:
    return _iso_text(_moment(ms, tz))


def _iso_text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")


def _minutes(seconds: int) -> int | float:
    return seconds // 60 if seconds % 60 == 0 else seconds / 60


def _window_ends(
    windows: Sequence[TimeWindow], tz: tzinfo
) -> tuple[list[str | None], list[str | None]]:
    """Start and end times of each window; None for an open end (as the importer reads)."""
    starts = [_iso(w.starts_at_ms, tz) if w.starts_at_ms > 0 else None for w in windows]
    ends = [_iso(w.ends_at_ms, tz) if w.ends_at_ms < OPEN_END_MS else None for w in windows]
    return starts, ends


def _ref(state: EventState, pid: str) -> str:
    """How files name a participant: the external id, or the own id of one without."""
    person = state.participants.get(pid)
    return person.external_id or pid if person is not None else pid


def _meeting_ref(state: EventState, mid: str) -> str:
    """How files name a meeting: the organiser's id, or our own id of one without."""
    meeting = state.meetings.get(mid)
    return meeting.external_id or mid if meeting is not None else mid


def _side(state: EventState, pids: Sequence[str]) -> tuple[str, str, str]:
    people = [state.participants.get(pid) for pid in pids]
    names = "; ".join(p.name if p else pid for p, pid in zip(people, pids, strict=True))
    orgs = "; ".join(dict.fromkeys(p.organisation for p in people if p and p.organisation))
    return ";".join(_ref(state, pid) for pid in pids), names, orgs


def _schedule_order(m: Meeting) -> tuple[bool, int, bool, int, str]:
    return (m.round is None, m.round or 0, m.table is None, m.table or 0, m.id)


def _participant_order(p: Participant) -> tuple[str, str, str]:
    return (p.organisation.casefold(), p.name.casefold(), p.id)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    s = _iso_text(value) if isinstance(value, datetime) else str(value)
    return f"'{s}" if s.startswith(FORMULA_STARTS) else s
