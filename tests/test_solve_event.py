"""The optimiser on an event (server/solve/event.py): what an organiser's event becomes as a
problem, and what comes back as meetings. Pure: built states, no server. Every schedule
is checked with the live rules (`rules.check`), the ones every moderator move obeys."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core import idle, rules
from server.core.errors import RuleError
from server.core.model import Meeting, MeetingStatus, Participant, Table
from server.core.state import Change, EventState
from server.solve.cpsat import Options, solve
from server.solve.event import EventProblem, problem_from_event
from tests.factory import T0_MS, meeting, small_state

BEFORE = T0_MS - 3_600_000  # an hour before round 1's seating: every round is open
FAST = Options(time_limit_s=10, workers=1)


def _apply(state: EventState, *records: object) -> EventState:
    state.apply(Change(upserts=tuple(records)))  # type: ignore[arg-type]
    return state


def _solve(state: EventState, now_ms: int = BEFORE, **kw: bool) -> tuple[EventProblem, Change]:
    ep = problem_from_event(state, now_ms, **kw)
    result = solve(ep.problem, FAST)
    change = Change(upserts=ep.meetings(result))
    rules.check(state, change)  # every placement obeys the live rules
    return ep, change


def _placed(change: Change) -> dict[str, Meeting]:
    return {m.id: m for m in change.upserts if isinstance(m, Meeting)}


def test_requests_are_placed_without_idle_gaps_and_pass_the_live_rules() -> None:
    state = small_state(rounds=6, tables=2, people=6)
    # p0 meets four people; the baseline's habit of spreading them out would leave gaps.
    _apply(state, *(meeting(f"m{i}", "p0", f"p{i}") for i in range(1, 5)),
           meeting("m5", "p1", "p2"), meeting("m6", "p3", "p4"))  # fmt: skip
    ep, change = _solve(state)
    placed = _placed(change)
    assert set(placed) == {f"m{i}" for i in range(1, 7)}
    assert all(m.status is MeetingStatus.SCHEDULED and m.table in (1, 2) for m in placed.values())
    state.apply(change)
    assert sum(idle.breaks_of(state).values()) == 0
    assert not ep.rejected


def test_only_rounds_not_begun_take_meetings_and_kept_meetings_count_for_breaks() -> None:
    state = small_state(rounds=6, tables=2, people=4)
    # Round 2 is running (its start has passed): rounds 1 and 2 are closed.
    now = state.rounds[2].starts_at_ms + 60_000
    held = replace(meeting("h1", "p0", "p1", 1, 1), status=MeetingStatus.HELD)
    _apply(state, held, meeting("s2", "p0", "p2", 2, 1), meeting("r1", "p0", "p3"),
           meeting("r2", "p1", "p2"))  # fmt: skip
    ep, change = _solve(state, now)
    assert ep.open_rounds == (3, 4, 5, 6)
    placed = _placed(change)
    assert set(placed) == {"r1", "r2"}  # the held and the running one are not touched
    # p0 met in rounds 1 and 2: round 3 is the one round that adds no idle gap.
    assert placed["r1"].round == 3
    assert all(m.round is not None and m.round >= 3 for m in placed.values())


def test_rescheduling_moves_scheduled_meetings_of_open_rounds_to_close_gaps_not_fixed() -> None:
    state = small_state(rounds=6, tables=2, people=4)
    gap = [meeting("a", "p0", "p1", 1, 1), meeting("b", "p0", "p2", 4, 1)]
    pinned = replace(meeting("c", "p2", "p3", 6, 2), fixed=True)
    _apply(state, *gap, pinned)
    before = idle.breaks_of(state)
    assert before["p0"] == 1
    ep, change = _solve(state, reschedule=True)
    assert ep.movable == {"a", "b"}  # "c" is fixed by the organiser
    state.apply(change)
    assert "c" not in _placed(change) and state.meetings["c"].round == 6
    assert idle.breaks_of(state)["p0"] == 0
    # Without --reschedule nothing scheduled moves: there are no requests, so no change.
    again, nothing = _solve(state)
    assert not nothing.upserts and not again.movable


def test_rescheduling_moves_only_what_closes_a_gap() -> None:
    """The optimiser minimises breaks, then moves: a gap-free schedule stays as it is, and
    a cancellation's gap is closed by moving one meeting, not by shuffling the others."""
    state = small_state(rounds=4, tables=3, people=8)
    _apply(state, meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 2, 1),
           meeting("m3", "p0", "p3", 3, 1), meeting("m4", "p4", "p5", 1, 2),
           meeting("m5", "p6", "p7", 2, 2))  # fmt: skip
    ep, nothing = _solve(state, reschedule=True)
    assert ep.movable == {"m1", "m2", "m3", "m4", "m5"}
    assert not nothing.upserts
    _apply(state, replace(state.meetings["m2"], status=MeetingStatus.CANCELLED))
    _, change = _solve(state, reschedule=True)
    moved = _placed(change)
    assert len(moved) == 1 and set(moved) <= {"m1", "m3"}, moved
    state.apply(change)
    assert sum(idle.breaks_of(state).values()) == 0


def test_a_group_meeting_gets_a_table_that_seats_it() -> None:
    state = small_state(rounds=2, tables=2, people=6)
    _apply(state, replace(state.tables[2], capacity=4))
    trio = Meeting(id="g", side_a=("p0", "p1"), side_b=("p2",))
    _apply(state, trio, meeting("x", "p3", "p4"), meeting("y", "p4", "p5"))
    _, change = _solve(state)
    placed = _placed(change)
    assert placed["g"].table == 2
    assert {placed["x"].round, placed["y"].round} == {1, 2}


def test_requests_that_cannot_be_placed_say_why_with_the_organisers_id_and_names() -> None:
    state = small_state(rounds=3, tables=1, people=5)
    gone = replace(state.participants["p4"], departed_at_ms=BEFORE)
    trio = Meeting(id="g", side_a=("p0", "p1"), side_b=("p2",), external_id="REQ-9")
    late = replace(meeting("w", "p0", "p3"), round=7, external_id="REQ-7")
    _apply(state, gone, trio, late, meeting("d", "p1", "p4"), meeting("ok", "p2", "p3"))
    ep, change = _solve(state)
    reasons = {u.meeting_id: u.reason for u in ep.rejected}
    assert reasons["g"] == "no table seats the 3 people of meeting REQ-9 (the largest seats 2)"
    assert reasons["w"] == "meeting REQ-7 asks for round 7, which does not exist"
    assert reasons["d"] == "meeting d: Marco Rossi (Lombardia Biotech) left the event"
    assert set(_placed(change)) == {"ok"}


def test_after_every_round_began_nothing_is_placed_and_the_reason_says_so() -> None:
    state = small_state(rounds=2, tables=1, people=2)
    _apply(state, meeting("m", "p0", "p1"))
    ep, change = _solve(state, state.rounds[2].ends_at_ms + 1)
    assert not change.upserts
    reasons = [u.reason for u in ep.rejected]
    assert reasons == ["every round has begun: no round is left for meeting m"]


def test_precedences_with_kept_meetings_and_between_requests_hold() -> None:
    state = small_state(rounds=6, tables=2, people=4)
    first = meeting("first", "p0", "p1", 3, 1)
    second = replace(meeting("second", "p0", "p2"), after=("first",))
    third = replace(meeting("third", "p2", "p3"), after=("second",))
    _apply(state, first, second, third)
    _, change = _solve(state)
    placed = _placed(change)
    assert 3 < placed["second"].round < placed["third"].round  # type: ignore[operator]


def test_people_keep_their_table_from_one_round_to_the_next_when_it_is_free() -> None:
    state = small_state(rounds=3, tables=3, people=4)
    _apply(state, meeting("k", "p0", "p1", 1, 3), meeting("n", "p0", "p2"),
           meeting("o", "p3", "p2"))  # fmt: skip
    _, change = _solve(state)
    placed = _placed(change)
    # p0 sat at table 3 in round 1 and meets again in round 2: same table, no walk.
    assert (placed["n"].round, placed["n"].table) == (2, 3)


def test_when_their_table_is_taken_people_stay_in_its_zone() -> None:
    state = small_state(rounds=2, tables=4, people=6)
    zones = {1: "Hall A", 2: "Hall B", 3: "Hall A", 4: "Hall B"}
    _apply(state, *(replace(state.tables[n], zone=z) for n, z in zones.items()))
    # Anna sits at table 4 (Hall B) in round 1; in round 2 table 4 is taken.
    _apply(state, meeting("k", "p0", "p1", 1, 4), meeting("t", "p2", "p3", 2, 4),
           meeting("n", "p0", "p4"))  # fmt: skip
    _, change = _solve(state)
    assert _placed(change)["n"].table == 2  # Hall B, not table 1 in Hall A


def test_a_table_wish_is_honoured_when_the_table_is_free() -> None:
    state = small_state(rounds=2, tables=3, people=2)
    _apply(state, meeting("m", "p0", "p1", None, 2))
    _, change = _solve(state)
    assert _placed(change)["m"].table == 2


def test_a_host_meets_at_their_home_table_in_every_round_where_it_is_free() -> None:
    state = small_state(rounds=4, tables=3, people=8)
    _apply(state, replace(state.participants["p0"], home_table=3))
    # Anna hosts four visitors; the visitors and the others meet elsewhere too (those
    # meetings are seated first: their ids sort first). Table 3 is taken in round 4
    # before scheduling.
    _apply(state, *(meeting(f"h{i}", f"p{i}", "p0") for i in range(1, 4)),
           meeting("a1", "p1", "p5"), meeting("a2", "p2", "p6"), meeting("a3", "p3", "p7"),
           meeting("k", "p6", "p7", 4, 3), meeting("h4", "p4", "p0"))  # fmt: skip
    _, change = _solve(state)
    placed = _placed(change)
    assert len(placed) == 7
    hosted = [m for m in placed.values() if "p0" in m.people]
    # Anna is on side_b: her home table still counts. Where it is free she has it; in
    # round 4 (taken) another table. Nobody else takes it, not even a visitor who sat
    # there the round before.
    assert all(m.table == 3 for m in hosted if m.round != 4)
    assert all(m.table != 3 for m in hosted if m.round == 4)
    assert all(m.table != 3 for m in placed.values() if "p0" not in m.people)


def test_two_hosts_of_one_table_one_gets_it_the_other_a_free_table() -> None:
    state = small_state(rounds=2, tables=3, people=4)
    _apply(state, *(replace(state.participants[p], home_table=3) for p in ("p0", "p1")))
    _apply(state, meeting("a", "p0", "p2", 1), meeting("b", "p1", "p3", 1))
    _, change = _solve(state)  # the live rules pass: no table twice
    tables = sorted(m.table for m in _placed(change).values())  # type: ignore[type-var]
    assert tables == [1, 3]


def test_a_table_wish_comes_before_a_home_table() -> None:
    state = small_state(rounds=2, tables=3, people=2)
    host = replace(state.participants["p0"], home_table=3)
    _apply(state, host, meeting("m", "p0", "p1", None, 2))
    _, change = _solve(state)
    assert _placed(change)["m"].table == 2


@st.composite
def events(draw: st.DrawFn) -> tuple[EventState, int, bool]:
    rounds = draw(st.integers(2, 5))
    tables = draw(st.integers(1, 3))
    people = draw(st.integers(2, 7))
    state = small_state(rounds=rounds, tables=tables, people=people)
    if draw(st.booleans()):
        _apply(state, Table(number=tables + 1, label="big", capacity=3))
    for pid in sorted(state.participants):
        away = draw(st.frozensets(st.integers(1, rounds), max_size=2))
        home = draw(st.none() | st.integers(1, tables))
        _apply(state, replace(state.participants[pid], unavailable_rounds=away, home_table=home))
    pids = sorted(state.participants)
    records: list[Meeting] = []
    for i in range(draw(st.integers(0, 10))):
        a, b = draw(st.lists(st.sampled_from(pids), min_size=2, max_size=2, unique=True))
        allowed = tuple(sorted(draw(st.frozensets(st.integers(1, rounds), max_size=3))))
        records.append(Meeting(id=f"m{i}", side_a=(a,), side_b=(b,), rounds=allowed))
    _apply(state, *records)
    # Seat some as already scheduled, where the live rules allow it.
    for m in records[: draw(st.integers(0, len(records)))]:
        for r in range(1, rounds + 1):
            for t in sorted(state.tables):
                seated = replace(m, round=r, table=t, status=MeetingStatus.SCHEDULED)
                try:
                    rules.check(state, Change(upserts=(seated,)))
                except RuleError:  # refused: try the next seat
                    continue
                state.apply(Change(upserts=(seated,)))
                break
            else:
                continue
            break
    now = state.rounds[draw(st.integers(1, rounds))].seating_at_ms + draw(st.sampled_from([-1, 1]))
    return state, now, draw(st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_no_schedule_ever_breaks_a_live_rule_or_touches_a_begun_round(
    case: tuple[EventState, int, bool],
) -> None:
    state, now, reschedule = case
    before = {mid: m for mid, m in state.meetings.items()}
    ep, change = _solve(state, now, reschedule=reschedule)  # rules.check inside
    for m in _placed(change).values():
        assert m.round in ep.open_rounds
        old = before[m.id]
        assert old.status is MeetingStatus.REQUESTED or m.id in ep.movable
        assert not old.fixed or old.status is MeetingStatus.REQUESTED
    placed_or_reported = set(_placed(change)) | {u.meeting_id for u in ep.rejected}
    solved_unplaced = {m.id for m in ep.problem.meetings} - set(_placed(change))
    requests = {mid for mid, m in before.items() if m.status is MeetingStatus.REQUESTED}
    assert requests <= placed_or_reported | solved_unplaced


def test_a_participant_label_names_the_person_and_organisation() -> None:
    state = small_state(rounds=1, tables=1, people=2)
    ep = problem_from_event(state, BEFORE)
    assert ep.problem.person["p0"].label == "Anna Berg (Cluster Nord)"
    assert isinstance(state.participants["p0"], Participant)


def test_the_pre_check_names_an_overbooked_participant_in_rounds() -> None:
    state = small_state(rounds=4, tables=3, people=7)
    away = replace(state.participants["p0"], unavailable_rounds=frozenset({4}))
    _apply(state, away, *(meeting(f"m{i}", "p0", f"p{i}") for i in range(1, 6)))
    ep = problem_from_event(state, BEFORE)
    result = solve(ep.problem, FAST)
    said = "Anna Berg (Cluster Nord) has 5 requests but 3 free rounds"
    assert said in result.notes
    assert len(ep.meetings(result)) == 3
    unplaced = ep.unplaced(result)
    assert len(unplaced) == 2 and all(u.reason == said for u in unplaced)
