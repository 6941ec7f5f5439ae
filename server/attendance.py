"""Who is here: check-in, "my partner is not here", absences, substitutes, departures.

Pure commands (see server/command_args.py). A participant acts for themself; staff and
moderators act for anyone. "Now" is an argument: the round a participant is "in" is the
one whose seating has begun and whose meeting time has not ended.
"""

from __future__ import annotations

import dataclasses

from server.command_args import Args, find_meeting, free_table
from server.errors import Forbidden, InvalidArgument, RoundOver, UnknownParticipant
from server.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Record,
    Round,
)
from server.protocol import Role
from server.state import Change, EventState
from server.views import Audience


def _subject(state: EventState, args: Args, actor: Audience) -> Participant:
    """The participant a command is about: yourself, or (staff) the one named."""
    if actor.role is Role.PARTICIPANT:
        assert actor.participant_id is not None
        if args.raw.get("participant") not in (None, actor.participant_id):
            raise Forbidden("participants may only act for themselves")
        return state.participants[actor.participant_id]
    code = args.raw.get("code")
    if isinstance(code, str) and code.strip():
        wanted = code.strip().upper()
        for person in state.participants.values():
            if person.check_in_code and person.check_in_code == wanted:
                return person
        raise UnknownParticipant(f"no participant has the check-in code {code!r}", code=code)
    return _meeting_person(state, args.text("participant"))


def current_round(state: EventState, now_ms: int) -> Round | None:
    for rnd in sorted(state.rounds.values(), key=lambda r: r.index):
        if not rnd.skipped and rnd.seating_at_ms <= now_ms < rnd.ends_at_ms:
            return rnd
    return None


def check_in(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    person = _subject(state, args, actor)
    if person.checked_in:
        return Change()  # scanning a badge twice is harmless
    return Change(upserts=(dataclasses.replace(person, checked_in_at_ms=now_ms),))


def undo_check_in(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    person = _subject(state, args, actor)
    if not person.checked_in:
        return Change()
    return Change(upserts=(dataclasses.replace(person, checked_in_at_ms=None),))


def _my_meeting_now(state: EventState, pid: str, args: Args, now_ms: int) -> Meeting:
    mid = args.raw.get("meeting")
    if isinstance(mid, str) and mid:
        meeting = find_meeting(state, mid)
        if pid not in meeting.people:
            raise Forbidden(f"meeting {mid} is not yours")
        return meeting
    rnd = current_round(state, now_ms)
    meeting_id = state.seat_of.get((pid, rnd.index)) if rnd else None
    if meeting_id is None:
        raise InvalidArgument(
            "you have no meeting right now: name it in args.meeting", arg="meeting"
        )
    return state.meetings[meeting_id]


def report_missing_partner(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    """A participant at the table says their partner is not there: alert the moderators."""
    reporter = _subject(state, args, actor)
    meeting = _my_meeting_now(state, reporter.id, args, now_ms)
    if not meeting.occupies or meeting.round is None:
        raise InvalidArgument(
            f"args.meeting: meeting {meeting.id} is {meeting.status}, not at a table",
            arg="meeting",
        )
    rnd = state.rounds[meeting.round]
    if rnd.ends_at_ms <= now_ms:
        raise RoundOver(f"round {rnd.index} is over", round=rnd.index)
    alert_id = f"missing-{meeting.id}-{reporter.id}"
    existing = state.alerts.get(alert_id)
    if existing is not None and existing.status is AlertStatus.OPEN:
        return Change()
    alert = Alert(
        id=alert_id,
        kind=AlertKind.MISSING_PARTNER,
        meeting=meeting.id,
        round=rnd.index,
        table=meeting.table,
        reporter=reporter.id,
        since_ms=now_ms,
    )
    return Change(upserts=(alert,))


def _resolve_alerts(state: EventState, meeting_id: str, resolution: str) -> list[Record]:
    return [
        dataclasses.replace(a, status=AlertStatus.RESOLVED, resolution=resolution)
        for a in state.alerts.values()
        if a.meeting == meeting_id and a.status is AlertStatus.OPEN
    ]


def mark_absent(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """The meeting did not happen because someone did not come: a no-show."""
    meeting = find_meeting(state, args.text("meeting"))
    if meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
        raise InvalidArgument(f"meeting {meeting.id} is {meeting.status}", arg="meeting")
    absent = dataclasses.replace(meeting, status=MeetingStatus.NO_SHOW)
    return Change(upserts=(absent, *_resolve_alerts(state, meeting.id, "absent")))


def keep_waiting(state: EventState, args: Args, _actor: Audience, _now: int) -> Change:
    alert = state.alerts.get(args.text("alert"))
    if alert is None:
        raise InvalidArgument("args.alert: no such alert", arg="alert")
    return Change(
        upserts=(dataclasses.replace(alert, status=AlertStatus.RESOLVED, resolution="waiting"),)
    )


def accept_substitute(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """Seat `participant` (left alone in `round`) with `substitute`, at the table of the
    participant's broken meeting when there is one; both broken meetings become no-shows."""
    person = _meeting_person(state, args.text("participant"))
    substitute = _meeting_person(state, args.text("substitute"))
    rnd = args.number("round")
    if rnd not in state.rounds:
        raise InvalidArgument(f"args.round: there is no round {rnd}", arg="round")
    if state.rounds[rnd].ends_at_ms <= now_ms:
        raise RoundOver(f"round {rnd} is over", round=rnd)
    upserts: list[Record] = []
    table = args.opt_number("table")
    for pid in (person.id, substitute.id):
        for mid in state.meetings_of.get(pid, ()):
            old = state.meetings[mid]
            if old.round == rnd and old.status in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
                upserts.append(dataclasses.replace(old, status=MeetingStatus.NO_SHOW))
                upserts.extend(_resolve_alerts(state, mid, "substituted"))
                if pid == person.id and table is None:
                    table = old.table
    if table is None:
        table = free_table(state, rnd, 2)
    new = Meeting(
        id=f"sub-{rnd}-{person.id}-{substitute.id}",
        side_a=(person.id,),
        side_b=(substitute.id,),
        round=rnd,
        table=table,
        status=MeetingStatus.SCHEDULED,
        origin=MeetingOrigin.SUBSTITUTE,
    )
    return Change(upserts=(*upserts, new))


def _meeting_person(state: EventState, pid: str) -> Participant:
    person = state.participants.get(pid)
    if person is None:
        raise UnknownParticipant(f"there is no participant {pid!r}", participant=pid)
    return person


def depart(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    """Gone for the rest of the event: every meeting not yet over is cancelled."""
    person = _subject(state, args, actor)
    if person.departed_at_ms is not None:
        return Change()
    upserts: list[Record] = [dataclasses.replace(person, departed_at_ms=now_ms)]
    for mid in sorted(state.meetings_of.get(person.id, ())):
        meeting = state.meetings[mid]
        rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
        if meeting.status is MeetingStatus.SCHEDULED and (rnd is None or rnd.starts_at_ms > now_ms):
            upserts.append(
                dataclasses.replace(meeting, status=MeetingStatus.CANCELLED, note="departed")
            )
    return Change(upserts=tuple(upserts))
