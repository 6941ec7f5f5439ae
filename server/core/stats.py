"""Live statistics for moderators: who is here, and how each round is going.

Pure: no I/O, no clock; "now" is an argument. Cost is one pass over the participants, one
over the meetings placed in rounds and one over the alerts.

The kept-meeting rate counts recorded outcomes (server/core/outcomes.py: written once when a
round ends): held / (held + no_show + substituted). Substitute and walk-in meetings count
like planned ones; cancelled meetings are not counted. None when no outcome is recorded.
The substitute wait is the time from the first "my partner is not here" report (or the
no-show, whichever came first) to the substitute being seated, over the alerts that a
substitution closed.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from server.core.model import (
    ACTIVE_STATUSES,
    PLACED_STATUSES,
    MeetingOrigin,
    MeetingOutcome,
    MeetingStatus,
)
from server.core.state import EventState


@dataclass(frozen=True, slots=True)
class RoundStats:
    round: int
    scheduled: int  # meetings placed in the round (scheduled + held + no_show)
    held: int
    no_show: int
    cancelled: int
    substituted: int  # meetings with origin SUBSTITUTE in the round, whatever their status
    walk_in: int  # meetings with origin WALK_IN in the round, whatever their status
    seated: int  # people present (checked in, not departed) in its scheduled/held meetings
    # Recorded outcomes (none before the round ends).
    outcome_held: int = 0
    outcome_no_show: int = 0
    outcome_substituted: int = 0
    outcome_cancelled: int = 0
    kept_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    participants: int
    checked_in: int  # ever checked in, departed or not
    departed: int
    rounds: tuple[RoundStats, ...]  # every round, in order
    kept_rate: float | None  # over every recorded outcome so far
    substitutions: int = 0  # substitute meetings seated (not cancelled)
    waiting: int = 0  # people with an open needs_partner alert
    substitute_waits: int = 0  # alerts closed by a substitute, with a known start
    substitute_wait_median_s: float | None = None
    substitute_wait_worst_s: float | None = None


def kept_rate(outcomes: Counter[MeetingOutcome]) -> float | None:
    due = sum(outcomes[o] for o in (MeetingOutcome.HELD, MeetingOutcome.NO_SHOW,
                                    MeetingOutcome.SUBSTITUTED))  # fmt: skip
    return outcomes[MeetingOutcome.HELD] / due if due else None


def round_stats(state: EventState, rnd: int) -> RoundStats:
    """The counts of one round (zero everywhere for a round without meetings)."""
    statuses = dict.fromkeys(MeetingStatus, 0)
    origins = dict.fromkeys(MeetingOrigin, 0)
    outcomes: Counter[MeetingOutcome] = Counter()
    seated: set[str] = set()
    for mid in state.meetings_in_round.get(rnd, ()):
        meeting = state.meetings[mid]
        statuses[meeting.status] += 1
        origins[meeting.origin] += 1
        if meeting.outcome is not None:
            outcomes[meeting.outcome] += 1
        if meeting.status in ACTIVE_STATUSES:
            for pid in meeting.people:
                person = state.participants.get(pid)
                if person is not None and person.present:
                    seated.add(pid)
    return RoundStats(
        round=rnd,
        scheduled=sum(statuses[s] for s in PLACED_STATUSES),
        held=statuses[MeetingStatus.HELD],
        no_show=statuses[MeetingStatus.NO_SHOW],
        cancelled=statuses[MeetingStatus.CANCELLED],
        substituted=origins[MeetingOrigin.SUBSTITUTE],
        walk_in=origins[MeetingOrigin.WALK_IN],
        seated=len(seated),
        outcome_held=outcomes[MeetingOutcome.HELD],
        outcome_no_show=outcomes[MeetingOutcome.NO_SHOW],
        outcome_substituted=outcomes[MeetingOutcome.SUBSTITUTED],
        outcome_cancelled=outcomes[MeetingOutcome.CANCELLED],
        kept_rate=kept_rate(outcomes),
    )


def live_stats(state: EventState, now_ms: int) -> Stats:
    people = state.participants.values()
    rounds = tuple(round_stats(state, index) for index in sorted(state.rounds))
    total: Counter[MeetingOutcome] = Counter()
    for r in rounds:
        total[MeetingOutcome.HELD] += r.outcome_held
        total[MeetingOutcome.NO_SHOW] += r.outcome_no_show
        total[MeetingOutcome.SUBSTITUTED] += r.outcome_substituted
    waits = sorted(
        (a.closed_at_ms - a.reported_at_ms) / 1000
        for a in state.alerts.values()
        if a.resolution == "substituted"
        and a.closed_at_ms is not None
        and a.reported_at_ms is not None
    )
    return Stats(
        participants=len(state.participants),
        checked_in=sum(1 for p in people if p.checked_in),
        departed=sum(1 for p in people if p.departed_at_ms is not None),
        rounds=rounds,
        kept_rate=kept_rate(total),
        substitutions=sum(
            1
            for m in state.meetings.values()
            if m.origin is MeetingOrigin.SUBSTITUTE and m.status is not MeetingStatus.CANCELLED
        ),
        waiting=sum(len(a.waiting) for a in state.alerts.values() if a.is_open and a.waiting),
        substitute_waits=len(waits),
        substitute_wait_median_s=statistics.median(waits) if waits else None,
        substitute_wait_worst_s=waits[-1] if waits else None,
    )


def stats_to_plain(stats: Stats) -> dict[str, Any]:
    """A JSON- and msgpack-ready dict: the same field names, rounds as a list of dicts."""
    return asdict(stats) | {"rounds": [asdict(r) for r in stats.rounds]}
