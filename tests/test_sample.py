"""The sample conference: deterministic, realistic in size and mix, and valid under the rules."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import pytest

from server.core import rules
from server.core.model import MINUTE_MS, MeetingOrigin, MeetingStatus
from server.core.state import Change, EventState, state_from_records
from server.demo.sample import SampleConference, ascii_fold, generate

T0 = 1_780_000_000_000
COUNTRIES = {
    "DE", "AT", "CH", "FR", "IT", "ES", "PT", "NL", "BE", "LU", "DK", "SE", "FI", "NO", "PL",
    "CZ", "SK", "HU", "SI", "HR", "RO", "BG", "GR", "CY", "MT", "EE", "LV", "LT", "IE", "TR",
}  # fmt: skip


@pytest.fixture(scope="module")
def conf() -> SampleConference:
    return generate(first_round_at_ms=T0)


def test_same_seed_same_event_other_seed_other_event(conf: SampleConference) -> None:
    assert generate(first_round_at_ms=T0) == conf
    other = generate(seed=7, first_round_at_ms=T0)
    assert other.participants != conf.participants
    assert other.meetings != conf.meetings
    assert other.rounds == conf.rounds  # the timetable depends on times only


def test_counts(conf: SampleConference) -> None:
    assert len(conf.participants) == 250
    assert 170 <= len({p.organisation for p in conf.participants}) <= 190
    assert {p.country for p in conf.participants} == COUNTRIES
    assert 550 <= len(conf.meetings) <= 650
    assert 75 <= len(conf.tables) <= 85
    assert [t.number for t in conf.tables] == list(range(1, len(conf.tables) + 1))
    big = [t for t in conf.tables if t.capacity == 4]
    assert 2 <= len(big) <= 10
    assert {t.capacity for t in conf.tables} == {2, 4}
    assert {t.zone for t in conf.tables} == {"Hall A", "Hall B"}
    orgs = Counter(p.organisation for p in conf.participants)
    assert set(orgs.values()) == {1, 2}  # some organisations send two people


def test_event_record(conf: SampleConference) -> None:
    event = conf.event
    assert event.id == "icmc-2026"
    assert event.name == "International Cluster Matchmaking Conference 2026"
    assert event.timezone == "Europe/Berlin"
    assert "Stuttgart" in event.venue
    assert event.moderator_token == event.screen_key == ""
    assert generate(event_id="other", first_round_at_ms=T0).event.id == "other"


def test_people_look_real(conf: SampleConference) -> None:
    people = conf.participants
    assert len({p.id for p in people}) == len(people)
    assert people[0].id == "p001" and people[0].external_id == "ICMC-0001"
    assert len({p.email for p in people}) == len(people)
    assert sum(not p.name.isascii() for p in people) > 50  # diacritics kept
    for p in people:
        assert p.token == ""
        assert p.title and p.tags and p.organisation
        assert p.languages[0] == "en" and len(p.languages) >= 2
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+@[a-z0-9.-]+\.example", p.email), p.email
        assert re.fullmatch(r"\+\d{2,3} \d{2,3} \d{7}", p.phone), p.phone
    one_day = [p for p in people if p.unavailable_rounds]
    day = {d: frozenset(r.index for r in conf.rounds if r.day == d) for d in (1, 2)}
    assert 3 <= len(one_day) <= 40
    assert {p.unavailable_rounds for p in one_day} == {day[1], day[2]}


@pytest.mark.parametrize(
    ("text", "country", "folded"),
    [
        ("Jürgen Müller", "DE", "juergen mueller"),
        ("Kateřina Dvořáková", "CZ", "katerina dvorakova"),
        ("Ayşe Yılmaz", "TR", "ayse yilmaz"),
        ("Jānis Bērziņš", "LV", "janis berzins"),
        ("Małgorzata Dąbrowska", "PL", "malgorzata dabrowska"),
        ("Søren O'Brien", "DK", "soren obrien"),
    ],
)
def test_ascii_fold(text: str, country: str, folded: str) -> None:
    assert ascii_fold(text, country) == folded


def test_meetings_are_sensible_requests(conf: SampleConference) -> None:
    people = {p.id: p for p in conf.participants}
    pairs: set[frozenset[str]] = set()
    per_person: Counter[str] = Counter()
    for m in conf.meetings:
        assert m.status == MeetingStatus.REQUESTED and m.origin == MeetingOrigin.PLANNED
        assert m.round is None and m.table is None
        assert len(set(m.people)) == len(m.people)  # nobody meets themself
        assert len({people[p].organisation for p in m.side_a}) == 1
        assert len({people[p].organisation for p in m.side_b}) == 1
        assert people[m.side_a[0]].organisation != people[m.side_b[0]].organisation
        for a in m.side_a:
            for b in m.side_b:
                pair = frozenset((a, b))
                assert pair not in pairs
                pairs.add(pair)
        per_person.update(m.people)
    assert [m.id for m in conf.meetings[:2]] == ["m0001", "m0002"]
    assert len({m.id for m in conf.meetings}) == len(conf.meetings)
    for pid, count in per_person.items():
        available = sum(people[pid].is_available(r) for r in conf.rounds)
        assert count <= min(8, available)
    counts = [per_person[p] for p in people]
    assert sum(3 <= c <= 6 for c in counts) >= 0.6 * len(counts)
    assert any(len(m.people) > 2 for m in conf.meetings)  # a colleague comes along


def test_timetable(conf: SampleConference) -> None:
    rounds = conf.rounds
    assert [r.index for r in rounds] == list(range(1, 25))
    assert [r.day for r in rounds] == [1] * 12 + [2] * 12
    assert rounds[0].starts_at_ms == T0
    assert rounds[12].starts_at_ms == T0 + 24 * 60 * MINUTE_MS
    assert all(r.meeting_s == 20 * 60 and r.changeover_s == 5 * 60 for r in rounds)
    lunches = [b for b in conf.breaks if b.label == "Lunch"]
    assert [b.day for b in lunches] == [1, 2]
    assert all(b.ends_at_ms - b.starts_at_ms == 60 * MINUTE_MS for b in lunches)
    _check_spacing(conf, 20, 5)


def _check_spacing(conf: SampleConference, round_minutes: int, changeover_minutes: int) -> None:
    rounds, breaks = conf.rounds, conf.breaks
    for prev, nxt in pairwise(rounds):
        assert nxt.seating_at_ms >= prev.ends_at_ms
        between = [b for b in breaks if prev.ends_at_ms <= b.starts_at_ms < nxt.starts_at_ms]
        if prev.day != nxt.day:
            continue
        if between:
            (brk,) = between
            assert brk.starts_at_ms == prev.ends_at_ms
            assert nxt.seating_at_ms == brk.ends_at_ms
        else:
            step = (round_minutes + changeover_minutes) * MINUTE_MS
            assert nxt.starts_at_ms - prev.starts_at_ms == step


def test_short_rounds_scale_breaks_and_run_straight_through() -> None:
    conf = generate(first_round_at_ms=T0, round_minutes=2, changeover_minutes=1)
    assert all(r.meeting_s == 120 and r.changeover_s == 60 for r in conf.rounds)
    lunch = next(b for b in conf.breaks if b.label == "Lunch")
    assert lunch.ends_at_ms - lunch.starts_at_ms == 6 * MINUTE_MS
    _check_spacing(conf, 2, 1)
    day1_end = conf.rounds[11].ends_at_ms
    day2_seating = conf.rounds[12].seating_at_ms
    assert 0 <= day2_seating - day1_end <= 10 * MINUTE_MS


def test_explicit_day_gap() -> None:
    gap = 3 * 60 * MINUTE_MS
    conf = generate(first_round_at_ms=T0, round_minutes=2, day_gap_ms=gap)
    assert conf.rounds[12].starts_at_ms == T0 + gap
    with pytest.raises(ValueError, match="day_gap_ms"):
        generate(first_round_at_ms=T0, day_gap_ms=60 * MINUTE_MS)


def test_rules_accept_the_whole_sample(conf: SampleConference) -> None:
    records = conf.records()
    rules.check(EventState(), Change(upserts=tuple(records)))
    state = state_from_records(records)
    assert len(state.participants) == 250 and len(state.meetings) == len(conf.meetings)
    assert len(state.rounds) == 24 and len(state.breaks) == len(conf.breaks)


def test_larger_event_keeps_proportions() -> None:
    conf = generate(first_round_at_ms=T0, participants=1000, seed=3)
    assert len(conf.participants) == 1000
    assert 680 <= len({p.organisation for p in conf.participants}) <= 760
    assert 2300 <= len(conf.meetings) <= 2500
    assert 300 <= len(conf.tables) <= 340
    assert len({p.country for p in conf.participants}) == 30
    rules.check(EventState(), Change(upserts=tuple(conf.records())))


def test_tiny_events_work() -> None:
    for n in (0, 1, 2, 5):
        conf = generate(first_round_at_ms=T0, participants=n)
        assert len(conf.participants) == n
        rules.check(EventState(), Change(upserts=tuple(conf.records())))
