"""The invariants, checked without any server."""

from __future__ import annotations

import dataclasses

import pytest

from server.core import rules
from server.core.errors import (
    InUse,
    InvalidMeeting,
    OutOfOrder,
    ParticipantBusy,
    ParticipantUnavailable,
    RoundNotAllowed,
    RuleError,
    TableTaken,
    TableTooSmall,
    UnknownParticipant,
    UnknownRound,
    UnknownTable,
)
from server.core.model import Meeting, MeetingStatus, Participant, Table, TimeWindow
from server.core.state import Change
from tests.factory import T0_MS, meeting, small_state


def test_valid_meeting_passes_and_indexes_follow() -> None:
    state = small_state()
    m = meeting("m1", "p0", "p1", 1, 1)
    rules.check(state, Change(upserts=(m,)))
    state.apply(Change(upserts=(m,)))
    assert state.seat_of[("p0", 1)] == "m1"
    assert state.table_use[(1, 1)] == "m1"


@pytest.mark.parametrize(
    ("existing", "proposed", "error", "words"),
    [
        # same person twice in one round, at another table
        ([meeting("m1", "p0", "p1", 1, 1)], [meeting("m2", "p0", "p2", 1, 2)],
         ParticipantBusy, ["Anna Berg", "round 1", "table 1", "Jonas Weber"]),
        # the person on the other side is the busy one
        ([meeting("m1", "p0", "p1", 1, 1)], [meeting("m2", "p2", "p1", 1, 2)],
         ParticipantBusy, ["Jonas Weber", "round 1"]),
        # same table twice in one round
        ([meeting("m1", "p0", "p1", 1, 1)], [meeting("m2", "p2", "p3", 1, 1)],
         TableTaken, ["table 1", "round 1", "Anna Berg", "Jonas Weber"]),
        # two new meetings that collide with each other
        ([], [meeting("m1", "p0", "p1", 2, 1), meeting("m2", "p2", "p3", 2, 1)],
         TableTaken, ["table 1", "round 2"]),
        ([], [meeting("m1", "p0", "p1", 2, 1), meeting("m2", "p0", "p3", 2, 2)],
         ParticipantBusy, ["Anna Berg", "round 2"]),
        ([], [meeting("m1", "p0", "p1", 1, 99)], UnknownTable, ["table 99"]),
        ([], [meeting("m1", "p0", "p1", 42, 1)], UnknownRound, ["round 42"]),
        ([], [meeting("m1", "p0", "nobody", 1, 1)], UnknownParticipant, ["'nobody'"]),
        ([], [meeting("m1", "p0", "p0", 1, 1)], InvalidMeeting, ["twice"]),
        ([], [Meeting("m1", ("p0",), (), round=1, table=1)], InvalidMeeting, ["each side"]),
        ([], [Meeting("m1", ("p0",), ("p1",), status=MeetingStatus.SCHEDULED)],
         InvalidMeeting, ["no round and table"]),
        ([], [Meeting("m1", ("p0",), ("p1",), table=1)], InvalidMeeting, ["no round"]),
        ([], [Meeting("m1", ("p0", "p2"), ("p1",), round=1, table=1,
                      status=MeetingStatus.SCHEDULED)],
         TableTooSmall, ["seats 2", "3 people"]),
    ],
)  # fmt: skip
def test_violations_raise_typed_errors_naming_who_and_where(
    existing: list[Meeting], proposed: list[Meeting], error: type[RuleError], words: list[str]
) -> None:
    state = small_state()
    state.apply(Change(upserts=tuple(existing)))
    with pytest.raises(error) as caught:
        rules.check(state, Change(upserts=tuple(proposed)))
    for word in words:
        assert word in caught.value.message
    assert caught.value.code == error.code


def test_moving_a_meeting_frees_its_old_seat_in_the_same_change() -> None:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))
    # swap: m1 leaves table 1 and m2 takes it, in one change
    moved = dataclasses.replace(state.meetings["m1"], table=2)
    rules.check(state, Change(upserts=(moved, meeting("m2", "p2", "p3", 1, 1))))


def test_cancelled_and_requested_meetings_do_not_occupy() -> None:
    state = small_state()
    cancelled = dataclasses.replace(meeting("m1", "p0", "p1", 1, 1), status=MeetingStatus.CANCELLED)
    state.apply(Change(upserts=(cancelled,)))
    rules.check(state, Change(upserts=(meeting("m2", "p0", "p2", 1, 1),)))
    assert ("p0", 1) not in state.seat_of


def test_availability_by_round_and_by_time_window() -> None:
    state = small_state()
    away = dataclasses.replace(state.participants["p0"], unavailable_rounds=frozenset({2}))
    state.apply(Change(upserts=(away,)))
    with pytest.raises(ParticipantUnavailable, match=r"Anna Berg .* round 2"):
        rules.check(state, Change(upserts=(meeting("m1", "p0", "p1", 2, 1),)))
    rules.check(state, Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))

    # Only the morning: rounds 1 and 2 fit inside the window, round 3 does not.
    window = TimeWindow(T0_MS - 10 * 60_000, T0_MS + 50 * 60_000)
    late = dataclasses.replace(state.participants["p1"], available_windows=(window,))
    state.apply(Change(upserts=(late,)))
    rules.check(state, Change(upserts=(meeting("m1", "p3", "p1", 1, 1),)))
    with pytest.raises(ParticipantUnavailable, match="Jonas Weber"):
        rules.check(state, Change(upserts=(meeting("m1", "p3", "p1", 3, 1),)))


def test_a_requested_meeting_with_a_round_wish_must_fit_availability() -> None:
    state = small_state()
    away = dataclasses.replace(state.participants["p0"], unavailable_rounds=frozenset({2}))
    state.apply(Change(upserts=(away,)))
    with pytest.raises(ParticipantUnavailable):
        rules.check(state, Change(upserts=(Meeting("m1", ("p0",), ("p1",), round=2),)))


def test_changes_to_people_tables_and_rounds_recheck_their_meetings() -> None:
    state = small_state()
    state.apply(Change(upserts=(meeting("m1", "p0", "p1", 2, 1),)))
    away = dataclasses.replace(state.participants["p0"], unavailable_rounds=frozenset({2}))
    with pytest.raises(ParticipantUnavailable):
        rules.check(state, Change(upserts=(away,)))
    with pytest.raises(UnknownTable):
        rules.check(state, Change(deletes=(("table", "1"),)))
    with pytest.raises(TableTooSmall):
        rules.check(state, Change(upserts=(Table(number=1, capacity=1),)))
    with pytest.raises(UnknownRound):
        rules.check(state, Change(deletes=(("round", "2"),)))
    with pytest.raises(InUse, match="Anna Berg"):
        rules.check(state, Change(deletes=(("participant", "p0"),)))
    # Unrelated edits pass.
    rules.check(state, Change(upserts=(Participant(id="p9", name="New Person"),)))
    rules.check(state, Change(deletes=(("table", "3"),)))


def test_a_meeting_keeps_to_its_allowed_rounds() -> None:
    state = small_state()
    morning = dataclasses.replace(meeting("m1", "p0", "p1", 3, 1), rounds=(1, 2))
    with pytest.raises(RoundNotAllowed) as caught:
        rules.check(state, Change(upserts=(morning,)))
    assert "may only be held in round 1, 2, not in round 3" in caught.value.message
    assert caught.value.details == {"meeting": "m1", "round": 3}
    rules.check(state, Change(upserts=(dataclasses.replace(morning, round=2),)))
    # Not at a table (a wish, or cancelled): nothing to keep to.
    rules.check(state, Change(upserts=(dataclasses.replace(morning, table=None,
                                       status=MeetingStatus.CANCELLED),)))  # fmt: skip


def test_a_meeting_comes_after_the_ones_it_must_follow_both_ways() -> None:
    state = small_state()
    first, second = meeting("m1", "p0", "p1", 2, 1), meeting("m2", "p0", "p2", 3, 1)
    second = dataclasses.replace(second, after=("m1",))
    state.apply(Change(upserts=(first, second)))
    # The follower moved too early...
    with pytest.raises(OutOfOrder) as caught:
        rules.check(state, Change(upserts=(dataclasses.replace(second, round=1, table=2),)))
    assert "must come after meeting m1" in caught.value.message
    assert caught.value.details == {"meeting": "m2", "round": 1, "before": "m1"}
    # ...or the one it follows moved to the same round or later (found via the index).
    with pytest.raises(OutOfOrder):
        rules.check(state, Change(upserts=(dataclasses.replace(first, round=4, table=2),)))
    # Both moved together, still in order: fine; the one before cancelled: no constraint.
    rules.check(state, Change(upserts=(dataclasses.replace(first, round=1),
                                       dataclasses.replace(second, round=2, table=2))))  # fmt: skip
    cancelled = dataclasses.replace(first, status=MeetingStatus.CANCELLED)
    rules.check(state, Change(upserts=(cancelled, dataclasses.replace(second, round=1, table=2))))
    # Removing the constraint frees it, and the index forgets it.
    state.apply(Change(upserts=(dataclasses.replace(second, after=()),)))
    assert not state.followers["m1"]
    rules.check(state, Change(upserts=(dataclasses.replace(first, round=4, table=2),)))


def test_a_home_table_must_exist_and_cannot_be_removed_while_someone_calls_it_home() -> None:
    state = small_state()
    anna = state.participants["p0"]
    with pytest.raises(UnknownTable) as caught:
        rules.check(state, Change(upserts=(dataclasses.replace(anna, home_table=99),)))
    assert caught.value.message == (
        "Anna Berg (Cluster Nord) has table 99 as home table, which does not exist"
    )
    assert caught.value.details == {"participant": "p0", "table": 99}
    host = dataclasses.replace(anna, home_table=3)
    rules.check(state, Change(upserts=(host,)))
    state.apply(Change(upserts=(host,)))
    # Removing the table someone calls home is refused, naming them...
    with pytest.raises(InUse) as removed:
        rules.check(state, Change(deletes=(("table", "3"),)))
    assert "table 3 cannot be removed: it is the home table of Anna Berg" in removed.value.message
    # ...unless the same change gives them another home, or none; or removes them.
    rules.check(state, Change(upserts=(dataclasses.replace(host, home_table=None),),
                              deletes=(("table", "3"),)))  # fmt: skip
    rules.check(state, Change(deletes=(("participant", "p0"), ("table", "3"))))
    # A new home that the same change removes is no home.
    with pytest.raises(UnknownTable):
        rules.check(state, Change(upserts=(dataclasses.replace(anna, home_table=2),),
                                  deletes=(("table", "2"),)))  # fmt: skip
    # Only a preference: a meeting of Anna's at another table is fine.
    rules.check(state, Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)))
