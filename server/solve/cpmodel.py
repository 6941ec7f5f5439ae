"""The CP-SAT model of a `Problem` (ortools.sat.python.cp_model), built once per solve.

Variables: x[m, s] for each meeting m and each slot s it is allowed in. Constraints:
each meeting at most once (`placed[m]` = Σs x[m, s]); busy[p, s] = Σ x[m, s] over p's
meetings, a 0/1 variable, so nobody is in two meetings at once; Σm x[m, s] ≤ tables(s);
meetings fixed to one table never share a slot; a precedence b → m holds when both are
placed: x[m, s] + Σ_{t ≥ s} x[b, t] ≤ 1.

Breaks, per person and per run of slots (one day and block), exactly: after[i] ⇔ busy at
some later slot of the run; start[i] ⇔ busy[i-1] ∧ ¬busy[i] ∧ after[i], one per break
(each maximal idle run between two meetings starts at exactly one slot). breaks[p] =
Σ start, exact, so the fairness bound (max − min ≤ d over people with meetings) can
use them.

`hint(schedule)` gives the solver a complete solution from a schedule (the greedy start):
every auxiliary variable's value is computed from its definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import Literal

from server.solve.problem import Problem

Lit = Literal | bool  # a Boolean variable, its negation, or a constant


class Model:
    def __init__(self, problem: Problem, meetings: Sequence[str], breaks: bool = True) -> None:
        self.problem = problem
        self.cp = cp_model.CpModel()
        self.ids = list(meetings)
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        self._defs: list[tuple[str, Literal, list[Lit]]] = []  # for hints, in order
        self._busy: dict[tuple[str, int], Lit] = {}
        self.breaks: dict[str, list[Lit]] = {}  # person -> their break-start literals
        self.placed: dict[str, cp_model.LinearExprT] = {}
        self._build(breaks)

    # -- literals over constants

    def _neg(self, a: Lit) -> Lit:
        return (not a) if isinstance(a, bool) else a.negated()

    def _or(self, a: Lit, b: Lit) -> Lit:
        if a is True or b is True:
            return True
        if a is False:
            return b
        if b is False:
            return a
        v = self.cp.new_bool_var("")
        self.cp.add_bool_or([a, b, v.negated()])
        self.cp.add_implication(a, v)
        self.cp.add_implication(b, v)
        self._defs.append(("or", v, [a, b]))
        return v

    def _and(self, lits: list[Lit]) -> Lit:
        if any(a is False for a in lits):
            return False
        rest: list[Lit] = [a for a in lits if a is not True]
        if not rest:
            return True
        if len(rest) == 1:
            return rest[0]
        v = self.cp.new_bool_var("")
        for a in rest:
            self.cp.add_implication(v, a)
        self.cp.add_bool_or([v, *(self._neg(a) for a in rest)])
        self._defs.append(("and", v, rest))
        return v

    # -- the model

    def _build(self, breaks: bool) -> None:
        p, cp = self.problem, self.cp
        modelled = set(self.ids)
        by_slot: defaultdict[int, list[cp_model.IntVar]] = defaultdict(list)
        by_table: defaultdict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for mid in self.ids:
            m = p.meeting[mid]
            row = []
            for s in p.allowed[mid]:
                v = cp.new_bool_var(f"x[{mid},{s}]")
                self.x[mid, s] = v
                row.append(v)
                by_slot[s].append(v)
                if m.fixed_table is not None:
                    by_table[s, m.fixed_table].append(v)
            if m.current is not None and m.current in p.allowed[mid]:
                cp.add_exactly_one(row)  # placed now: it stays placed
            else:
                cp.add_at_most_one(row)
            self.placed[mid] = sum(row)
        for s, xs in by_slot.items():
            if len(xs) > p.slot[s].tables:
                cp.add(sum(xs) <= p.slot[s].tables)
        self._seats(by_slot)
        for xs in by_table.values():
            if len(xs) > 1:
                cp.add_at_most_one(xs)
        for mid in self.ids:
            for before in sorted(p.meeting[mid].after & modelled):
                for s in p.allowed[mid]:
                    later = [self.x[before, t] for t in p.allowed[before] if t >= s]
                    if later:
                        cp.add_at_most_one([self.x[mid, s], *later])
        for pid, all_ids in p.meetings_of.items():
            ids = [i for i in all_ids if i in modelled]
            kept = p.person[pid].busy if pid in p.person else frozenset()
            if breaks and ids and len(ids) + len(kept) >= 2:
                self._person(pid, ids)
            elif len(ids) >= 2:  # nobody in two meetings at once
                for s in p.slot:
                    terms = [self.x[i, s] for i in ids if (i, s) in self.x]
                    if len(terms) > 1:
                        cp.add_at_most_one(terms)

    def _seats(self, by_slot: Mapping[int, list[cp_model.IntVar]]) -> None:
        """Where tables seat different numbers: for each meeting size c, the meetings of
        at least c people in a slot fit the tables seating c or more (enough, as these
        sets are nested: the biggest meetings take the biggest tables first)."""
        p = self.problem
        if not any(s.seats for s in p.slots):
            return
        size = {v.index: len(p.meeting[mid].people) for (mid, _), v in self.x.items()}
        for s, xs in by_slot.items():
            slot = p.slot[s]
            if not slot.seats:
                continue
            for c in sorted({size[v.index] for v in xs}):
                if slot.seats_for(c) == slot.tables:
                    continue  # every table seats c: the table count says it all
                big = [v for v in xs if size[v.index] >= c]
                if len(big) > slot.seats_for(c):
                    self.cp.add(sum(big) <= slot.seats_for(c))

    def _person(self, pid: str, ids: list[str]) -> None:
        p = self.problem
        kept = p.person[pid].busy if pid in p.person else frozenset()
        self._encode_breaks(pid, ids, kept)

    def _encode_breaks(self, pid: str, ids: list[str], held: Collection[int]) -> None:
        """busy[pid, s] (a constant True in the slots of `held`: a meeting kept there, never
        a new one) and the break-start literals of `pid` over their meetings `ids`."""
        p, cp = self.problem, self.cp
        for s in p.slot:
            terms = [self.x[i, s] for i in ids if (i, s) in self.x]
            if s in held:
                self._busy[pid, s] = True
            elif not terms:
                self._busy[pid, s] = False
            elif len(terms) == 1:
                self._busy[pid, s] = terms[0]
            else:
                b = cp.new_bool_var(f"busy[{pid},{s}]")
                cp.add(sum(terms) == b)
                self._busy[pid, s] = b
        starts: list[Lit] = []
        for run in p.runs:
            busy = [self._busy[pid, s] for s in run]
            after: list[Lit] = [False] * len(run)
            for i in range(len(run) - 2, -1, -1):
                after[i] = self._or(busy[i + 1], after[i + 1])
            for i in range(1, len(run) - 1):
                start = self._and([busy[i - 1], self._neg(busy[i]), after[i]])
                if start is not False:
                    starts.append(start)
        self.breaks[pid] = starts

    def total_breaks(self) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.sum(
            [v for lits in self.breaks.values() for v in lits if not isinstance(v, bool)]
        )

    def break_count_bound(self) -> int:
        return sum(len(lits) for lits in self.breaks.values())

    def add_fairness(self, bound: int) -> None:
        """max − min of breaks over people with meetings (in the problem) ≤ bound."""
        p, cp = self.problem, self.cp
        counts = {
            pid: sum(v for v in self.breaks.get(pid, []) if not isinstance(v, bool))
            for pid, ids in p.meetings_of.items()
            if ids
        }
        without = [pid for pid in counts if not self.breaks.get(pid)]
        if without or not counts:  # someone has 0 breaks for sure: min is 0
            for pid in self.breaks:
                cp.add(counts[pid] <= bound)
            return
        least = cp.new_int_var(0, self.break_count_bound(), "least_breaks")
        exprs = [cp.new_int_var(0, len(self.breaks[pid]), f"breaks[{pid}]") for pid in counts]
        for var, pid in zip(exprs, counts, strict=True):
            cp.add(var == counts[pid])
            cp.add(var <= least + bound)
        cp.add_min_equality(least, exprs)

    def hint(self, schedule: Mapping[str, int]) -> None:
        """Hint the solver with `schedule`: x, and every variable defined from x."""
        cp = self.cp
        cp.clear_hints()  # type: ignore[no-untyped-call]
        value: dict[int, bool] = {}
        for (mid, s), v in self.x.items():
            value[v.index] = schedule.get(mid) == s
            cp.add_hint(v, value[v.index])
        busy_by_person: defaultdict[str, set[int]] = defaultdict(set)
        for mid, s in schedule.items():
            for pid in self.problem.meeting[mid].people:
                busy_by_person[pid].add(s)
        for (pid, s), b in self._busy.items():
            if not isinstance(b, bool) and b.index not in value:
                value[b.index] = s in busy_by_person[pid]
                cp.add_hint(b, value[b.index])

        def of(a: Lit) -> bool:
            if isinstance(a, bool):
                return a
            return value[a.index] if a.index >= 0 else not value[-a.index - 1]

        for kind, d, args in self._defs:
            got = any(map(of, args)) if kind == "or" else all(map(of, args))
            value[d.index] = got
            cp.add_hint(d, got)

    def busy_literals(self) -> dict[tuple[str, int], Lit]:
        """(person, slot) -> the literal "busy then", for people with two or more meetings."""
        return dict(self._busy)
