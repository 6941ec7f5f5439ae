"""The optimiser (server/solve/): the break metric, the validity check, the CP-SAT solve
and its reasons, on small problems written here (the benchmark's files stay outside).

The solver runs with 1 worker and small time limits; nothing asserts a duration.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping

import pytest

from server.solve.breaks import KINDS, measure, person_breaks, violations
from server.solve.cpsat import Options, most_placed, solve
from server.solve.greedy import greedy
from server.solve.options import Run
from server.solve.precheck import precheck
from server.solve.problem import Meeting, Person, Problem, ProblemError, Slot
from server.solve.result import Progress, Status

FAST = Options(time_limit_s=10, workers=1, seed=1)


def slots(n: int, tables: int = 2, pm_from: int | None = None) -> tuple[Slot, ...]:
    """n slots of one day; from `pm_from` on, session "PM" (else "AM"), one block."""
    return tuple(
        Slot(s, tables=tables, session="PM" if pm_from and s >= pm_from else "AM")
        for s in range(1, n + 1)
    )


def people(*ids: str, away: Mapping[str, set[int]] | None = None) -> tuple[Person, ...]:
    return tuple(Person(i, f"Person {i.upper()}", frozenset((away or {}).get(i, ()))) for i in ids)


def meet(mid: str, a: str, b: str, **kw: object) -> Meeting:
    return Meeting(mid, (a, b), **kw)  # type: ignore[arg-type]


# -- The metric


@pytest.mark.parametrize(
    ("busy", "expected"),
    [({1, 2, 3}, 0), ({1, 3}, 1), ({1, 4, 5, 7}, 2), ({2}, 0), (set(), 0), ({1, 2, 6}, 1)],
)
def test_breaks_are_maximal_idle_runs_between_meetings(busy: set[int], expected: int) -> None:
    assert person_breaks(busy, ((1, 2, 3, 4, 5, 6, 7),)) == expected


def test_gaps_between_days_and_blocks_are_not_breaks() -> None:
    days = Problem(
        slots=(Slot(1), Slot(2), Slot(3), Slot(4, day=2), Slot(5, day=2), Slot(6, day=2)),
        people=(), meetings=(),
    )  # fmt: skip
    assert days.runs == ((1, 2, 3), (4, 5, 6))
    assert person_breaks({3, 4}, days.runs) == 0
    assert person_breaks({1, 6}, days.runs) == 0
    assert person_breaks({1, 3, 4, 6}, days.runs) == 2
    blocks = Problem(
        slots=tuple(Slot(s, block=1 if s <= 3 else 2) for s in range(1, 7)),
        people=(), meetings=(),
    )  # fmt: skip
    assert person_breaks({1, 5}, blocks.runs) == 0
    assert person_breaks({1, 2, 4, 6}, blocks.runs) == 1


def test_measure_totals_and_spread_over_people_with_meetings() -> None:
    problem = Problem(
        slots(5), people("a", "b", "c", "d", "idle"),
        (meet("1", "a", "b"), meet("2", "a", "c"), meet("3", "a", "d")),
    )  # fmt: skip
    got = measure(problem, {"1": 1, "2": 3, "3": 5})
    assert got.per_person == {"a": 2, "b": 0, "c": 0, "d": 0}  # "idle" has no meetings
    assert (got.total, got.spread, got.placed) == (2, 2, 3)


# -- The validity check


def test_a_valid_schedule_has_no_violations() -> None:
    problem = Problem(slots(3), people("a", "b", "c"), (meet("1", "a", "b"), meet("2", "a", "c")))
    assert violations(problem, {"1": 1, "2": 2}, {"1": 1, "2": 1}) == []


def test_the_validity_check_catches_each_kind() -> None:
    problem = Problem(
        slots(4, tables=2, pm_from=3),
        people("a", "b", "c", "d", away={"d": {4}}),
        (
            meet("1", "a", "b"), meet("2", "a", "c"),  # a twice in slot 1
            meet("3", "c", "d", session="PM"),  # placed in AM
            meet("4", "b", "d"),  # d away in 4
            meet("5", "b", "c", fixed_slot=2, fixed_table=1),  # placed in 3, table 2
            meet("6", "c", "a", after=frozenset({"4"})),  # not after 4
            meet("7", "a", "b"),  # the third meeting in slot 2, which has 2 tables
        ),
    )  # fmt: skip
    schedule = {"1": 1, "2": 1, "3": 2, "4": 4, "5": 3, "6": 2, "7": 2, "8": 1, "3x": 9}
    tables = {"1": 1, "2": 2, "3": 1, "4": 1, "5": 2, "6": 2, "7": 1}
    found = violations(problem, schedule, tables)
    kinds = {v.kind for v in found}
    assert kinds == set(KINDS), set(KINDS) - kinds
    texts = " | ".join(v.text for v in found)
    assert "Person A has meetings 1 and 2 in slot 1" in texts
    assert "Person D is unavailable in slot 4" in texts
    assert "meeting 4 (slot 4) must be before 6 (slot 2)" in texts
    assert "fixed to slot 2" in texts and "fixed to table 1" in texts
    assert "slot 2 holds 3 meetings but has 2 tables" in texts
    assert "meetings 3 and 7 share table 1" in texts
    assert any(v.meetings == ("1", "2") for v in found if v.kind == "double_booked")


# -- The problem's own checks


def test_a_malformed_problem_names_every_mistake() -> None:
    problem = Problem(
        slots(3),
        people("a", "b", away={"b": {7}}),
        (
            meet("1", "a", "zed"), meet("2", "a", "a"), meet("3", "a", "b", session="EVE"),
        ),
    )  # fmt: skip
    with pytest.raises(ProblemError) as info:
        problem.validate()
    text = str(info.value)
    assert "'zed', who is not a participant" in text
    assert "meeting 2 needs two or more different people" in text
    assert "session 'EVE'" in text
    assert "Person B is unavailable in slots [7]" in text


def test_a_precedence_cycle_is_named() -> None:
    problem = Problem(
        slots(3), people("a", "b"),
        (meet("4", "a", "b", after=frozenset({"5"})), meet("5", "a", "b", after=frozenset({"4"}))),
    )  # fmt: skip
    with pytest.raises(ProblemError, match=r"cycle: (4 -> 5 -> 4|5 -> 4 -> 5)"):
        problem.validate()


# -- CP-SAT


def test_three_meetings_in_three_slots_need_no_break() -> None:
    problem = Problem(
        slots(3, tables=1), people("a", "b", "c", "d"),
        (meet("1", "a", "b"), meet("2", "a", "c"), meet("3", "a", "d")),
    )  # fmt: skip
    result = solve(problem, FAST)
    assert result.status == Status.OPTIMAL and result.all_placeable is True
    assert result.breaks == 0 and result.breaks_bound == 0
    assert sorted(result.schedule.values()) == [1, 2, 3]
    assert violations(problem, result.schedule, result.tables) == []


def test_a_forced_break_is_exactly_one() -> None:
    # b is only free in slot 1, c only in slot 4: a has meetings in 1 and 4 whatever.
    problem = Problem(
        slots(4), people("a", "b", "c", away={"b": {2, 3, 4}, "c": {1, 2, 3}}),
        (meet("1", "a", "b"), meet("2", "a", "c")),
    )  # fmt: skip
    result = solve(problem, FAST)
    assert result.status == Status.OPTIMAL
    assert result.schedule == {"1": 1, "2": 4}
    assert result.breaks == 1 and result.breaks_bound == 1


def test_sessions_fixed_slots_tables_and_precedences_are_kept() -> None:
    problem = Problem(
        slots(6, tables=2, pm_from=4),
        people("a", "b", "c", "d", "e", away={"e": {5}}),
        (
            meet("1", "a", "b", session="PM"),
            meet("2", "a", "c", fixed_slot=2, fixed_table=2),
            meet("3", "b", "c", after=frozenset({"1"})),
            meet("4", "d", "e", session="PM"),
            meet("5", "a", "d", slots=frozenset({1, 6})),
            meet("6", "c", "d", fixed_table=1),
        ),
    )  # fmt: skip
    result = solve(problem, FAST)
    s = result.schedule
    assert result.all_placeable is True and result.status == Status.OPTIMAL
    assert violations(problem, s, result.tables) == []
    assert s["1"] >= 4 and s["4"] in (4, 6) and s["2"] == 2 and s["3"] > s["1"]
    assert s["5"] in (1, 6) and result.tables["2"] == 2 and result.tables["6"] == 1


def test_an_overloaded_person_is_named_and_one_meeting_stays_out() -> None:
    problem = Problem(
        slots(3, tables=3), people("anna", "b", "c", "d", "e"),
        tuple(meet(str(i), "anna", x) for i, x in enumerate("bcde", start=1)),
    )  # fmt: skip
    result = solve(problem, FAST)
    assert len(result.schedule) == 3 and len(result.unplaced) == 1
    assert result.all_placeable is False
    assert result.unplaced[0].reason == "Person ANNA has 4 requests but 3 free AM slots"
    assert result.notes == (
        "Person ANNA has 4 requests but 3 free AM slots",
        "at most 3 of the 4 meetings can be placed together",
    )
    assert result.breaks == 0 and result.status == Status.OPTIMAL


def test_phase_a_asks_whether_all_fit_before_it_counts() -> None:
    # From an empty start: every meeting fits, and that is proven at once.
    problem = Problem(
        slots(3, tables=1), people("a", "b", "c", "d"),
        (meet("1", "a", "b"), meet("2", "c", "d", after=frozenset({"1"})), meet("3", "a", "d")),
    )  # fmt: skip
    schedule, most, proven = most_placed(Run(FAST), problem, ["1", "2", "3"], {}, 5.0)
    assert (most, proven) == (3, True) and len(schedule) == 3
    assert violations(problem, schedule) == []
    # Three people who all meet each other need 3 slots and there are 2: each has 2
    # requests in 2 free slots, so the pre-check finds no one overloaded; the solver
    # proves that only 2 of the 3 fit.
    chain = Problem(
        slots(2, tables=3), people("a", "b", "c"),
        (meet("1", "a", "b"), meet("2", "b", "c"), meet("3", "a", "c")),
    )  # fmt: skip
    assert not precheck(chain).impossible
    schedule, most, proven = most_placed(Run(FAST), chain, ["1", "2", "3"], {}, 5.0)
    assert (most, proven) == (2, True) and len(schedule) == 2
    assert violations(chain, schedule) == []
    result = solve(chain, FAST)
    assert result.all_placeable is False and len(result.unplaced) == 1
    assert "at most 2 of the 3 meetings can be placed together" in result.notes


def test_a_meeting_without_a_common_slot_is_reported() -> None:
    problem = Problem(slots(2), people("a", "b", away={"a": {1}, "b": {2}}), (meet("1", "a", "b"),))
    result = solve(problem, FAST)
    assert result.schedule == {}
    assert result.unplaced[0].reason == (
        "meeting 1 (Person A and Person B): no slot in which all of them are available"
    )


def test_a_full_session_is_named() -> None:
    problem = Problem(
        slots(4, tables=1, pm_from=3), people("a", "b", "c", "d"),
        (meet("1", "a", "b", session="AM"), meet("2", "c", "d", session="AM"),
         meet("3", "a", "c", session="AM")),
    )  # fmt: skip
    check = precheck(problem)
    assert [f.text for f in check.findings] == [
        "3 meetings can only be held in the AM slots 1-2, which have 2 tables in all"
    ]
    result = solve(problem, FAST)
    assert len(result.schedule) == 2 and result.all_placeable is False


def test_the_fairness_bound_is_kept_unless_infeasible_and_then_said() -> None:
    # a must have a break (b only in 1, c only in 4); d-e meet without one: spread 1.
    problem = Problem(
        slots(4), people("a", "b", "c", "d", "e", away={"b": {2, 3, 4}, "c": {1, 2, 3}}),
        (meet("1", "a", "b"), meet("2", "a", "c"), meet("3", "d", "e"), meet("4", "d", "e")),
    )  # fmt: skip
    kept = solve(problem, Options(time_limit_s=10, workers=1, fairness=1))
    assert kept.fairness_kept and kept.spread == 1 and kept.notes == ()
    dropped = solve(problem, Options(time_limit_s=10, workers=1, fairness=0))
    assert not dropped.fairness_kept and dropped.spread == 1
    assert "keeps the fairness bound 0: the schedule ignores it" in dropped.notes[-1]
    assert dropped.status == Status.OPTIMAL and dropped.breaks == 1


def test_progress_reports_improving_solutions() -> None:
    seen: list[Progress] = []
    problem = Problem(
        slots(5), people("a", "b", "c", "d"),
        (meet("1", "a", "b"), meet("2", "a", "c"), meet("3", "a", "d"), meet("4", "b", "c")),
    )  # fmt: skip
    solve(problem, Options(time_limit_s=10, workers=1, progress=seen.append))
    assert seen and seen[-1].objective == 0  # the last report is the optimum


# -- Against brute force, and the greedy start's validity


def random_problem(rng: random.Random, n_meetings: int, n_slots: int) -> Problem:
    ids = [f"p{i}" for i in range(rng.randint(3, 5))]
    away = {p: {s for s in range(1, n_slots + 1) if rng.random() < 0.15} for p in ids}
    meetings = []
    for i in range(1, n_meetings + 1):
        a, b = rng.sample(ids, 2)
        kw: dict[str, object] = {}
        roll = rng.random()
        if roll < 0.15:
            kw["session"] = rng.choice(["AM", "PM"])
        elif roll < 0.25:
            kw["fixed_slot"] = rng.randint(1, n_slots)
        elif roll < 0.4 and i > 1:
            kw["after"] = frozenset({f"m{rng.randint(1, i - 1)}"})
        meetings.append(meet(f"m{i}", a, b, **kw))
    return Problem(
        tuple(Slot(s, tables=rng.randint(1, 2), session="AM" if s <= n_slots // 2 else "PM")
              for s in range(1, n_slots + 1)),
        people(*ids, away=away), tuple(meetings),
    )  # fmt: skip


def brute_force(problem: Problem, fairness: int) -> tuple[int, int]:
    """(most placed, least breaks among those, fair ones first): the lexicographic optimum."""
    choices = [(None, *problem.allowed[m.id]) for m in problem.meetings]
    best: dict[int, tuple[int, int]] = {}  # placed -> (unfair?, breaks)
    for combo in itertools.product(*choices):
        schedule = {m.id: s for m, s in zip(problem.meetings, combo, strict=True) if s is not None}
        if violations(problem, schedule):
            continue
        got = measure(problem, schedule)
        key = (int(got.spread > fairness), got.total)
        best[got.placed] = min(best.get(got.placed, key), key)
    most = max(best)
    return most, best[most][1]


@pytest.mark.parametrize("seed", range(12))
def test_cpsat_reaches_the_brute_force_optimum(seed: int) -> None:
    problem = random_problem(random.Random(seed), n_meetings=5, n_slots=4)
    most, least = brute_force(problem, fairness=1)
    result = solve(problem, Options(time_limit_s=10, workers=1, seed=seed, fairness=1))
    assert violations(problem, result.schedule, result.tables) == []
    assert result.status == Status.OPTIMAL
    assert (len(result.schedule), result.breaks) == (most, least)


@pytest.mark.parametrize("seed", range(60))
def test_the_greedy_start_and_its_local_search_are_always_valid(seed: int) -> None:
    rng = random.Random(1000 + seed)
    problem = random_problem(rng, n_meetings=rng.randint(4, 24), n_slots=rng.randint(3, 8))
    start = greedy(problem, rounds=0)
    assert violations(problem, start) == []
    improved = greedy(problem)
    assert violations(problem, improved) == []
    assert len(improved) >= len(start)
    assert measure(problem, improved).total <= measure(problem, start).total


# -- The window constraints and the large neighbourhood search


def _every_meeting_fits(k: int) -> tuple[Problem, int]:
    """The k-th small random problem in which every meeting can be placed (the window
    constraints apply only then), and its least breaks (brute force)."""
    found = 0
    for seed in range(1000):
        problem = random_problem(random.Random(seed), n_meetings=5, n_slots=5)
        most, least = brute_force(problem, fairness=99)
        if most == len(problem.meetings):
            if found == k:
                return problem, least
            found += 1
    raise AssertionError(f"fewer than {k + 1} of 1000 random problems fit")


@pytest.mark.parametrize("seed", range(12))
def test_the_window_constraints_keep_the_optimum(seed: int) -> None:
    """Redundant: with every meeting placed, the least breaks are the brute-force ones."""
    from ortools.sat.python import cp_model

    from server.solve.cpmodel import Model
    from server.solve.windows import add_windows

    problem, least = _every_meeting_fits(seed)
    model = Model(problem, [m.id for m in problem.meetings])
    for expr in model.placed.values():
        model.cp.add(expr == 1)
    count = {pid: len(ids) for pid, ids in problem.meetings_of.items()}
    add_windows(model.cp, problem, count, model.busy_literals(), model.breaks)
    model.cp.minimize(model.total_breaks())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    assert round(solver.objective_value) == least


@pytest.mark.parametrize("seed", range(20))
def test_the_neighbourhood_search_keeps_validity_and_never_worsens(seed: int) -> None:
    import time

    from server.solve.lns import Search, score

    rng = random.Random(2000 + seed)
    problem = random_problem(rng, n_meetings=rng.randint(6, 24), n_slots=rng.randint(4, 8))
    start = greedy(problem, rounds=0)
    search = Search(problem, [m.id for m in problem.meetings], fairness=1, seed=seed, workers=1)
    search.size = rng.choice([3.0, 6.0, 12.0])
    out = search.run(start, deadline=time.monotonic() + 1.0, step_limit=0.2)
    assert violations(problem, out.schedule) == []
    assert len(out.schedule) >= len(start)
    assert out.score.key() <= score(problem, start, 1).key()
    assert out.score == score(problem, out.schedule, 1)


def test_the_neighbourhood_search_finds_a_schedule_without_breaks() -> None:
    import time

    from server.solve.lns import Search

    problem = Problem(
        slots(6, tables=1), people("a", "b", "c", "d", "e"),
        (meet("1", "a", "b"), meet("2", "a", "c"), meet("3", "a", "d"), meet("4", "c", "e")),
    )  # fmt: skip
    start = {"1": 1, "2": 3, "3": 6, "4": 5}  # a: 2 breaks, c: 1 (0: 3, 1, 2, 4 in a row)
    assert measure(problem, start).total == 3
    search = Search(problem, ["1", "2", "3", "4"], fairness=2, seed=0, workers=1)
    out = search.run(start, deadline=time.monotonic() + 5.0, step_limit=0.5)
    assert out.score.breaks == 0 and violations(problem, out.schedule) == []
