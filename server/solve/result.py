"""What the optimiser answers: placements with tables, the unplaced with reasons, status,
objective and bound, and how fair the result is."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from server.solve.problem import Problem


class Status(enum.StrEnum):
    OPTIMAL = "optimal"  # proven: no schedule places more meetings, or as many with fewer breaks
    FEASIBLE = "feasible"  # valid, not proven optimal (see `gap`)
    UNKNOWN = "unknown"  # the solver found no schedule in time: the greedy start is kept


@dataclass(frozen=True, slots=True)
class Placement:
    meeting: str
    slot: int
    table: int


@dataclass(frozen=True, slots=True)
class Unplaced:
    meeting: str
    reason: str


@dataclass(frozen=True, slots=True)
class Progress:
    """One improving solution: the callback's argument."""

    objective: float
    bound: float
    elapsed_s: float  # the solver's own wall time


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    # True: every meeting placed; False: proven that some cannot be (the pre-check or the
    # solver), the schedule then places as many as it can; None: not proven either way.
    all_placeable: bool | None
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    breaks: int  # total idle breaks of the schedule
    breaks_bound: int  # proven lower bound on breaks given the number placed
    spread: int  # fairness: max - min breaks over people with meetings
    fairness_bound: int | None  # the bound asked for
    fairness_kept: bool  # False when the bound was infeasible and dropped (see notes)
    greedy_placed: int  # what the constructive start placed
    greedy_breaks: int
    seconds: float  # the solver's wall time (both solves when the bound was dropped)
    notes: tuple[str, ...]  # pre-check findings and what the solver decided

    @property
    def schedule(self) -> dict[str, int]:
        return {p.meeting: p.slot for p in self.placements}

    @property
    def tables(self) -> dict[str, int]:
        return {p.meeting: p.table for p in self.placements}

    @property
    def gap(self) -> int:
        return self.breaks - self.breaks_bound


def assign_tables(problem: Problem, schedule: Mapping[str, int]) -> tuple[Placement, ...]:
    """Tables per slot: a meeting with a fixed table gets it; the others, biggest first,
    the lowest-numbered free table that seats them (the smallest such when seats differ).
    Assumes `schedule` keeps the table counts and seats."""
    by_slot: defaultdict[int, list[str]] = defaultdict(list)
    for mid in sorted(schedule):
        by_slot[schedule[mid]].append(mid)
    out = []
    for s, ids in sorted(by_slot.items()):
        slot = problem.slot[s]
        seats = slot.seats or (len(problem.person) + 2,) * slot.tables  # all seat anyone
        free = list(range(1, slot.tables + 1))
        for mid in ids:
            fixed = problem.meeting[mid].fixed_table
            if fixed is not None and fixed in free:
                free.remove(fixed)
        size = {mid: len(problem.meeting[mid].people) for mid in ids}
        for mid in sorted(ids, key=lambda i: (-size[i], i)):
            fixed = problem.meeting[mid].fixed_table
            if fixed is None:
                fits = [t for t in free if seats[t - 1] >= size[mid]]
                fixed = min(fits, key=lambda t: (seats[t - 1], t))
                free.remove(fixed)
            out.append(Placement(mid, s, fixed))
    return tuple(sorted(out, key=lambda p: (p.slot, p.table)))
