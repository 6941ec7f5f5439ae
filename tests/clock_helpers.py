"""Clock maths only the tests need, over server/core/clock.py's: what a hall screen shows right
now (`moment`, the Python twin of frontend/src/lib/phases.ts's, which the screens use) and
the rounds left today. Pure: `now_ms` is always an argument."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from server.core.clock import (
    Phase,
    countdown_target_ms,
    current_day,
    current_round,
    day_rounds,
    effective_now,
    phase_in,
    upcoming_round,
)
from server.core.model import Break, Round
from server.core.state import EventState


class Between(enum.StrEnum):
    """A moment's phase when no round is current or upcoming."""

    BREAK = "break"  # a break is in progress
    IDLE = "idle"  # no round left in the event


def rounds_left_today(state: EventState, now_ms: int) -> list[Round]:
    """The rounds of the current day, not skipped, that have not ended, in order."""
    day = current_day(state, now_ms)
    if day is None:
        return []
    return [r for r in day_rounds(state, day) if phase_in(state, r, now_ms) is not Phase.ENDED]


def round_after(state: EventState, rnd: Round) -> Round | None:
    """The next round (by index) after `rnd` that is not skipped."""
    later = (state.rounds[i] for i in sorted(state.rounds) if i > rnd.index)
    return next((r for r in later if not r.skipped), None)


def break_at(state: EventState, now_ms: int) -> Break | None:
    t = effective_now(now_ms, state.clock)
    covering = [b for b in state.breaks.values() if b.starts_at_ms <= t < b.ends_at_ms]
    return min(covering, key=lambda b: (b.starts_at_ms, b.id), default=None)


@dataclass(frozen=True, slots=True)
class Moment:
    """What a hall screen shows right now."""

    phase: Phase | Between  # of `round`; Between when no round is current or upcoming
    round: Round | None  # the current round, else the upcoming one (outside breaks)
    next_round: Round | None  # the round after `round`, or after the break
    break_: Break | None  # the break in progress, if any
    target_ms: int | None  # the countdown target (absolute server ms)
    paused: bool
    remaining_ms: int | None  # target - effective now (frozen while paused)


def moment(state: EventState, now_ms: int) -> Moment:
    """The current round if one is seating or running; else the break in progress; else
    the next round to come (UPCOMING, counting down to its seating); else IDLE."""
    t = effective_now(now_ms, state.clock)
    paused = state.clock.paused_at_ms is not None
    brk = break_at(state, now_ms)
    rnd = current_round(state, now_ms)
    phase: Phase | Between
    if rnd is not None:
        phase = phase_in(state, rnd, now_ms)
        target = countdown_target_ms(rnd, phase)
        following = round_after(state, rnd)
    else:
        following = upcoming_round(state, now_ms)
        if brk is not None:
            phase, target = Between.BREAK, brk.ends_at_ms
        elif following is not None:
            rnd, phase, target = following, Phase.UPCOMING, following.seating_at_ms
            following = round_after(state, following)
        else:
            phase, target = Between.IDLE, None
    remaining = None if target is None else target - t
    return Moment(phase, rnd, following, brk, target, paused, remaining)
