"""The baseline scheduler: valid placements, computed reasons, fixed meetings kept."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from server.core import rules
from server.core.errors import RuleError
from server.core.model import Event, Meeting, MeetingStatus, Participant, Record, Round, Table
from server.core.scheduler import ScheduleResult, schedule
from server.core.state import Change, EventState, state_from_records
from server.demo.sample import generate

T0 = 1_780_000_000_000
PEOPLE = [
    ("Anna Berg", "Cluster Nord"),
    ("Jonas Weber", "Mobility Network Neckar"),
    ("Ayşe Yılmaz", "Kocaeli Automotive Hub"),
    ("Jānis Bērziņš", "Riga ICT Cluster"),
    ("Marco Rossi", "Lombardy Biotech Forum"),
    ("Kateřina Dvořáková", "Moravia Microsystems Network"),
    ("Liam Borg", "Malta Digital Hub"),
    ("Elin Svensson", "Skåne Smart Production Cluster"),
]


def event(
    *,
    rounds: int = 4,
    tables: int = 3,
    capacities: dict[int, int] | None = None,
    away: dict[int, set[int]] | None = None,
    meetings: Sequence[Meeting] = (),
) -> EventState:
    """People p0..p7 (see PEOPLE), rounds 1..`rounds`, tables 1..`tables`."""
    records: list[Record] = [Event(id="t", name="Test")]
    records += [Table(n, f"Table {n}", capacity=(capacities or {}).get(n, 2)) for n in
                range(1, tables + 1)]  # fmt: skip
    for i, (name, org) in enumerate(PEOPLE):
        unavailable = frozenset((away or {}).get(i, set()))
        records.append(Participant(f"p{i}", name, organisation=org, unavailable_rounds=unavailable))
    records += [Round(r, 1, T0 + r * 25 * 60_000) for r in range(1, rounds + 1)]
    return state_from_records([*records, *meetings])


def req(mid: str, a: str | tuple[str, ...], b: str, rnd: int | None = None) -> Meeting:
    side_a = (a,) if isinstance(a, str) else a
    return Meeting(mid, side_a, (b,), round=rnd)


def seated(mid: str, a: str, b: str, rnd: int, table: int) -> Meeting:
    return Meeting(mid, (a,), (b,), round=rnd, table=table, status=MeetingStatus.SCHEDULED)


def run(state: EventState) -> tuple[ScheduleResult, dict[str, str]]:
    result = schedule(state)
    rules.check(state, Change(upserts=result.placed))
    return result, {u.meeting_id: u.reason for u in result.unplaced}


def test_sample_is_placed_and_valid() -> None:
    conf = generate(first_round_at_ms=T0)
    state = state_from_records(conf.records())
    result = schedule(state)
    rules.check(state, Change(upserts=result.placed))
    assert len(result.placed) + len(result.unplaced) == len(conf.meetings)
    assert len(result.placed) >= 0.98 * len(conf.meetings)
    assert all(m.status == MeetingStatus.SCHEDULED for m in result.placed)
    per_table = Counter(m.table for m in result.placed)
    assert len(per_table) >= 0.9 * len(conf.tables)  # tables are used evenly
    per_round = Counter(m.round for m in result.placed)
    assert max(per_round.values()) - min(per_round.values()) <= 3  # rounds too


def test_large_event_places_nearly_everything() -> None:
    conf = generate(first_round_at_ms=T0, participants=5000)
    state = state_from_records(conf.records())
    result = schedule(state)  # its speed: scripts/bench_planning.py
    assert len(result.placed) >= 0.98 * len(conf.meetings)
    rules.check(state, Change(upserts=result.placed))


def test_deterministic_whatever_the_load_order() -> None:
    records = generate(first_round_at_ms=T0, participants=120).records()
    first = schedule(state_from_records(records))
    random.Random(1).shuffle(records)
    assert schedule(state_from_records(records)) == first


def test_over_requested_person_is_named_with_the_counts() -> None:
    state = event(rounds=3, meetings=[req(f"m{i}", "p0", f"p{i}") for i in range(1, 5)])
    result, reasons = run(state)
    assert len(result.placed) == 3
    (reason,) = reasons.values()
    assert "Anna Berg (Cluster Nord) has 4 requests but is available in 3 rounds" in reason


def test_disjoint_availability() -> None:
    state = event(away={0: {1, 2}, 1: {3, 4}}, meetings=[req("m1", "p0", "p1")])
    _, reasons = run(state)
    assert reasons["m1"] == (
        "Anna Berg (Cluster Nord) and Jonas Weber (Mobility Network Neckar) have no round "
        "in which both are available"
    )


def test_fixed_round_wishes() -> None:
    state = event(
        tables=2,
        away={2: {2}},
        meetings=[
            seated("s1", "p0", "p1", 2, 1),
            seated("s2", "p4", "p5", 2, 2),
            req("busy", "p0", "p3", rnd=2),
            req("away", "p2", "p3", rnd=2),
            req("full", "p6", "p7", rnd=2),
            req("nowhere", "p6", "p7", rnd=9),
            req("fine", "p6", "p7", rnd=3),
        ],
    )
    result, reasons = run(state)
    assert [(m.id, m.round) for m in result.placed] == [("fine", 3)]
    assert reasons["busy"] == (
        "Anna Berg (Cluster Nord) already has a meeting in round 2, the round asked for"
    )
    assert reasons["away"] == (
        "Ayşe Yılmaz (Kocaeli Automotive Hub) is not available in round 2, the round asked for"
    )
    assert reasons["full"] == "no free table seats 2 people in round 2, the round asked for"
    assert reasons["nowhere"] == "meeting nowhere asks for round 9, which does not exist"


def test_table_too_small_and_big_table_used() -> None:
    team = req("team", ("p0", "p1"), "p2")
    _, reasons = run(event(meetings=[team]))
    assert reasons["team"] == "no table seats the 3 people of meeting team (the largest seats 2)"
    result, reasons = run(event(capacities={3: 4}, meetings=[team, req("pair", "p3", "p4")]))
    assert not reasons
    assert {m.id: m.table for m in result.placed}["team"] == 3


def test_no_free_table_or_partner_round() -> None:
    state = event(rounds=2, tables=1, meetings=[req(f"m{i}", f"p{2 * i}", f"p{2 * i + 1}")
                                               for i in range(3)])  # fmt: skip
    result, reasons = run(state)
    assert len(result.placed) == 2
    (reason,) = reasons.values()
    assert reason.startswith("every round where both ")
    assert "no free table in 2" in reason


def test_invalid_requests_are_reported() -> None:
    state = event(meetings=[req("self", "p0", "p0"), req("ghost", "p0", "p99")])
    result, reasons = run(state)
    assert not result.placed
    assert reasons["self"] == "meeting self lists Anna Berg (Cluster Nord) twice"
    assert reasons["ghost"] == "meeting ghost refers to participant 'p99', who does not exist"


def test_seated_meetings_are_kept_and_never_collided_with() -> None:
    fixed = [seated("s1", "p0", "p1", 1, 1), seated("s2", "p2", "p3", 2, 1)]
    cancelled = replace(seated("c1", "p4", "p5", 3, 1), status=MeetingStatus.CANCELLED)
    state = event(rounds=3, tables=1, meetings=[*fixed, cancelled, req("m1", "p0", "p2")])
    result, reasons = run(state)
    assert not reasons
    (placed,) = result.placed
    assert (placed.round, placed.table) == (3, 1)  # the cancelled meeting frees its seat
    assert state.meetings["s1"] == fixed[0] and state.meetings["s2"] == fixed[1]


def _hosting(state: EventState, **homes: int) -> EventState:
    state.apply(Change(upserts=tuple(replace(state.participants[p], home_table=t)
                                     for p, t in homes.items())))  # fmt: skip
    return state


def test_a_host_meets_at_their_home_table_in_every_round_where_it_is_free() -> None:
    # Anna (home table 1, the first the round-robin would hand out) hosts four visitors,
    # who meet others too (placed first: they wish for a round); table 1 is taken in round 4.
    requests = [req(f"h{i}", f"p{i}", "p0") for i in range(1, 5)]
    others = [req("a1", "p1", "p5", 1), req("a2", "p2", "p6", 2), req("a3", "p3", "p7", 3)]
    state = _hosting(event(meetings=[*requests, *others, seated("k", "p6", "p7", 4, 1)]), p0=1)
    result, reasons = run(state)
    assert not reasons
    placed = {m.id: m for m in result.placed}
    hosted = [placed[m.id] for m in requests]
    assert all(m.table == 1 for m in hosted if m.round != 4)
    assert any(m.round == 4 for m in hosted)  # four meetings in four rounds
    assert all(m.table != 1 for m in hosted if m.round == 4)
    assert all(placed[m.id].table != 1 for m in others)  # kept free for Anna


def test_two_hosts_of_one_table_one_gets_it_the_other_a_free_table() -> None:
    state = _hosting(event(meetings=[req("a", "p0", "p2", 1), req("b", "p1", "p3", 1)]),
                     p0=3, p1=3)  # fmt: skip
    result, _ = run(state)  # the live rules pass: no table twice
    assert sorted(m.table for m in result.placed) == [1, 3]  # type: ignore[type-var]


def test_spreads_a_persons_meetings() -> None:
    state = event(rounds=6, meetings=[req(f"m{i}", "p0", f"p{i}") for i in range(1, 4)])
    result, _ = run(state)
    rounds = sorted(m.round for m in result.placed if m.round is not None)
    assert all(b - a >= 2 for a, b in pairwise(rounds))


# -- Random small events: every request is accounted for and the rules always hold.


@st.composite
def small_events(draw: st.DrawFn) -> EventState:
    n_rounds = draw(st.integers(2, 8))
    n_tables = draw(st.integers(1, 4))
    n_people = draw(st.integers(2, 12))
    people = [f"p{i}" for i in range(n_people)]
    records: list[Record] = [Event(id="h", name="Hypothesis")]
    caps = draw(st.lists(st.sampled_from([2, 2, 3, 4]), min_size=n_tables, max_size=n_tables))
    records += [Table(n, capacity=c) for n, c in enumerate(caps, start=1)]
    records += [Round(r, 1 + (r > 4), T0 + r * 25 * 60_000) for r in range(1, n_rounds + 1)]
    round_ids = st.integers(1, n_rounds)
    for pid in people:
        away = draw(st.frozensets(round_ids, max_size=n_rounds // 2))
        home = draw(st.none() | st.integers(1, n_tables))
        records.append(
            Participant(pid, f"Person {pid}", organisation=f"Org {pid}", unavailable_rounds=away,
                        home_table=home)
        )  # fmt: skip
    state = state_from_records(records)
    person = st.sampled_from(people)

    def partner(side: tuple[str, ...]) -> str:
        others = [p for p in people if p not in side]
        rare = draw(st.integers(0, 19)) == 0  # now and then someone meets themself
        return draw(person if rare or not others else st.sampled_from(others))

    # A few valid seated meetings, added one by one while they keep the rules.
    for i in range(draw(st.integers(0, 8))):
        a = draw(person)
        status = draw(st.sampled_from(list(MeetingStatus)[1:]))
        rnd, table = draw(round_ids), draw(st.integers(1, n_tables))
        m = Meeting(f"s{i}", (a,), (partner((a,)),), round=rnd, table=table, status=status)
        try:
            rules.check(state, Change(upserts=(m,)))
        except RuleError:
            continue
        state.apply(Change(upserts=(m,)))
    requests: list[Meeting] = []
    for i in range(draw(st.integers(0, 25))):
        size = 2 if draw(st.integers(0, 4)) == 0 else 1
        side_a = tuple(draw(st.lists(person, min_size=size, max_size=size, unique=True)))
        wish = draw(st.integers(1, n_rounds + 1)) if draw(st.integers(0, 3)) == 0 else None
        allowed = tuple(sorted(draw(st.frozensets(round_ids, max_size=n_rounds))))
        earlier = [r.id for r in requests] + [k for k in state.meetings]
        after = tuple(draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))) if (
            earlier and draw(st.integers(0, 3)) == 0) else ()  # fmt: skip
        requests.append(Meeting(f"r{i:02d}", side_a, (partner(side_a),), round=wish,
                                rounds=allowed, after=after))  # fmt: skip
    state.apply(Change(upserts=tuple(requests)))
    return state


@settings(max_examples=200, deadline=None)
@given(small_events())
def test_random_events_keep_the_rules(state: EventState) -> None:
    before = dict(state.meetings)
    result = schedule(state)
    rules.check(state, Change(upserts=result.placed))
    requested = {k for k, m in state.meetings.items() if m.status == MeetingStatus.REQUESTED}
    placed = [m.id for m in result.placed]
    unplaced = [u.meeting_id for u in result.unplaced]
    assert len(placed) + len(unplaced) == len(requested)
    assert set(placed) | set(unplaced) == requested
    assert all(u.reason for u in result.unplaced)
    for m in result.placed:
        wanted = before[m.id]
        assert m.status == MeetingStatus.SCHEDULED and m.table is not None
        assert wanted.round is None or m.round == wanted.round
        assert replace(m, round=wanted.round, table=wanted.table, status=wanted.status) == wanted
    assert state.meetings == before  # the state itself is not touched


def test_allowed_rounds_are_kept_and_named_when_none_fits() -> None:
    morning = replace(req("m1", "p0", "p1"), rounds=(1, 2))
    result, reasons = run(event(meetings=[morning], away={1: {1, 2}}))
    assert not result.placed
    assert reasons == {"m1": "Anna Berg (Cluster Nord) and Jonas Weber (Mobility Network "
                              "Neckar) have no round among its allowed rounds (1, 2) in which "
                              "both are available"}  # fmt: skip
    afternoon = replace(req("m2", "p3", "p4"), rounds=(3, 4))
    result, reasons = run(event(meetings=[afternoon]))
    assert [m.round for m in result.placed] in ([3], [4]) and not reasons
    wish = replace(req("m3", "p3", "p4", rnd=1), rounds=(3, 4))
    _, reasons = run(event(meetings=[wish]))
    assert reasons == {"m3": "meeting m3 asks for round 1, but may only be held in round 3, 4"}


def test_precedences_are_kept_and_named_when_they_cannot_be() -> None:
    first, then = req("m1", "p0", "p1"), replace(req("m2", "p0", "p2"), after=("m1",))
    result, reasons = run(event(meetings=[then, first]))
    rounds = {m.id: m.round or 0 for m in result.placed}
    assert not reasons and 0 < rounds["m1"] < rounds["m2"]
    # The one to follow sits in the last round already: nothing can come after it.
    late = seated("m1", "p0", "p1", 4, 1)
    result, reasons = run(event(meetings=[late, then]))
    assert not result.placed
    assert reasons == {"m2": "meeting m2 must come after meeting m1 (round 4): no round in "
                             "between suits both of them"}  # fmt: skip
