"""The invariants of an event, checked against any proposed change. Pure: no I/O, no clock.

Invariants (enforced here, never by convention):
- a participant is in at most one meeting per round;
- a table holds at most one meeting per round;
- a meeting is placed only in a round where everyone in it is available, and only in
  one of its allowed rounds (`Meeting.rounds`, when given);
- a meeting is held strictly after the meetings it must follow (`Meeting.after`), when
  both are at a table;
- the tables, rounds and participants a meeting refers to exist, and its table seats
  everyone in it;
- a participant's home table (`Participant.home_table`, a preference) exists: a table
  someone calls home cannot be removed.

`check(state, change)` raises a typed `RuleError` naming the people, table and round
involved, or returns normally when the state with the change applied keeps them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.core.errors import (
    InUse,
    InvalidMeeting,
    OutOfOrder,
    ParticipantBusy,
    ParticipantUnavailable,
    RoundNotAllowed,
    TableTaken,
    TableTooSmall,
    UnknownParticipant,
    UnknownRound,
    UnknownTable,
)
from server.core.model import (
    PLACED_STATUSES,
    Meeting,
    MeetingStatus,
    Participant,
    Record,
    Round,
    Table,
)
from server.core.state import Change, EventState


class _View:
    """The state as it would be after the change, for the records the change touches."""

    def __init__(self, state: EventState, change: Change) -> None:
        self.state = state
        self.overlay: dict[tuple[str, str], Record | None] = {}
        for kind, key in change.deletes:
            self.overlay[(kind, key)] = None
        for record in change.upserts:
            self.overlay[(record.KIND, record.key)] = record

    def _get(self, kind: str, key: str) -> Record | None:
        if (kind, key) in self.overlay:
            return self.overlay[(kind, key)]
        return self.state.get(kind, key)

    def participant(self, pid: str) -> Participant | None:
        record = self._get(Participant.KIND, pid)
        return record if isinstance(record, Participant) else None

    def table(self, number: int) -> Table | None:
        record = self._get(Table.KIND, str(number))
        return record if isinstance(record, Table) else None

    def round(self, index: int) -> Round | None:
        record = self._get(Round.KIND, str(index))
        return record if isinstance(record, Round) else None

    def meeting(self, mid: str) -> Meeting | None:
        record = self._get(Meeting.KIND, mid)
        return record if isinstance(record, Meeting) else None

    def name(self, pid: str) -> str:
        person = self.participant(pid) or self.state.participants.get(pid)
        return pid if person is None else person.name_and_organisation

    def names(self, pids: Iterable[str]) -> str:
        return " and ".join(self.name(p) for p in pids)


def check(state: EventState, change: Change) -> None:
    view = _View(state, change)
    _check_deletions(view, change)
    for record in change.upserts:
        if isinstance(record, Participant) and record.home_table is not None:
            _check_home_table(view, record, record.home_table)
    affected = _affected_meetings(state, change)
    for mid in sorted(affected):
        meeting = view.meeting(mid)
        if meeting is not None:
            _check_meeting(view, meeting)
    # A meeting that follows a changed one may now be out of order (only that can change).
    for record in change.upserts:
        for mid in (
            sorted(state.followers.get(record.key, ())) if isinstance(record, Meeting) else ()
        ):
            follower = view.meeting(mid)
            if mid not in affected and follower is not None and follower.occupies:
                assert follower.round is not None
                _check_order(view, follower, follower.round)
    _check_no_double_booking(view, change)


def _affected_meetings(state: EventState, change: Change) -> set[str]:
    """Meetings whose validity may differ after the change."""
    touched: set[str] = set()
    keys = [(r.KIND, r.key) for r in change.upserts] + list(change.deletes)
    for kind, key in keys:
        if kind == Meeting.KIND:
            touched.add(key)
        elif kind == Participant.KIND:
            touched |= state.meetings_of.get(key, set())
        elif kind == Table.KIND:
            touched |= state.meetings_at_table.get(int(key), set())
        elif kind == Round.KIND:
            touched |= state.meetings_in_round.get(int(key), set())
    return touched


def _check_meeting(view: _View, meeting: Meeting) -> None:
    people = meeting.people
    where = f"meeting {meeting.id}"
    if not meeting.side_a or not meeting.side_b:
        raise InvalidMeeting(f"{where} needs at least one person on each side", meeting=meeting.id)
    if len(set(people)) != len(people):
        raise InvalidMeeting(
            f"{where} lists someone twice: {', '.join(people)}", meeting=meeting.id
        )
    for pid in people:
        if view.participant(pid) is None:
            raise UnknownParticipant(
                f"{where} refers to participant {pid!r}, who does not exist",
                meeting=meeting.id,
                participant=pid,
            )
    if meeting.status in PLACED_STATUSES and not meeting.is_placed:
        raise InvalidMeeting(
            f"{where} between {view.names(people)} is {meeting.status} but has no round and table",
            meeting=meeting.id,
        )
    if meeting.table is not None and meeting.round is None:
        raise InvalidMeeting(f"{where} has a table but no round", meeting=meeting.id)
    if meeting.round is None:
        return
    rnd = view.round(meeting.round)
    if rnd is None:
        raise UnknownRound(
            f"{where} between {view.names(people)} is in round {meeting.round}, "
            "which does not exist",
            meeting=meeting.id,
            round=meeting.round,
        )
    if meeting.status not in (MeetingStatus.REQUESTED, *PLACED_STATUSES):
        return  # a cancelled meeting keeps its old place for the record only
    if rnd.skipped and meeting.occupies:
        raise InvalidMeeting(
            f"round {rnd.index} is skipped: no meeting can be held in it "
            f"({where} between {view.names(people)})",
            meeting=meeting.id,
            round=rnd.index,
        )
    if meeting.rounds and rnd.index not in meeting.rounds and meeting.occupies:
        raise RoundNotAllowed(
            f"{where} between {view.names(people)} may only be held in round "
            f"{_rounds(meeting.rounds)}, not in round {rnd.index}",
            meeting=meeting.id,
            round=rnd.index,
        )
    if meeting.occupies:
        _check_order(view, meeting, rnd.index)
    for pid in people:
        person = view.participant(pid)
        assert person is not None
        if not person.is_available(rnd):
            raise ParticipantUnavailable(
                f"{view.name(pid)} is not available in round {rnd.index}",
                meeting=meeting.id,
                participant=pid,
                round=rnd.index,
            )
    if meeting.table is None:
        return
    table = view.table(meeting.table)
    if table is None:
        raise UnknownTable(
            f"{where} between {view.names(people)} is at table {meeting.table}, "
            "which does not exist",
            meeting=meeting.id,
            table=meeting.table,
        )
    if table.capacity < len(people):
        raise TableTooSmall(
            f"{table.name} seats {table.capacity}, but the meeting between "
            f"{view.names(people)} has {len(people)} people",
            meeting=meeting.id,
            table=table.number,
        )


def _check_home_table(view: _View, person: Participant, number: int) -> None:
    """A home table is only a preference, but it must name a table that exists."""
    if view.table(number) is None:
        raise UnknownTable(
            f"{person.name_and_organisation} has table {number} as home table, "
            "which does not exist",
            participant=person.id,
            table=number,
        )


def _rounds(indexes: Iterable[int]) -> str:
    return ", ".join(str(i) for i in sorted(indexes))


def _check_order(view: _View, meeting: Meeting, rnd: int) -> None:
    """Every meeting it must follow that is at a table is in an earlier round. (A
    predecessor not at a table, cancelled or missing, constrains nothing.)"""
    for before_id in meeting.after:
        before = view.meeting(before_id)
        if before is None or not before.occupies or before.round is None:
            continue
        if before.round >= rnd:
            raise OutOfOrder(
                f"meeting {meeting.id} between {view.names(meeting.people)} must come after "
                f"meeting {before.id} between {view.names(before.people)}, which is in round "
                f"{before.round}: it cannot be in round {rnd}",
                meeting=meeting.id,
                round=rnd,
                before=before.id,
            )


def _check_no_double_booking(view: _View, change: Change) -> None:
    state = view.state
    claims_seat: dict[tuple[str, int], str] = {}
    claims_table: dict[tuple[int, int], str] = {}
    for record in change.upserts:
        if not isinstance(record, Meeting) or not record.occupies:
            continue
        rnd, table = record.round, record.table
        assert rnd is not None and table is not None
        for pid in record.people:
            other_id = claims_seat.get((pid, rnd)) or state.seat_of.get((pid, rnd))
            other = view.meeting(other_id) if other_id and other_id != record.id else None
            if other is not None and other.occupies and other.round == rnd and pid in other.people:
                partners = view.names(other.partners_of(pid))
                raise ParticipantBusy(
                    f"{view.name(pid)} already has a meeting in round {rnd} "
                    f"(table {other.table}, with {partners})",
                    participant=pid,
                    round=rnd,
                    meeting=other.id,
                )
            claims_seat[(pid, rnd)] = record.id
        other_id = claims_table.get((table, rnd)) or state.table_use.get((table, rnd))
        other = view.meeting(other_id) if other_id and other_id != record.id else None
        if other is not None and other.occupies and (other.table, other.round) == (table, rnd):
            raise TableTaken(
                f"table {table} is taken in round {rnd} by the meeting between "
                f"{view.names(other.people)}",
                table=table,
                round=rnd,
                meeting=other.id,
            )
        claims_table[(table, rnd)] = record.id


def _check_deletions(view: _View, change: Change) -> None:
    state = view.state
    for kind, key in change.deletes:
        if kind == Participant.KIND:
            live = [
                mid
                for mid in state.meetings_of.get(key, set())
                if (m := view.meeting(mid)) is not None and key in m.people
            ]
            if live:
                raise InUse(
                    f"{view.name(key)} cannot be removed: still in meeting {sorted(live)[0]}",
                    participant=key,
                )
        elif kind == Table.KIND:
            hosts = [
                pid
                for pid, p in state.participants.items()
                if p.home_table == int(key)
                and (person := view.participant(pid)) is not None
                and person.home_table == int(key)
            ]
            if hosts:
                raise InUse(
                    f"table {key} cannot be removed: it is the home table of "
                    f"{view.names(sorted(hosts)[:3])}"
                    + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else ""),
                    table=int(key),
                    participant=sorted(hosts)[0],
                )
