"""Substitute partners: who is eligible, in what order, and that a proposal can be seated."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core import rules
from server.core.errors import RuleError, UnknownParticipant, UnknownRound
from server.core.model import (
    ACTIVE_STATUSES,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Record,
    TimeWindow,
)
from server.core.scheduler import schedule
from server.core.state import Change, EventState, state_from_records
from server.core.substitutes import Candidate, free_in_round, rank_substitutes
from server.demo.sample import generate
from tests.factory import T0_MS, meeting, small_event_records

# p0 Anna Berg, p1 Jonas Weber, p2 Ayşe Yılmaz, p3 Jānis Bērziņš, p4 Marco Rossi,
# p5 Kateřina Dvořáková, p6 Liam Borg, p7 Elin Svensson; all from DE, all checked in.
BY_NAME = ["p2", "p7", "p3", "p1", "p5", "p6", "p4"]  # everyone but p0, by name


def build(*meetings: Meeting, **people: dict[str, Any]) -> EventState:
    """The factory's small event (8 people, 4 tables, 4 rounds), everyone checked in,
    with `people["p3"] = {"tags": ...}` applied to p3 and so on."""
    records: list[Record] = []
    for record in small_event_records(tables=4):
        if isinstance(record, Participant):
            record = replace(record, **{"checked_in_at_ms": T0_MS, **people.get(record.id, {})})
        records.append(record)
    return state_from_records([*records, *meetings], epoch="e", version=1)


def with_status(m: Meeting, status: MeetingStatus) -> Meeting:
    return replace(m, status=status)


def ids(found: list[Candidate]) -> list[str]:
    return [c.participant for c in found]


def test_everyone_free_is_proposed_in_name_order_when_equal() -> None:
    found = rank_substitutes(build(), "p0", 1, limit=10)
    assert ids(found) == BY_NAME
    assert len({c.score for c in found}) == 1


EXCLUDED: list[tuple[str, dict[str, dict[str, Any]], list[Meeting], set[str]]] = [
    ("not checked in", {"p3": {"checked_in_at_ms": None}}, [], {"p3"}),
    ("departed", {"p3": {"departed_at_ms": T0_MS + 1}}, [], {"p3"}),
    ("busy in the round", {}, [meeting("m", "p3", "p4", 1, 1)], {"p3", "p4"}),
    ("met before", {}, [meeting("m", "p3", "p0", 2, 1)], {"p3"}),
    ("met, held", {}, [with_status(meeting("m", "p0", "p3", 3, 1), MeetingStatus.HELD)], {"p3"}),
    ("same organisation", {"p3": {"organisation": "  cluster NORD "}}, [], {"p3"}),
    ("unavailable", {"p3": {"unavailable_rounds": frozenset({1})}}, [], {"p3"}),
    ("outside windows", {"p3": {"available_windows": (TimeWindow(0, T0_MS),)}}, [], {"p3"}),
]


@pytest.mark.parametrize(
    ("people", "meetings", "excluded"), [c[1:] for c in EXCLUDED], ids=[c[0] for c in EXCLUDED]
)
def test_each_eligibility_rule_excludes(
    people: dict[str, dict[str, Any]], meetings: list[Meeting], excluded: set[str]
) -> None:
    found = ids(rank_substitutes(build(*meetings, **people), "p0", 1, limit=10))
    assert found == [p for p in BY_NAME if p not in excluded]


def test_broken_meetings_do_not_count_as_met_or_busy() -> None:
    state = build(
        with_status(meeting("a", "p0", "p3", 2, 1), MeetingStatus.NO_SHOW),
        with_status(meeting("b", "p4", "p0", 3, 1), MeetingStatus.CANCELLED),
        with_status(meeting("c", "p5", "p6", 1, 2), MeetingStatus.CANCELLED),
        meeting("d", "p0", "p1"),  # requested, never placed
    )
    assert ids(rank_substitutes(state, "p0", 1, limit=10)) == BY_NAME


def test_empty_organisation_matches_nobody() -> None:
    state = build(p0={"organisation": ""}, p3={"organisation": " "})
    assert ids(rank_substitutes(state, "p0", 1, limit=10)) == BY_NAME


def test_free_in_round() -> None:
    state = build(
        meeting("m1", "p0", "p1", 1, 1),
        meeting("m2", "p2", "p3", 1, 2),
        with_status(meeting("m3", "p4", "p5", 1, 3), MeetingStatus.NO_SHOW),
        Meeting("m4", ("p6", "p7"), ("p1",), 2, 1, MeetingStatus.SCHEDULED),
        p3={"departed_at_ms": T0_MS},
    )
    assert free_in_round(state, "p6", 1)  # no meeting at all
    assert not free_in_round(state, "p0", 1)  # partner present
    assert free_in_round(state, "p0", 1, absent=frozenset({"p1"}))
    assert free_in_round(state, "p2", 1)  # partner departed
    assert free_in_round(state, "p4", 1) and free_in_round(state, "p5", 1)  # no-show
    assert not free_in_round(state, "p1", 2, absent=frozenset({"p6"}))  # p7 is still there
    assert free_in_round(state, "p1", 2, absent=frozenset({"p6", "p7"}))


def test_absent_people_free_their_partners_who_then_come_first() -> None:
    state = build(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p4", "p3", 1, 2))
    assert "p4" not in ids(rank_substitutes(state, "p0", 1, absent=frozenset({"p1"}), limit=10))
    found = rank_substitutes(state, "p0", 1, absent=frozenset({"p1", "p3"}), limit=10)
    assert ids(found)[0] == "p4"
    assert "p1" not in ids(found) and "p3" not in ids(found)
    assert "also waiting (partner absent)" in found[0].reasons


def test_my_no_show_partner_is_not_proposed_back() -> None:
    state = build(with_status(meeting("m1", "p0", "p4", 1, 1), MeetingStatus.NO_SHOW))
    assert ids(rank_substitutes(state, "p0", 1, limit=10)) == [p for p in BY_NAME if p != "p4"]


RANKING: list[tuple[str, dict[str, dict[str, Any]], list[Meeting], int, list[str]]] = [
    ("a shared tag beats another country",
     {"p0": {"tags": ("automotive",)}, "p2": {"country": "TR"}, "p4": {"tags": (" Automotive",)}},
     [], 1, ["p4", "p2"]),
    ("more shared tags beat fewer",
     {"p0": {"tags": ("a", "b")}, "p2": {"tags": ("a",)}, "p4": {"tags": ("B", "a", "A")}},
     [], 1, ["p4", "p2"]),
    ("another country beats the same one", {"p4": {"country": "it"}}, [], 1, ["p4", "p2"]),
    ("unknown country is no bonus", {"p0": {"country": ""}, "p4": {"country": "IT"}}, [], 1,
     BY_NAME[:2]),
    ("also waiting beats otherwise equal", {"p5": {"departed_at_ms": T0_MS}},
     [meeting("m", "p4", "p5", 1, 1)], 1, ["p4", "p2"]),
    ("also waiting beats another country", {"p2": {"country": "TR"}, "p5": {"departed_at_ms": 1}},
     [meeting("m", "p4", "p5", 1, 1)], 1, ["p4", "p2"]),
    ("a shared tag beats also waiting",
     {"p0": {"tags": ("x",)}, "p7": {"tags": ("x",)}, "p5": {"departed_at_ms": 1}},
     [meeting("m", "p4", "p5", 1, 1)], 1, ["p7", "p4", "p2"]),
    ("a no-show leaves both waiting",
     {}, [with_status(meeting("m", "p4", "p5", 1, 1), MeetingStatus.NO_SHOW)], 1,
     ["p5", "p4", "p2"]),
    ("fewer meetings earlier that day first", {},
     [meeting("m1", "p2", "p5", 1, 1), meeting("m2", "p6", "p2", 2, 1)], 3,
     ["p7", "p3", "p1", "p4", "p5", "p6", "p2"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("people", "meetings", "rnd", "expected"), [c[1:] for c in RANKING], ids=[c[0] for c in RANKING]
)
def test_ranking(
    people: dict[str, dict[str, Any]], meetings: list[Meeting], rnd: int, expected: list[str]
) -> None:
    found = rank_substitutes(build(*meetings, **people), "p0", rnd, limit=10)
    assert ids(found)[: len(expected)] == expected
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_reasons_are_short_and_human() -> None:
    state = build(
        p0={"tags": ("Automotive", "hydrogen", "AI")},
        p2={"tags": ("automotive", "Hydrogen "), "country": "TR"},
    )
    best = rank_substitutes(state, "p0", 1)[0]
    assert best.participant == "p2"
    assert best.reasons == (
        "shares automotive, Hydrogen",
        "from TR (different country)",
        "free this round",
        "0 meetings so far today",
    )
    assert best.score == 2 * 2 + 1 + 0.5


def test_deterministic_whatever_the_load_order() -> None:
    state = build(meeting("m1", "p2", "p5", 1, 1), p0={"tags": ("x",)}, p6={"tags": ("X",)})
    first = rank_substitutes(state, "p0", 2, limit=10)
    records = state.records()
    random.Random(3).shuffle(records)
    assert rank_substitutes(state_from_records(records), "p0", 2, limit=10) == first
    assert rank_substitutes(state, "p0", 2, limit=10) == first


def test_limit_and_purity() -> None:
    state = build()
    before = (dict(state.meetings_of), dict(state.seat_of), dict(state.participants))
    assert ids(rank_substitutes(state, "p0", 1, limit=2)) == BY_NAME[:2]
    assert rank_substitutes(state, "p0", 1, limit=0) == []
    assert (dict(state.meetings_of), dict(state.seat_of), dict(state.participants)) == before


def test_unknown_participant_or_round_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownParticipant, match="'nobody'"):
        rank_substitutes(build(), "nobody", 1)
    with pytest.raises(UnknownRound, match=r"Anna Berg.*round 99"):
        rank_substitutes(build(), "p0", 99)


# -- Property: whatever the event, every proposal is eligible and can be seated.

STATUSES = [MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW,
            MeetingStatus.CANCELLED, MeetingStatus.REQUESTED]  # fmt: skip


@st.composite
def events(draw: st.DrawFn) -> tuple[EventState, str, int, frozenset[str]]:
    """A small random valid event, someone in it, a round, and who is known to be absent."""
    n = draw(st.integers(3, 8))
    rounds = draw(st.integers(1, 3))
    tables = draw(st.integers(1, 4))
    records = small_event_records(people=n, rounds=rounds, tables=tables)
    people = [r for r in records if isinstance(r, Participant)]
    orgs, countries, tags = ["Org A", " org a", "Org B", ""], ["DE", "TR", "de", ""], "xXyz"
    for i, person in enumerate(people):
        people[i] = replace(
            person,
            organisation=draw(st.sampled_from(orgs)),
            country=draw(st.sampled_from(countries)),
            tags=tuple(draw(st.lists(st.sampled_from(tags), max_size=3))),
            unavailable_rounds=frozenset(draw(st.sets(st.integers(1, rounds), max_size=1))),
            checked_in_at_ms=draw(st.sampled_from([None, T0_MS, T0_MS, T0_MS])),
            departed_at_ms=draw(st.sampled_from([None, None, None, T0_MS])),
        )
    base = [r for r in records if not isinstance(r, Participant)]
    state = state_from_records([*base, *people])
    pids = [p.id for p in people]
    for k in range(draw(st.integers(0, 16))):
        a, b = draw(st.lists(st.sampled_from(pids), min_size=2, max_size=2, unique=True))
        rnd, table = draw(st.integers(1, rounds)), draw(st.integers(1, tables))
        new = Meeting(f"m{k}", (a,), (b,), rnd, table, draw(st.sampled_from(STATUSES)))
        if new.status is MeetingStatus.REQUESTED:
            new = replace(new, table=None)
        try:
            rules.check(state, Change(upserts=(new,)))
        except RuleError:
            continue
        state.apply(Change(upserts=(new,)))
    me, rnd = draw(st.sampled_from(pids)), draw(st.integers(1, rounds))
    absent = draw(st.sets(st.sampled_from([p for p in pids if p != me]), max_size=2))
    if draw(st.booleans()):  # often, my partner in the round is the one missing
        absent |= {p for m in seated_in(state, me, rnd) for p in m.partners_of(me)}
    return state, me, rnd, frozenset(absent)


def seated_in(state: EventState, pid: str, rnd: int) -> list[Meeting]:
    """Occupying meetings of `pid` in `rnd`, found without the indexes."""
    return [m for m in state.meetings.values() if m.occupies and m.round == rnd and pid in m.people]


def is_eligible(state: EventState, me: str, pid: str, rnd: int, absent: frozenset[str]) -> bool:
    """The rules of the issue, written out plainly."""
    person, mine = state.participants[pid], state.participants[me]
    meetings = list(state.meetings.values())
    missing = set(absent)
    for m in meetings:
        if m.status is MeetingStatus.NO_SHOW and m.round == rnd and me in m.people:
            missing.update(m.partners_of(me))

    def gone(other: str) -> bool:
        return other in missing or state.participants[other].departed_at_ms is not None

    met = any(m.status in ACTIVE_STATUSES and pid in m.partners_of(me) for m in meetings)
    org = person.organisation.strip().casefold()
    return (
        pid != me
        and pid not in missing
        and person.present
        and person.is_available(state.rounds[rnd])
        and not met
        and not (org and org == mine.organisation.strip().casefold())
        and all(all(gone(o) for o in m.partners_of(pid)) for m in seated_in(state, pid, rnd))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_every_proposal_is_eligible_and_can_be_seated(
    case: tuple[EventState, str, int, frozenset[str]],
) -> None:
    state, me, rnd, absent = case
    found = rank_substitutes(state, me, rnd, absent=absent, limit=3)
    eligible = [p for p in state.participants if is_eligible(state, me, p, rnd, absent)]
    assert len(found) == min(3, len(eligible))
    assert all(c.participant in eligible for c in found)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    for pid in state.participants:
        naive = all(
            all(o in absent or state.participants[o].departed_at_ms is not None
                for o in m.partners_of(pid))
            for m in seated_in(state, pid, rnd)
        )  # fmt: skip
        assert free_in_round(state, pid, rnd, absent=absent) == naive
    if not found or not state.participants[me].is_available(state.rounds[rnd]):
        return
    top = found[0].participant
    broken = [
        replace(m, status=MeetingStatus.CANCELLED)
        for m in {*seated_in(state, me, rnd), *seated_in(state, top, rnd)}
    ]
    freed = {m.table for m in broken}
    tables = sorted(
        t.number
        for t in state.tables.values()
        if t.capacity >= 2 and ((t.number, rnd) not in state.table_use or t.number in freed)
    )
    if not tables:
        return
    sub = Meeting("sub", (me,), (top,), rnd, tables[0], MeetingStatus.SCHEDULED,
                  MeetingOrigin.SUBSTITUTE)  # fmt: skip
    rules.check(state, Change(upserts=(*broken, sub)))


def test_fast_at_the_large_case() -> None:
    conf = generate(first_round_at_ms=T0_MS, participants=5000)
    state = state_from_records(conf.records())
    state.apply(Change(upserts=schedule(state).placed))
    here = tuple(replace(p, checked_in_at_ms=T0_MS) for p in state.participants.values())
    state.apply(Change(upserts=here))
    assert len(state.meetings) >= 12_000
    rng = random.Random(7)
    people, rounds = sorted(state.participants), sorted(state.rounds)
    took = []
    for _ in range(30):
        pid, rnd = rng.choice(people), rng.choice(rounds)
        started = time.perf_counter()
        found = rank_substitutes(state, pid, rnd)
        took.append(time.perf_counter() - started)
        assert len(found) == 5
    # How long it takes is a benchmark's business (scripts/bench_commands.py), not a test's.
