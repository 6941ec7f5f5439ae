"""The optimiser for an event: an `EventState` as a `Problem`, and the answer back as
meetings placed at real tables, with a preview of who gets a changed agenda.

- Slot i is round i (a round number the event lacks, or a skipped round, is a slot with
  no tables). Days are the rounds' days, blocks those of `core.idle.blocks`, so the
  optimiser counts exactly the idle breaks the breaks report and the live suggestions do.
- **Open rounds** take new meetings: those whose seating has not begun at the event's
  effective now (every round, before the event starts).
- **Kept** meetings hold their round and table: every scheduled or held meeting, except,
  when rescheduling, a scheduled one in an open round that is not `fixed` — that one may
  move to another open round (or stay). Kept meetings make their people busy in their
  round (their breaks count) and their tables taken.
- The requests (and, when rescheduling, the movable meetings) are the problem's meetings:
  allowed rounds = open ∩ the meeting's own `rounds` ∩ what its precedences with kept
  meetings leave; a requested round is a fixed slot; precedences between two of them go
  to the solver. A request that can never be placed as it stands (an unknown person, no
  table big enough, a requested round that does not exist) is reported, not solved.
- Participants: unavailable in the rounds their availability excludes, and in every round
  once they have left the event.

Tables are given after solving, per round, biggest meetings first: the table the meeting
asked for, else the one it had (when it stays in its round), else the table one of its
people sits at in the round before or after (fewer walks across the hall), else the
smallest free table that seats it, in the zone of the table one of its people sits at
in the round before or after when there is one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from server.core import clock
from server.core.idle import blocks
from server.core.model import Meeting, MeetingStatus
from server.core.scheduler import Unplaced
from server.core.state import EventState
from server.solve import problem as p
from server.solve.result import Result


@dataclass(frozen=True)
class EventProblem:
    state: EventState
    problem: p.Problem
    open_rounds: tuple[int, ...]
    movable: frozenset[str]  # scheduled meetings the optimiser may move (rescheduling)
    rejected: tuple[Unplaced, ...]  # requests that cannot be placed as they stand
    free_tables: Mapping[int, tuple[int, ...]]  # round -> free table numbers (kept ones out)

    def meetings(self, result: Result) -> tuple[Meeting, ...]:
        """Every meeting the result places or moves, as it will be stored (scheduled, at a
        table); meetings that stay where they were are left out."""
        return _seat(self, result.schedule)

    def unplaced(self, result: Result) -> tuple[Unplaced, ...]:
        """Every request not placed, with its reason, the rejected ones first. A movable
        meeting the solver did not place keeps its seat (it is not in `meetings`)."""
        solved = tuple(
            Unplaced(u.meeting, u.reason) for u in result.unplaced if u.meeting not in self.movable
        )
        return self.rejected + solved


def problem_from_event(state: EventState, now_ms: int, *, reschedule: bool = False) -> EventProblem:
    indexes = sorted(state.rounds)
    last = indexes[-1] if indexes else 0
    open_rounds = tuple(
        r for r in indexes if clock.phase_in(state, state.rounds[r], now_ms) is clock.Phase.UPCOMING
    )
    open_set = frozenset(open_rounds)
    movable = frozenset(
        m.id
        for m in state.meetings.values()
        if reschedule
        and m.status is MeetingStatus.SCHEDULED
        and m.round in open_set
        and not m.fixed
        and _still_fits(state, m)
    )
    kept = [m for m in state.meetings.values() if m.occupies and m.id not in movable]
    taken = {(m.table, m.round) for m in kept}
    block_of = {r: i for i, block in enumerate(blocks(state), start=1) for r in block}
    slots: list[p.Slot] = []
    free_tables: dict[int, tuple[int, ...]] = {}
    for r in range(1, last + 1):
        rnd = state.rounds.get(r)
        usable = rnd is not None and not rnd.skipped
        free = tuple(n for n in sorted(state.tables) if usable and (n, r) not in taken)
        free_tables[r] = free
        slots.append(p.Slot(
            index=r,
            day=rnd.day if rnd is not None else 0,
            block=block_of.get(r, -r),  # a missing or skipped round is a block of its own
            tables=len(free),
            seats=tuple(state.tables[n].capacity for n in free),
        ))  # fmt: skip
    busy: dict[str, set[int]] = {}
    for m in kept:
        for pid in m.people:
            busy.setdefault(pid, set()).add(m.round or 0)
    people = []
    for pid in sorted(state.participants):
        person = state.participants[pid]
        away = {
            r
            for r in range(1, last + 1)
            if r in state.rounds
            and (person.departed_at_ms is not None or not person.is_available(state.rounds[r]))
        }
        mine = frozenset(busy.get(pid, ()))
        people.append(p.Person(pid, person.name_and_organisation, frozenset(away - mine), mine))
    largest = max((t.capacity for t in state.tables.values()), default=0)
    asked = [
        m for m in state.meetings.values() if m.status is MeetingStatus.REQUESTED or m.id in movable
    ]
    rejected: list[Unplaced] = []
    valid: list[Meeting] = []
    for m in sorted(asked, key=lambda m: m.id):
        why = _invalid(state, m, largest) if m.id not in movable else ""
        if why:
            rejected.append(Unplaced(m.id, why))
        else:
            valid.append(m)
    ids = {m.id for m in valid}
    placed_at = {m.id: m.round for m in kept if m.round is not None}
    meetings = []
    for m in valid:
        allowed = set(open_rounds) & (set(m.rounds) if m.rounds else set(open_rounds))
        after = [placed_at[b] for b in m.after if b in placed_at]
        before = [placed_at[f] for f in state.followers.get(m.id, ()) if f in placed_at]
        allowed = {r for r in allowed if r > max(after, default=0)
                   and r < min(before, default=last + 1)}  # fmt: skip
        wish = m.round if m.status is MeetingStatus.REQUESTED else None
        why = _no_round(state, m, wish, open_set, after, before) if (
            not allowed or (wish is not None and wish not in allowed)) else ""  # fmt: skip
        if why:
            rejected.append(Unplaced(m.id, why))
            continue
        meetings.append(p.Meeting(
            id=m.id,
            people=m.people,
            slots=frozenset(allowed),
            fixed_slot=wish,
            after=frozenset(b for b in m.after if b in ids),
            name=m.external_id or m.id,
            current=m.round if m.id in movable else None,
        ))  # fmt: skip
    kept_ids = {m.id for m in meetings}
    meetings = [replace(m, after=m.after & kept_ids) for m in meetings]
    problem = p.Problem(tuple(slots), tuple(people), tuple(meetings), noun="round")
    return EventProblem(state, problem, open_rounds, movable, tuple(rejected), free_tables)


def _still_fits(state: EventState, m: Meeting) -> bool:
    """Whether scheduled `m` could stay where it is by its own rules and its people's
    availability: only such a meeting is moved by rescheduling (it must stay placed, and
    where it is now proves it can be). One that no longer fits is left to moderators."""
    rnd = state.rounds.get(m.round or 0)
    return (
        rnd is not None
        and (not m.rounds or rnd.index in m.rounds)
        and all(
            pid in state.participants
            and state.participants[pid].departed_at_ms is None
            and state.participants[pid].is_available(rnd)
            for pid in m.people
        )
    )


def _invalid(state: EventState, m: Meeting, largest: int) -> str:
    """Why request `m` cannot be placed anywhere as it stands, or ""."""
    where = f"meeting {m.external_id or m.id}"
    if not m.side_a or not m.side_b:
        return f"{where} needs at least one person on each side"
    twice = sorted(pid for pid, k in Counter(m.people).items() if k > 1)
    if twice:
        return f"{where} lists {_names(state, twice)} twice"
    unknown = [pid for pid in m.people if pid not in state.participants]
    if unknown:
        return f"{where} refers to participant {unknown[0]!r}, who does not exist"
    if not state.rounds:
        return "the event has no rounds: add rounds to its plan, then schedule again"
    if m.round is not None and m.round not in state.rounds:
        return f"{where} asks for round {m.round}, which does not exist"
    if m.round is not None and m.rounds and m.round not in m.rounds:
        allowed = ", ".join(map(str, m.rounds))
        return f"{where} asks for round {m.round}, but may only be held in round {allowed}"
    if largest < len(m.people):
        have = f"the largest seats {largest}" if state.tables else "the event has no tables"
        return f"no table seats the {len(m.people)} people of {where} ({have})"
    gone = [pid for pid in m.people if state.participants[pid].departed_at_ms is not None]
    if gone:
        return f"{where}: {_names(state, gone)} left the event"
    return ""


def _no_round(
    state: EventState, m: Meeting, wish: int | None, open_set: frozenset[int],
    after: list[int], before: list[int],
) -> str:  # fmt: skip
    """Why request `m` has no open round left (rounds that began, its own rounds, the
    rounds of kept meetings it must follow or precede)."""
    where = f"meeting {m.external_id or m.id}"
    if not open_set:
        return f"every round has begun: no round is left for {where}"
    if wish is not None and wish not in open_set:
        return f"{where} asks for round {wish}, which has begun"
    if m.rounds and not set(m.rounds) & open_set:
        allowed = ", ".join(map(str, m.rounds))
        return f"{where} may only be held in round {allowed}, and those have begun"
    limits = ([f"after round {max(after)}"] if after else []) + (
        [f"before round {min(before)}"] if before else []
    )
    if wish is not None:
        return f"{where} asks for round {wish}, but must be held {' and '.join(limits)}"
    return f"{where} must be held {' and '.join(limits)}: no open round is left there"


def _names(state: EventState, pids: Iterable[str]) -> str:
    return p.names(state.participants[pid].name_and_organisation
                   if pid in state.participants else pid for pid in pids)  # fmt: skip


def _seat(ep: EventProblem, schedule: Mapping[str, int]) -> tuple[Meeting, ...]:
    state = ep.state
    by_round: dict[int, list[Meeting]] = {}
    for mid, r in schedule.items():
        by_round.setdefault(r, []).append(state.meetings[mid])
    # Where each person sits, round by round, as tables are given (kept meetings first).
    seat: dict[tuple[str, int], int] = {}
    for m in state.meetings.values():
        if m.occupies and m.id not in ep.movable and m.table is not None and m.round:
            for pid in m.people:
                seat[pid, m.round] = m.table
    # Home tables (a preference): their people's first choice, kept from the others.
    home = {p.id: p.home_table for p in state.participants.values() if p.home_table is not None}
    hosted = set(home.values())
    out = []
    for r in sorted(by_round):
        free = list(ep.free_tables[r])
        for m in sorted(by_round[r], key=lambda m: (-len(m.people), m.id)):
            size = len(m.people)
            fits = [t for t in free if state.tables[t].capacity >= size]
            near = [seat.get((pid, r + d)) for pid in m.people for d in (-1, 1)]
            own = [home.get(pid) for pid in m.people]  # side_a first
            # Tables near in time, but not another person's home table.
            nearby = [t for t in near if t not in hosted or t in own]
            wanted = [m.table if m.round in (None, r) else None, *own, *nearby]
            table = next((t for t in wanted if t in fits), None)
            if table is None:
                # Else the smallest table that seats them, in the zone where one of them
                # sits before or after if there is one free (a shorter walk).
                zones = {state.tables[t].zone for t in near if t in state.tables} - {""}
                table = min(fits, key=lambda t: (t in hosted, state.tables[t].zone not in zones,
                                                 state.tables[t].capacity, t))  # fmt: skip
            free.remove(table)
            for pid in m.people:
                seat[pid, r] = table
            if (m.round, m.table, m.status) != (r, table, MeetingStatus.SCHEDULED):
                out.append(replace(m, round=r, table=table, status=MeetingStatus.SCHEDULED))
    return tuple(sorted(out, key=lambda m: m.id))
