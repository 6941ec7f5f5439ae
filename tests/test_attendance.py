"""Check-in, missing partners, absences, substitutes and departures, without a server."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from server.core import rules
from server.core.alerts import raise_alert
from server.core.command_args import Args
from server.core.commands import COMMANDS
from server.core.errors import (
    Forbidden,
    InvalidArgument,
    PersonPresent,
    RoundOver,
    UnknownParticipant,
)
from server.core.fresh import with_tokens
from server.core.model import AlertKind, AlertStatus, Clock, Meeting, MeetingOrigin, MeetingStatus
from server.core.state import Change, EventState, state_from_records
from server.core.views import Audience
from server.wire.protocol import Role
from tests.factory import T0_MS, meeting, minted, small_event_records

MOD = Audience(Role.MODERATOR)
SEATING_1 = T0_MS - 60_000  # round 1's seating (5 min changeover) has begun


def event() -> EventState:
    records = with_tokens("test-event", None, small_event_records(), minted())
    state = state_from_records(records, epoch="e", version=1)
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2))))
    return state


def run(state: EventState, name: str, actor: Audience = MOD, now_ms: int = SEATING_1,
        **args: Any) -> Change:  # fmt: skip
    change = COMMANDS[name].decide(state, Args(args, minted()), actor, now_ms)
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
    # Someone else's badge code from a phone is refused, not a check-in of the caller.
    anyone = Audience(Role.PARTICIPANT, "p3")
    with pytest.raises(Forbidden, match="not your code"):
        run(state, "check_in", anyone, code=state.participants["p2"].check_in_code)
    assert not state.participants["p3"].checked_in
    run(state, "check_in", anyone, code=state.participants["p3"].check_in_code.lower())
    assert state.participants["p3"].checked_in


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
    assert (alert.kind, alert.status) == (AlertKind.MISSING_PARTNER, AlertStatus.OPEN)
    assert not run(state, "report_missing_partner", anna, now_ms=T0_MS + 90_000)  # still open
    # The moderator records the no-show: Jonas is the one missing, Anna now needs a partner
    # (the same alert, upgraded), and someone is free to step in.
    run(state, "check_in", participant="p4")
    run(state, "mark_absent", meeting="m1", now_ms=T0_MS + 120_000)
    assert state.meetings["m1"].status is MeetingStatus.NO_SHOW
    assert state.meetings["m1"].absent == ("p1",)
    (alert,) = state.alerts.values()
    assert (alert.kind, alert.status, alert.waiting) == (
        AlertKind.NEEDS_PARTNER, AlertStatus.OPEN, ("p0",)
    )  # fmt: skip
    assert alert.reported_at_ms == T0_MS + 60_000 and not alert.no_candidates
    change = run(state, "accept_substitute", participant="p0", substitute="p4", round=1,
                 now_ms=T0_MS + 150_000)  # fmt: skip
    (new,) = [
        r for r in change.upserts if isinstance(r, Meeting) and r.origin is MeetingOrigin.SUBSTITUTE
    ]
    assert (new.people, new.round, new.table) == (("p0", "p4"), 1, 1)  # Anna keeps her table
    assert state.meetings["m1"].replaced_by == new.id
    closed = state.alerts[alert.id]
    assert (closed.status, closed.resolution, closed.closed_at_ms) == (
        AlertStatus.RESOLVED, "substituted", T0_MS + 150_000
    )  # fmt: skip


def test_substitute_frees_both_broken_meetings() -> None:
    state = event()
    for pid in ("p0", "p2"):
        run(state, "check_in", participant=pid)
    run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS)
    change = run(state, "accept_substitute", participant="p0", substitute="p2", round=1,
                 now_ms=T0_MS)  # fmt: skip
    broken = {r.id: r for r in change.upserts if isinstance(r, Meeting) and r.id in ("m1", "m2")}
    assert {m: (r.status, r.absent) for m, r in broken.items()} == {
        "m1": (MeetingStatus.NO_SHOW, ("p1",)),
        "m2": (MeetingStatus.NO_SHOW, ("p3",)),
    }
    assert all(a.status is AlertStatus.RESOLVED for a in state.alerts.values())


def test_nobody_who_is_here_is_called_absent_or_replaced() -> None:
    state = event()
    for pid in ("p0", "p1", "p2"):
        run(state, "check_in", participant=pid)
    with pytest.raises(PersonPresent, match="Anna Berg and Jonas Weber are all checked in"):
        run(state, "mark_absent", meeting="m1")
    with pytest.raises(PersonPresent, match="Jonas Weber is checked in"):
        run(state, "mark_absent", meeting="m1", participant="p1")
    # Ayşe (p2) waits for Jānis (p3): a substitute for her is fine, but never one for Anna,
    # whose partner Jonas is here.
    with pytest.raises(PersonPresent, match="Jonas Weber is here"):
        run(state, "accept_substitute", participant="p0", substitute="p2", round=1)
    with pytest.raises(PersonPresent, match="Jonas Weber is here"):
        run(state, "accept_substitute", participant="p2", substitute="p0", round=1)
    with pytest.raises(InvalidArgument, match="Jānis Bērziņš is not here"):
        run(state, "accept_substitute", participant="p3", substitute="p4", round=1)
    run(state, "mark_absent", meeting="m2")
    assert state.meetings["m2"].absent == ("p3",)


def test_no_show_with_nobody_free_says_so_and_with_nobody_here_closes() -> None:
    state = event()
    run(state, "check_in", participant="p0")
    run(state, "mark_absent", meeting="m1")
    (alert,) = state.alerts.values()
    assert alert.kind is AlertKind.NEEDS_PARTNER and alert.no_candidates  # nobody else is here
    run(state, "keep_waiting", alert=alert.id, now_ms=SEATING_1 + 1)
    assert (state.alerts[alert.id].status, state.alerts[alert.id].resolution) == (
        AlertStatus.RESOLVED, "free"
    )  # fmt: skip
    run(state, "mark_absent", meeting="m2")  # neither came: nobody waits
    assert state.meetings["m2"].absent == ("p2", "p3")
    assert "alert-m2" not in state.alerts


def test_alerts_upgrade_and_close_when_the_missing_person_arrives() -> None:
    state = event()
    run(state, "check_in", participant="p0")
    alert = raise_alert(state, state.meetings["m1"], AlertKind.AT_RISK, SEATING_1)
    assert alert is not None
    state.apply(Change(upserts=(alert,)))
    run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS)
    (upgraded,) = state.alerts.values()
    assert (upgraded.id, upgraded.kind, upgraded.reported_at_ms) == (
        alert.id, AlertKind.MISSING_PARTNER, T0_MS
    )  # fmt: skip
    assert raise_alert(state, state.meetings["m1"], AlertKind.AT_RISK, T0_MS) is None
    run(state, "check_in", participant="p1", now_ms=T0_MS + 5_000)
    closed = state.alerts[alert.id]
    assert (closed.status, closed.resolution, closed.closed_at_ms) == (
        AlertStatus.RESOLVED, "arrived", T0_MS + 5_000
    )  # fmt: skip


def test_reporting_needs_a_meeting_now_and_your_own() -> None:
    state = event()
    with pytest.raises(InvalidArgument, match="no meeting right now"):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p4"), now_ms=T0_MS)
    with pytest.raises(Forbidden, match="not yours"):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p4"), meeting="m1")
    with pytest.raises(RoundOver):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), meeting="m1",
            now_ms=state.rounds[1].ends_at_ms)  # fmt: skip


def test_the_meeting_now_is_the_one_the_paused_clock_shows() -> None:
    """Paused before round 1 seats, round 1 has not begun on any screen, however late it
    really is: a participant has no meeting "now" to report a missing partner in."""
    state = event()
    state.apply(Change(upserts=(Clock(paused_at_ms=state.rounds[1].seating_at_ms - 1),)))
    with pytest.raises(InvalidArgument, match="no meeting right now"):
        run(state, "report_missing_partner", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS)
    assert not state.alerts


def test_departure_cancels_what_has_not_started() -> None:
    state = event()
    later = dataclasses.replace(meeting("m3", "p0", "p2", 3, 1))
    state.apply(Change(upserts=(later,)))
    run(state, "depart", Audience(Role.PARTICIPANT, "p0"), now_ms=T0_MS + 60_000)
    assert state.participants["p0"].departed_at_ms == T0_MS + 60_000
    assert state.meetings["m1"].status is MeetingStatus.SCHEDULED  # already running
    assert state.meetings["m3"].status is MeetingStatus.CANCELLED
    assert state.meetings["m3"].absent == ("p0",)
    assert not run(state, "depart", participant="p0")


def test_departure_at_seating_leaves_the_partner_a_needs_partner_alert() -> None:
    state = event()
    for pid in ("p0", "p1"):
        run(state, "check_in", participant=pid)
    run(state, "depart", participant="p1")
    assert (state.meetings["m1"].status, state.meetings["m1"].absent) == (
        MeetingStatus.NO_SHOW, ("p1",)
    )  # fmt: skip
    (alert,) = state.alerts.values()
    assert (alert.kind, alert.waiting) == (AlertKind.NEEDS_PARTNER, ("p0",))


def test_an_alert_follows_its_meeting_and_ends_with_its_problem() -> None:
    state = event()
    for pid in ("p0", "p2"):
        run(state, "check_in", participant=pid)
    for mid in ("m1", "m2"):
        alert = raise_alert(state, state.meetings[mid], AlertKind.AT_RISK, SEATING_1)
        assert alert is not None
        state.apply(Change(upserts=(alert,)))
    run(state, "move_meeting", meeting="m1", table=3)
    assert (state.alerts["alert-m1"].table, state.alerts["alert-m1"].is_open) == (3, True)
    run(state, "move_meeting", meeting="m2", round=3, table=2)
    assert state.alerts["alert-m2"].resolution == "moved"
    run(state, "mark_absent", meeting="m1")
    run(state, "cancel_meeting", meeting="m1")
    closed = state.alerts["alert-m1"]
    assert (closed.status, closed.resolution) == (AlertStatus.RESOLVED, "cancelled")


def test_a_paused_round_is_not_over_even_past_its_planned_end() -> None:
    """While the clock is paused, time stands still for the rules too: a round paused
    before its end can still take a no-show and a missing-partner report."""
    state = event()
    end = state.rounds[1].ends_at_ms
    run(state, "pause_clock", now_ms=end - 60_000)
    later = end + 10 * 60_000  # past the planned end, still paused
    run(state, "check_in", actor=Audience(Role.PARTICIPANT, "p0"), now_ms=later)
    run(state, "report_missing_partner", actor=Audience(Role.PARTICIPANT, "p0"), now_ms=later,
        meeting="m1")  # fmt: skip
    assert state.alerts, "the report raised no alert"
    run(state, "mark_absent", meeting="m1", participant="p1", now_ms=later)
    assert state.meetings["m1"].absent == ("p1",)
    run(state, "resume_clock", now_ms=later)
    with pytest.raises(RoundOver):  # once running again, the end comes (moved by the pause)
        run(state, "mark_absent", meeting="m2", participant="p3",
            now_ms=later + (end - (end - 60_000)) + 1)  # fmt: skip
