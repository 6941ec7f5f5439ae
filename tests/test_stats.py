"""Live statistics: counts per round, attendance, and the share of meetings kept."""

from __future__ import annotations

import json
from dataclasses import fields, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from server.core.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Meeting,
    MeetingOrigin,
    MeetingOutcome,
    MeetingStatus,
    Participant,
    Record,
)
from server.core.state import Change, EventState, state_from_records
from server.core.stats import RoundStats, Stats, live_stats, round_stats, stats_to_plain
from tests.factory import T0_MS, small_event_records

S = MeetingStatus
Src = MeetingOrigin
ROUND_MS = 25 * 60_000  # the factory's rounds start 25 minutes apart and last 20


def m(mid: str, a: str, b: str, rnd: int, table: int | None, status: S, origin: Src) -> Meeting:
    return Meeting(mid, (a,), (b,), rnd, table, status, origin)


def event() -> EventState:
    """8 people (p0-p2 here, p3 came and left, p4-p7 not yet in), 4 tables, 3 rounds."""
    departed = {"p0": None, "p1": None, "p2": None, "p3": T0_MS}
    records: list[Record] = []
    for r in small_event_records(tables=4, rounds=3):
        if isinstance(r, Participant) and r.id in departed:
            r = replace(r, checked_in_at_ms=T0_MS - 1, departed_at_ms=departed[r.id])
        records.append(r)
    meetings = [
        m("a", "p0", "p1", 1, 1, S.SCHEDULED, Src.PLANNED),
        m("b", "p2", "p3", 1, 2, S.HELD, Src.SUBSTITUTE),
        m("c", "p4", "p5", 1, 3, S.NO_SHOW, Src.PLANNED),
        m("d", "p6", "p7", 1, 4, S.CANCELLED, Src.WALK_IN),
        m("e", "p0", "p2", 2, 1, S.HELD, Src.WALK_IN),
        m("f", "p4", "p6", 2, 2, S.NO_SHOW, Src.SUBSTITUTE),
        m("g", "p1", "p3", 2, None, S.REQUESTED, Src.PLANNED),  # wanted, not placed
    ]
    return state_from_records([*records, *meetings])


def test_counts_per_round_and_attendance() -> None:
    stats = live_stats(event(), T0_MS)
    assert (stats.participants, stats.checked_in, stats.departed) == (8, 4, 1)
    assert stats.rounds == (
        RoundStats(1, scheduled=3, held=1, no_show=1, cancelled=1, substituted=1, walk_in=1,
                   seated=3),  # p0, p1, p2 (p3 left, p4-p7 are in broken meetings)
        RoundStats(2, scheduled=2, held=1, no_show=1, cancelled=0, substituted=1, walk_in=1,
                   seated=2),
        RoundStats(3, scheduled=0, held=0, no_show=0, cancelled=0, substituted=0, walk_in=0,
                   seated=0),
    )  # fmt: skip


def with_outcomes(state: EventState, outcomes: dict[str, MeetingOutcome]) -> EventState:
    state.apply(Change(upserts=tuple(replace(state.meetings[k], outcome=o)
                                     for k, o in outcomes.items())))  # fmt: skip
    return state


def test_kept_rate_counts_recorded_outcomes() -> None:
    state = event()
    assert live_stats(state, T0_MS).kept_rate is None  # nothing recorded yet
    with_outcomes(
        state,
        {
            "a": MeetingOutcome.HELD,
            "b": MeetingOutcome.HELD,
            "c": MeetingOutcome.SUBSTITUTED,
            "d": MeetingOutcome.CANCELLED,
        },
    )
    stats = live_stats(state, T0_MS)
    first = stats.rounds[0]
    assert (first.outcome_held, first.outcome_no_show, first.outcome_substituted,
            first.outcome_cancelled) == (2, 0, 1, 1)  # fmt: skip
    assert first.kept_rate == 2 / 3  # cancelled meetings are not due
    assert stats.rounds[1].kept_rate is None
    assert stats.kept_rate == 2 / 3
    with_outcomes(state, {"e": MeetingOutcome.HELD, "f": MeetingOutcome.NO_SHOW})
    assert live_stats(state, T0_MS).kept_rate == 3 / 5


def test_substitute_waits_run_from_the_first_report_to_the_seat() -> None:
    state = event()
    alerts = [
        Alert(f"alert-{mid}", AlertKind.NEEDS_PARTNER, mid, 1, 1, "p0", T0_MS,
              status=AlertStatus.RESOLVED, resolution=resolution,
              reported_at_ms=T0_MS, closed_at_ms=T0_MS + wait_s * 1000, waiting=("p0",))
        for mid, wait_s, resolution in (("a", 30, "substituted"), ("b", 90, "substituted"),
                                        ("c", 600, "free"), ("d", 50, "substituted"))
    ]  # fmt: skip
    waiting = replace(alerts[0], id="alert-e", meeting="e", status=AlertStatus.OPEN, resolution="")
    state.apply(Change(upserts=(*alerts, waiting)))
    stats = live_stats(state, T0_MS)
    assert (stats.substitute_waits, stats.substitute_wait_median_s,
            stats.substitute_wait_worst_s) == (3, 50, 90)  # fmt: skip
    assert stats.waiting == 1
    assert stats.substitutions == 2  # b (held) and f (a no-show, but seated)


def test_empty_event() -> None:
    assert live_stats(EventState(), T0_MS) == Stats(0, 0, 0, (), None)


def test_plain_form_is_json_ready_with_the_same_names() -> None:
    plain = stats_to_plain(live_stats(event(), T0_MS + 10 * ROUND_MS))
    assert set(plain) == {f.name for f in fields(Stats)}
    assert [set(r) for r in plain["rounds"]] == [{f.name for f in fields(RoundStats)}] * 3
    assert plain["rounds"][0]["scheduled"] == 3
    assert plain["kept_rate"] is None
    assert json.loads(json.dumps(plain)) == plain


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from(list(S)), st.sampled_from(list(Src))),
        max_size=20,
    )
)
def test_round_counts_add_up(rows: list[tuple[int, S, Src]]) -> None:
    meetings = [
        m(f"m{i}", "p0", "p1", rnd, None if status is S.REQUESTED else 1, status, origin)
        for i, (rnd, status, origin) in enumerate(rows)
    ]
    state = state_from_records([*small_event_records(rounds=3), *meetings])
    for rnd in (1, 2, 3):
        counts = round_stats(state, rnd)
        mine = [x for x in meetings if x.round == rnd]
        assert counts.scheduled == sum(x.status in (S.SCHEDULED, S.HELD, S.NO_SHOW) for x in mine)
        assert counts.held == sum(x.status is S.HELD for x in mine)
        assert counts.cancelled == sum(x.status is S.CANCELLED for x in mine)
        assert counts.substituted + counts.walk_in == sum(x.origin is not Src.PLANNED for x in mine)
        assert counts.seated == 0  # nobody has checked in
