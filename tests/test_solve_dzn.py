"""The benchmark's MiniZinc data reader (server/solve/dzn.py), on a small text written
here in the format of ../shared/b2b-instances (whose files are never committed)."""

from __future__ import annotations

import pytest

from server.solve.cpsat import Options, solve
from server.solve.dzn import DznError, parse, to_problem

SMALL = """\
% four businesses, AM = slots 1-2, PM = slot 3
nBusiness = 4;
nMeetings = 4;
nTables = 2;
nTotalSlots = 3;
nMorningSlots = 2;

requested = [|1, 2,1,
|1, 3,3,
|1, 2,3,
|3, 4,2,
|];
meetingsxBusiness = [{1,2,3,4},
{1,2,4},
{1,3,5},
{1,5}];
nMeetingsBusiness = [3,2,2,1];
forbidden = [{0},
{0},
{},
{0,1}];
fixed = [0,0,0,3];
precedences = [{},
{},
{2},
{}];
"""


def test_the_parser_reads_ints_arrays_sets_and_rows() -> None:
    data = parse(SMALL)
    assert data["nBusiness"] == 4 and data["nMorningSlots"] == 2
    assert data["requested"] == [[1, 2, 1], [1, 3, 3], [1, 2, 3], [3, 4, 2]]
    assert data["forbidden"] == [[0], [0], [], [0, 1]]
    assert data["fixed"] == [0, 0, 0, 3]
    assert data["precedences"] == [[], [], [2], []]


def test_the_instance_becomes_a_problem() -> None:
    problem = to_problem(SMALL)
    assert [s.session for s in problem.slots] == ["AM", "AM", "PM"]
    assert all(s.tables == 2 and s.block == 1 for s in problem.slots)
    assert problem.person["p4"].unavailable == {1}  # the dummy 0 is dropped
    assert problem.person["p1"].unavailable == set()
    m1, m2, m3, m4 = problem.meetings
    assert m1.people == ("p1", "p2") and m1.session == "AM"
    assert m2.session == "" and m4.session == "PM" and m4.fixed_slot == 3
    assert m3.after == {"m2"}  # 1-based meeting numbers, not shifted
    assert [s.block for s in to_problem(SMALL, lunch_is_a_break=False).slots] == [1, 1, 2]


def test_the_small_instance_solves() -> None:
    problem = to_problem(SMALL)
    result = solve(problem, Options(time_limit_s=10, workers=1))
    # p1 meets in all three slots; m3 must follow m2, and p3 (m2, m4 in slot 3) or p2
    # (m1, m3) has one break whatever the order.
    assert result.all_placeable and result.status.value == "optimal" and result.breaks == 1
    assert result.schedule["m3"] > result.schedule["m2"] and result.schedule["m4"] == 3


def test_bad_data_is_named() -> None:
    with pytest.raises(DznError, match="nTables is missing"):
        to_problem(SMALL.replace("nTables = 2;", ""))
    with pytest.raises(DznError, match="requested row 2"):
        to_problem(SMALL.replace("|1, 3,3,", "|1, 3,7,"))
