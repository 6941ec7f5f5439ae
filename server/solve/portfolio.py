"""Every meeting can be placed: an exact search and a large neighbourhood search side by
side (`portfolio`), sharing the best schedule and the proven bound. See `cpsat.py`'s
docstring, step 4, for the flow and the figures behind its shares."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from server.solve.breaks import measure
from server.solve.cpmodel import Model
from server.solve.lns import Score, Search, score
from server.solve.options import Options, Run, decode, subsolvers
from server.solve.problem import Problem
from server.solve.result import Progress
from server.solve.windows import add_windows

# The exact search's share of its time for the probe for a schedule without breaks, and
# the share of the time after which the LNS joins it (measured on the benchmark, 2 cores).
PROBE_SHARE = 0.25
LNS_AFTER = 0.75


@dataclass
class Found:
    status: cp_model.CpSolverStatus
    schedule: dict[str, int]
    bound: int
    notes: list[str]


class _Shared:
    """The best schedule and bound of the two searches (threads), under a lock."""

    def __init__(self, problem: Problem, options: Options, start: Mapping[str, int]) -> None:
        self.problem, self.options = problem, options
        self.lock = threading.Lock()
        self.best = dict(start)
        self.score = score(problem, start, options.fairness)
        self.bound = 0  # no schedule (fair or not) has fewer breaks
        self.done = False  # the exact search has settled it: stop the other
        self.unfair_optimum: dict[str, int] | None = None  # when the bound cannot be kept
        self.began = time.monotonic()
        self.solver: cp_model.CpSolver | None = None
        if options.progress and self.score.excess == 0:  # the start is the first solution
            options.progress(Progress(float(self.score.breaks), 0.0, 0.0))

    def offer(self, schedule: Mapping[str, int], got: Score | None = None) -> None:
        got = got or score(self.problem, schedule, self.options.fairness)
        with self.lock:
            if got.key() >= self.score.key():
                return
            self.best, self.score = dict(schedule), got
            report = self.options.progress
            if report and got.excess == 0:
                report(Progress(float(got.breaks), float(self.bound),
                                time.monotonic() - self.began))  # fmt: skip

    def raise_bound(self, value: float) -> None:
        with self.lock:
            self.bound = max(self.bound, round(value))

    def settled(self) -> bool:
        with self.lock:
            return self.done or (self.score.excess == 0 and self.score.breaks <= self.bound)

    def exchange(self, schedule: dict[str, int], got: Score) -> tuple[dict[str, int], Score, bool]:
        self.offer(schedule, got)
        stop = self.settled()
        with self.lock:
            return self.best, self.score, stop


class _Offer(cp_model.CpSolverSolutionCallback):
    def __init__(self, model: Model, shared: _Shared) -> None:
        super().__init__()
        self.model, self.shared = model, shared

    def on_solution_callback(self) -> None:
        got = {mid: s for (mid, s), v in self.model.x.items() if self.boolean_value(v)}
        self.shared.offer(got)
        if self.shared.settled():
            self.stop_search()


def _exact(shared: _Shared, problem: Problem, ids: list[str], deadline: float,
           workers: int, probe: float) -> list[str]:  # fmt: skip
    """Exact CP-SAT searches (core-guided, with the window constraints): a probe for a
    schedule without any break for `probe` of the time left, then the search under the
    fairness bound (its lower bound is at least the one without it). Only if the solver
    proves the bound cannot be kept, the search without it. Returns notes."""
    options = shared.options
    d = options.fairness
    modelled = set(ids)
    count = {pid: sum(1 for i in mine if i in modelled)
             for pid, mine in problem.meetings_of.items()}  # fmt: skip
    floor = 0  # a lower bound for every schedule, fair or not
    notes: list[str] = []
    for k, bound_d in enumerate([-1, d, None]):
        left = deadline - time.monotonic()
        if left < 0.05 or (k < 2 and shared.settled()):
            return notes
        b = Model(problem, ids)
        for expr in b.placed.values():
            b.cp.add(expr == 1)
        add_windows(b.cp, problem, count, b.busy_literals(), b.breaks)
        if bound_d == -1:  # a schedule without any break (fair by itself)?
            b.cp.add(b.total_breaks() == 0)
        else:
            b.cp.minimize(b.total_breaks())
        if bound_d is not None and bound_d >= 0:
            b.add_fairness(bound_d)
        with shared.lock:
            hint = shared.best
        b.hint(hint)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = left * (probe if k == 0 else 1)
        solver.parameters.random_seed = options.seed
        solver.parameters.num_workers = workers
        solver.parameters.subsolvers.extend(subsolvers(workers))
        # No minimising of the cores the core-guided worker finds: its bound reaches the
        # same value in about a second either way, but only without it did it then find
        # forum-14's optimum (2, proven, in 18-21 s over three seeds, where the default
        # level ended at 45 after 40 s); no change on the other instances short of theirs.
        solver.parameters.core_minimization_level = 0
        if k == 2:  # the bound cannot be kept: the unfair optimum, alone (the LNS stopped)
            status = solver.solve(b.cp)
            found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            if found:
                shared.offer(decode(b, solver))
            if status == cp_model.OPTIMAL:
                shared.unfair_optimum = decode(b, solver)
            with shared.lock:  # the fair search's bound does not hold without fairness
                shared.bound = max(floor, round(solver.best_objective_bound) if found else 0)
            return notes
        solver.best_bound_callback = shared.raise_bound
        with shared.lock:
            shared.solver = solver
        status = solver.solve(b.cp, _Offer(b, shared))
        with shared.lock:
            shared.solver = None
        if k == 0:
            if status == cp_model.INFEASIBLE:
                floor = 1
                shared.raise_bound(1)
            continue
        if status == cp_model.OPTIMAL:
            shared.raise_bound(solver.objective_value)
            return []
        if status != cp_model.INFEASIBLE or bound_d is None:
            return notes
        with shared.lock:  # stops the LNS too
            shared.done = True
        notes.append(f"no schedule placing all {len(ids)} meetings keeps the fairness bound "
                     f"{bound_d}: the schedule ignores it")  # fmt: skip
    return notes


def portfolio(
    run: Run, problem: Problem, ids: list[str], start: Mapping[str, int], options: Options,
    reserve: float = 0.0,
) -> Found:  # fmt: skip
    """Every meeting can be placed: the exact searches (`_exact`) on every worker, and the
    LNS (`lns.Search`, fairness soft) beside them for the last `1 - LNS_AFTER` of the
    time (with one worker, the exact search first for half the time, then the LNS). Each
    takes the other's better schedules; both stop when a fair schedule meets the exact
    search's lower bound."""
    began = time.monotonic()
    deadline = began + max(0.0, run.left() - reserve)  # `reserve` is left for what follows
    n = options.workers or os.cpu_count() or 1
    shared = _Shared(problem, options, start)
    search = Search(problem, ids, options.fairness, seed=options.seed, workers=1)
    notes: list[str] = []
    if n >= 2:
        box: list[list[str]] = []
        thread = threading.Thread(
            target=lambda: box.append(_exact(shared, problem, ids, deadline, n, PROBE_SHARE))
        )
        thread.start()
        try:
            thread.join(timeout=max(0.0, (deadline - began) * LNS_AFTER))
            search.run(shared.best, deadline, step_limit=1.0, exchange=shared.exchange)
        finally:
            with shared.lock:
                shared.done = True
                if shared.solver is not None:
                    shared.solver.stop_search()
            thread.join()
        notes.extend(box[0] if box else [])
    else:
        notes.extend(_exact(shared, problem, ids, (began + deadline) / 2, 1, PROBE_SHARE))
        if not shared.settled():
            search.run(shared.best, deadline, step_limit=1.0, exchange=shared.exchange)
    run.spent += time.monotonic() - began
    best, got = shared.best, shared.score
    if notes and shared.unfair_optimum is not None:  # the bound cannot be kept
        unfair = shared.unfair_optimum
        return Found(cp_model.OPTIMAL, unfair, measure(problem, unfair).total, notes)
    if got.excess:
        notes.append(f"no schedule within the fairness bound {options.fairness} found in time")
    optimal = got.excess == 0 and got.breaks <= shared.bound
    return Found(cp_model.OPTIMAL if optimal else cp_model.FEASIBLE, best,
                  min(shared.bound, got.breaks), notes)  # fmt: skip
