"""Check-in, missing partners, absences, substitutes and departures, without a server."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from server import rules
from server.command_args import Args
from server.commands import COMMANDS
from server.errors import Forbidden, InvalidArgument, RoundOver, UnknownParticipant
from server.model import AlertStatus, Meeting, MeetingOrigin, MeetingStatus
from server.protocol import Role
from server.service import with_tokens
from server.state import Change, EventState, state_from_records
from server.views import Audience
from tests.factory import T0_MS, meeting, small_event_records

MOD = Audience(Role.MODERATOR)
SEATING_1 = T0_MS - 60_000  # round 1's seating (5 min changeover) has begun


def event() -> EventState:
    records = with_tokens("test-event", None, small_event_records())
    state = state_from_records(records, epoch="e", version=1)
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2))))
    return state


def run(state: EventState, name: str, actor: Audience = MOD, now_ms: int = SEATING_1,
        **args: Any) -> Change:  # fmt: skip
    change = COMMANDS[name].decide(state, Args(args), actor, now_ms)
    rules.check(state, change)
    state.apply(change)
    return change


def test_check_in_by_self_by_id_and_by_badge_code() -> None:
    state = event()
    run(state, "check_in", Audience(Role.PARTICIPANT, "p0"))
    assert state.participants["p0"].checked_in_at_ms == SEATING_1
    assert not run(state, "check_in", Audience(Role.PARTICIPANT, "p0"))  # twice: no change
    run(state, "check_in", participant="p1")
    code = state.participants["p2"].check_in_code
    assert len(code) == 10
    run(state, "check_in", code=code.lower())
    assert state.participants["p2"].checked_in
    run(state, "undo_check_in", participant="p2")
    assert not state.participants["p2"].checked_in
    with pytest.raises(UnknownParticipant, match="check-in code"):
        run(state, "check_in", code="NOPE")
    with pytest.raises(Forbidden):
        run(state, "check_in", Audience(Role.PARTICIPANT, "p0"), participant="p1")


def test_the_no_show_story() -> None:
    state = event()
    anna = Audience(Role.PARTICIPANT, "p0")
    run(state, "check_in", anna)
    for pid in ("p2", "p3"):
        run(state, "check_in", participant=pid)
    # Anna is at table 1; Jonas (p1) never checked in. She reports it from her phone.
    run(state, "report_missing_partner", anna, now_ms=T0_MS + 60_000)
    (alert,) = state.alerts.values()
    assert (alert.meeting, alert.round, alert.table, alert.reporter) == ("m1", 1, 1, "p0")
    assert alert.status is AlertStatus.OPEN
    assert not run(state, "report_missing_partner", anna, now_ms=T0_MS + 90_000)  # still open
    # The moderator records the no-show and seats Anna with Ayşe's substitute... here p4.
    run(state, "check_in", participant="p4")
    run(state, "mark_absent", meeting="m1", now_ms=T0_MS + 120_000)
    assert state.meetings["m1"].status is MeetingStatus.NO_SHOW
    assert state.alerts[alert.id].status is AlertStatus.RESOLVED
    change = run(state, "accept_substitute", participant="p0", substitute="p4", round=1,
                 now_ms=T0_MS + 150_000)  # fmt: skip
    (new,) = [
        r for r in change.upserts if isinstance(r, Meeting) and r.origin is MeetingOrigin.SUBSTITUTE
    ]
    assert (new.people, new.round, new.table) == (("p0", "p4"), 1, 1)  # Anna keeps her table


def test_substitute_frees_both_broken_meetings() -> None:
    state = event()
    run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS)
    change = run(state, "accept_substitute", participant="p0", substitute="p2", round=1,
                 now_ms=T0_MS)  # fmt: skip
    statuses = {r.id: r.status for r in change.upserts if isinstance(r, Meeting)}
    assert statuses["m1"] is MeetingStatus.NO_SHOW
    assert statuses["m2"] is MeetingStatus.NO_SHOW
    assert all(a.status is AlertStatus.RESOLVED for a in state.alerts.values())


def test_reporting_needs_a_meeting_now_and_your_own() -> None:
    state = event()
    with pytest.raises(InvalidArgument, match="no meeting right now"):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p4"), now_ms=T0_MS)
    with pytest.raises(Forbidden, match="not yours"):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p4"), meeting="m1")
    with pytest.raises(RoundOver):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), meeting="m1",
            now_ms=state.rounds[1].ends_at_ms)  # fmt: skip


def test_departure_cancels_what_has_not_started() -> None:
    state = event()
    later = dataclasses.replace(meeting("m3", "p0", "p2", 3, 1))
    state.apply(Change(upserts=(later,)))
    run(state, "depart", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS + 60_000)
    assert state.participants["p0"].departed_at_ms == T0_MS + 60_000
    assert state.meetings["m1"].status is MeetingStatus.SCHEDULED  # already running
    assert state.meetings["m3"].status is MeetingStatus.CANCELLED
    assert not run(state, "depart", participant="p0")
