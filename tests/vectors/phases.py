"""Vectors for server/core/clock.py (and tests/clock_helpers.py's `moment`) ↔ phases.ts.

- "rounds": named round records; "phase_cases": the phase and countdown target of one
  round at instants 1 ms before, at and after each of its boundaries, for several warning
  times, running and paused;
- "timelines": named rounds/breaks/clock/warning_s as the screens hold them;
  "moment_cases": what a hall screen shows at instants around every boundary.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from server.core.clock import countdown_target_ms, phase_at
from server.core.codec import to_plain
from server.core.model import Break, Clock, Round
from server.core.state import EventState, state_from_records
from tests.clock_helpers import moment
from tests.test_clock import at, paused, two_days

HOUR_MS = 3_600_000
R = Round(1, 1, at(1, "09:05"))
ROUNDS = {
    "R": R,
    "no changeover": dataclasses.replace(R, changeover_s=0),
    "short": dataclasses.replace(R, meeting_s=60),  # shorter than the warning
    "exact": dataclasses.replace(R, meeting_s=120),  # as long as the warning
    "skipped": dataclasses.replace(R, skipped=True),
}
WARNINGS = (120, 0, -5)


def around(*instants: int) -> list[int]:
    """Each instant, 1 ms before and 1 ms after, sorted and without repeats."""
    return sorted({t + d for t in instants for d in (-1, 0, 1)})


def round_instants(rnd: Round, warning_s: int) -> list[int]:
    return around(
        rnd.seating_at_ms, rnd.starts_at_ms, rnd.ends_at_ms - warning_s * 1000, rnd.ends_at_ms
    )


def phase_case(name: str, warning_s: int, clock: Clock | None, now_ms: int) -> dict[str, Any]:
    rnd = ROUNDS[name]
    phase = phase_at(rnd, now_ms, warning_s=warning_s, clock=clock or Clock())
    return {
        "round": name,
        "warning_s": warning_s,
        "clock": None if clock is None else to_plain(clock),
        "now_ms": now_ms,
        "phase": phase.value,
        "target_ms": countdown_target_ms(rnd, phase),
    }


def phase_cases() -> list[dict[str, Any]]:
    cases = [
        phase_case(name, warning_s, None, now)
        for name, rnd in ROUNDS.items()
        for warning_s in WARNINGS
        for now in round_instants(rnd, max(warning_s, 0))
    ]
    # Paused: the phase stands still at the pause instant, whenever "now" is.
    cases += [
        phase_case("R", 120, Clock(paused_at_ms=pause), now)
        for pause in round_instants(R, 120)
        for now in (R.seating_at_ms - HOUR_MS, pause, R.ends_at_ms + HOUR_MS)
    ]
    return cases


def with_coffee(state: EventState) -> EventState:
    """Coffee 10:20-10:40 overlaps lunch (10:25-11:30): the earlier break shows."""
    coffee = Break(
        "coffee", day=1, starts_at_ms=at(1, "10:20"), ends_at_ms=at(1, "10:40"), label="Coffee"
    )
    return state_from_records([*state.records(), coffee])


def timelines() -> dict[str, EventState]:
    """tests/test_clock.py's two-day event (rounds 1-4 on day 1, lunch, 5-6 on day 2)."""
    return {
        "two days": two_days(),
        "round 3 skipped": two_days(skipped=(3,)),
        "round 6 skipped": two_days(skipped=(6,)),
        "no warning": two_days(warning_s=0),
        "paused in round 1": paused(two_days(), at(1, "09:10")),
        "paused in lunch": paused(two_days(), at(1, "10:30")),
        "coffee overlaps lunch": with_coffee(two_days()),
        "empty": EventState(),
    }


def timeline_record(state: EventState) -> dict[str, Any]:
    warning_s = state.event.settings.warning_s if state.event is not None else 120
    return {
        # Newest index first: the screens must not depend on the order they are given.
        "rounds": [to_plain(r) for r in sorted(state.rounds.values(), key=lambda r: -r.index)],
        "breaks": [to_plain(b) for b in state.breaks.values()],
        "clock": to_plain(state.clock),
        "warning_s": warning_s,
    }


def timeline_instants(state: EventState) -> list[int]:
    times = [
        t
        for r in state.rounds.values()
        for t in (r.seating_at_ms, r.starts_at_ms, r.ends_at_ms - 120_000, r.ends_at_ms)
    ]
    times += [t for b in state.breaks.values() for t in (b.starts_at_ms, b.ends_at_ms)]
    if not times:
        return [0]
    return around(min(times) - HOUR_MS, *times, max(times) + HOUR_MS)


def moment_case(name: str, state: EventState, now_ms: int) -> dict[str, Any]:
    m = moment(state, now_ms)
    return {
        "timeline": name,
        "now_ms": now_ms,
        "phase": m.phase.value,
        "round": None if m.round is None else m.round.index,
        "next_round": None if m.next_round is None else m.next_round.index,
        "break": None if m.break_ is None else m.break_.id,
        "target_ms": m.target_ms,
        "paused": m.paused,
        "remaining_ms": m.remaining_ms,
    }


def build() -> dict[str, Any]:
    states = timelines()
    return {
        "about": __doc__,
        "rounds": {name: to_plain(rnd) for name, rnd in ROUNDS.items()},
        "phase_cases": phase_cases(),
        "timelines": {name: timeline_record(state) for name, state in states.items()},
        "moment_cases": [
            moment_case(name, state, now)
            for name, state in states.items()
            for now in timeline_instants(state)
        ],
    }
