"""Rehearsal mode: the rehearsal event and its plan (pure, fast)."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from typing import Any

import pytest

from server.model import MeetingStatus
from server.rehearsal_plan import Act, Anchor, RehearsalOptions, make_plan, rehearsal_records
from server.state import EventState, state_from_records

T0_MS = 1_780_000_000_000
SMALL = RehearsalOptions(participants=60, rounds=4, round_minutes=0.75, seating_s=15,
                         start_in_s=5, walk_ins=1, event_id="rehearsal-test")  # fmt: skip


def planned_state(options: RehearsalOptions) -> EventState:
    event, records = rehearsal_records(options, T0_MS)
    return state_from_records([event, *records])


# -- the event and the plan (pure) ---------------------------------------------------------


def test_the_rehearsal_event_has_back_to_back_rounds_a_full_schedule_and_spare_tables() -> None:
    options = dataclasses.replace(SMALL, walk_ins=2)
    state = planned_state(options)
    rounds = [state.rounds[i] for i in sorted(state.rounds)]
    assert [r.index for r in rounds] == [1, 2, 3, 4]
    assert rounds[0].seating_at_ms == T0_MS
    assert all(r.meeting_s == 45 and r.changeover_s == 15 for r in rounds)
    assert all(b.seating_at_ms == a.ends_at_ms for a, b in itertools.pairwise(rounds))
    assert state.meetings
    assert all(m.status is MeetingStatus.SCHEDULED and m.round in state.rounds
               for m in state.meetings.values())  # fmt: skip
    spare = [t.number for t in state.tables.values() if t.zone == "Walk-ins"]
    assert len(spare) == 2
    assert not any((t, r) in state.table_use for t in spare for r in state.rounds)


def test_same_seed_same_plan_another_seed_another_plan() -> None:
    state = planned_state(SMALL)
    plan = make_plan(state, SMALL)
    assert make_plan(planned_state(SMALL), SMALL) == plan
    other = make_plan(state, dataclasses.replace(SMALL, seed=2))
    assert other != plan
    assert other.no_shows != plan.no_shows


def test_the_plan_respects_the_shares() -> None:
    options = dataclasses.replace(SMALL, participants=200, no_show_share=0.2, late_share=0.25,
                                  report_share=0.5, depart_share=0.1, walk_ins=3)  # fmt: skip
    state = planned_state(options)
    plan = make_plan(state, options)
    people = set(state.participants)
    comers = people - plan.no_shows
    assert len(plan.no_shows) == round(0.2 * len(people))
    assert len(plan.late) == round(0.25 * len(comers))
    assert len(plan.reporters) == round(0.5 * len(comers))
    assert len(plan.departures) == round(0.1 * len(comers))
    checked_in = Counter(a.people[0] for a in plan.actions if a.act is Act.CHECK_IN)
    assert set(checked_in) == comers  # the no-shows never come, everyone else once
    assert set(checked_in.values()) == {1}
    for action in plan.actions:
        who = action.people[0]
        if action.act is Act.CHECK_IN and who in plan.late:
            assert action.anchor is Anchor.START and action.offset_s > 0  # after it started
        if action.act is Act.REPORT:
            assert who in plan.reporters
        if action.act is Act.DEPART:
            assert who in plan.departures and who not in plan.late
    walk_ins = [a for a in plan.actions if a.act is Act.WALK_IN]
    assert 0 < len(walk_ins) <= 3 * options.rounds
    for a in walk_ins:
        x, y = a.people
        assert (x, a.round) not in state.seat_of and (y, a.round) not in state.seat_of
        assert state.participants[x].organisation != state.participants[y].organisation
        assert not plan.no_shows & {x, y}


@pytest.mark.parametrize(
    "bad",
    [{"no_show_share": 1.5}, {"late_share": -0.1}, {"rounds": 0}, {"round_minutes": 0.1},
     {"seating_s": 2}, {"participants": 3}, {"walk_ins": -1}],
)  # fmt: skip
def test_options_out_of_range_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="--"):
        dataclasses.replace(SMALL, **bad).check()
    SMALL.check()
