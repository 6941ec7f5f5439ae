"""Read-only helpers for moderators: where a meeting could go, who could step in. Pure."""

from __future__ import annotations

from typing import Any

from server.core import clock, idle, stats, substitutes
from server.core.command_args import Args, find_meeting
from server.core.state import EventState
from server.core.views import Audience


def free_rounds(state: EventState, meeting_id: str, now_ms: int) -> list[dict[str, Any]]:
    """Later rounds where everyone in the meeting is available and free, with free tables,
    best first: by the idle breaks the move would add to its people (negative: the move
    fills a gap), then in round order."""
    meeting = find_meeting(state, meeting_id)
    people = [state.participants[p] for p in meeting.people if p in state.participants]
    leaving = meeting.round if meeting.occupies else None
    free: list[tuple[int, int, list[int]]] = []  # round, starts_at_ms, free tables
    for rnd in clock.rounds_in_order(state):
        if rnd.skipped or rnd.seating_at_ms <= clock.effective_now(now_ms, state.clock):
            continue
        if rnd.index == meeting.round:
            continue
        if not all(p.is_available(rnd) for p in people):
            continue
        if any((p.id, rnd.index) in state.seat_of for p in people):
            continue
        tables = sorted(
            t.number
            for t in state.tables.values()
            if t.capacity >= len(people) and (t.number, rnd.index) not in state.table_use
        )
        if tables:
            free.append((rnd.index, rnd.starts_at_ms, tables))
    # Per person, so that the console can say whose agenda gains a gap.
    added = idle.added_breaks_each(
        state, [p.id for p in people], [index for index, _, _ in free], leaving=leaving
    )
    out = [
        {
            "round": index,
            "starts_at_ms": starts_at_ms,
            "tables": tables,
            "breaks_added": sum(added[index].values()),
            "breaks_by_person": {pid: n for pid, n in added[index].items() if n},
        }
        for index, starts_at_ms, tables in free
    ]
    out.sort(key=lambda entry: (entry["breaks_added"], entry["round"]))
    return out


def suggest_rounds(state: EventState, args: Args, _actor: Audience, now_ms: int) -> dict[str, Any]:
    return {"rounds": free_rounds(state, args.text("meeting"), now_ms)}


def suggest_substitutes(
    state: EventState, args: Args, _actor: Audience, _now_ms: int
) -> dict[str, Any]:
    candidates = substitutes.rank_substitutes(
        state, args.text("participant"), args.number("round"), limit=args.opt_number("limit") or 5
    )
    return {
        "candidates": [
            {
                "participant": c.participant,
                "name": state.participants[c.participant].name,
                "organisation": state.participants[c.participant].organisation,
                "score": c.score,
                "reasons": list(c.reasons),
            }
            for c in candidates
        ]
    }


def live_stats(state: EventState, _args: Args, _actor: Audience, now_ms: int) -> dict[str, Any]:
    return stats.stats_to_plain(stats.live_stats(state, now_ms))
