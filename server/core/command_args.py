"""What every command is made of: its checked arguments and its definition.

Kept apart from the commands themselves so that each group of commands (meetings,
attendance, the clock) lives in a module of its own. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from server.core.clock import is_over
from server.core.errors import (
    InternalError,
    InvalidArgument,
    RoundOver,
    TableTaken,
    UnknownMeeting,
    UnknownParticipant,
)
from server.core.fresh import Fresh
from server.core.model import Meeting, Participant, Role
from server.core.state import Change, ChangeRecord, Decide, EventState
from server.core.views import Audience


class Args:
    """A command's arguments with typed, checked access; errors name the argument."""

    def __init__(self, raw: Any, fresh: Fresh | None = None) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InvalidArgument("args must be an object", arg="args")
        self.raw: dict[str, Any] = raw
        self._fresh = fresh

    @property
    def fresh(self) -> Fresh:
        """What this run derives new ids and secrets from, minted by the edge (fresh.py)."""
        if self._fresh is None:
            raise InternalError("this command needs fresh values and none were minted")
        return self._fresh

    def _get(self, name: str, kinds: tuple[type, ...], what: str, default: Any) -> Any:
        value = self.raw.get(name, default)
        if value is _REQUIRED:
            raise InvalidArgument(f"args.{name} is required ({what})", arg=name)
        if value is None and default is None:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise InvalidArgument(f"args.{name} must be {what}, not {value!r}", arg=name)
        return value

    def text(self, name: str) -> str:
        value: str = self._get(name, (str,), "a string", _REQUIRED)
        if not value.strip():
            raise InvalidArgument(f"args.{name} must not be empty", arg=name)
        return value

    def number(self, name: str, *, low: int | None = None, high: int | None = None) -> int:
        value: int = self._get(name, (int,), "a whole number", _REQUIRED)
        return in_range(name, value, low, high)

    def opt_number(self, name: str) -> int | None:
        value: int | None = self._get(name, (int,), "a whole number", None)
        return value

    def opt_text(self, name: str, default: str) -> str:
        value: str = self._get(name, (str,), "a string", default)
        return value

    def flag(self, name: str) -> bool:
        value: bool = self._get(name, (bool,), "true or false", _REQUIRED)
        return value

    def opt_flag(self, name: str) -> bool:
        value: bool = self._get(name, (bool,), "true or false", False)
        return value

    def ids(self, name: str) -> tuple[str, ...]:
        value: list[Any] = self._get(name, (list,), "a list of ids", _REQUIRED)
        if not value or not all(isinstance(v, str) and v for v in value):
            raise InvalidArgument(f"args.{name} must be a non-empty list of ids", arg=name)
        return tuple(value)


_REQUIRED: Final = object()


def in_range(name: str, value: int, low: int | None, high: int | None) -> int:
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidArgument(f"args.{name} must be between {low} and {high}", arg=name)
    return value


# A command's decide function: the state, its arguments, who asks and when, to a change.
CommandDecide = Callable[[EventState, "Args", Audience, int], Change]
Query = Callable[[EventState, "Args", Audience, int], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Plan:
    """A command that must read more than the state first (undo reads the change log):
    what it found, as the decide function to commit (or to preview in a dry run)."""

    decide: Decide
    args: dict[str, Any]  # recorded with the change, e.g. the version undone
    summary: dict[str, Any]  # shown in the result's preview, e.g. {"undone": ...}


# (the recent change log, oldest first; actor name) -> the plan. The edge reads the log.
FromLog = Callable[[list[ChangeRecord], str], Plan]


def no_change(_state: EventState, _args: Args, _actor: Audience, _now: int) -> Change:
    return Change()


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    roles: frozenset[Role]
    decide: CommandDecide
    summary: str
    # A command with a query only reads: its answer is `query(...)`, nothing is committed.
    query: Query | None = None
    # A command that needs more than the state plans itself from the recent change log
    # (undo), which the edge reads for it.
    from_log: FromLog | None = None
    # What to tell the caller after the commit, from the new state (e.g. the substitutes
    # for whoever a no-show left waiting): the result's `data`.
    answer: Query | None = None


MODERATORS: Final = frozenset({Role.MODERATOR})
EVERYONE_BUT_HALL: Final = frozenset({Role.MODERATOR, Role.PARTICIPANT})


# -- lookups shared by the commands


def find_meeting(state: EventState, mid: str) -> Meeting:
    meeting = state.meetings.get(mid)
    if meeting is None:
        raise UnknownMeeting(f"there is no meeting {mid!r}", meeting=mid)
    return meeting


def find_participant(state: EventState, pid: str) -> Participant:
    person = state.participants.get(pid)
    if person is None:
        raise UnknownParticipant(f"there is no participant {pid!r}", participant=pid)
    return person


def round_not_over(state: EventState, meeting: Meeting, now_ms: int, *, instead: str = "") -> None:
    """Refuse a change to a meeting whose round has ended (saying what to do instead)."""
    rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
    if rnd is not None and is_over(state, rnd, now_ms):
        hint = f": {instead}" if instead else ""
        raise RoundOver(
            f"round {rnd.index} is over: meeting {meeting.id} can no longer change{hint}",
            meeting=meeting.id,
            round=rnd.index,
        )


def free_table(state: EventState, rnd: int, people: int) -> int:
    """The smallest free table of the round that seats `people`."""
    free = [
        t
        for t in state.tables.values()
        if t.capacity >= people and (t.number, rnd) not in state.table_use
    ]
    if not free:
        raise TableTaken(f"no free table for {people} people in round {rnd}", round=rnd)
    return min(free, key=lambda t: (t.capacity, t.number)).number
