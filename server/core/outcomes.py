"""What became of each meeting: recorded once when its round ends, corrected by hand. Pure.

When a round has ended (its phase is ENDED, so a paused clock holds it back), the
timekeeper of any server process proposes `round_end_outcomes`; the versioned commit lets
one of them win, and a meeting that has an outcome is never recorded again. A meeting's
outcome follows from what is known at that moment:

- cancelled -> CANCELLED;
- a no-show that a substitute meeting replaced -> SUBSTITUTED, any other no-show -> NO_SHOW;
- scheduled or held: HELD (status becomes held) when each side had someone who came
  (checked in before the round ended and not departed before it started), else NO_SHOW
  with `absent` naming who did not come.

Every alert of the round still open expires with its meeting's outcome as resolution.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from server.core.alerts import close
from server.core.clock import Phase, phase_in, rounds_in_order
from server.core.command_args import Args, find_meeting
from server.core.errors import InvalidArgument, RoundRunning
from server.core.model import (
    Alert,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Participant,
    Record,
    Round,
)
from server.core.state import Change, EventState
from server.core.views import Audience

_STATUS: Final = {
    MeetingOutcome.HELD: MeetingStatus.HELD,
    MeetingOutcome.NO_SHOW: MeetingStatus.NO_SHOW,
    MeetingOutcome.SUBSTITUTED: MeetingStatus.NO_SHOW,
    MeetingOutcome.CANCELLED: MeetingStatus.CANCELLED,
}


def came(person: Participant | None, rnd: Round) -> bool:
    """Whether `person` was there for `rnd`, as far as check-in and departure tell."""
    if person is None or person.checked_in_at_ms is None:
        return False
    if person.checked_in_at_ms >= rnd.ends_at_ms:
        return False
    return person.departed_at_ms is None or person.departed_at_ms > rnd.starts_at_ms


def outcome_of(state: EventState, meeting: Meeting, rnd: Round) -> Meeting:
    """`meeting` with its outcome (and the status and absent side that go with it)."""
    if meeting.status is MeetingStatus.CANCELLED:
        return dataclasses.replace(meeting, outcome=MeetingOutcome.CANCELLED)
    if meeting.status is MeetingStatus.NO_SHOW:
        kind = MeetingOutcome.SUBSTITUTED if meeting.replaced_by else MeetingOutcome.NO_SHOW
        return dataclasses.replace(meeting, outcome=kind)
    away = tuple(p for p in meeting.people if not came(state.participants.get(p), rnd))
    if all(any(p not in away for p in side) for side in (meeting.side_a, meeting.side_b)):
        return dataclasses.replace(meeting, status=MeetingStatus.HELD, outcome=MeetingOutcome.HELD)
    return dataclasses.replace(
        meeting, status=MeetingStatus.NO_SHOW, absent=away, outcome=MeetingOutcome.NO_SHOW
    )


def _pending(state: EventState, rnd: Round) -> list[Meeting]:
    """The round's meetings still without an outcome, by id. Called on every timekeeper
    tick for every ended round, so the common case (all recorded) is one cheap pass."""
    meetings = state.meetings
    pending = [
        m
        for mid in state.meetings_in_round.get(rnd.index, ())
        if (m := meetings[mid]).outcome is None and m.status is not MeetingStatus.REQUESTED
    ]
    return sorted(pending, key=lambda m: m.id)


def round_end_outcomes(
    state: EventState, now_ms: int, raised: Mapping[str, Alert] | None = None
) -> Change:
    """Outcomes for the meetings of every ended round that lack one, and the round's open
    alerts expired (those in `raised` too: alerts the same step raises, not in the state
    yet); an empty change when there is nothing left to record."""
    upserts: list[Record] = []
    ended: set[int] = set()
    for rnd in rounds_in_order(state):
        if phase_in(state, rnd, now_ms) is not Phase.ENDED:
            continue
        ended.add(rnd.index)
        upserts.extend(outcome_of(state, m, rnd) for m in _pending(state, rnd))
    if not ended:
        return Change()
    decided = {r.key: r for r in upserts if isinstance(r, Meeting)}
    for alert in (state.alerts | dict(raised or {})).values():
        if alert.is_open and alert.round in ended:
            meeting = decided.get(alert.meeting) or state.meetings.get(alert.meeting)
            outcome = meeting.outcome if meeting is not None else None
            upserts.append(close(alert, str(outcome or "ended"), now_ms, expired=True))
    return Change(upserts=tuple(upserts))


def set_outcome(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    """A moderator corrects a recorded outcome (held, no_show with `absent`, cancelled,
    substituted) once the meeting's round has ended."""
    meeting = find_meeting(state, args.text("meeting"))
    rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
    if rnd is None or phase_in(state, rnd, now_ms) is not Phase.ENDED:
        where = "is not placed in a round" if rnd is None else f"is in round {rnd.index}"
        raise RoundRunning(
            f"meeting {meeting.id} {where}, which has not ended: an outcome is recorded "
            "when its round ends (use mark_absent while it runs)",
            meeting=meeting.id,
        )
    name = args.text("outcome")
    try:
        outcome = MeetingOutcome(name)
    except ValueError:
        choices = ", ".join(o.value for o in MeetingOutcome)
        raise InvalidArgument(
            f"args.outcome must be one of {choices}, not {name!r}", arg="outcome"
        ) from None
    absent: tuple[str, ...] = ()
    if outcome is MeetingOutcome.NO_SHOW:
        absent = args.ids("absent")
        strangers = [p for p in absent if p not in meeting.people]
        if strangers:
            raise InvalidArgument(
                f"args.absent: {', '.join(strangers)} not in meeting {meeting.id}", arg="absent"
            )
    if outcome is MeetingOutcome.SUBSTITUTED:
        if not meeting.replaced_by:
            raise InvalidArgument(
                f"meeting {meeting.id} was not replaced by a substitute", arg="outcome"
            )
        absent = meeting.absent
    corrected = dataclasses.replace(
        meeting,
        outcome=outcome,
        status=_STATUS[outcome],
        absent=absent,
        replaced_by=meeting.replaced_by if outcome is MeetingOutcome.SUBSTITUTED else "",
    )
    return Change(upserts=(corrected,)) if corrected != meeting else Change()
