"""`solve(problem, options)`: the pre-check, the greedy start, then CP-SAT, lexicographic.

1. The pre-check (`precheck.py`) sets aside meetings no slot can take and names
   overloaded people and sessions.
2. The greedy start (`greedy.py`) places what it can; when it places every remaining
   meeting, that count is the proven maximum.
3. Otherwise phase A (at most a third of the time), with nothing about breaks in the
   model: can every meeting be placed (each exactly once: settled in about a second on
   the benchmark)? If not, the most that can.
4. When every meeting can be placed (the usual case): two searches (`portfolio.py`):
   - exact (`portfolio._exact`, CP-SAT with the window constraints of `windows.py`, every meeting
     placed, every worker: subsolvers "core" and "no_lp" for two): first a probe for a
     schedule without any break (a quarter of the time), then the core-guided search
     (MaxSAT-style lower bounds) under the fairness bound to the end. If the solver
     proves the bound cannot be met, a note says so and the schedule is the optimum
     without it (the search without the bound for the time left);
   - the large neighbourhood search (`lns.py`), fairness soft, from the best schedule,
     for the last quarter of the time beside the exact search (with one worker: the
     exact search for half the time, then the LNS).
   Each adopts the other's better schedules; both stop as soon as a fair schedule meets
   the proven lower bound (then the status is optimal). Measured on the benchmark: the
   exact search proves most optima (both workers on the probe find the schedules without
   breaks that one alone missed); the LNS improves the schedule where it does not.
5. Otherwise phase B keeps at least the most placeable and minimises W·unplaced +
   breaks (W greater than any possible number of breaks, so one more meeting always
   outweighs breaks): first without the fairness bound for 40 % of the time left, since
   any schedule is a start there, then under the bound (max − min breaks ≤ d) from that
   schedule, unless it is proven optimal and fair already. If the solver proves the bound
   cannot be met, a note says so and the schedule ignores it.

6. Rescheduling (meetings placed now, `Meeting.current`), after 4 or 5: phase C keeps
   that many placed, no more breaks and no worse fairness, and leaves the most meetings
   where they are (a tenth of the time limit is kept for it).

Every CP-SAT solve starts from the best schedule so far as a complete hint. The progress
callback receives each improving solution (objective, bound, elapsed seconds); in step 4
the greedy start first, then every better fair schedule from either search, elapsed on
the monotonic clock (the searches share one deadline). Step 4 runs two threads, so which
search finds a schedule first may vary between runs even with one seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from server.solve.breaks import Measure, measure
from server.solve.cpmodel import Model
from server.solve.greedy import greedy
from server.solve.options import Options as Options
from server.solve.options import Run, decode
from server.solve.portfolio import portfolio
from server.solve.precheck import Precheck, precheck
from server.solve.problem import Problem, names
from server.solve.result import Result, Status, Unplaced, assign_tables
from server.solve.windows import add_windows

# The share of the time limit phase B leaves to phase C (fewest moves) when rescheduling;
# phase C starts from phase B's schedule, so a short run still keeps what it finds.
FEWEST_MOVES_SHARE = 0.1
# The share of phase A's time for the question "can every meeting be placed?".
ALL_PLACED_SHARE = 0.5


def solve(problem: Problem, options: Options | None = None) -> Result:
    options = options or Options()
    problem.validate()
    run = Run(options)
    check = precheck(problem)
    notes = [f.text for f in check.findings]
    ids = [m.id for m in problem.meetings if m.id not in check.impossible]
    start = greedy(problem, frozenset(check.impossible))
    start_measure = measure(problem, start)
    best, most, proven = start, len(start), len(start) == len(ids)

    if not proven:  # phase A: how many can be placed at all
        best, most, proven = most_placed(run, problem, ids, best, run.left() / 3)
        if proven and most < len(ids):
            notes.append(f"at most {most} of the {len(ids)} meetings can be placed together")

    d = options.fairness
    moving = any(problem.meeting[mid].current is not None for mid in ids)
    reserve = options.time_limit_s * FEWEST_MOVES_SHARE if moving else 0.0
    if proven and most == len(ids):  # every meeting placed: the exact search and the LNS
        found = portfolio(run, problem, ids, best, options, reserve)
        notes.extend(found.notes)
        schedule = _fewest_moves(run, problem, ids, found.schedule, d)
        return _result(problem, options, check, ids, schedule, start_measure,
                       found.status, found.bound, proven, notes, run.spent)  # fmt: skip

    # Phase B: fewest breaks, first without the fairness bound (any schedule is a start),
    # then, unless that one is proven optimal and fair already, under the bound.
    phases: list[int | None] = [None] if d is None else [None, d]
    status: cp_model.CpSolverStatus = cp_model.UNKNOWN
    bound = 0
    for k, bound_d in enumerate(phases):
        if k == 1 and status == cp_model.OPTIMAL and measure(problem, best).spread <= (d or 0):
            break  # the optimum without the bound keeps it: optimal under it too
        left = run.left() - reserve
        limit = left * 0.4 if k == 0 and len(phases) == 2 else left
        got = _phase_b(run, problem, ids, most, proven, best, bound_d, limit)
        if got.status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if got.weight == 0 or len(got.schedule) >= len(best):
                best = got.schedule
            bound = max(bound, got.bound(len(ids) - len(best)))
            status = got.status
            if status == cp_model.OPTIMAL and got.weight:
                proven = True  # the weighted optimum places the most meetings
        elif got.status == cp_model.INFEASIBLE and bound_d is not None:
            notes.append(
                f"no schedule placing {most} meetings keeps the fairness bound {bound_d}: "
                "the schedule ignores it"
            )
        elif bound_d is not None:
            status = cp_model.FEASIBLE if status == cp_model.OPTIMAL else status
            notes.append(f"no schedule within the fairness bound {bound_d} found in time")
        else:
            notes.append("the solver found no schedule within the time limit: the greedy start")
    best = _fewest_moves(run, problem, ids, best, d)
    return _result(problem, options, check, ids, best, start_measure, status, bound, proven,
                   notes, run.spent)  # fmt: skip


def most_placed(
    run: Run, problem: Problem, ids: list[str], start: dict[str, int], limit: float
) -> tuple[dict[str, int], int, bool]:
    """Phase A: the schedule placing the most meetings, how many, and whether that is
    proven. First the question "all of them?" (every meeting exactly once), which CP-SAT
    settles in about a second where maximising the count takes 10–20 s or more (on the
    benchmark's precedence variants); then, unless it found them all, the maximum."""
    began = run.spent
    a = Model(problem, ids, breaks=False)
    for expr in a.placed.values():
        a.cp.add(expr == 1)
    a.hint(start)
    solver, status = run.solve(a, limit * ALL_PLACED_SHARE, report=False, core=False)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return decode(a, solver), len(ids), True
    a = Model(problem, ids, breaks=False)
    placed = cp_model.LinearExpr.sum(list(a.placed.values()))
    if status == cp_model.INFEASIBLE:
        a.cp.add(placed <= len(ids) - 1)
    a.cp.maximize(placed)
    a.hint(start)
    solver, status = run.solve(a, limit - (run.spent - began), report=False, core=False)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value > len(start):
        return decode(a, solver), round(solver.objective_value), status == cp_model.OPTIMAL
    return start, len(start), status == cp_model.OPTIMAL


def _fewest_moves(
    run: Run, problem: Problem, ids: list[str], best: dict[str, int], fairness: int | None
) -> dict[str, int]:
    """Phase C (rescheduling): the schedule with as many placed, no more breaks and no
    worse fairness than `best` that leaves the most meetings where they are now. Phase B
    minimises breaks only, so without this it moves meetings that had no gap to close."""
    stays = [mid for mid in ids if problem.meeting[mid].current is not None]
    if all(best.get(mid) == problem.meeting[mid].current for mid in stays):
        return best
    got = measure(problem, best)
    c = Model(problem, ids)
    for mid in best:
        c.cp.add(c.placed[mid] == 1)
    c.cp.add(c.total_breaks() <= got.total)
    if fairness is not None:
        c.add_fairness(fairness if got.spread <= fairness else got.spread)
    current = [(mid, problem.meeting[mid].current) for mid in stays]
    c.cp.maximize(cp_model.LinearExpr.sum([c.x[key] for key in current if key in c.x]))
    c.hint(best)
    solver, status = run.solve(c, run.left(), report=False)
    return decode(c, solver) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else best


@dataclass(frozen=True)
class _Phase:
    status: cp_model.CpSolverStatus
    schedule: dict[str, int]
    objective_bound: float
    weight: int

    def bound(self, unplaced: int) -> int:
        """Any schedule leaving `unplaced` meetings out has at least this many breaks."""
        return max(0, round(self.objective_bound) - self.weight * unplaced)


def _phase_b(
    run: Run,
    problem: Problem,
    ids: list[str],
    most: int,
    proven: bool,
    hint: Mapping[str, int],
    fairness: int | None,
    limit: float,
) -> _Phase:
    b = Model(problem, ids)
    if proven and most == len(ids):
        for expr in b.placed.values():
            b.cp.add(expr == 1)
        modelled = set(ids)
        count = {pid: sum(1 for i in mine if i in modelled)
                 for pid, mine in problem.meetings_of.items()}  # fmt: skip
        add_windows(b.cp, problem, count, b.busy_literals(), b.breaks)
    placed = cp_model.LinearExpr.sum(list(b.placed.values()))
    b.cp.add(placed >= most)
    weight = 0 if proven else b.break_count_bound() + 1
    b.cp.minimize(weight * len(ids) - weight * placed + b.total_breaks())
    if fairness is not None:
        b.add_fairness(fairness)
    b.hint(hint)
    solver, status = run.solve(b, limit, report=True)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return _Phase(
        status=status,
        schedule=decode(b, solver) if found else {},
        objective_bound=solver.best_objective_bound if found else 0.0,
        weight=weight,
    )


def _result(
    problem: Problem,
    options: Options,
    check: Precheck,
    ids: list[str],
    schedule: Mapping[str, int],
    start: Measure,
    status: cp_model.CpSolverStatus,
    bound: int,
    proven: bool,
    notes: list[str],
    seconds: float,
) -> Result:
    got = measure(problem, schedule)
    unplaced = []
    for m in problem.meetings:
        if m.id not in schedule:
            unplaced.append(Unplaced(m.id, check.reason(m.id) or _why(problem, schedule, m.id)))
    if check.impossible or (proven and len(schedule) < len(ids)):
        all_placeable: bool | None = False
    elif not unplaced:
        all_placeable = True
    else:
        all_placeable = None
    optimal = status == cp_model.OPTIMAL and proven
    found = status in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return Result(
        status=Status.OPTIMAL if optimal else Status.FEASIBLE if found else Status.UNKNOWN,
        all_placeable=all_placeable,
        placements=assign_tables(problem, schedule),
        unplaced=tuple(unplaced),
        breaks=got.total,
        breaks_bound=got.total if optimal else min(bound, got.total),
        spread=got.spread,
        fairness_bound=options.fairness,
        fairness_kept=options.fairness is None or got.spread <= options.fairness,
        greedy_placed=start.placed,
        greedy_breaks=start.total,
        seconds=seconds,
        notes=tuple(notes),
    )


def _why(problem: Problem, schedule: Mapping[str, int], mid: str) -> str:
    """Why `mid` has no slot in the final schedule, from what fills its allowed slots."""
    m = problem.meeting[mid]
    busy = {(pid, s) for other, s in schedule.items() for pid in problem.meeting[other].people}
    load: dict[int, int] = {}
    for s in schedule.values():
        load[s] = load.get(s, 0) + 1
    allowed = problem.allowed[mid]
    taken = sum(1 for s in allowed if any((pid, s) in busy for pid in m.people))
    full = sum(1 for s in allowed if load.get(s, 0) >= problem.slot[s].tables)
    who = names(problem.person[p].label for p in m.people)
    return (
        f"{problem.label(mid)}: of the {len(allowed)} {problem.noun}s where {who} can meet, "
        f"{taken} have one of them busy and {full} have no free table"
        + ("" if taken or full else " (a precedence or fixed table rules the rest out)")
    )
