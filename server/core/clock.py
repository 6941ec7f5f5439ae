"""Round-phase maths: where the event's one clock stands at a given instant. Pure.

Owns the derivation of phases from absolute round times (architecture principle 5: time is
data). Nothing here reads a clock or does I/O; `now_ms` (UTC ms) is always an argument.
While the clock is paused every phase and countdown stands still at `paused_at_ms`, so the
rules that move rounds (server/core/clock_rules.py) and the views all agree on one "now".

- `phase_at` / `countdown_target_ms`: one round at one instant;
- `boundaries` / `due` / `next_boundary_ms`: the instants at which a cue (seating, start,
  last-minutes warning, end) fires, for whatever records or announces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.core.model import Clock, EventSettings, Round
from server.core.state import EventState


class Phase(StrEnum):
    UPCOMING = "upcoming"
    SEATING = "seating"
    RUNNING = "running"
    LAST_MINUTES = "last_minutes"
    ENDED = "ended"
    SKIPPED = "skipped"


class Cue(StrEnum):
    SEATING = "seating"  # go to your table
    START = "start"  # start bell
    WARNING = "warning"  # last-minutes bell
    END = "end"  # end bell


# A round is "current" (shown as the round on the hall screens) in these phases.
ACTIVE_PHASES = frozenset({Phase.SEATING, Phase.RUNNING, Phase.LAST_MINUTES})
# The meetings of a round are under way in these phases.
STARTED_PHASES = frozenset({Phase.RUNNING, Phase.LAST_MINUTES})


RUNNING_CLOCK = Clock()  # the default: not paused


def effective_now(now_ms: int, clock: Clock) -> int:
    """The instant every phase is computed at: the pause instant while paused."""
    return now_ms if clock.paused_at_ms is None else clock.paused_at_ms


def is_over(state: EventState, rnd: Round, now_ms: int) -> bool:
    """Whether `rnd` has ended at `now_ms` by the event's clock: while it is paused, a
    round's end has not come however late it is (resuming moves it later)."""
    return rnd.ends_at_ms <= effective_now(now_ms, state.clock)


def warning_s_of(state: EventState) -> int:
    settings = state.event.settings if state.event is not None else EventSettings()
    return settings.warning_s


def phase_at(rnd: Round, now_ms: int, *, warning_s: int, clock: Clock = RUNNING_CLOCK) -> Phase:
    """The phase of `rnd` at `now_ms`. A warning at least as long as the meeting makes the
    whole meeting LAST_MINUTES; without changeover there is no SEATING phase."""
    if rnd.skipped:
        return Phase.SKIPPED
    t = effective_now(now_ms, clock)
    if t < rnd.seating_at_ms:
        return Phase.UPCOMING
    if t < rnd.starts_at_ms:
        return Phase.SEATING
    if t < rnd.ends_at_ms - max(warning_s, 0) * 1000:
        return Phase.RUNNING
    if t < rnd.ends_at_ms:
        return Phase.LAST_MINUTES
    return Phase.ENDED


def countdown_target_ms(rnd: Round, phase: Phase) -> int | None:
    """The instant the countdown of `rnd` in `phase` runs to, or None when there is none."""
    if phase is Phase.UPCOMING:
        return rnd.seating_at_ms
    if phase is Phase.SEATING:
        return rnd.starts_at_ms
    if phase in STARTED_PHASES:
        return rnd.ends_at_ms
    return None


def rounds_in_order(state: EventState) -> list[Round]:
    """All rounds by index, which is their time order across all days."""
    return [state.rounds[i] for i in sorted(state.rounds)]


def phase_in(state: EventState, rnd: Round, now_ms: int) -> Phase:
    """`phase_at` with the event's warning time and clock."""
    return phase_at(rnd, now_ms, warning_s=warning_s_of(state), clock=state.clock)


def current_round(state: EventState, now_ms: int) -> Round | None:
    """The first round in SEATING, RUNNING or LAST_MINUTES at effective now."""
    return next(
        (r for r in rounds_in_order(state) if phase_in(state, r, now_ms) in ACTIVE_PHASES), None
    )


def upcoming_round(state: EventState, now_ms: int) -> Round | None:
    """The first round not skipped whose seating has not begun at effective now."""
    t = effective_now(now_ms, state.clock)
    return next((r for r in rounds_in_order(state) if not r.skipped and t < r.seating_at_ms), None)


def current_day(state: EventState, now_ms: int) -> int | None:
    """The day of the current round, else of the next upcoming one; None when none is left."""
    rnd = current_round(state, now_ms) or upcoming_round(state, now_ms)
    return None if rnd is None else rnd.day


def day_rounds(state: EventState, day: int) -> list[Round]:
    """The rounds of `day` not skipped, in order."""
    return [r for r in rounds_in_order(state) if r.day == day and not r.skipped]


@dataclass(frozen=True, slots=True, order=True)
class Boundary:
    at_ms: int
    round: int
    cue: Cue


def round_boundaries(rnd: Round, warning_s: int) -> list[Boundary]:
    """The cues of one round; none when it is skipped."""
    if rnd.skipped:
        return []
    out: list[Boundary] = []
    if rnd.changeover_s > 0:
        out.append(Boundary(rnd.seating_at_ms, rnd.index, Cue.SEATING))
    out.append(Boundary(rnd.starts_at_ms, rnd.index, Cue.START))
    if 0 < warning_s < rnd.meeting_s:
        out.append(Boundary(rnd.ends_at_ms - warning_s * 1000, rnd.index, Cue.WARNING))
    out.append(Boundary(rnd.ends_at_ms, rnd.index, Cue.END))
    return out


def boundaries(state: EventState) -> list[Boundary]:
    """Every cue of every round not skipped, in time order."""
    warning_s = warning_s_of(state)
    return sorted(b for rnd in state.rounds.values() for b in round_boundaries(rnd, warning_s))


def due(state: EventState, after_ms: int, until_ms: int) -> list[Boundary]:
    """The cues with after_ms < at_ms <= until_ms; none while paused (time stands still)."""
    if state.clock.paused_at_ms is not None:
        return []
    return [b for b in boundaries(state) if after_ms < b.at_ms <= until_ms]


def next_boundary_ms(state: EventState, now_ms: int) -> int | None:
    """The first cue strictly after now; None while paused or when none is left."""
    if state.clock.paused_at_ms is not None:
        return None
    return next((b.at_ms for b in boundaries(state) if b.at_ms > now_ms), None)
