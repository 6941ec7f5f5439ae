"""Outcomes recorded once when a round ends, alerts expiring with them, and corrections."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from server.core import rules
from server.core.command_args import Args
from server.core.commands import COMMANDS
from server.core.errors import InvalidArgument, ParticipantBusy, RoundRunning
from server.core.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Clock,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Participant,
)
from server.core.outcomes import round_end_outcomes
from server.core.state import Change, EventState
from server.core.views import Audience
from server.wire.protocol import Role
from tests.factory import T0_MS, meeting, small_state

MOD = Audience(Role.MODERATOR)
O = MeetingOutcome  # noqa: E741
S = MeetingStatus


def event() -> EventState:
    """Round 1: m1 held (both here), m2 where p3 never came (with an open alert), m3
    cancelled, m4 a no-show that a substitute replaced by m5 (p6 with p7)."""
    state = small_state(tables=6, people=8)
    here = ("p0", "p1", "p2", "p6", "p7")
    people = [
        dataclasses.replace(p, checked_in_at_ms=T0_MS - 300_000)
        for p in state.participants.values()
        if p.id in here
    ]
    meetings = [
        meeting("m1", "p0", "p1", 1, 1),
        meeting("m2", "p2", "p3", 1, 2),
        dataclasses.replace(meeting("m3", "p4", "p5", 1, 3), status=S.CANCELLED),
        dataclasses.replace(
            meeting("m4", "p6", "p5", 1, 4), status=S.NO_SHOW, absent=("p5",), replaced_by="m5"
        ),
        dataclasses.replace(meeting("m5", "p6", "p7", 1, 4)),
        meeting("m6", "p0", "p2", 2, 1),
    ]
    alert = Alert("alert-m2", AlertKind.MISSING_PARTNER, "m2", 1, 2, "p2", T0_MS,
                  reported_at_ms=T0_MS)  # fmt: skip
    state.apply(Change(upserts=(*people, *meetings, alert)))
    return state


def apply(state: EventState, change: Change) -> None:
    rules.check(state, change)
    state.apply(change)


def test_each_meeting_of_an_ended_round_gets_one_outcome() -> None:
    state = event()
    end = state.rounds[1].ends_at_ms
    assert not round_end_outcomes(state, end - 1)  # still running
    apply(state, round_end_outcomes(state, end))
    got = {m.id: (m.outcome, m.status, m.absent) for m in state.meetings.values()}
    assert got == {
        "m1": (O.HELD, S.HELD, ()),
        "m2": (O.NO_SHOW, S.NO_SHOW, ("p3",)),
        "m3": (O.CANCELLED, S.CANCELLED, ()),
        "m4": (O.SUBSTITUTED, S.NO_SHOW, ("p5",)),
        "m5": (O.HELD, S.HELD, ()),
        "m6": (None, S.SCHEDULED, ()),  # round 2 has not ended
    }
    alert = state.alerts["alert-m2"]
    assert (alert.status, alert.resolution, alert.closed_at_ms) == (
        AlertStatus.EXPIRED, "no_show", end
    )  # fmt: skip
    assert not round_end_outcomes(state, end + 60_000)  # recorded once: nothing left to do


def test_a_paused_clock_holds_the_round_end_back() -> None:
    state = event()
    state.apply(Change(upserts=(Clock(paused_at_ms=T0_MS),)))
    assert not round_end_outcomes(state, state.rounds[1].ends_at_ms + 60_000)


def test_who_came_counts_by_check_in_and_departure_times() -> None:
    state = event()
    rnd = state.rounds[1]
    late = dataclasses.replace(state.participants["p3"], checked_in_at_ms=rnd.ends_at_ms)
    left = dataclasses.replace(state.participants["p1"], departed_at_ms=rnd.starts_at_ms - 1)
    state.apply(Change(upserts=(late, left)))
    apply(state, round_end_outcomes(state, rnd.ends_at_ms))
    assert state.meetings["m1"].absent == ("p1",)  # left before it started
    assert state.meetings["m2"].absent == ("p3",)  # checked in only after it ended


def run(state: EventState, now_ms: int, **args: Any) -> None:
    apply(state, COMMANDS["set_outcome"].decide(state, Args(args), MOD, now_ms))


def test_a_moderator_corrects_an_outcome() -> None:
    state = event()
    end = state.rounds[1].ends_at_ms
    with pytest.raises(RoundRunning, match="has not ended"):
        run(state, end - 1, meeting="m1", outcome="no_show", absent=["p1"])
    apply(state, round_end_outcomes(state, end))
    run(state, end, meeting="m2", outcome="held")  # p3 came, but never checked in
    assert (state.meetings["m2"].outcome, state.meetings["m2"].absent) == (O.HELD, ())
    run(state, end, meeting="m1", outcome="no_show", absent=["p1"])
    assert (state.meetings["m1"].status, state.meetings["m1"].absent) == (S.NO_SHOW, ("p1",))
    with pytest.raises(InvalidArgument, match="p5 not in meeting m1"):
        run(state, end, meeting="m1", outcome="no_show", absent=["p5"])
    with pytest.raises(InvalidArgument, match="one of held, no_show"):
        run(state, end, meeting="m1", outcome="kept")
    with pytest.raises(InvalidArgument, match="not replaced"):
        run(state, end, meeting="m1", outcome="substituted")
    with pytest.raises(ParticipantBusy, match="already has a meeting in round 1"):
        run(state, end, meeting="m4", outcome="held")  # p6 met p7 instead


def test_every_recorded_outcome_is_a_valid_state() -> None:
    """Outcomes go through the invariants like every other change."""
    state = event()
    change = round_end_outcomes(state, state.rounds[1].ends_at_ms)
    rules.check(state, change)
    assert all(isinstance(r, Meeting | Alert | Participant) for r in change.upserts)
