"""Random command sequences from several moderators and participants against one event.

A hypothesis state machine (pure, no Redis): every step runs one command of the registry
(server.core.commands.COMMANDS) the way the service does (decide, then the rules); a rejected
command must leave the state exactly as it was, an accepted one is committed as the next
version and handed to a hub feed, as a process's feed hands it on. After every step the
invariants are recomputed from the meetings themselves and the incremental indexes from
the records, and each screen (moderator, hall, some phones), fed only the updates the feed
wrote to it, must hold exactly what a fresh snapshot of its audience holds.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from server.client.client_state import ClientState
from server.core import audit, codec, commands, rules
from server.core.clock import Phase, phase_in
from server.core.command_args import Args, Command
from server.core.errors import MatchboardError, ParticipantBusy, ParticipantUnavailable, TableTaken
from server.core.fresh import with_tokens
from server.core.model import (
    MINUTE_MS,
    AlertKind,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    TimeWindow,
)
from server.core.state import Change, ChangeRecord, EventState, state_from_records
from server.core.views import Audience
from server.edge.hub import Connection, Feed
from server.edge.service import Service
from server.edge.timekeeper import housekeeping
from server.edge.wsconn import FrameWriter
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding, Role
from tests.factory import T0_MS, meeting, minted, small_event_records
from tests.test_client_state import fresh

EVENT = "test-event"
MOD = Audience(Role.MODERATOR)
ACTORS = [MOD] * 5 + [Audience(Role.PARTICIPANT, p) for p in ("p0", "p6")]
# The screens that follow the event: p0 and p6 act themselves, p1 is in m1 and m6.
SCREENS = [
    (MOD, Encoding.JSON),
    (Audience(Role.HALL), Encoding.MSGPACK),
    *((Audience(Role.PARTICIPANT, p), e) for p, e in [("p0", Encoding.MSGPACK),
       ("p1", Encoding.JSON), ("p6", Encoding.MSGPACK)]),
]  # fmt: skip
BAD_IDS = ["nope", "", 7, None]  # drawn about one time in four, like other wrong values
TABLES = st.sampled_from([1, 2, 3] * 3 + [0, 4, "3", True])  # the event has tables 1-3
ROUNDS = st.sampled_from([1, 2, 3, 4] * 3 + [0, 5, "2", None])  # ... and rounds 1-4
MINUTES = st.sampled_from([-40, -10, -5, 1, 5, 10, 15, 30, 60, 130, 0, "5"])


def make_event() -> EventState:
    records = with_tokens(EVENT, None, small_event_records(tables=3, rounds=4, people=8), minted())
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


class OneReplica(Service):
    """The service as a feed sees it: this process's replica, and no Redis (the state
    machine commits each change itself and hands it to the feed)."""

    def __init__(self, state: EventState) -> None:  # no Store: nothing here reads Redis
        self.current = state
        self.clock = lambda: T0_MS  # the feed stamps its messages with the service's clock

    def replica(self, event_id: str) -> EventState:
        return self.current


class Screen(FrameWriter):
    """A connection's far end: every message the feed writes, decoded and applied to a
    ClientState the way a client does (a gap or a duplicate raises OutOfSync)."""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.client = ClientState()
        self.closed_with: int | None = None

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        assert self.closed_with is None, "a message after the close"
        data = payload.decode() if self.encoding is Encoding.JSON else payload
        self.client.apply(protocol.decode(data, self.encoding))
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed_with = code

    @property
    def closed(self) -> bool:
        return self.closed_with is not None


# -- drawing each command's arguments from the current state, with some that are wrong

Draw = Callable[["Moderators", Audience, st.DataObject], dict[str, Any]]
DRAWS: dict[str, Draw] = {}


def draws(*names: str) -> Callable[[Draw], Draw]:
    """Register how the arguments of these commands are drawn (every command has one:
    `test_every_command_of_the_registry_is_drawn`)."""

    def register(draw: Draw) -> Draw:
        DRAWS.update(dict.fromkeys(names, draw))
        return draw

    return register


def _meeting(m: Moderators, data: st.DataObject) -> Any:
    return data.draw(st.sampled_from(sorted(m.state.meetings) * 3 + BAD_IDS))


def _person(m: Moderators, data: st.DataObject) -> Any:
    return data.draw(st.sampled_from(sorted(m.state.participants) + BAD_IDS))


@draws("pause_clock", "resume_clock", "start_next_round", "end_round", "stats", "undo")
def _no_args(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    return {}  # undo: whose latest action is undone follows from the actor alone


@draws("cancel_meeting", "suggest_rounds")
def _a_meeting(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    return {"meeting": _meeting(m, data)}


@draws("mark_absent")
def _mark_absent(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args: dict[str, Any] = {"meeting": _meeting(m, data)}
    if data.draw(st.booleans()):
        args["participant"] = _person(m, data)  # who did not come, if not everyone
    return args


@draws("move_meeting")
def _move(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args: dict[str, Any] = {"meeting": _meeting(m, data), "table": data.draw(TABLES)}
    if data.draw(st.booleans()):
        args["round"] = data.draw(ROUNDS)
    return args


@draws("swap_tables")
def _swap(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    """Half the time, two meetings of the same round (only those can swap)."""
    first = _meeting(m, data)
    placed = m.state.meetings.get(first) if isinstance(first, str) else None
    if placed is None or data.draw(st.booleans()):
        return {"meeting_a": first, "meeting_b": _meeting(m, data)}
    same_round = sorted(k for k, v in m.state.meetings.items() if v.round == placed.round)
    return {"meeting_a": first, "meeting_b": data.draw(st.sampled_from(same_round))}


@draws("walk_in")
def _walk_in(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    draw = data.draw
    people = st.lists(st.sampled_from(sorted(m.state.participants)), max_size=2)
    args: dict[str, Any] = {"side_a": draw(people), "side_b": draw(people), "round": draw(ROUNDS)}
    args["id"] = draw(st.sampled_from([f"w{m.steps}", "m1"]))
    if draw(st.booleans()):
        args["table"] = draw(TABLES)
    return args


@draws("undo_check_in", "depart")
def _someone(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    """A moderator names the participant; a participant may (themselves) or not."""
    if actor.role is Role.MODERATOR or data.draw(st.booleans()):
        return {"participant": _person(m, data)}
    return {}


@draws("check_in")
def _check_in(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    if data.draw(st.booleans()):  # by the code on the badge
        codes = [p.check_in_code.lower() for p in m.state.participants.values()]
        return {"code": data.draw(st.sampled_from([*codes, "NOPE"]))}
    return _someone(m, actor, data)


@draws("report_missing_partner")
def _missing(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args = _someone(m, actor, data)
    if data.draw(st.booleans()):
        args["meeting"] = _meeting(m, data)
    return args


@draws("accept_substitute")
def _substitute(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args = {"participant": _person(m, data), "substitute": _person(m, data)}
    args["round"] = data.draw(ROUNDS)
    if data.draw(st.booleans()):
        args["table"] = data.draw(TABLES)
    return args


@draws("suggest_substitutes")
def _suggest_substitutes(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args = {"participant": _person(m, data), "round": data.draw(ROUNDS)}
    if data.draw(st.booleans()):
        args["limit"] = data.draw(st.sampled_from([1, 3, 0, "2"]))
    return args


@draws("announce")
def _announce(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    draw = data.draw
    return {
        "text": draw(st.sampled_from(["Lunch at 12:30"] * 4 + ["", "x" * 501])),
        "audience": draw(st.sampled_from(["everyone", "hall"] * 2 + ["phones"])),
        "id": f"a{m.steps}",
        "expires_in_minutes": draw(st.sampled_from([1, 30, 24 * 60] * 2 + [0, 24 * 60 + 1])),
    }


@draws("remove_announcement")
def _remove(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    shown = sorted(m.state.announcements) * 3
    return {"announcement": data.draw(st.sampled_from(shown + BAD_IDS))}


@draws("keep_waiting")
def _keep_waiting(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    return {"alert": data.draw(st.sampled_from(sorted(m.state.alerts) * 6 + BAD_IDS))}


@draws("set_outcome")
def _set_outcome(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    """Half the time a meeting of a round that has ended: only those have an outcome."""
    state = m.state
    over = [r.index for r in state.rounds.values() if phase_in(state, r, m.now) is Phase.ENDED]
    done = sorted(k for k, v in state.meetings.items() if v.round in over)
    of_an_ended_round: bool = data.draw(st.booleans())
    if done and of_an_ended_round:
        args: dict[str, Any] = {"meeting": data.draw(st.sampled_from(done))}
    else:
        args = {"meeting": _meeting(m, data)}
    args["outcome"] = data.draw(st.sampled_from([*MeetingOutcome, "won"]))
    if data.draw(st.booleans()):
        people = st.lists(st.sampled_from(sorted(m.state.participants)), max_size=2)
        args["absent"] = data.draw(people)
    return args


@draws("extend_round", "delay_rounds")
def _minutes(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    return {"minutes": data.draw(MINUTES)}


@draws("skip_round")
def _skip(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    return {"round": data.draw(ROUNDS)}


@draws("set_auto_substitute")
def _auto(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    args = {"on": data.draw(st.sampled_from([True, False, "yes"]))}
    if data.draw(st.booleans()):
        args["grace_minutes"] = data.draw(st.sampled_from([1, 5, 30, 0, 31, "5"]))
    return args


@draws("rotate_token")
def _rotate(m: Moderators, actor: Audience, data: st.DataObject) -> dict[str, Any]:
    """The new secrets are random (secrets.token_*), but nothing drawn later depends on
    their values, so an example replays the same; the screens whose secret it was are
    closed (4005) and load afresh with the new link."""
    targets = [{"participant": _person(m, data)}, {"hall": True}, {"moderator": True}]
    wrong = [{}, {"hall": False}, {"participant": "p0", "moderator": True}]
    args: dict[str, Any] = data.draw(st.sampled_from(targets * 3 + wrong))
    if data.draw(st.booleans()):
        args = args | {"check_in_code": True}
    return args


class Moderators(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = make_event()
        self.now = T0_MS - 10 * MINUTE_MS  # before round 1's seating
        self.steps = 0
        self.log: list[ChangeRecord] = []  # what undo reads (the event's change stream)
        state = self.state
        self.feed = Feed(EVENT, OneReplica(state), epoch=state.epoch, version=state.version)
        self.screens: dict[Audience, Screen] = {}
        for audience, encoding in SCREENS:
            self.connect(audience, encoding)

    def connect(self, audience: Audience, encoding: Encoding) -> None:
        """A screen opens: the feed welcomes it with a snapshot (hub.Feed.attach)."""
        screen = self.screens[audience] = Screen(encoding)
        self.feed.attach(Connection(audience, encoding, screen), None, audience.participant_id)

    # -- one step, the way the service runs it

    def run(self, name: str, args: dict[str, Any], actor: Audience) -> MatchboardError | None:
        self.steps += 1
        before = snapshot(self.state)
        try:
            spec = commands.command(name, actor)
            if spec.query is not None:
                spec.query(self.state, Args(args), actor, self.now)
                assert snapshot(self.state) == before, f"query {name} {args} changed the state"
                return None
            change, recorded = self.decide(spec, args, actor)
            rules.check(self.state, change)
        except MatchboardError as error:
            assert snapshot(self.state) == before, f"rejected {name} {args} changed the state"
            return error
        assert snapshot(self.state) == before, f"deciding {name} {args} changed the state"
        was = {m.id: set(m.absent) for m in self.state.meetings.values()}
        if change:  # the service commits nothing for a change of nothing
            self.commit(spec.name, change, commands.actor_name(actor), recorded)
        for record in change.upserts:  # nobody who is here is ever recorded absent
            if isinstance(record, Meeting):
                new = set(record.absent) - was.get(record.id, set())
                assert not [p for p in new if self.state.participants[p].present], (name, record)
        if spec.answer is not None:  # the result's data, from the state after the commit
            spec.answer(self.state, Args(args), actor, self.now)
        return None

    def decide(
        self, spec: Command, args: dict[str, Any], actor: Audience
    ) -> tuple[Change, dict[str, Any]]:
        """The change and the arguments recorded with it. Undo plans from the change log
        (audit.plan_undo reads it from Redis; here it is `self.log`)."""
        if spec.from_log is None:
            return spec.decide(self.state, Args(args, minted()), actor, self.now), args
        assert spec.name == audit.UNDO, spec.name
        target = audit.undo_target(self.log, commands.actor_name(actor))
        change = audit.undo_change(self.state, target)
        return change, {"version": target.version, "command": target.command}

    def commit(self, command: str, change: Change, actor: str, args: dict[str, Any]) -> None:
        """The next version, as Service.execute records it; then the feed hands it to the
        screens (hub.Feed.dispatch), and a screen it closed for a rotated secret opens
        again with the new one."""
        state = self.state
        record = ChangeRecord(state.version + 1, self.now, actor, command, change,
                              state.before(change), args)  # fmt: skip
        state.apply(change)
        state.version = record.version
        self.log.append(record)
        self.feed.version = record.version
        self.feed.dispatch(record)
        for audience, screen in list(self.screens.items()):
            if screen.closed:
                assert screen.closed_with == CloseCode.REVOKED, (command, audience)
                self.connect(audience, screen.encoding)

    @rule()
    def the_timekeeper_runs(self) -> None:
        """Bells, at-risk alerts, outcomes of ended rounds, expired alerts: as every
        server process proposes them. After it, each ended round is fully recorded."""
        change = housekeeping(self.state, self.now)
        rules.check(self.state, change)
        if change:
            self.commit("housekeeping", change, "timekeeper", {})
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

    @rule(name=st.sampled_from(sorted(commands.COMMANDS)), actor=st.sampled_from(ACTORS),
          data=st.data())  # fmt: skip
    def command(self, name: str, actor: Audience, data: st.DataObject) -> None:
        self.run(name, DRAWS[name](self, actor, data), actor)

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

    @invariant()
    def every_screen_shows_what_a_fresh_snapshot_shows(self) -> None:
        """Each screen, given only the updates the feed wrote to it since its snapshot,
        holds exactly what a screen of its audience that connects now would be sent."""
        for audience, screen in self.screens.items():
            assert screen.client.position() == (self.state.epoch, self.state.version), audience
            assert screen.client.snapshot_like() == fresh(self.state, audience), audience


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


def test_every_command_of_the_registry_is_drawn() -> None:
    """A command added to the registry needs a way to draw its arguments above, or the
    state machine would never run it."""
    assert sorted(DRAWS) == sorted(commands.COMMANDS)
