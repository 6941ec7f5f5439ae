"""The optimising scheduler (server/solve/) on the public B2B benchmark (issue #11).

    .venv/bin/python scripts/bench_schedule.py [--time-limit 30] [--variants original|all]
        [--instances ../shared/b2b-instances] [--workers 0] [--seed 0] [--fairness 2]
        [--only forum-13] [--no-events] [--placement-only]

Reads every `<base>.original.dzn` (`--variants all`: every `.dzn`) from the instances
folder (never copied into this repository: see its README's licence note), and per
instance runs (a) the greedy start alone and (b) the full solve (pre-check, greedy, CP-SAT
with the time limit). Every schedule is checked with `breaks.violations`.

How to read a row (one per instance and method):

    placed    meetings placed / meetings requested
    invalid   placements that break a hard constraint (must be 0)
    breaks    total idle breaks (a gap spanning the AM/PM boundary counts, as in the
              benchmark's model)
    opt       the proven optimum from the instances' README (originals only, fairness 2)
    gap       breaks - opt when every meeting is placed ("-" otherwise or without opt)
    bound     the solver's proven lower bound on breaks; proven = optimality proven
    spread    fairness: max - min breaks over people with meetings (bound 2)
    s         seconds (the solver's wall time; the greedy's is measured here)

With `--placement-only`, per instance only the first objective, as the full solve with
the time limit reaches it: the pre-check, the greedy start, and phase A with the third
of the time limit the solve gives it (`cpsat.most_placed`): the most meetings that can
be placed and whether that is proven; meetings over it are unschedulable (the solve
reports each with a reason). About 3 minutes for all 140 files at 60 s, where the full
solve takes up to 140 minutes.

Then a summary per variant (instances at the optimum, median gap, invalid placements,
incomplete schedules); then the sample conference (250 people, 600 meetings) and the 20x
event (5,000 people, 12,000 meetings, 60 s) scheduled as `matchboard schedule` does,
their placements checked with the live rules; last, one JSON line with those figures
and every row.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from server.core import idle, rules
from server.core.errors import RuleError
from server.core.state import Change, state_from_records
from server.demo.sample import generate
from server.solve.breaks import measure, violations
from server.solve.cpsat import Options, most_placed, solve
from server.solve.dzn import to_problem
from server.solve.event import problem_from_event
from server.solve.greedy import greedy
from server.solve.options import Run
from server.solve.precheck import precheck

# Source: ../shared/b2b-instances/README.md ("Proven optima of the 20 originals", from
# Bofill et al., JAIR 74 (2022), Tables 3 and 5; total breaks with fairness d = 2).
OPTIMA = {
    "forum-13": 0, "tic-12": 0, "tic-12crafc": 0, "tic-13": 0, "tic-13crafb": 0,
    "tic-14crafa": 0, "tic-14crafc": 0, "tic-14crafd": 0, "ticf-13crafa": 0, "ticf-14crafa": 0,
    "forum-13crafc": 1, "ticf-13crafc": 1, "forum-14": 2, "ticf-13crafb": 3,
    "forumt-14crafd": 4, "tic-13crafc": 4, "forumt-14": 5, "forumt-14crafc": 5,
    "forumt-14crafe": 5, "forum-13crafb": 6,
}  # fmt: skip


def row(
    name: str, method: str, problem: Any, schedule: dict[str, int], **extra: Any
) -> dict[str, Any]:
    base, variant = name.split(".")[0], name.split(".")[1]
    got = measure(problem, schedule)
    found = violations(problem, schedule, extra.pop("tables", None))
    opt = OPTIMA.get(base) if variant == "original" else None
    complete = got.placed == len(problem.meetings)
    return {
        "instance": name, "variant": variant, "method": method,
        "meetings": len(problem.meetings), "placed": got.placed,
        "invalid": len({m for v in found for m in v.meetings}),
        "breaks": got.total, "optimum": opt,
        "gap": got.total - opt if opt is not None and complete else None,
        "spread": got.spread, **extra,
    }  # fmt: skip


def show(r: dict[str, Any]) -> None:
    dash = "-"
    print(
        f"{r['instance']:32} {r['method']:6} {r['placed']:4}/{r['meetings']:<4} "
        f"{r['invalid']:4} {r['breaks']:6} {dash if r['optimum'] is None else r['optimum']:>4} "
        f"{dash if r['gap'] is None else r['gap']:>4} {r.get('bound', dash)!s:>5} "
        f"{r.get('proven', dash)!s:>6} {r['spread']:6} {r['seconds']:7.2f}",
        flush=True,
    )


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    gaps = [r["gap"] for r in rows if r["gap"] is not None]
    with_opt = [r for r in rows if r["optimum"] is not None]
    return {
        "instances": len(rows),
        "at_optimum": sum(1 for r in with_opt if r["gap"] == 0),
        "with_known_optimum": len(with_opt),
        "median_gap": statistics.median(gaps) if gaps else None,
        "max_gap": max(gaps) if gaps else None,
        "invalid_placements": sum(r["invalid"] for r in rows),
        "incomplete": sum(1 for r in rows if r["placed"] < r["meetings"]),
        "unplaced": sum(r["meetings"] - r["placed"] for r in rows),
        "proven_optimal": sum(1 for r in rows if r.get("proven") is True),
        "spread_over_2": sum(1 for r in rows if r["spread"] > 2),
        "median_s": round(statistics.median(r["seconds"] for r in rows), 2) if rows else None,
        "max_s": round(max(r["seconds"] for r in rows), 2) if rows else None,
    }


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=Path, default=repo.parent / "shared/b2b-instances")
    parser.add_argument("--variants", choices=("original", "all"), default="original")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=0, help="0: every core")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fairness", type=int, default=2, help="-1: no bound")
    parser.add_argument("--only", default="", help="instances whose name contains this")
    events_help = ("also the sample conference (250) and the 20x event (5,000 people, "
                   "12,000 meetings, 60 s) as `matchboard schedule` runs them")  # fmt: skip
    parser.add_argument("--events", action=argparse.BooleanOptionalAction, default=True,
                        help=events_help)  # fmt: skip
    parser.add_argument(
        "--placement-only",
        action="store_true",
        help="only the first objective: the most meetings placed, proven?",
    )
    args = parser.parse_args()
    pattern = "*.original.dzn" if args.variants == "original" else "*.dzn"
    files = sorted(f for f in args.instances.glob(pattern) if args.only in f.name)
    if not files:
        sys.exit(f"no {pattern} files in {args.instances}")
    options = Options(time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                      fairness=None if args.fairness < 0 else args.fairness)  # fmt: skip
    if args.placement_only:
        placement(files, options)
        return
    print(f"{'instance':32} method placed    inv breaks  opt  gap bound proven spread       s")
    rows: list[dict[str, Any]] = []
    for f in files:
        name = f.name.removesuffix(".dzn")
        problem = to_problem(f.read_text(encoding="utf-8"))
        started = time.perf_counter()
        start = greedy(problem)
        took = time.perf_counter() - started
        rows.append(row(name, "greedy", problem, start, seconds=round(took, 3)))
        show(rows[-1])
        result = solve(problem, options)
        rows.append(row(
            name, "cpsat", problem, result.schedule, tables=result.tables,
            seconds=round(result.seconds, 2), bound=result.breaks_bound,
            proven=result.status.value == "optimal", status=result.status.value,
            notes=list(result.notes[:3]),
        ))  # fmt: skip
        show(rows[-1])
    figures: dict[str, Any] = {"time_limit_s": args.time_limit, "workers": args.workers}
    for method in ("greedy", "cpsat"):
        mine = [r for r in rows if r["method"] == method]
        for variant in sorted({r["variant"] for r in mine}):
            part = summary([r for r in mine if r["variant"] == variant])
            figures[f"{method}.{variant}"] = part
            print(f"{method:6} {variant:14} " + ", ".join(f"{k} {v}" for k, v in part.items()))
    figures["rows"] = [{k: v for k, v in r.items() if k != "notes"} for r in rows]
    if args.events:
        figures["events"] = [
            event_row("sample-250", 250, args.time_limit, args.workers, args.seed),
            event_row("20x-5000", 5000, 60.0, args.workers, args.seed),
        ]
    print(json.dumps(figures))


def placement(files: list[Path], options: Options) -> None:
    """`--placement-only`: the most meetings placed per instance, proven or not."""
    rows = []
    print(f"{'instance':32} meetings impossible greedy most proven inv      s")
    for f in files:
        name = f.name.removesuffix(".dzn")
        problem = to_problem(f.read_text(encoding="utf-8"))
        started = time.perf_counter()
        check = precheck(problem)
        ids = [m.id for m in problem.meetings if m.id not in check.impossible]
        start = greedy(problem, frozenset(check.impossible))
        schedule, most, proven = start, len(start), len(start) == len(ids)
        if not proven:
            run = Run(options)
            run.spent = time.perf_counter() - started
            schedule, most, proven = most_placed(run, problem, ids, start, run.left() / 3)
        took = time.perf_counter() - started
        invalid = len({m for v in violations(problem, schedule) for m in v.meetings})
        r = {"instance": name, "variant": name.split(".")[1], "meetings": len(problem.meetings),
             "impossible": len(check.impossible), "greedy": len(start), "most": most,
             "proven": proven, "invalid": invalid, "seconds": round(took, 2)}  # fmt: skip
        rows.append(r)
        print(f"{name:32} {r['meetings']:8} {r['impossible']:10} {r['greedy']:6} {most:4} "
              f"{proven!s:>6} {invalid:3} {took:6.2f}", flush=True)  # fmt: skip
    figures: dict[str, Any] = {"time_limit_s": options.time_limit_s, "placement_only": True}
    for variant in sorted({r["variant"] for r in rows}):
        part = [r for r in rows if r["variant"] == variant]
        short = [r for r in part if r["most"] < r["meetings"]]
        figures[variant] = {
            "instances": len(part),
            "complete": len(part) - len(short),
            "unschedulable_proven": sum(1 for r in short if r["proven"]),
            "unplaced_proven": sum(r["meetings"] - r["most"] for r in part if r["proven"]),
            "not_settled": sum(1 for r in part if not r["proven"]),
            "invalid_placements": sum(r["invalid"] for r in part),
            "max_s": max(r["seconds"] for r in part),
        }  # fmt: skip
        print(f"{variant:14} " + ", ".join(f"{k} {v}" for k, v in figures[variant].items()))
    figures["rows"] = rows
    print(json.dumps(figures))


def event_row(name: str, people: int, limit: float, workers: int, seed: int) -> dict[str, Any]:
    """The generated conference (server/demo/sample.py) scheduled as `matchboard schedule`
    does (server/solve/event.py), every placement checked with the live rules."""
    conf = generate(first_round_at_ms=4_000_000_000_000, participants=people)
    state = state_from_records(conf.records(), epoch="bench", version=1)
    started = time.perf_counter()
    ep = problem_from_event(state, 0)
    result = solve(ep.problem, Options(time_limit_s=limit, seed=seed, workers=workers))
    placed = ep.meetings(result)
    took = time.perf_counter() - started
    try:
        rules.check(state, Change(upserts=placed))
        invalid = 0
    except RuleError:
        invalid = len(placed)  # the live rules refuse the whole change
    state.apply(Change(upserts=placed))
    breaks = idle.breaks_of(state)
    out = {
        "instance": name, "participants": len(state.participants),
        "meetings": len(ep.problem.meetings) + len(ep.rejected), "placed": len(placed),
        "unplaced": len(ep.unplaced(result)), "invalid": invalid,
        "breaks": sum(breaks.values()), "bound": result.breaks_bound,
        "proven": result.status.value == "optimal", "spread": result.spread,
        "people_with_breaks": sum(1 for b in breaks.values() if b),
        "time_limit_s": limit, "seconds": round(took, 2),
    }  # fmt: skip
    print(" ".join(f"{k} {v}" for k, v in out.items()), flush=True)
    return out


if __name__ == "__main__":
    main()
