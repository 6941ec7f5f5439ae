"""Round-phase maths (server/core/clock.py), pure: every instant is an argument."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.core.clock import (
    Boundary,
    Cue,
    Phase,
    boundaries,
    countdown_target_ms,
    due,
    effective_now,
    next_boundary_ms,
    phase_at,
)
from server.core.model import Break, Clock, Event, EventSettings, Record, Round
from server.core.state import EventState, state_from_records
from tests.clock_helpers import Between, moment

BERLIN = ZoneInfo("Europe/Berlin")
S, MIN = 1000, 60_000


def at(day: int, hhmm: str) -> int:
    """Local time on day 1 (10 June 2026) or day 2 of the test event, as UTC ms."""
    parts = [int(p) for p in hhmm.split(":")]
    h, m, s = (*parts, 0)[:3]
    return int(datetime(2026, 6, 9 + day, h, m, s, tzinfo=BERLIN).timestamp() * 1000)


def two_days(*, skipped: tuple[int, ...] = (), warning_s: int = 120) -> EventState:
    """Day 1: rounds 1-2 back to back, a 10-minute gap, round 3, lunch, round 4.
    Day 2: rounds 5-6. Every round seats 5 minutes and meets 20."""
    starts = {1: (1, "09:05"), 2: (1, "09:30"), 3: (1, "10:05"), 4: (1, "11:35")}
    starts |= {5: (2, "09:05"), 6: (2, "09:30")}
    records: list[Record] = [
        Event("ev", "Two days", timezone="Europe/Berlin", settings=EventSettings(warning_s)),
        Break(
            "lunch", day=1, starts_at_ms=at(1, "10:25"), ends_at_ms=at(1, "11:30"), label="Lunch"
        ),
    ]
    records += [Round(i, day, at(day, t), skipped=i in skipped) for i, (day, t) in starts.items()]
    return state_from_records(records, epoch="e", version=1)


def paused(state: EventState, at_ms: int) -> EventState:
    return state_from_records([*state.records(), Clock(paused_at_ms=at_ms)])


# One round seating at 09:00, starting 09:05, last minutes from 09:23, ending 09:25.
R = Round(1, 1, at(1, "09:05"))
SEAT, START, END = R.seating_at_ms, R.starts_at_ms, R.ends_at_ms
WARN = END - 120 * S
NO_CHANGEOVER = dataclasses.replace(R, changeover_s=0)
SHORT = dataclasses.replace(R, meeting_s=60)  # a 1-minute meeting, shorter than the warning
EXACT = dataclasses.replace(R, meeting_s=120)  # as long as the warning


@pytest.mark.parametrize(
    ("rnd", "now", "phase", "target"),
    [
        (R, SEAT - 1, Phase.UPCOMING, SEAT),
        (R, SEAT, Phase.SEATING, START),
        (R, SEAT + 1, Phase.SEATING, START),
        (R, START - 1, Phase.SEATING, START),
        (R, START, Phase.RUNNING, END),
        (R, START + 1, Phase.RUNNING, END),
        (R, WARN - 1, Phase.RUNNING, END),
        (R, WARN, Phase.LAST_MINUTES, END),
        (R, WARN + 1, Phase.LAST_MINUTES, END),
        (R, END - 1, Phase.LAST_MINUTES, END),
        (R, END, Phase.ENDED, None),
        (R, END + 1, Phase.ENDED, None),
        # Without changeover there is no seating: upcoming until the start.
        (NO_CHANGEOVER, START - 1, Phase.UPCOMING, START),
        (NO_CHANGEOVER, START, Phase.RUNNING, END),
        (NO_CHANGEOVER, WARN, Phase.LAST_MINUTES, END),
        # A warning at least as long as the meeting: last minutes from the start.
        (SHORT, START - 1, Phase.SEATING, START),
        (SHORT, START, Phase.LAST_MINUTES, START + 60 * S),
        (SHORT, START + 60 * S - 1, Phase.LAST_MINUTES, START + 60 * S),
        (SHORT, START + 60 * S, Phase.ENDED, None),
        (EXACT, START, Phase.LAST_MINUTES, START + 120 * S),
        (EXACT, START + 120 * S, Phase.ENDED, None),
        (dataclasses.replace(R, skipped=True), START, Phase.SKIPPED, None),
        (dataclasses.replace(R, skipped=True), SEAT - 1, Phase.SKIPPED, None),
    ],
)
def test_phase_and_countdown_around_every_boundary(
    rnd: Round, now: int, phase: Phase, target: int | None
) -> None:
    assert phase_at(rnd, now, warning_s=120) is phase
    assert countdown_target_ms(rnd, phase) == target


def test_a_paused_clock_freezes_the_phase_and_the_remaining_time() -> None:
    clock = Clock(paused_at_ms=WARN - 1)
    assert effective_now(END + 3_600_000, clock) == WARN - 1
    assert effective_now(END, Clock()) == END
    assert phase_at(R, END + 3_600_000, warning_s=120, clock=clock) is Phase.RUNNING
    state = paused(two_days(), at(1, "09:10"))
    for later in ("09:10", "09:40", "18:00"):
        now = moment(state, at(1, later))
        assert (now.phase, now.paused, now.remaining_ms) == (Phase.RUNNING, True, 15 * MIN)
        assert now.round is not None and now.round.index == 1
    running = moment(two_days(), at(1, "09:40"))
    assert (running.paused, running.remaining_ms) == (False, 10 * MIN)


@pytest.mark.parametrize(
    ("skipped", "day", "time", "phase", "rnd", "next_rnd", "target"),
    [
        ((), 1, "08:00", Phase.UPCOMING, 1, 2, (1, "09:00")),  # before day 1
        ((), 1, "09:02", Phase.SEATING, 1, 2, (1, "09:05")),
        ((), 1, "09:10", Phase.RUNNING, 1, 2, (1, "09:25")),
        ((), 1, "09:24", Phase.LAST_MINUTES, 1, 2, (1, "09:25")),
        ((), 1, "09:25", Phase.SEATING, 2, 3, (1, "09:30")),  # round 1 ends, 2 seats
        ((), 1, "09:55", Phase.UPCOMING, 3, 4, (1, "10:00")),  # between rounds
        ((), 1, "10:30", Between.BREAK, None, 4, (1, "11:30")),  # lunch
        ((), 1, "11:30", Phase.SEATING, 4, 5, (1, "11:35")),  # lunch is over
        ((), 1, "12:00", Phase.UPCOMING, 5, 6, (2, "09:00")),  # overnight
        ((), 2, "09:49", Phase.LAST_MINUTES, 6, None, (2, "09:50")),
        ((), 2, "09:50", Between.IDLE, None, None, None),  # after the last round
        ((), 2, "23:00", Between.IDLE, None, None, None),
        # Round 3 skipped: passed over, never current, never next.
        ((3,), 1, "09:40", Phase.RUNNING, 2, 4, (1, "09:50")),
        ((3,), 1, "09:55", Phase.UPCOMING, 4, 5, (1, "11:30")),
        ((3,), 1, "10:10", Phase.UPCOMING, 4, 5, (1, "11:30")),
        ((6,), 2, "09:26", Between.IDLE, None, None, None),
    ],
)
def test_moment_over_a_two_day_event(
    skipped: tuple[int, ...],
    day: int,
    time: str,
    phase: Phase | Between,
    rnd: int | None,
    next_rnd: int | None,
    target: tuple[int, str] | None,
) -> None:
    now = at(day, time)
    m = moment(two_days(skipped=skipped), now)
    assert m.phase is phase
    assert (m.round.index if m.round else None) == rnd
    assert (m.next_round.index if m.next_round else None) == next_rnd
    assert m.target_ms == (at(*target) if target else None)
    assert m.remaining_ms == (m.target_ms - now if m.target_ms is not None else None)
    assert m.paused is False
    assert (m.break_.id if m.break_ else None) == ("lunch" if phase is Between.BREAK else None)


def test_moment_without_rounds_is_idle() -> None:
    m = moment(EventState(), 0)
    assert (m.phase, m.round, m.next_round, m.target_ms, m.remaining_ms) == (
        Between.IDLE,
        None,
        None,
        None,
        None,
    )


def _state(*rounds: Round, warning_s: int = 120) -> EventState:
    event = Event("ev", "One", settings=EventSettings(warning_s))
    return state_from_records([event, *rounds])


def test_boundaries_of_one_round_and_the_cues_that_do_not_apply() -> None:
    assert boundaries(_state(R)) == [
        Boundary(SEAT, 1, Cue.SEATING),
        Boundary(START, 1, Cue.START),
        Boundary(WARN, 1, Cue.WARNING),
        Boundary(END, 1, Cue.END),
    ]
    assert [b.cue for b in boundaries(_state(NO_CHANGEOVER))] == [Cue.START, Cue.WARNING, Cue.END]
    assert [b.cue for b in boundaries(_state(EXACT))] == [Cue.SEATING, Cue.START, Cue.END]
    assert [b.cue for b in boundaries(_state(R, warning_s=0))] == [
        Cue.SEATING,
        Cue.START,
        Cue.END,
    ]
    assert boundaries(_state(dataclasses.replace(R, skipped=True))) == []


def test_boundaries_are_sorted_across_rounds_and_skip_skipped_rounds() -> None:
    cues = boundaries(two_days(skipped=(3,)))
    assert cues == sorted(cues)
    assert {b.round for b in cues} == {1, 2, 4, 5, 6}
    # Round 1 ends exactly when round 2 seats: the end bell comes first.
    assert [(b.round, b.cue) for b in cues if b.at_ms == at(1, "09:25")] == [
        (1, Cue.END),
        (2, Cue.SEATING),
    ]
    assert len(cues) == 5 * 4


@pytest.mark.parametrize(
    ("after", "until", "expected"),
    [
        ((1, "08:59"), (1, "09:00"), [(1, Cue.SEATING)]),
        ((1, "09:00"), (1, "09:05"), [(1, Cue.START)]),  # after is exclusive, until inclusive
        ((1, "09:05"), (1, "09:23"), [(1, Cue.WARNING)]),
        ((1, "09:23"), (1, "09:30"), [(1, Cue.END), (2, Cue.SEATING), (2, Cue.START)]),
        ((1, "09:26"), (1, "09:29"), []),
        ((2, "09:47"), (2, "23:00"), [(6, Cue.WARNING), (6, Cue.END)]),
    ],
)
def test_due(after: tuple[int, str], until: tuple[int, str], expected: list[object]) -> None:
    found = due(two_days(), at(*after), at(*until))
    assert [(b.round, b.cue) for b in found] == expected


def test_nothing_is_due_while_paused() -> None:
    state = paused(two_days(), at(1, "09:10"))
    assert due(state, at(1, "08:00"), at(2, "23:00")) == []
    assert next_boundary_ms(state, at(1, "09:10")) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ((1, "08:00"), (1, "09:00")),
        ((1, "09:00"), (1, "09:05")),  # strictly after now
        ((1, "09:24"), (1, "09:25")),
        ((1, "12:00"), (2, "09:00")),
        ((2, "09:49"), (2, "09:50")),
        ((2, "09:50"), None),  # none left
    ],
)
def test_next_boundary(now: tuple[int, str], expected: tuple[int, str] | None) -> None:
    assert next_boundary_ms(two_days(), at(*now)) == (at(*expected) if expected else None)
