"""Large neighbourhood search around CP-SAT: keep most of a schedule, re-solve the rest.

Each step frees a neighbourhood of meetings and builds a small model of them alone
(`_Sub`): every other meeting stays in its slot as a constant (its people busy there, its
table taken, its precedences a bound on the free ones' slots); breaks are counted exactly
(as in `cpmodel.Model`) for every person with a free meeting, the others' are constants;
with every meeting placed, the window constraints (`windows.py`) are added. The fairness
bound is soft: excess[p] ≥ breaks[p] − least − d, objective W·Σ excess + breaks (W above
any possible number of breaks), so a fair schedule beats an unfair one and an unfair start
can still be improved. The step is solved with a short time limit from the current
schedule as a complete hint; it is kept when (excess, breaks), measured again in Python on
the whole schedule, is no worse: equal moves let the search drift across plateaus.
Neighbourhoods, in turn:

- people: a person (weighted by 1 + 4·their breaks), then people met by those chosen so
  far, until about `size` meetings are free: all of their meetings are free;
- window: a few consecutive slots of one run: every meeting in them is free;
- random: `size` meetings drawn at random.

`size` grows by a tenth when a step is solved to optimality (the neighbourhood held nothing
better) and shrinks by a tenth otherwise. The choices depend only on the seed; what a step
finds within its time limit depends on the machine's speed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from server.solve.breaks import measure, person_breaks
from server.solve.cpmodel import Model
from server.solve.problem import Problem
from server.solve.windows import add_windows


@dataclass(frozen=True)
class Score:
    excess: int  # Σ over people of breaks beyond least + d (0: the fairness bound holds)
    breaks: int

    def key(self) -> tuple[int, int]:
        return (self.excess, self.breaks)


def score(problem: Problem, schedule: Mapping[str, int], fairness: int | None) -> Score:
    got = measure(problem, schedule)
    if fairness is None or not got.per_person:
        return Score(0, got.total)
    least = min(got.per_person.values())
    return Score(sum(max(0, b - least - fairness) for b in got.per_person.values()), got.total)


Exchange = Callable[[dict[str, int], "Score"], tuple[Mapping[str, int], "Score", bool]]


@dataclass
class Outcome:
    schedule: dict[str, int]
    score: Score
    steps: int
    improvements: int
    seconds: float


class _Sub(Model):
    """The sub-model of one step: the free meetings' x, everything else fixed as constants.

    Reuses `Model`'s literal helpers and `hint`; people with no free meeting keep their
    breaks, which enter the objective as constants through the fairness term."""

    def __init__(self, problem: Problem, schedule: Mapping[str, int], free: set[str],
                 keep: int, fairness: int | None) -> None:  # fmt: skip
        self.problem = problem
        self.cp = cp_model.CpModel()
        self.ids = [m.id for m in problem.meetings if m.id in free]
        self.x = {}
        self._defs = []
        self._busy = {}
        self.breaks = {}
        self.placed = {}
        self.count: dict[str, cp_model.LinearExprT] = {}
        fixed = {mid: s for mid, s in schedule.items() if mid not in free}
        self._sub(fixed, keep, fairness)

    def _sub(self, fixed: Mapping[str, int], keep: int, fairness: int | None) -> None:
        p, cp = self.problem, self.cp
        complete = len(fixed) + keep == len(p.meetings)
        taken: set[tuple[str, int]] = set()
        load: dict[int, int] = {}
        tables: set[tuple[int, int]] = set()
        for mid, s in fixed.items():
            m = p.meeting[mid]
            taken.update((pid, s) for pid in m.people)
            load[s] = load.get(s, 0) + 1
            if m.fixed_table is not None:
                tables.add((s, m.fixed_table))
        by_slot: dict[int, list[cp_model.IntVar]] = {}
        by_table: dict[tuple[int, int], list[cp_model.IntVar]] = {}
        for mid in self.ids:
            m = p.meeting[mid]
            low = max((fixed[b] for b in m.after if b in fixed), default=0)
            high = min((fixed[a] for a in p.successors.get(mid, ()) if a in fixed), default=10**9)
            row = []
            for s in p.allowed[mid]:
                if not low < s < high or load.get(s, 0) >= p.slot[s].tables:
                    continue
                if any((pid, s) in taken for pid in m.people):
                    continue
                if m.fixed_table is not None and (s, m.fixed_table) in tables:
                    continue
                v = cp.new_bool_var(f"x[{mid},{s}]")
                self.x[mid, s] = v
                row.append(v)
                by_slot.setdefault(s, []).append(v)
                if m.fixed_table is not None:
                    by_table.setdefault((s, m.fixed_table), []).append(v)
            if complete:
                cp.add_exactly_one(row)
            else:
                cp.add_at_most_one(row)
            self.placed[mid] = sum(row)
        cp.add(cp_model.LinearExpr.sum(list(self.placed.values())) >= keep)
        for s, xs in by_slot.items():
            room = p.slot[s].tables - load.get(s, 0)
            if len(xs) > room:
                cp.add(sum(xs) <= room)
        for xs in by_table.values():
            if len(xs) > 1:
                cp.add_at_most_one(xs)
        free = set(self.ids)
        for mid in self.ids:
            for before in sorted(p.meeting[mid].after & free):
                for s in p.allowed[mid]:
                    if (mid, s) not in self.x:
                        continue
                    later = [self.x[before, t] for t in p.allowed[before]
                             if t >= s and (before, t) in self.x]  # fmt: skip
                    if later:
                        cp.add_at_most_one([self.x[mid, s], *later])
        touched = sorted({pid for mid in self.ids for pid in p.meeting[mid].people})
        for pid in touched:
            self._touched(pid, [i for i in p.meetings_of[pid] if i in free], taken)
        if complete:
            add_windows(cp, p, {pid: len(p.meetings_of[pid]) for pid in touched},
                        self._busy, self.breaks)  # fmt: skip
        breaks_of = _fixed_breaks(p, fixed, set(touched))
        counts: dict[str, cp_model.LinearExprT] = dict(breaks_of)
        for pid in touched:
            counts[pid] = self.count[pid]
        self.weight = 1 + sum(len(v) for v in self.breaks.values())
        total = cp_model.LinearExpr.sum([self.count[pid] for pid in touched])
        excess = _excess(cp, p, counts, breaks_of, fairness)
        self.cp.minimize(cp_model.LinearExpr.weighted_sum([excess, total], [self.weight, 1]))

    def _touched(self, pid: str, ids: list[str], taken: set[tuple[str, int]]) -> None:
        held = {s for s in self.problem.slot if (pid, s) in taken}
        self._encode_breaks(pid, ids, held)
        starts = self.breaks[pid]
        self.count[pid] = cp_model.LinearExpr.sum([v for v in starts if not isinstance(v, bool)])


def _excess(cp: cp_model.CpModel, problem: Problem, counts: Mapping[str, cp_model.LinearExprT],
            constant: Mapping[str, int], d: int | None) -> cp_model.LinearExprT:  # fmt: skip
    """Σ over people of max(0, breaks − least − d); 0 without a fairness bound. `counts`
    has every person with meetings, `constant` those whose breaks cannot change."""
    if d is None or not counts:
        return 0
    varying = [pid for pid in counts if pid not in constant]
    floor = min(constant.values(), default=None)
    least: cp_model.LinearExprT
    if floor == 0 or not varying:
        least = floor or 0
    else:  # least ≤ every count: the objective presses it up to the minimum
        low = cp.new_int_var(0, floor if floor is not None else len(problem.slots), "least")
        for pid in varying:
            cp.add(low <= counts[pid])
        least = low
    out = []
    for pid, c in counts.items():
        if pid in constant and constant[pid] - d <= 0:
            continue
        e = cp.new_int_var(0, len(problem.slots), f"excess[{pid}]")
        cp.add(e + least + d >= c)
        out.append(e)
    return cp_model.LinearExpr.sum(out)


def _fixed_breaks(problem: Problem, fixed: Mapping[str, int], touched: set[str]) -> dict[str, int]:
    """Breaks of the people with meetings whose meetings are all fixed."""
    busy: dict[str, set[int]] = {}
    for mid, s in fixed.items():
        for pid in problem.meeting[mid].people:
            busy.setdefault(pid, set()).add(s)
    return {pid: person_breaks(busy.get(pid, set()), problem.runs)
            for pid, ids in problem.meetings_of.items() if ids and pid not in touched}  # fmt: skip


class Search:
    """Improves a schedule by re-solving neighbourhoods of it until a deadline."""

    def __init__(self, problem: Problem, ids: Sequence[str], fairness: int | None,
                 seed: int = 0, workers: int = 0) -> None:  # fmt: skip
        self.problem = problem
        self.ids = list(ids)
        self.fairness = fairness
        self.workers = workers
        self.rng = random.Random(seed)
        self.seed = seed
        self._slots_of_run = [list(run) for run in problem.runs]
        self.size = max(8.0, min(40.0, len(self.ids) / 5))

    # -- neighbourhoods

    def _people(self, schedule: Mapping[str, int]) -> set[str]:
        p = self.problem
        per = measure(p, schedule).per_person
        who = [pid for pid in p.meetings_of if p.meetings_of[pid]]
        weights = [1 + 4 * per.get(pid, 0) for pid in who]
        chosen = [self.rng.choices(who, weights)[0]]
        free: set[str] = set()
        seen = {chosen[0]}
        wanted = set(self.ids)
        while chosen and len(free) < self.size:
            pid = chosen.pop(self.rng.randrange(len(chosen)))
            mine = [mid for mid in p.meetings_of[pid] if mid in wanted]
            free.update(mine)
            for mid in mine:
                for other in p.meeting[mid].people:
                    if other not in seen:
                        seen.add(other)
                        chosen.append(other)
        return free

    def _window(self, schedule: Mapping[str, int]) -> set[str]:
        run = self.rng.choice(self._slots_of_run)
        load = max(1, len(schedule) // max(1, len(self.problem.slots)))
        width = max(2, min(len(run), round(self.size / load)))
        first = self.rng.randrange(0, len(run) - width + 1)
        window = set(run[first : first + width])
        return {mid for mid, s in schedule.items() if s in window}

    def _random(self, schedule: Mapping[str, int]) -> set[str]:
        k = min(len(self.ids), round(self.size))
        return set(self.rng.sample(self.ids, k))

    # -- the search

    def run(
        self,
        start: Mapping[str, int],
        deadline: float,
        step_limit: float = 1.0,
        report: Callable[[Score, float], None] | None = None,
        exchange: Exchange | None = None,
    ) -> Outcome:
        """Improve `start` until `time.monotonic()` reaches `deadline`. `exchange`, called
        before each step with the best schedule, returns the best known elsewhere (adopted
        when better) and whether to stop."""
        began = time.monotonic()
        best = {mid: s for mid, s in start.items() if mid in set(self.ids)}
        best_score = score(self.problem, best, self.fairness)
        kinds = (self._people, self._window, self._people, self._random)
        steps = improvements = 0
        while True:
            if exchange is not None:
                other, other_score, stop = exchange(best, best_score)
                if other_score.key() < best_score.key() and len(other) >= len(best):
                    best, best_score = dict(other), other_score
                if stop:
                    break
            left = deadline - time.monotonic()
            if left < 0.05 or best_score.key() == (0, 0):
                break
            free = kinds[steps % len(kinds)](best)
            keep = sum(1 for mid in free if mid in best)
            sub = _Sub(self.problem, best, free, keep, self.fairness)
            sub.hint(best)
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = max(0.01, min(step_limit, left))
            solver.parameters.random_seed = self.seed + steps
            solver.parameters.num_workers = self.workers
            status = solver.solve(sub.cp)
            steps += 1
            if status == cp_model.OPTIMAL:
                self.size = min(len(self.ids), self.size * 1.1)
            else:
                self.size = max(4.0, self.size * 0.9)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            got = {mid: s for mid, s in best.items() if mid not in free}
            got.update((mid, s) for (mid, s), v in sub.x.items() if solver.boolean_value(v))
            if len(got) < len(best):
                continue
            got_score = score(self.problem, got, self.fairness)
            if got_score.key() <= best_score.key():
                better = got_score.key() < best_score.key()
                best, best_score = got, got_score
                if better:
                    improvements += 1
                    if report:
                        report(best_score, time.monotonic() - began)
        return Outcome(best, best_score, steps, improvements, time.monotonic() - began)
