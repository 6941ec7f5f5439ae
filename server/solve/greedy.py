"""The constructive start: a valid schedule in milliseconds, given to CP-SAT as a hint.

Meetings with a fixed slot go first; then people in decreasing number of meetings, each
person's remaining meetings (fewest allowed slots first) into the slot that adds the
fewest breaks for the people involved and sits next to their other meetings, so that
each person's meetings pack into consecutive slots. A meeting that finds no slot gets one
repair attempt: move a single meeting that blocks it elsewhere. Every placement keeps
every hard constraint (`breaks.violations` finds none); deterministic.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from server.solve.breaks import person_breaks
from server.solve.precheck import windows
from server.solve.problem import Problem

KEPT = ""  # in `_Board.busy`: a slot where a meeting the optimiser keeps holds the person


class _Board:
    def __init__(self, problem: Problem, skip: frozenset[str]) -> None:
        self.problem = problem
        self.skip = skip
        self.busy: defaultdict[str, dict[int, str]] = defaultdict(dict)  # person -> slot -> m
        self.load: defaultdict[int, int] = defaultdict(int)
        self.fixed_tables: set[tuple[int, int]] = set()
        self.slot_of: dict[str, int] = {}
        self.window = windows(problem)
        self.run_of = {s: run for run in problem.runs for s in run}
        self.allowed = {mid: frozenset(slots) for mid, slots in problem.allowed.items()}
        # slot -> meeting size -> how many of that size it holds (where seats differ)
        self.sizes: defaultdict[int, Counter[int]] = defaultdict(Counter)
        for person in problem.people:
            for s in person.busy:
                self.busy[person.id][s] = KEPT

    def seated(self, s: int, size: int) -> bool:
        """Whether one more meeting of `size` people fits the tables of slot `s`."""
        slot = self.problem.slot[s]
        if not slot.seats:
            return True
        held = self.sizes[s]
        return all(
            slot.seats_for(c) >= (size >= c) + sum(k for z, k in held.items() if z >= c)
            for c in {size, *held}
        )

    def fits(self, mid: str, s: int) -> bool:
        p, m = self.problem, self.problem.meeting[mid]
        lo, hi = self.window[mid]
        if s not in self.allowed[mid] or not lo <= s <= hi or self.load[s] >= p.slot[s].tables:
            return False
        if any(s in self.busy[pid] for pid in m.people):
            return False
        if m.fixed_table is not None and (s, m.fixed_table) in self.fixed_tables:
            return False
        if not self.seated(s, len(m.people)):
            return False
        if any(self.slot_of.get(b, 0) >= s for b in m.after):
            return False
        return all(self.slot_of.get(a, 10**9) > s for a in p.successors[mid])

    def cost(self, mid: str, s: int) -> tuple[int, int, int, int]:
        run = (self.run_of[s],)
        added = 0
        near = 0
        for pid in self.problem.meeting[mid].people:
            mine = set(self.busy[pid])
            added += person_breaks(mine | {s}, run) - person_breaks(mine, run)
            near += (s - 1 in mine) + (s + 1 in mine)
        return (added, -near, self.load[s], s)

    def place(self, mid: str, s: int) -> None:
        m = self.problem.meeting[mid]
        for pid in m.people:
            self.busy[pid][s] = mid
        self.load[s] += 1
        self.sizes[s][len(m.people)] += 1
        if m.fixed_table is not None:
            self.fixed_tables.add((s, m.fixed_table))
        self.slot_of[mid] = s

    def unplace(self, mid: str) -> None:
        m = self.problem.meeting[mid]
        s = self.slot_of.pop(mid)
        for pid in m.people:
            del self.busy[pid][s]
        self.load[s] -= 1
        self.sizes[s][len(m.people)] -= 1
        if m.fixed_table is not None:
            self.fixed_tables.discard((s, m.fixed_table))

    def best(self, mid: str) -> int | None:
        options = [s for s in self.problem.allowed[mid] if self.fits(mid, s)]
        return min(options, key=lambda s: self.cost(mid, s)) if options else None

    def breaks_of(self, mid: str, extra: tuple[str, ...] = ()) -> int:
        """Breaks of the people of `mid` (and of `extra` meetings) as placed now."""
        people = {pid for i in (mid, *extra) for pid in self.problem.meeting[i].people}
        return sum(person_breaks(set(self.busy[pid]), self.problem.runs) for pid in people)

    def total_breaks(self) -> int:
        runs = self.problem.runs
        return sum(person_breaks(set(mine), runs) for mine in self.busy.values())

    def improve(self) -> bool:
        """One pass of local search: move a meeting to another slot, or swap the slots of
        two meetings of one person, whenever that lowers the breaks. True if it did."""
        better = False
        for mid in list(self.slot_of):
            if self.problem.meeting[mid].fixed_slot is not None:
                continue
            here, before = self.slot_of[mid], self.breaks_of(mid)
            self.unplace(mid)
            options = [s for s in self.problem.allowed[mid] if s != here and self.fits(mid, s)]
            best, best_cost = here, before
            for s in options:
                self.place(mid, s)
                cost = self.breaks_of(mid)
                self.unplace(mid)
                if cost < best_cost:
                    best, best_cost = s, cost
            self.place(mid, best)
            better |= best != here
        for mine in list(self.busy.values()):
            ids = [i for i in mine.values() if i != KEPT]
            for a, b in [(a, b) for a in ids for b in ids if a < b]:
                better |= self._swap(a, b)
        return better

    def _swap(self, a: str, b: str) -> bool:
        p = self.problem.meeting
        if p[a].fixed_slot is not None or p[b].fixed_slot is not None:
            return False
        sa, sb = self.slot_of[a], self.slot_of[b]
        before = self.breaks_of(a, (b,))
        self.unplace(a)
        self.unplace(b)
        if self.fits(a, sb):
            self.place(a, sb)
            if self.fits(b, sa):
                self.place(b, sa)
                if self.breaks_of(a, (b,)) < before:
                    return True
                self.unplace(b)
            self.unplace(a)
        self.place(a, sa)
        self.place(b, sb)
        return False

    def repair(self, mid: str) -> bool:
        """Place `mid` by moving one meeting (without a fixed slot) that blocks it."""
        people = self.problem.meeting[mid].people
        for s in self.problem.allowed[mid]:
            blockers = {self.busy[pid][s] for pid in people if s in self.busy[pid]}
            if len(blockers) != 1:
                continue
            (other,) = blockers
            if other == KEPT or self.problem.meeting[other].fixed_slot is not None:
                continue
            self.unplace(other)
            if self.fits(mid, s):
                self.place(mid, s)
                moved = self.best(other)
                if moved is not None:
                    self.place(other, moved)
                    return True
                self.unplace(mid)
            self.place(other, s)
        return False


def greedy(
    problem: Problem, skip: frozenset[str] = frozenset(), rounds: int = 20
) -> dict[str, int]:
    """A valid schedule (meeting id -> slot) of the meetings not in `skip`; meetings it
    cannot place are left out. Then at most `rounds` passes of local search."""
    board = _Board(problem, skip)
    todo = [m.id for m in problem.meetings if m.id not in skip]
    # Meetings placed now (rescheduling) start where they are: a valid start, which the
    # local search then improves. Then those with a fixed slot.
    for mid in todo:
        now = problem.meeting[mid].current
        if now is not None and board.fits(mid, now):
            board.place(mid, now)
    todo = [mid for mid in todo if mid not in board.slot_of]
    fixed = [mid for mid in todo if problem.meeting[mid].fixed_slot is not None]
    degree = {pid: len(ids) for pid, ids in problem.meetings_of.items()}
    people = sorted(problem.meetings_of, key=lambda pid: (-degree[pid], pid))
    order = list(fixed)
    queued = set(fixed) | set(board.slot_of)
    for pid in people:
        mine = [i for i in problem.meetings_of[pid] if i not in queued and i not in skip]
        mine.sort(key=lambda i: (len(problem.allowed[i]), -_partner(problem, i, pid, degree), i))
        order += mine
        queued.update(mine)
    failed = []
    for mid in order:
        s = board.best(mid)
        if s is None:
            failed.append(mid)
        else:
            board.place(mid, s)
    for mid in failed:
        board.repair(mid)
    for _ in range(rounds):
        if board.total_breaks() == 0 or not board.improve():
            break  # nothing left to improve, or a pass found nothing
    return dict(board.slot_of)


def _partner(problem: Problem, mid: str, pid: str, degree: dict[str, int]) -> int:
    return max(degree[q] for q in problem.meeting[mid].people if q != pid)
