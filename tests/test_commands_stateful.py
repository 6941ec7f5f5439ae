"""Random command sequences from several moderators and participants against one event.

A hypothesis state machine (pure, no Redis): every step runs one command the way the
service does (decide, then the rules); a rejected command must leave the state exactly as
it was, an accepted one is applied, and after every step the invariants are recomputed
from the meetings themselves and the incremental indexes from the records.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from server import codec, commands, rules
from server.clock import Phase, phase_in
from server.command_args import Args
from server.errors import MatchboardError, ParticipantBusy, ParticipantUnavailable, TableTaken
from server.model import MINUTE_MS, AlertKind, Meeting, MeetingStatus, TimeWindow
from server.protocol import Role
from server.service import with_tokens
from server.state import Change, EventState, state_from_records
from server.timekeeper import housekeeping
from server.views import Audience
from tests.factory import T0_MS, meeting, small_event_records

MOD = Audience(Role.MODERATOR)
ACTORS = [MOD] * 5 + [Audience(Role.PARTICIPANT, p) for p in ("p0", "p6")]
NAMES = [
    *("move_meeting", "swap_tables", "cancel_meeting", "walk_in", "check_in", "undo_check_in"),
    *("report_missing_partner", "mark_absent", "accept_substitute", "depart", "announce"),
    *("pause_clock", "resume_clock", "extend_round", "delay_rounds", "end_round"),
    *("skip_round", "start_next_round"),
]
BAD_IDS = ["nope", "", 7, None]  # drawn about one time in four, like other wrong values
TABLES = st.sampled_from([1, 2, 3] * 3 + [0, 4, "3", True])  # the event has tables 1-3
ROUNDS = st.sampled_from([1, 2, 3, 4] * 3 + [0, 5, "2", None])  # ... and rounds 1-4
MINUTES = st.sampled_from([-40, -10, -5, 1, 5, 10, 15, 30, 60, 130, 0, "5"])


def make_event() -> EventState:
    records = with_tokens("test-event", None, small_event_records(tables=3, rounds=4, people=8))
    state = state_from_records(records, epoch="e", version=1)
    # p7 cannot come to round 4; p6 leaves at T0+60 min: rounds 1-2 unless delayed 15+ min.
    p6, p7 = state.participants["p6"], state.participants["p7"]
    window = TimeWindow(T0_MS - 30 * MINUTE_MS, T0_MS + 60 * MINUTE_MS)
    placed = (
        *(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2)),
        *(meeting("m3", "p4", "p5", 2, 1), meeting("m4", "p6", "p7", 2, 3)),
        *(meeting("m5", "p0", "p2", 3, 2), meeting("m6", "p1", "p4")),  # m6: requested
    )
    state.apply(
        Change(
            upserts=(
                dataclasses.replace(p6, available_windows=(window,)),
                dataclasses.replace(p7, unavailable_rounds=frozenset({4})),
                *placed,
            )
        )
    )
    return state


def snapshot(state: EventState) -> tuple[list[bytes], dict[Any, str], dict[Any, str]]:
    records = sorted(codec.pack(r) for r in state.records())
    return records, dict(state.seat_of), dict(state.table_use)


def occupying(state: EventState) -> list[Meeting]:
    return [m for m in state.meetings.values() if m.occupies]


class Moderators(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = make_event()
        self.now = T0_MS - 10 * MINUTE_MS  # before round 1's seating
        self.steps = 0

    # -- drawing arguments from the current state, with some that are wrong

    def _meeting(self, data: st.DataObject) -> Any:
        return data.draw(st.sampled_from(sorted(self.state.meetings) * 3 + BAD_IDS))

    def _person(self, data: st.DataObject) -> Any:
        return data.draw(st.sampled_from(sorted(self.state.participants) + BAD_IDS))

    def _args(self, name: str, actor: Audience, data: st.DataObject) -> dict[str, Any]:
        draw = data.draw
        args: dict[str, Any] = {}
        if name in ("move_meeting", "cancel_meeting", "mark_absent"):
            args["meeting"] = self._meeting(data)
        if name == "move_meeting":
            args["table"] = draw(TABLES)
            if draw(st.booleans()):
                args["round"] = draw(ROUNDS)
        elif name == "swap_tables":
            args.update(meeting_a=self._meeting(data), meeting_b=self._meeting(data))
        elif name == "walk_in":
            people = st.lists(st.sampled_from(sorted(self.state.participants)), max_size=2)
            args.update(side_a=draw(people), side_b=draw(people), round=draw(ROUNDS))
            args["id"] = draw(st.sampled_from([f"w{self.steps}", "m1"]))
            if draw(st.booleans()):
                args["table"] = draw(TABLES)
        elif name in ("check_in", "undo_check_in", "depart", "report_missing_partner"):
            if actor.role is Role.MODERATOR or draw(st.booleans()):
                args["participant"] = self._person(data)
            if name == "check_in" and draw(st.booleans()):
                codes = [p.check_in_code.lower() for p in self.state.participants.values()]
                args = {"code": draw(st.sampled_from([*codes, "NOPE"]))}
            if name == "report_missing_partner" and draw(st.booleans()):
                args["meeting"] = self._meeting(data)
        elif name == "accept_substitute":
            args.update(participant=self._person(data), substitute=self._person(data))
            args["round"] = draw(ROUNDS)
            if draw(st.booleans()):
                args["table"] = draw(TABLES)
        elif name == "announce":
            args["text"] = draw(st.sampled_from(["Lunch at 12:30", "", "x" * 501]))
            args["audience"] = draw(st.sampled_from(["everyone", "hall", "phones"]))
            args.update(id=f"a{self.steps}", expires_in_minutes=draw(st.integers(0, 1500)))
        elif name in ("extend_round", "delay_rounds"):
            args["minutes"] = draw(MINUTES)
        elif name == "skip_round":
            args["round"] = draw(ROUNDS)
        return args

    # -- one step, the way the service runs it

    def run(self, name: str, args: dict[str, Any], actor: Audience) -> MatchboardError | None:
        self.steps += 1
        before = snapshot(self.state)
        try:
            change = commands.command(name, actor).decide(self.state, Args(args), actor, self.now)
            rules.check(self.state, change)
        except MatchboardError as error:
            assert snapshot(self.state) == before, f"rejected {name} {args} changed the state"
            return error
        assert snapshot(self.state) == before, f"deciding {name} {args} changed the state"
        was = {m.id: set(m.absent) for m in self.state.meetings.values()}
        self.state.apply(change)
        for record in change.upserts:  # nobody who is here is ever recorded absent
            if isinstance(record, Meeting):
                new = set(record.absent) - was.get(record.id, set())
                assert not [p for p in new if self.state.participants[p].present], (name, record)
        return None

    @rule()
    def the_timekeeper_runs(self) -> None:
        """Bells, at-risk alerts, outcomes of ended rounds, expired alerts: as every
        server process proposes them. After it, each ended round is fully recorded."""
        change = housekeeping(self.state, self.now)
        rules.check(self.state, change)
        self.state.apply(change)
        # Exactly once: proposing again at the same instant finds nothing left to do.
        assert not housekeeping(self.state, self.now)
        ended = {r.index for r in self.state.rounds.values() if phase_in(self.state, r, self.now)
                 is Phase.ENDED}  # fmt: skip
        for m in self.state.meetings.values():
            if m.round in ended and m.status is not MeetingStatus.REQUESTED:
                assert m.outcome is not None, m
        assert not [a for a in self.state.alerts.values() if a.is_open and a.round in ended]

    @rule(minutes_ms=st.integers(1_000, 8 * MINUTE_MS) | st.just(25 * MINUTE_MS))
    def time_passes(self, minutes_ms: int) -> None:
        self.now += minutes_ms

    @rule(name=st.sampled_from(NAMES), actor=st.sampled_from(ACTORS), data=st.data())
    def command(self, name: str, actor: Audience, data: st.DataObject) -> None:
        args = self._args(name, actor, data)
        self.run(name, args, actor)

    @rule(data=st.data())
    def two_moderators_take_one_table(self, data: st.DataObject) -> None:
        """Two moderators move different meetings of a round to the same table, one after
        the other: when the first succeeds, the second is refused and changes nothing."""
        rounds = sorted({m.round for m in occupying(self.state) if m.round is not None})
        if not rounds:
            return
        rnd = data.draw(st.sampled_from(rounds))
        in_round = sorted(m.id for m in self.state.meetings.values() if m.round == rnd)
        second = data.draw(st.sampled_from([m.id for m in occupying(self.state) if m.round == rnd]))
        first = data.draw(st.sampled_from(in_round))
        table = data.draw(st.integers(1, 3))
        if first == second or self.run("move_meeting", {"meeting": first, "table": table}, MOD):
            return
        error = self.run("move_meeting", {"meeting": second, "table": table}, MOD)
        assert isinstance(error, TableTaken), error

    @rule(data=st.data())
    def two_moderators_seat_one_person(self, data: st.DataObject) -> None:
        people = sorted(self.state.participants)
        a, b, c = (data.draw(st.sampled_from(people)) for _ in range(3))
        rnd = data.draw(st.integers(1, 4))
        if len({a, b, c}) < 3 or self.run("walk_in", self._walk(a, b, rnd), MOD):
            return
        error = self.run("walk_in", self._walk(a, c, rnd), MOD)
        assert isinstance(error, ParticipantBusy | ParticipantUnavailable | TableTaken), error

    def _walk(self, a: str, b: str, rnd: int) -> dict[str, Any]:
        return {"side_a": [a], "side_b": [b], "round": rnd, "id": f"w{self.steps}"}

    # -- invariants, recomputed from the meetings and the records

    @invariant()
    def nobody_and_no_table_is_double_booked(self) -> None:
        seats = Counter((p, m.round) for m in occupying(self.state) for p in m.people)
        tables = Counter((m.table, m.round) for m in occupying(self.state))
        assert [k for k, n in seats.items() if n > 1] == []
        assert [k for k, n in tables.items() if n > 1] == []

    @invariant()
    def every_meeting_fits_its_round_and_table(self) -> None:
        for m in occupying(self.state):
            assert m.round is not None and m.table is not None
            rnd, table = self.state.rounds[m.round], self.state.tables.get(m.table)
            assert all(self.state.participants[p].is_available(rnd) for p in m.people), m
            assert table is not None and table.capacity >= len(m.people), m

    @invariant()
    def alerts_say_what_the_meetings_say(self) -> None:
        for alert in self.state.alerts.values():
            assert alert.id == f"alert-{alert.meeting}", alert
            meeting = self.state.meetings[alert.meeting]
            if alert.is_open and alert.kind is AlertKind.NEEDS_PARTNER:
                assert meeting.status is MeetingStatus.NO_SHOW and alert.waiting, alert
            if alert.resolution == "substituted":
                assert meeting.replaced_by in self.state.meetings, alert

    @invariant()
    def indexes_match_a_fresh_build(self) -> None:
        fresh = state_from_records(self.state.records())
        assert self.state.seat_of == fresh.seat_of
        assert self.state.table_use == fresh.table_use
        for index in ("meetings_of", "meetings_at_table", "meetings_in_round"):
            ours = {k: v for k, v in getattr(self.state, index).items() if v}
            assert ours == {k: v for k, v in getattr(fresh, index).items() if v}, index


Moderators.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestModerators = Moderators.TestCase


def test_reporting_a_missing_partner_of_an_unplaced_meeting_is_refused() -> None:
    state = make_event()
    before = snapshot(state)
    with pytest.raises(MatchboardError):
        commands.COMMANDS["report_missing_partner"].decide(
            state, Args({"meeting": "m6"}), Audience(Role.PARTICIPANT, "p1"), T0_MS
        )
    assert snapshot(state) == before
