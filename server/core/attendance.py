"""Who is here: check-in, "my partner is not here", absences, substitutes, departures.

Pure commands (see server/core/command_args.py). A participant acts for themself; staff and
moderators act for anyone. "Now" is an argument: the round a participant is "in" is the
clock's current one (server/core/clock.py: seating begun, meeting not ended, at the paused
instant while the clock is paused).

Presence (checked in, not departed) decides who is missing: a no-show or a substitution
never takes a meeting away from someone who is here (`PersonPresent`), and whoever is left
waiting gets a needs_partner alert with the substitutes ranked for them (server/core/alerts.py).
"""

from __future__ import annotations

import dataclasses

from server.core import alerts
from server.core.alerts import present, split_presence
from server.core.clock import current_round, effective_now, is_over
from server.core.command_args import (
    Args,
    find_meeting,
    find_participant,
    free_table,
    round_not_over,
)
from server.core.errors import (
    Forbidden,
    InvalidArgument,
    PersonPresent,
    RoundOver,
    UnknownParticipant,
)
from server.core.model import (
    ACTIVE_STATUSES,
    AlertKind,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Record,
    Role,
)
from server.core.state import Change, EventState
from server.core.views import Audience


def _subject(state: EventState, args: Args, actor: Audience) -> Participant:
    """The participant a command is about: yourself, or (staff) the one named."""
    if actor.role is Role.PARTICIPANT:
        assert actor.participant_id is not None
        me = state.participants[actor.participant_id]
        if args.raw.get("participant") not in (None, actor.participant_id):
            raise Forbidden("participants may only act for themselves")
        code = args.raw.get("code")
        if code is not None and (
            not isinstance(code, str) or code.strip().upper() != me.check_in_code
        ):
            # Someone else's badge (or nonsense): never check in the caller instead.
            raise Forbidden("participants may only act for themselves: that is not your code")
        return me
    code = args.raw.get("code")
    if isinstance(code, str) and code.strip():
        wanted = code.strip().upper()
        for person in state.participants.values():
            if person.check_in_code and person.check_in_code == wanted:
                return person
        raise UnknownParticipant(f"no participant has the check-in code {code!r}", code=code)
    return find_participant(state, args.text("participant"))


def check_in(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    """Arrived: and every at-risk or missing-partner alert this answers closes itself."""
    person = _subject(state, args, actor)
    if person.checked_in:
        return Change()  # scanning a badge twice is harmless
    here = dataclasses.replace(person, checked_in_at_ms=now_ms)
    return Change(upserts=(here, *alerts.arrived(state, person.id, now_ms)))


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
    """A participant at the table says their partner is not there: alert the moderators
    (an at-risk alert of the meeting becomes this more urgent one)."""
    reporter = _subject(state, args, actor)
    meeting = _my_meeting_now(state, reporter.id, args, now_ms)
    if not meeting.occupies or meeting.round is None:
        raise InvalidArgument(
            f"args.meeting: meeting {meeting.id} is {meeting.status}, not at a table",
            arg="meeting",
        )
    rnd = state.rounds[meeting.round]
    if is_over(state, rnd, now_ms):
        raise RoundOver(f"round {rnd.index} is over", round=rnd.index)
    alert = alerts.raise_alert(
        state, meeting, AlertKind.MISSING_PARTNER, now_ms, reporter=reporter.id
    )
    return Change() if alert is None else Change(upserts=(alert,))


def _names(state: EventState, pids: list[str] | tuple[str, ...]) -> str:
    return " and ".join(state.participants[p].name for p in pids if p in state.participants)


def _absent_people(state: EventState, meeting: Meeting, named: str | None) -> tuple[str, ...]:
    """Who is missing from `meeting`: the person named, else everyone not here. Refuses
    to call someone who is here absent, and a "no-show" where each side still has someone."""
    here, away = split_presence(state, meeting)
    if named is not None:
        if named not in meeting.people:
            raise InvalidArgument(
                f"args.participant: {_names(state, [named]) or named} is not in meeting "
                f"{meeting.id}",
                arg="participant",
            )
        if named in here:
            raise PersonPresent(
                f"{_names(state, [named])} is checked in: a no-show would take the meeting "
                "away from someone who is here (undo their check-in first if they are not)",
                participant=named,
                meeting=meeting.id,
            )
        away = [named]
    elif not away:
        raise PersonPresent(
            f"{_names(state, meeting.people)} are all checked in: name who is missing "
            "(args.participant), or undo their check-in first",
            meeting=meeting.id,
        )
    if all(any(p not in away for p in side) for side in (meeting.side_a, meeting.side_b)):
        raise InvalidArgument(
            f"each side of meeting {meeting.id} still has someone: the meeting can go ahead",
            arg="participant",
        )
    return tuple(away)


def no_show(
    state: EventState, meeting: Meeting, absent: tuple[str, ...], now_ms: int
) -> list[Record]:
    """`meeting` did not happen because `absent` did not come; whoever is here waits for
    a new partner (a needs_partner alert), or, with nobody here, the alert closes."""
    waiting = [p for p in meeting.people if p not in absent and present(state, p)]
    records: list[Record] = [
        dataclasses.replace(meeting, status=MeetingStatus.NO_SHOW, absent=absent)
    ]
    if waiting:
        alert = alerts.needs_partner(state, meeting, waiting, absent, now_ms)
        if alert is not None:
            records.append(alert)
    else:
        records += alerts.closed_for(state, [meeting.id], "absent", now_ms)
    return records


def mark_absent(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """The meeting did not happen because someone did not come: a no-show. The one who
    came is offered a substitute in the same step (see `substitutes_after`)."""
    meeting = find_meeting(state, args.text("meeting"))
    if meeting.status not in ACTIVE_STATUSES:
        raise InvalidArgument(f"meeting {meeting.id} is {meeting.status}", arg="meeting")
    round_not_over(state, meeting, now_ms, instead="correct its outcome (set_outcome)")
    named = args.raw.get("participant")
    absent = _absent_people(state, meeting, named if isinstance(named, str) else None)
    return Change(upserts=tuple(no_show(state, meeting, absent, now_ms)))


def keep_waiting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """Close an alert by hand: "they are coming" (or, for someone who needs a partner,
    "free this round")."""
    alert = state.alerts.get(args.text("alert"))
    if alert is None:
        raise InvalidArgument("args.alert: no such alert", arg="alert")
    if not alert.is_open:
        return Change()
    resolution = "free" if alert.kind is AlertKind.NEEDS_PARTNER else "waiting"
    return Change(upserts=(alerts.close(alert, resolution, now_ms),))


def _left_alone(state: EventState, pid: str, rnd: int, role: str) -> Meeting | None:
    """`pid`'s meeting in round `rnd` that a substitution replaces: None when they have
    none; refused when someone across the table is here."""
    mid = state.seat_of.get((pid, rnd))
    if mid is None:
        return None
    meeting = state.meetings[mid]
    here = [p for p in meeting.partners_of(pid) if present(state, p)]
    if here:
        raise PersonPresent(
            f"{_names(state, here)} is here for the meeting with {_names(state, [pid])} "
            f"(the {role}) in round {rnd}: a substitute would replace someone who came",
            participant=here[0],
            meeting=mid,
        )
    return meeting


def accept_substitute(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """Seat `participant` (left alone in `round`) with `substitute`, at the table of the
    participant's broken meeting when there is one; the meetings it replaces become
    no-shows of the people who did not come, and their alerts close as substituted."""
    person = find_participant(state, args.text("participant"))
    substitute = find_participant(state, args.text("substitute"))
    rnd = args.number("round")
    if rnd not in state.rounds:
        raise InvalidArgument(f"args.round: there is no round {rnd}", arg="round")
    if is_over(state, state.rounds[rnd], now_ms):
        raise RoundOver(f"round {rnd} is over", round=rnd)
    for who, role in ((person, "participant"), (substitute, "substitute")):
        if not who.present:
            raise InvalidArgument(
                f"args.{role}: {who.name} is not here (not checked in, or departed): "
                "only people who are here can be seated",
                arg=role,
            )
    new_id = f"sub-{rnd}-{person.id}-{substitute.id}"
    upserts: list[Record] = []
    table = args.opt_number("table")
    replaced: list[str] = []
    for pid, role in ((person.id, "participant"), (substitute.id, "substitute")):
        old = _left_alone(state, pid, rnd, role)
        if old is None:
            old_id = _no_show_of(state, pid, rnd)
            if old_id is not None:
                old = state.meetings[old_id]
        if old is None:
            continue
        absent = old.absent or tuple(p for p in old.people if not present(state, p))
        upserts.append(
            dataclasses.replace(
                old, status=MeetingStatus.NO_SHOW, absent=absent, replaced_by=new_id
            )
        )
        replaced.append(old.id)
        stays = old.table is not None and state.table_use.get((old.table, rnd), old.id) == old.id
        if pid == person.id and table is None and stays:
            table = old.table  # the person stays where they sit
    upserts.extend(alerts.closed_for(state, replaced, "substituted", now_ms))
    if table is None:
        table = free_table(state, rnd, 2)
    new = Meeting(
        id=new_id,
        side_a=(person.id,),
        side_b=(substitute.id,),
        round=rnd,
        table=table,
        status=MeetingStatus.SCHEDULED,
        origin=MeetingOrigin.SUBSTITUTE,
    )
    return Change(upserts=(*upserts, new))


def _no_show_of(state: EventState, pid: str, rnd: int) -> str | None:
    """`pid`'s no-show meeting of the round not replaced yet, where they were not absent."""
    for mid in sorted(state.meetings_of.get(pid, ())):
        m = state.meetings[mid]
        if (
            m.round == rnd
            and m.status is MeetingStatus.NO_SHOW
            and not m.replaced_by
            and pid not in m.absent
        ):
            return mid
    return None


def depart(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
    """Gone for the rest of the event. A meeting being seated now becomes their no-show
    (whoever came gets a needs_partner alert); later meetings are cancelled; one already
    under way is left to end as it does."""
    person = _subject(state, args, actor)
    if person.departed_at_ms is not None:
        return Change()
    gone = dataclasses.replace(person, departed_at_ms=now_ms)
    upserts: list[Record] = [gone]
    at = effective_now(now_ms, state.clock)  # the event's time: a pause stops it
    for mid in sorted(state.meetings_of.get(person.id, ())):
        meeting = state.meetings[mid]
        rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
        if meeting.status is not MeetingStatus.SCHEDULED:
            continue
        if rnd is None or rnd.seating_at_ms > at:
            upserts.append(
                dataclasses.replace(
                    meeting, status=MeetingStatus.CANCELLED, note="departed", absent=(person.id,)
                )
            )
        elif at < rnd.starts_at_ms:
            upserts += no_show(state, meeting, (person.id,), now_ms)
    return Change(upserts=tuple(upserts))
