"""Commands: pure decisions, argument checks, and the command list against docs/api.md."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from server.core import commands, rules
from server.core.command_args import Args
from server.core.commands import COMMANDS
from server.core.errors import (
    Forbidden,
    InvalidArgument,
    InvalidMeeting,
    MatchboardError,
    RoundOver,
    TableTaken,
    UnknownCommand,
    UnknownMeeting,
)
from server.core.model import Announcement, Meeting, MeetingOrigin, MeetingStatus
from server.core.state import Change, EventState
from server.core.views import Audience
from server.wire.protocol import Role
from tests.factory import T0_MS, meeting, minted, small_state

MOD = Audience(Role.MODERATOR)
BEFORE_ROUND_1 = T0_MS - 60_000
DOC = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()


def event() -> EventState:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2))))
    return state


def run(state: EventState, name: str, now_ms: int = BEFORE_ROUND_1, **args: Any) -> Change:
    change = COMMANDS[name].decide(state, Args(args, minted()), MOD, now_ms)
    rules.check(state, change)
    return change


def test_every_command_is_documented() -> None:
    for name in COMMANDS:
        assert re.search(rf"^#### `{name}`$", DOC, re.MULTILINE), name
    documented = set(re.findall(r"^#### `([a-z_]+)`$", DOC, re.MULTILINE))
    assert documented == set(COMMANDS)


def test_move_swap_cancel() -> None:
    state = event()
    (moved,) = run(state, "move_meeting", meeting="m1", table=3).upserts
    assert isinstance(moved, Meeting)
    assert (moved.round, moved.table) == (1, 3)
    with pytest.raises(TableTaken, match="table 2 is taken in round 1"):
        run(state, "move_meeting", meeting="m1", table=2)
    a, b = run(state, "swap_tables", meeting_a="m1", meeting_b="m2").upserts
    assert isinstance(a, Meeting)
    assert isinstance(b, Meeting)
    assert (a.table, b.table) == (2, 1)
    (cancelled,) = run(state, "cancel_meeting", meeting="m1").upserts
    assert isinstance(cancelled, Meeting)
    assert cancelled.status is MeetingStatus.CANCELLED


def test_round_over_refuses_changes_to_the_past() -> None:
    state = event()
    after_round_1 = state.rounds[1].ends_at_ms
    with pytest.raises(RoundOver, match="round 1 is over"):
        run(state, "move_meeting", now_ms=after_round_1, meeting="m1", table=3)
    # Moving it into a later round that has not started is fine.
    (moved,) = run(
        state, "move_meeting", now_ms=after_round_1, meeting="m1", table=1, round=3
    ).upserts
    assert isinstance(moved, Meeting)
    assert (moved.round, moved.table) == (3, 1)
    with pytest.raises(RoundOver):
        run(state, "cancel_meeting", now_ms=after_round_1 + 1, meeting="m2")


def test_walk_in_takes_the_smallest_free_table() -> None:
    state = event()
    (walk,) = run(state, "walk_in", side_a=["p4"], side_b=["p5"], round=1, id="w1").upserts
    assert isinstance(walk, Meeting)
    assert (walk.table, walk.origin, walk.status) == (
        3,
        MeetingOrigin.WALK_IN,
        MeetingStatus.SCHEDULED,
    )
    state.apply(Change(upserts=(walk,)))
    with pytest.raises(TableTaken, match="no free table"):
        run(state, "walk_in", side_a=["p6"], side_b=["p7"], round=1)


def test_announcements() -> None:
    state = event()
    (note,) = run(state, "announce", text="Lunch at 12:30", expires_in_minutes=30, id="a1").upserts
    assert isinstance(note, Announcement)
    assert note.expires_at_ms == BEFORE_ROUND_1 + 30 * 60_000
    state.apply(Change(upserts=(note,)))
    assert run(state, "remove_announcement", announcement="a1").deletes == (("announcement", "a1"),)


@pytest.mark.parametrize(
    ("name", "args", "error", "arg"),
    [
        ("move_meeting", {"table": 3}, InvalidArgument, "meeting"),
        ("move_meeting", {"meeting": "m1", "table": "3"}, InvalidArgument, "table"),
        ("move_meeting", {"meeting": "m1", "table": True}, InvalidArgument, "table"),
        ("move_meeting", {"meeting": "", "table": 3}, InvalidArgument, "meeting"),
        ("move_meeting", {"meeting": "nope", "table": 3}, UnknownMeeting, None),
        ("swap_tables", {"meeting_a": "m1", "meeting_b": "m1"}, InvalidMeeting, None),
        ("walk_in", {"side_a": [], "side_b": ["p1"], "round": 1}, InvalidArgument, "side_a"),
        ("announce", {"text": "x" * 501}, InvalidArgument, "text"),
        ("announce", {"text": "hi", "audience": "phones"}, InvalidArgument, "audience"),
        (
            "announce",
            {"text": "hi", "expires_in_minutes": 0},
            InvalidArgument,
            "expires_in_minutes",
        ),
        ("remove_announcement", {"announcement": "a9"}, InvalidArgument, "announcement"),
    ],
)
def test_bad_arguments_name_the_argument(
    name: str, args: dict[str, Any], error: type[MatchboardError], arg: str | None
) -> None:
    with pytest.raises(error) as caught:
        run(event(), name, **args)
    if arg is not None:
        assert caught.value.details["arg"] == arg
        assert f"args.{arg}" in caught.value.message


def test_args_must_be_an_object() -> None:
    with pytest.raises(InvalidArgument):
        Args(["not", "a", "map"])


def test_roles_and_names_are_checked() -> None:
    with pytest.raises(UnknownCommand):
        commands.command("dance", MOD)
    with pytest.raises(Forbidden, match="hall may not run move_meeting"):
        commands.command("move_meeting", Audience(Role.HALL))
    with pytest.raises(Forbidden):
        commands.command("announce", Audience(Role.PARTICIPANT, "p0"))


def test_preview_names_everyone_affected() -> None:
    state = event()
    change = run(state, "swap_tables", meeting_a="m1", meeting_b="m2")
    preview = commands.preview(state, change)
    assert [m["meeting"] for m in preview["meetings"]] == ["m1", "m2"]
    assert preview["meetings"][0]["before"]["table"] == 1
    assert preview["meetings"][0]["after"]["table"] == 2
    assert [p["name"] for p in preview["people"]] == sorted(
        state.participants[p].name for p in ("p0", "p1", "p2", "p3")
    )


def test_suggest_rounds_lists_later_rounds_where_everyone_is_free() -> None:
    state = event()
    busy = meeting("m3", "p0", "p4", 3, 1)
    away = dataclasses.replace(state.participants["p1"], unavailable_rounds=frozenset({4}))
    state.apply(Change(upserts=(busy, away)))
    spec = COMMANDS["suggest_rounds"]
    assert spec.query is not None
    data = spec.query(state, Args({"meeting": "m1"}), MOD, BEFORE_ROUND_1)
    # Round 1 is its own, 3 has p0 busy, 4 has p1 away: only round 2, with every table.
    # p0 meets in 1 and 3 (idle in 2): moving 1 -> 2 closes that gap.
    assert data == {"rounds": [{"round": 2, "starts_at_ms": state.rounds[2].starts_at_ms,
                                "tables": [1, 2, 3], "breaks_added": -1,
                                "breaks_by_person": {"p0": -1}}]}  # fmt: skip


def _suggested(state: EventState, meeting_id: str) -> list[tuple[int, int, dict[str, int]]]:
    spec = COMMANDS["suggest_rounds"]
    assert spec.query is not None
    data = spec.query(state, Args({"meeting": meeting_id}), MOD, BEFORE_ROUND_1)
    return [(r["round"], r["breaks_added"], r["breaks_by_person"]) for r in data["rounds"]]


def test_suggest_rounds_puts_the_rounds_that_add_fewest_idle_breaks_first() -> None:
    state = small_state(rounds=6)
    placed = (
        meeting("m1", "p0", "p1", 1, 1),
        meeting("m2", "p1", "p2", 3, 1),
        meeting("m3", "p0", "p3", 5, 1),
        meeting("m4", "p0", "p7"),
    )
    state.apply(Change(upserts=placed))
    # p0 meets in 1 and 5 (one gap, 2-4), p1 in 1 and 3 (one gap, 2). Moving m1 out of
    # round 1: to 4 closes both gaps, to 2 closes p1's, to 6 closes p0's and leaves p1's
    # (3 -> 6 is a gap again); 3 and 5 are busy. Ties stay in round order.
    assert _suggested(state, "m1") == [
        (4, -2, {"p0": -1, "p1": -1}),
        (2, -1, {"p1": -1}),
        (6, -1, {"p0": -1}),
    ]
    # An unplaced meeting leaves no round: for p0 (1, 5) round 3 splits the gap in two.
    assert _suggested(state, "m4") == [(2, 0, {}), (4, 0, {}), (6, 0, {}), (3, 1, {"p0": 1})]


def test_a_skipped_round_cancels_its_meetings_and_takes_no_new_ones() -> None:
    state = event()
    change = run(state, "skip_round", round=1)
    state.apply(change)
    assert state.rounds[1].skipped
    assert {state.meetings[m].status for m in ("m1", "m2")} == {MeetingStatus.CANCELLED}
    with pytest.raises(InvalidMeeting, match="round 1 is skipped"):
        run(state, "walk_in", side_a=["p4"], side_b=["p5"], round=1, table=1)
