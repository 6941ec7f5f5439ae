"""A participant's meetings as an iCalendar feed (`GET /p/<token>/agenda.ics`).

Pure like the rest of the core: the time the feed is made (DTSTAMP) comes in as an
argument. One VEVENT per meeting of theirs that has been placed (scheduled, held,
no-show, cancelled), with

- UID `<meeting id>@<event id>`: stable for the meeting's whole life, so that a
  subscribed calendar updates the entry it has instead of adding another;
- DTSTART/DTEND in UTC from the round (the planned start and the meeting's length; clock
  commands rewrite round times, so a delay reaches the calendar on its next refresh);
- SEQUENCE: the event's state version (see `sequence`);
- STATUS CONFIRMED, or CANCELLED for a cancelled meeting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from icalendar import Calendar
from icalendar import Event as VEvent

from server.core.model import Meeting, MeetingStatus
from server.core.state import EventState

MEDIA_TYPE: Final = "text/calendar; charset=utf-8"
PRODID: Final = "-//Matchboard//agenda//EN"
REFRESH: Final = timedelta(minutes=15)
# Statuses whose meetings have (or had) a round and a table: a calendar entry each.
_LISTED: Final = frozenset(
    {MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW, MeetingStatus.CANCELLED}
)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def sequence(state: EventState) -> int:
    """SEQUENCE of every entry: the event's state version, stored in Redis with the event
    and raised by one on every commit. So it never goes down (within an epoch; after
    Redis lost writes a new epoch starts at the version it kept, see
    docs/architecture.md) and it rises whenever a meeting moves to another round or
    table, and also when a clock command shifts a round's times, which changes DTSTART
    without touching the meeting record (a per-meeting counter would miss that). It
    also rises for entries that did not change; calendar clients then just keep the same
    entry, newer copy: RFC 5545 asks only that a revision never lowers it."""
    return state.version


def meetings_of(state: EventState, participant_id: str) -> list[Meeting]:
    mine = [
        m
        for m in (state.meetings[mid] for mid in state.meetings_of.get(participant_id, ()))
        if m.status in _LISTED and m.round is not None and m.round in state.rounds
    ]
    return sorted(mine, key=lambda m: (state.rounds[m.round or 0].starts_at_ms, m.id))


def agenda(state: EventState, participant_id: str, now_ms: int) -> bytes:
    """The participant's calendar as iCalendar bytes (UTF-8)."""
    event = state.event
    event_id = event.id if event else "event"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{event.name if event else event_id}: my meetings")
    cal.add("x-wr-timezone", event.timezone if event else "UTC")
    # How often a subscribed calendar should fetch it again (RFC 7986; Outlook's name).
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT15M")
    stamp = _utc(now_ms)
    for meeting in meetings_of(state, participant_id):
        rnd = state.rounds[meeting.round or 0]
        partners = [state.participants.get(pid) for pid in meeting.partners_of(participant_id)]
        names = ", ".join(p.name for p in partners if p is not None) or "a partner"
        orgs = sorted({p.organisation for p in partners if p is not None and p.organisation})
        entry = VEvent()
        entry.add("uid", f"{meeting.id}@{event_id}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", _utc(rnd.starts_at_ms))
        entry.add("dtend", _utc(rnd.starts_at_ms + rnd.meeting_s * 1000))
        entry.add("summary", f"Meeting with {names}")
        entry.add("location", _location(state, meeting))
        lines = [f"Round {rnd.index}" + (f" ({rnd.label})" if rnd.label else "")]
        if orgs:
            lines.append("Organisation: " + ", ".join(orgs))
        if meeting.status is MeetingStatus.CANCELLED:
            lines.append("This meeting was cancelled.")
        entry.add("description", "\n".join(lines))
        entry.add("sequence", sequence(state))
        cancelled = meeting.status is MeetingStatus.CANCELLED
        entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(entry)
    return bytes(cal.to_ical())


def _location(state: EventState, meeting: Meeting) -> str:
    if meeting.table is None:
        return ""
    table = state.tables.get(meeting.table)
    place = f"Table {meeting.table}"
    if table is not None:
        extra = [x for x in (table.label, table.zone) if x and x != place]
        if extra:
            place += " " + ", ".join(extra)
    venue = state.event.venue if state.event else ""
    return f"{place}, {venue}" if venue else place
