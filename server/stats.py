"""Live statistics for moderators: who is here, and how each round is going.

Pure: no I/O, no clock; "now" is an argument. Cost is one pass over the participants and
one over the meetings placed in rounds.

A round has ended when `round.ends_at_ms <= now_ms` (pauses are not taken into account).
`kept_rate` is held / (held + no_show) over the rounds that have ended; None when no round
has ended or none of their meetings was marked held or no-show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.model import ACTIVE_STATUSES, MeetingOrigin, MeetingStatus
from server.state import EventState

_PLACED = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW})


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


@dataclass(frozen=True, slots=True)
class Stats:
    participants: int
    checked_in: int  # ever checked in, departed or not
    departed: int
    rounds: tuple[RoundStats, ...]  # every round, in order
    kept_rate: float | None  # held / (held + no_show) over the rounds ended by now_ms


def round_stats(state: EventState, rnd: int) -> RoundStats:
    """The counts of one round (zero everywhere for a round without meetings)."""
    statuses = dict.fromkeys(MeetingStatus, 0)
    origins = dict.fromkeys(MeetingOrigin, 0)
    seated: set[str] = set()
    for mid in state.meetings_in_round.get(rnd, ()):
        meeting = state.meetings[mid]
        statuses[meeting.status] += 1
        origins[meeting.origin] += 1
        if meeting.status in ACTIVE_STATUSES:
            for pid in meeting.people:
                person = state.participants.get(pid)
                if person is not None and person.present:
                    seated.add(pid)
    return RoundStats(
        round=rnd,
        scheduled=sum(statuses[s] for s in _PLACED),
        held=statuses[MeetingStatus.HELD],
        no_show=statuses[MeetingStatus.NO_SHOW],
        cancelled=statuses[MeetingStatus.CANCELLED],
        substituted=origins[MeetingOrigin.SUBSTITUTE],
        walk_in=origins[MeetingOrigin.WALK_IN],
        seated=len(seated),
    )


def live_stats(state: EventState, now_ms: int) -> Stats:
    people = state.participants.values()
    rounds = tuple(round_stats(state, index) for index in sorted(state.rounds))
    ended = [r for r in rounds if state.rounds[r.round].ends_at_ms <= now_ms]
    held = sum(r.held for r in ended)
    no_show = sum(r.no_show for r in ended)
    return Stats(
        participants=len(state.participants),
        checked_in=sum(1 for p in people if p.checked_in),
        departed=sum(1 for p in people if p.departed_at_ms is not None),
        rounds=rounds,
        kept_rate=held / (held + no_show) if held + no_show else None,
    )


def stats_to_plain(stats: Stats) -> dict[str, Any]:
    """A JSON- and msgpack-ready dict: the same field names, rounds as a list of dicts."""
    return {
        "participants": stats.participants,
        "checked_in": stats.checked_in,
        "departed": stats.departed,
        "rounds": [
            {
                "round": r.round,
                "scheduled": r.scheduled,
                "held": r.held,
                "no_show": r.no_show,
                "cancelled": r.cancelled,
                "substituted": r.substituted,
                "walk_in": r.walk_in,
                "seated": r.seated,
            }
            for r in stats.rounds
        ],
        "kept_rate": stats.kept_rate,
    }
