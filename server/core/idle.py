"""Idle breaks in an event's agenda: which rounds form a block, and how many idle gaps
each person sits through. Pure: no I/O, no clock.

A person's idle break is a maximal run of rounds without a meeting between two of their
meetings in the same block. A block is a run of rounds of one day, not skipped, with no
pause between them: a `Break` record (coffee, lunch) between two rounds, a skipped round,
or a gap longer than a whole round (the next round's changeover and meeting) starts a new
block. Free rounds before a person's first or after their last meeting of a block are not
breaks (they can arrive late or leave), nor is the time between blocks or days.

The optimiser (server/solve/) measures its schedules with the same `person_breaks`; the
live suggestions and the breaks report measure the event with `blocks` and `breaks_of`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

from server.core.model import Round
from server.core.state import EventState

Blocks = tuple[tuple[int, ...], ...]


def person_breaks(busy: Iterable[int], blocks: Blocks) -> int:
    """Idle breaks of one person busy in the rounds (or slots) `busy`."""
    mine = set(busy)
    count = 0
    for block in blocks:
        used = [i for i, r in enumerate(block) if r in mine]
        count += sum(1 for a, b in pairwise(used) if b > a + 1)
    return count


def blocks(state: EventState) -> Blocks:
    """The event's rounds not skipped, grouped into blocks (see the module doc), each in
    time order."""
    out: list[list[int]] = []
    prev: Round | None = None
    for index in sorted(state.rounds):
        rnd = state.rounds[index]
        if rnd.skipped:
            prev = None  # a skipped round ends the block: nobody can meet in it
            continue
        if prev is None or _pause_between(state, prev, rnd):
            out.append([])
        out[-1].append(index)
        prev = rnd
    return tuple(tuple(b) for b in out)


def _pause_between(state: EventState, prev: Round, nxt: Round) -> bool:
    if nxt.day != prev.day:
        return True
    if nxt.seating_at_ms - prev.ends_at_ms > (nxt.changeover_s + nxt.meeting_s) * 1000:
        return True
    return any(
        b.day == prev.day and prev.starts_at_ms <= b.starts_at_ms < nxt.starts_at_ms
        for b in state.breaks.values()
    )


def busy_rounds(state: EventState) -> dict[str, set[int]]:
    """Participant id -> the rounds in which a meeting holds them (scheduled or held)."""
    out: defaultdict[str, set[int]] = defaultdict(set)
    for m in state.meetings.values():
        if m.occupies and m.round is not None:
            for pid in m.people:
                out[pid].add(m.round)
    return dict(out)


def breaks_of(state: EventState) -> dict[str, int]:
    """Participant id -> their idle breaks in the event as it stands, for everyone with at
    least one meeting holding them."""
    grouped = blocks(state)
    return {pid: person_breaks(rounds, grouped) for pid, rounds in busy_rounds(state).items()}


def added_breaks(
    state: EventState, people: Iterable[str], round_index: int, *, leaving: int | None = None
) -> int:
    """How many idle breaks the people would gain in all (negative: lose) if they met in
    `round_index`, moving out of round `leaving` (the meeting's current round) if given."""
    each = added_breaks_each(state, people, (round_index,), leaving=leaving)
    return sum(each[round_index].values())


def added_breaks_each(
    state: EventState,
    people: Iterable[str],
    rounds: Iterable[int],
    *,
    leaving: int | None = None,
) -> dict[int, dict[str, int]]:
    """`added_breaks` per candidate round and per person (round -> person -> breaks
    gained), measuring the event once for all of them: what the live suggestions need for
    every later round of a large event."""
    grouped = blocks(state)
    busy = busy_rounds(state)
    now = {pid: set(busy.get(pid, ())) for pid in people}
    before = {pid: person_breaks(mine, grouped) for pid, mine in now.items()}
    out: dict[int, dict[str, int]] = {}
    for index in rounds:
        out[index] = {}
        for pid, mine in now.items():
            then = (mine - {leaving} if leaving is not None else set(mine)) | {index}
            out[index][pid] = person_breaks(then, grouped) - before[pid]
    return out
