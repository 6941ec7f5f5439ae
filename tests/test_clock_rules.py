"""Moderator clock commands (server/core/clock_rules.py), pure: state and time in, change out."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.core import clock_rules
from server.core.clock import Phase, phase_at, rounds_in_order
from server.core.errors import (
    AlreadyPaused,
    ClockPaused,
    InvalidArgument,
    MatchboardError,
    NoCurrentRound,
    NotPaused,
    RoundOver,
    RoundRunning,
    ScheduleConflict,
    UnknownRound,
)
from server.core.model import Break, Clock, Round
from server.core.state import Change, EventState, state_from_records
from tests.clock_helpers import moment, rounds_left_today
from tests.test_clock import BERLIN, MIN, at, paused, two_days

Op = Callable[[EventState, int], Change]


def applied(state: EventState, change: Change) -> EventState:
    after = state_from_records(state.records(), epoch=state.epoch, version=state.version + 1)
    after.apply(change)
    return after


def _hhmm(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, BERLIN).strftime("%H:%M:%S").removesuffix(":00")


def times(state: EventState) -> dict[str, str]:
    """Every round as "seating/start-end" and every break as "start-end", local time."""
    out = {}
    for r in state.rounds.values():
        skipped = " skipped" if r.skipped else ""
        out[f"r{r.index}"] = f"{_hhmm(r.seating_at_ms)}/{_hhmm(r.starts_at_ms)}-"
        out[f"r{r.index}"] += f"{_hhmm(r.ends_at_ms)}{skipped}"
    for b in state.breaks.values():
        out[b.id] = f"{_hhmm(b.starts_at_ms)}-{_hhmm(b.ends_at_ms)}"
    return out


BEFORE = times(two_days())
DAY_2 = {k: BEFORE[k] for k in ("r5", "r6")}


@pytest.mark.parametrize(
    ("time", "op", "changed"),
    [
        # Extend: the rounds after it move as far as they would overlap, no further.
        ("09:10", lambda s, t: clock_rules.extend_round(s, t, 10),
         {"r1": "09:00/09:05-09:35", "r2": "09:35/09:40-10:00"}),
        # ... and lunch absorbs what reaches it; round 4 stays; day 2 is untouched.
        ("09:24", lambda s, t: clock_rules.extend_round(s, t, 30),
         {"r1": "09:00/09:05-09:55", "r2": "09:55/10:00-10:20", "r3": "10:20/10:25-10:45",
          "lunch": "10:45-11:30"}),
        ("09:40", lambda s, t: clock_rules.extend_round(s, t, 60),
         {"r2": "09:25/09:30-10:50", "r3": "10:50/10:55-11:15", "lunch": "11:15-11:30"}),
        ("11:40", lambda s, t: clock_rules.extend_round(s, t, 60), {"r4": "11:30/11:35-12:55"}),
        # Delay: only what has not started today moves, breaks with it.
        ("09:10", lambda s, t: clock_rules.delay_remaining(s, t, 10),
         {"r2": "09:35/09:40-10:00", "r3": "10:10/10:15-10:35", "r4": "11:40/11:45-12:05",
          "lunch": "10:35-11:40"}),
        ("09:27", lambda s, t: clock_rules.delay_remaining(s, t, 5),  # round 2 is seating
         {"r2": "09:30/09:35-09:55", "r3": "10:05/10:10-10:30", "r4": "11:35/11:40-12:00",
          "lunch": "10:30-11:35"}),
        ("09:55", lambda s, t: clock_rules.delay_remaining(s, t, -5),
         {"r3": "09:55/10:00-10:20", "r4": "11:25/11:30-11:50", "lunch": "10:20-11:25"}),
        ("10:30", lambda s, t: clock_rules.delay_remaining(s, t, 15),  # lunch gets longer
         {"r4": "11:45/11:50-12:10", "lunch": "10:25-11:45"}),
        ("08:00", lambda s, t: clock_rules.delay_remaining(s, t, 120),  # before day 1
         {"r1": "11:00/11:05-11:25", "r2": "11:25/11:30-11:50", "r3": "12:00/12:05-12:25",
          "r4": "13:30/13:35-13:55", "lunch": "12:25-13:30"}),
        # End early, to the second.
        ("09:12:30", lambda s, t: clock_rules.end_round_early(s, t + 999),
         {"r1": "09:00/09:05-09:12:30"}),
        ("09:05", lambda s, t: clock_rules.end_round_early(s, t), {"r1": "09:00/09:05-09:05"}),
        # Start the next round now: its seating is cut short, or skipped ...
        ("09:27", clock_rules.start_next_round_now, {"r2": "09:25/09:27-09:47"}),
        ("09:55", clock_rules.start_next_round_now, {"r3": "09:55/09:55-10:15"}),
        # ... and a break in progress ends.
        ("10:30", clock_rules.start_next_round_now, {"r4": "10:30/10:30-10:50",
                                                     "lunch": "10:25-10:30"}),
        ("09:10", lambda s, t: clock_rules.skip_round(s, t, 3),
         {"r3": "10:00/10:05-10:25 skipped"}),
        ("09:27", lambda s, t: clock_rules.skip_round(s, t, 2),  # seating: not too late
         {"r2": "09:25/09:30-09:50 skipped"}),
    ],
)  # fmt: skip
def test_operation_results(time: str, op: Op, changed: dict[str, str]) -> None:
    state = two_days()
    after = applied(state, op(state, at(1, time)))
    assert times(after) == BEFORE | changed
    assert times(state) == BEFORE  # the state given is never mutated


def test_extending_into_a_short_break_eats_it_and_moves_the_round_after() -> None:
    state = two_days()
    coffee = dataclasses.replace(state.breaks["lunch"], ends_at_ms=at(1, "10:35"))
    state = applied(state, Change(upserts=(coffee, _moved(state.rounds[4], at(1, "10:40")))))
    after = applied(state, clock_rules.extend_round(state, at(1, "10:10"), 15))
    assert times(after) == times(state) | {
        "r3": "10:00/10:05-10:40",
        "lunch": "10:40-10:40",
        "r4": "10:40/10:45-11:05",
    }


def _moved(rnd: Round, starts_at_ms: int) -> Round:
    return dataclasses.replace(rnd, starts_at_ms=starts_at_ms)


def test_pause_then_resume_keeps_a_running_round_remaining_time_exactly() -> None:
    state = two_days()
    pause_at = at(1, "09:15") + 123
    state = applied(state, clock_rules.pause(state, pause_at))
    assert state.clock == Clock(paused_at_ms=pause_at)
    left = moment(state, at(1, "09:45")).remaining_ms
    resume_at = at(1, "09:45") + 456
    resumed = applied(state, clock_rules.resume(state, resume_at))
    assert resumed.clock == Clock()
    now = moment(resumed, resume_at)
    assert (now.phase, now.remaining_ms, now.paused) == (Phase.RUNNING, left, False)
    assert left == 10 * 60_000 - 123
    assert resumed.rounds[1].ends_at_ms == resume_at + left
    for index in (1, 2, 3, 4):
        assert resumed.rounds[index].starts_at_ms - state.rounds[index].starts_at_ms == (
            resume_at - pause_at
        )
    assert resumed.breaks["lunch"].starts_at_ms - state.breaks["lunch"].starts_at_ms == (
        resume_at - pause_at
    )
    assert {k: times(resumed)[k] for k in DAY_2} == DAY_2


def test_resume_moves_only_what_was_not_over_at_the_pause() -> None:
    state = paused(two_days(), at(1, "09:25"))  # round 1 ends exactly then
    resumed = applied(state, clock_rules.resume(state, at(1, "09:35")))
    assert times(resumed) == BEFORE | {
        "r2": "09:35/09:40-10:00",
        "r3": "10:10/10:15-10:35",
        "r4": "11:40/11:45-12:05",
        "lunch": "10:35-11:40",
    }
    # Paused during lunch: lunch and round 4 move, the rounds before stay.
    state = paused(two_days(), at(1, "11:00"))
    resumed = applied(state, clock_rules.resume(state, at(1, "11:20")))
    assert times(resumed) == BEFORE | {"r4": "11:50/11:55-12:15", "lunch": "10:45-11:50"}


def test_while_paused_only_resume_and_skipping_a_future_round() -> None:
    state = paused(two_days(), at(1, "09:10"))
    later = at(1, "10:30")
    skipped = applied(state, clock_rules.skip_round(state, later, 3))
    assert skipped.rounds[3].skipped
    # Round 1 was running when the clock stopped: it still counts as running.
    with pytest.raises(RoundOver, match="round 1 already started at 09:05"):
        clock_rules.skip_round(state, later, 1)
    for op in (
        clock_rules.start_next_round_now,
        clock_rules.end_round_early,
        lambda s, t: clock_rules.extend_round(s, t, 5),
        lambda s, t: clock_rules.delay_remaining(s, t, 5),
    ):
        with pytest.raises(ClockPaused, match=r"paused \(since 09:10\): resume it first") as e:
            op(state, later)
        assert e.value.code == "clock_paused"


def test_skipping_twice_changes_nothing() -> None:
    state = two_days(skipped=(3,))
    assert clock_rules.skip_round(state, at(1, "09:00"), 3) == Change()


def test_rounds_left_today() -> None:
    state = two_days(skipped=(3,))
    assert [r.index for r in rounds_left_today(state, at(1, "09:27"))] == [2, 4]
    assert [r.index for r in rounds_left_today(state, at(1, "12:00"))] == [5, 6]
    assert rounds_left_today(state, at(2, "10:00")) == []


def test_times_in_messages_are_in_the_event_timezone_or_utc() -> None:
    state = two_days()
    assert clock_rules.hhmm(state, at(1, "09:05")) == "09:05"
    assert clock_rules.hhmm(EventState(), at(1, "09:05")) == "07:05"


@pytest.mark.parametrize(
    ("state", "time", "op", "error", "code", "words"),
    [
        (paused(two_days(), at(1, "09:10")), "09:20", clock_rules.pause, AlreadyPaused,
         "already_paused", "already paused since 09:10"),
        (two_days(), "09:20", clock_rules.resume, NotPaused, "not_paused", "not paused"),
        (two_days(), "09:10", lambda s, t: clock_rules.extend_round(s, t, 0), InvalidArgument,
         "invalid_argument", "between 1 and 60; got 0"),
        (two_days(), "09:10", lambda s, t: clock_rules.extend_round(s, t, 61), InvalidArgument,
         "invalid_argument", "got 61"),
        (two_days(), "09:10", lambda s, t: clock_rules.delay_remaining(s, t, 0), InvalidArgument,
         "invalid_argument", "not 0"),
        (two_days(), "09:10", lambda s, t: clock_rules.delay_remaining(s, t, -31),
         InvalidArgument, "invalid_argument", "between -30 and 120"),
        (two_days(), "09:10", lambda s, t: clock_rules.delay_remaining(s, t, 121),
         InvalidArgument, "invalid_argument", "got 121"),
        (two_days(), "09:02", lambda s, t: clock_rules.extend_round(s, t, 5), NoCurrentRound,
         "no_current_round", "no round is running at 09:02; round 1 starts at 09:05"),
        (two_days(), "09:55", clock_rules.end_round_early, NoCurrentRound,
         "no_current_round", "no round is running at 09:55; round 3 starts at 10:05"),
        (two_days(), "09:10", clock_rules.start_next_round_now, RoundRunning,
         "round_running", "round 1 is still running until 09:25"),
        (two_days(), "09:24", clock_rules.start_next_round_now, RoundRunning,
         "round_running", "round 1 is still running until 09:25"),
        (two_days(skipped=(6,)), "day 2 09:26", clock_rules.start_next_round_now, NoCurrentRound,
         "no_current_round", "no round is left to start after 09:26"),
        (two_days(), "09:10", lambda s, t: clock_rules.delay_remaining(s, t, -5),
         ScheduleConflict, "schedule_conflict",
         "moving round 2 5 minutes earlier would start its seating at 09:20, "
         "before round 1 ends at 09:25"),
        (two_days(), "09:55", lambda s, t: clock_rules.delay_remaining(s, t, -10),
         ScheduleConflict, "schedule_conflict",
         "round 3 10 minutes earlier would start its seating at 09:50, which is already past"),
        (two_days(), "09:27", lambda s, t: clock_rules.delay_remaining(s, t, -5),
         ScheduleConflict, "schedule_conflict", "would start it at 09:25, which is already past"),
        (two_days(), "11:40", lambda s, t: clock_rules.delay_remaining(s, t, 5), NoCurrentRound,
         "no_current_round", "no round of day 1 is left to delay after 11:40"),
        (two_days(skipped=(6,)), "day 2 09:30", lambda s, t: clock_rules.delay_remaining(s, t, 5),
         NoCurrentRound, "no_current_round", "no round is left to delay after 09:30"),
        (two_days(), "09:10", lambda s, t: clock_rules.skip_round(s, t, 9), UnknownRound,
         "unknown_round", "round 9 does not exist"),
        (two_days(), "09:10", lambda s, t: clock_rules.skip_round(s, t, 1), RoundOver,
         "round_over", "round 1 already started at 09:05"),
        (two_days(), "09:30", lambda s, t: clock_rules.skip_round(s, t, 1), RoundOver,
         "round_over", "round 1 already ended at 09:25"),
    ],
)  # fmt: skip
def test_errors(
    state: EventState, time: str, op: Op, error: type[MatchboardError], code: str, words: str
) -> None:
    day, _, hhmm = time.rpartition(" ")
    with pytest.raises(error) as caught:
        op(state, at(2 if day == "day 2" else 1, hhmm))
    assert caught.value.code == code
    assert words in caught.value.message


# -- Property: any sequence of commands keeps each day's rounds apart and never rewinds one.

COMMANDS: dict[str, Callable[[EventState, int, int], Change]] = {
    "pause": lambda s, t, _: clock_rules.pause(s, t),
    "resume": lambda s, t, _: clock_rules.resume(s, t),
    "extend": lambda s, t, n: clock_rules.extend_round(s, t, n % 62),  # mostly 1..60
    "delay": clock_rules.delay_remaining,
    "end_early": lambda s, t, _: clock_rules.end_round_early(s, t),
    "start_now": lambda s, t, _: clock_rules.start_next_round_now(s, t),
    "skip": lambda s, t, n: clock_rules.skip_round(s, t, n % 7 + 1),
}
PROGRESS = {Phase.UPCOMING: 0, Phase.SEATING: 0, Phase.RUNNING: 1, Phase.LAST_MINUTES: 1}
ORDER = [Phase.UPCOMING, Phase.SEATING, Phase.RUNNING, Phase.LAST_MINUTES, Phase.ENDED]


def _progress(state: EventState, now: int) -> dict[int, int]:
    """0 not started, 1 under way, 2 over, per round not skipped."""
    out = {}
    for r in state.rounds.values():
        phase = phase_at(r, now, warning_s=120, clock=state.clock)
        if phase is not Phase.SKIPPED:
            out[r.index] = PROGRESS.get(phase, 2)
    return out


def _assert_rounds_apart(state: EventState) -> None:
    for day in (1, 2):
        rounds = [r for r in rounds_in_order(state) if r.day == day and not r.skipped]
        for prev, rnd in itertools.pairwise(rounds):
            assert rnd.seating_at_ms >= prev.ends_at_ms, (prev, rnd)
        assert all(r.meeting_s >= 0 and r.changeover_s >= 0 for r in rounds)


def _assert_monotone_in_time(rnd: Round, start: int) -> None:
    samples = [start + k * 3 * MIN for k in range(60)]
    ranks = [ORDER.index(phase_at(rnd, t, warning_s=120)) for t in samples]
    assert ranks == sorted(ranks), rnd


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*COMMANDS, "extend", "delay", "start_now"]),
            st.integers(min_value=0, max_value=40 * 60),  # seconds since the last command
            st.integers(min_value=-35, max_value=125),  # minutes, or a round to skip
        ),
        max_size=25,
    )
)
def test_any_sequence_of_commands_keeps_rounds_apart_and_never_rewinds(
    steps: list[tuple[str, int, int]],
) -> None:
    state, now = two_days(), at(1, "08:55")
    for name, wait_s, arg in steps:
        now += wait_s * 1000
        before = _progress(state, now)
        try:
            change = COMMANDS[name](state, now, arg)
        except MatchboardError:
            continue
        assert all(isinstance(r, Round | Break | Clock) for r in change.upserts)
        state = applied(state, change)
        _assert_rounds_apart(state)
        after = _progress(state, now)
        assert all(after[i] >= before[i] for i in after if i in before), (name, before, after)
        if state.clock.paused_at_ms is None:
            for rnd in state.rounds.values():
                if not rnd.skipped:
                    _assert_monotone_in_time(rnd, now)
