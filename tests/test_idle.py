"""Idle breaks in an event's agenda (server/core/idle.py): blocks of rounds, breaks per
person, what a move adds. Pure: built states, no server."""

from __future__ import annotations

from dataclasses import replace

from server.core import idle
from server.core.model import Break, MeetingStatus, Round
from server.core.state import Change, EventState
from tests.factory import T0_MS, meeting, small_state

MIN = 60_000


def _state(rounds: int = 6) -> EventState:
    return small_state(rounds=rounds, tables=4)


def _with(state: EventState, *records: object) -> EventState:
    state.apply(Change(upserts=tuple(records)))  # type: ignore[arg-type]
    return state


def test_back_to_back_rounds_of_one_day_are_one_block() -> None:
    assert idle.blocks(_state(4)) == ((1, 2, 3, 4),)


def test_a_break_record_a_skipped_round_a_long_gap_and_a_new_day_each_start_a_block() -> None:
    state = _state(8)
    lunch = Break(id="lunch", day=1, starts_at_ms=state.rounds[2].ends_at_ms,
                  ends_at_ms=state.rounds[3].seating_at_ms)  # fmt: skip
    r4 = state.rounds[4]
    late = replace(state.rounds[5], starts_at_ms=r4.ends_at_ms + 60 * MIN)
    r6, r7 = state.rounds[6], state.rounds[7]
    _with(state, lunch, late, replace(r6, starts_at_ms=late.starts_at_ms + 25 * MIN),
          replace(r7, skipped=True),
          replace(state.rounds[8], day=2, starts_at_ms=T0_MS + 24 * 60 * MIN))  # fmt: skip
    assert idle.blocks(state) == ((1, 2), (3, 4), (5, 6), (8,))


def test_breaks_count_idle_runs_between_meetings_within_a_block_only() -> None:
    state = _state(6)
    _with(state, meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 3, 1),
          meeting("m3", "p0", "p3", 6, 1), meeting("m4", "p1", "p2", 2, 2))  # fmt: skip
    # p0: rounds 1, 3, 6 -> idle in 2 and in 4-5: two breaks. p1: 1, 2 -> none.
    assert idle.breaks_of(state) == {"p0": 2, "p1": 0, "p2": 0, "p3": 0}
    lunch = Break(id="lunch", day=1, starts_at_ms=state.rounds[3].ends_at_ms,
                  ends_at_ms=state.rounds[4].seating_at_ms)  # fmt: skip
    _with(state, lunch)
    assert idle.breaks_of(state)["p0"] == 1  # 3 -> 6 spans lunch: not a break


def test_requested_and_cancelled_meetings_hold_nobody() -> None:
    state = _state(4)
    cancelled = replace(meeting("m2", "p0", "p2", 3, 1), status=MeetingStatus.CANCELLED)
    _with(state, meeting("m1", "p0", "p1", 1, 1), cancelled, meeting("m3", "p0", "p3"))
    assert idle.breaks_of(state) == {"p0": 0, "p1": 0}


def test_added_breaks_of_a_new_meeting_and_of_a_move() -> None:
    state = _state(6)
    _with(state, meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 2, 1),
          meeting("m3", "p1", "p3", 3, 2))  # fmt: skip
    # p0 meets in 1, 2; p1 in 1, 3 (one break, round 2).
    assert idle.added_breaks(state, ["p1", "p4"], 2) == -1  # fills p1's gap; p4 has none
    assert idle.added_breaks(state, ["p0", "p1"], 5) == 2  # both idle before round 5
    assert idle.added_breaks(state, ["p0", "p1"], 3) == 0
    # Moving m3 from round 3 to round 2: p1 goes 1, 3 -> 1, 2 (one break fewer).
    assert idle.added_breaks(state, ["p1", "p3"], 2, leaving=3) == -1


def test_added_breaks_each_splits_added_breaks_by_round_and_person() -> None:
    state = _state(6)
    _with(state, meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 2, 1),
          meeting("m3", "p1", "p3", 3, 2))  # fmt: skip
    each = idle.added_breaks_each(state, ["p1", "p3"], [2, 4, 6], leaving=3)
    # m3 from round 3: to 2 fills p1's gap; to 4 or 6 leaves p1 idle in 2-3 (or 2-5).
    assert each == {2: {"p1": -1, "p3": 0}, 4: {"p1": 0, "p3": 0}, 6: {"p1": 0, "p3": 0}}
    for index, people in each.items():
        total = idle.added_breaks(state, ["p1", "p3"], index, leaving=3)
        assert sum(people.values()) == total
    assert idle.added_breaks_each(state, ["p0"], [5]) == {5: {"p0": 1}}  # 1, 2 | idle 3-4


def test_the_measure_of_rounds_is_the_one_the_optimiser_uses() -> None:
    from server.solve import breaks

    assert breaks.person_breaks is idle.person_breaks
    assert idle.person_breaks({1, 3, 4, 7}, ((1, 2, 3, 4), (5, 6, 7))) == 1
    assert idle.person_breaks(set(), ((1, 2),)) == 0


def test_rounds_unchanged_by_measuring() -> None:
    state = _state(3)
    before = dict(state.rounds)
    idle.blocks(state)
    assert state.rounds == before and all(isinstance(r, Round) for r in state.rounds.values())
