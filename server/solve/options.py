"""The optimiser's options and the time budget its CP-SAT solves share (`Run`), with the
subsolvers picked for the machine's cores. Used by `cpsat.py` and `portfolio.py`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from server.solve.cpmodel import Model
from server.solve.result import Progress


@dataclass(frozen=True)
class Options:
    time_limit_s: float = 30.0
    seed: int = 0
    workers: int = 0  # 0: the solver's default, every core of the machine
    fairness: int | None = 2  # max − min breaks over people with meetings; None: no bound
    progress: Callable[[Progress], None] | None = None


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[Progress], None]) -> None:
        super().__init__()
        self.report = report

    def on_solution_callback(self) -> None:
        self.report(Progress(self.objective_value, self.best_objective_bound, self.wall_time))


class Run:
    """The solves of one call, sharing the time limit."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.spent = 0.0

    def left(self) -> float:
        return max(0.0, self.options.time_limit_s - self.spent)

    def solve(
        self, model: Model, limit: float, report: bool, core: bool = True
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """Solve `model` within `limit` seconds; with `core`, on `subsolvers` (for the
        breaks), else on CP-SAT's default portfolio (counting placed meetings: the
        core-guided worker does not use a bound on the count given as a constraint)."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, limit)
        solver.parameters.random_seed = self.options.seed
        solver.parameters.num_workers = self.options.workers
        if core:
            solver.parameters.subsolvers.extend(subsolvers(self.options.workers))
        callback = _Callback(self.options.progress) if report and self.options.progress else None
        status = solver.solve(model.cp, callback)
        self.spent += solver.wall_time
        return solver, status


def subsolvers(workers: int) -> list[str]:
    """CP-SAT's full-problem workers for `workers` (0: every core). With one or two, the
    core-guided search (MaxSAT-style: lower bounds from conflicts on break literals) and
    search without LP: the solver's default for two (one LP worker) proved none of the
    hard instances; this pair proved forum-14's optimum in 17 s. With more cores, the
    solver's own portfolio has both already."""
    n = workers or os.cpu_count() or 1
    return ["core"] if n == 1 else ["core", "no_lp"] if n == 2 else []


def decode(model: Model, solver: cp_model.CpSolver) -> dict[str, int]:
    return {mid: s for (mid, s), v in model.x.items() if solver.boolean_value(v)}
