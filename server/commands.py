"""The command API: every action a moderator (or a participant) can take, by name.

A command is a pure `decide(state, args, actor, now_ms) -> Change`; the service checks
the invariants and commits it like any other change. The same commands run over HTTP
(`POST /api/events/{id}/commands`) and over the WebSocket (`command` message); both go
through `run_command`. docs/api.md lists every command, and a test keeps them in step.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from server import rules
from server.errors import (
    Forbidden,
    InvalidArgument,
    InvalidMeeting,
    RuleError,
    TableTaken,
    UnknownCommand,
    UnknownMeeting,
)
from server.model import (
    Announcement,
    AnnouncementAudience,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
)
from server.protocol import Role
from server.service import Service
from server.state import Change, ChangeRecord, EventState
from server.views import Audience


class RoundOver(RuleError):
    code = "round_over"


class Args:
    """A command's arguments with typed, checked access; errors name the argument."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InvalidArgument("args must be an object", arg="args")
        self.raw: dict[str, Any] = raw

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
        return _in_range(name, value, low, high)

    def opt_number(self, name: str) -> int | None:
        value: int | None = self._get(name, (int,), "a whole number", None)
        return value

    def opt_text(self, name: str, default: str) -> str:
        value: str = self._get(name, (str,), "a string", default)
        return value

    def ids(self, name: str) -> tuple[str, ...]:
        value: list[Any] = self._get(name, (list,), "a list of ids", _REQUIRED)
        if not value or not all(isinstance(v, str) and v for v in value):
            raise InvalidArgument(f"args.{name} must be a non-empty list of ids", arg=name)
        return tuple(value)


_REQUIRED: Final = object()


def _in_range(name: str, value: int, low: int | None, high: int | None) -> int:
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidArgument(f"args.{name} must be between {low} and {high}", arg=name)
    return value


Decide = Callable[[EventState, Args, Audience, int], Change]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    roles: frozenset[Role]
    decide: Decide
    summary: str


MODERATORS: Final = frozenset({Role.MODERATOR})


# -- meetings and tables


def _meeting(state: EventState, mid: str) -> Meeting:
    meeting = state.meetings.get(mid)
    if meeting is None:
        raise UnknownMeeting(f"there is no meeting {mid!r}", meeting=mid)
    return meeting


def _not_over(state: EventState, meeting: Meeting, now_ms: int) -> None:
    rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
    if rnd is not None and rnd.ends_at_ms <= now_ms:
        raise RoundOver(
            f"round {rnd.index} is over: meeting {meeting.id} can no longer change",
            meeting=meeting.id,
            round=rnd.index,
        )


def move_meeting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    meeting = _meeting(state, args.text("meeting"))
    target_round = args.opt_number("round")
    if target_round is None or target_round == meeting.round:
        _not_over(state, meeting, now_ms)  # a table change in a round that is over
    moved = dataclasses.replace(
        meeting,
        table=args.number("table"),
        round=meeting.round if target_round is None else target_round,
        status=MeetingStatus.SCHEDULED,
    )
    _not_over(state, moved, now_ms)
    return Change(upserts=(moved,))


def swap_tables(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    a, b = _meeting(state, args.text("meeting_a")), _meeting(state, args.text("meeting_b"))
    if a.id == b.id or a.round != b.round or a.table is None or b.table is None:
        raise InvalidMeeting(
            f"meetings {a.id} and {b.id} must be two placed meetings of the same round",
            meeting=a.id,
        )
    _not_over(state, a, now_ms)
    return Change(
        upserts=(dataclasses.replace(a, table=b.table), dataclasses.replace(b, table=a.table))
    )


def cancel_meeting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    meeting = _meeting(state, args.text("meeting"))
    _not_over(state, meeting, now_ms)
    return Change(upserts=(dataclasses.replace(meeting, status=MeetingStatus.CANCELLED),))


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


def walk_in(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    side_a, side_b = args.ids("side_a"), args.ids("side_b")
    rnd = args.number("round")
    table = args.opt_number("table")
    if table is None:
        table = free_table(state, rnd, len(side_a) + len(side_b))
    meeting = Meeting(
        id=args.opt_text("id", f"w-{secrets.token_hex(4)}"),
        side_a=side_a,
        side_b=side_b,
        round=rnd,
        table=table,
        status=MeetingStatus.SCHEDULED,
        origin=MeetingOrigin.WALK_IN,
    )
    if meeting.id in state.meetings:
        raise InvalidArgument(f"meeting {meeting.id} exists already", arg="id")
    _not_over(state, meeting, now_ms)
    return Change(upserts=(meeting,))


# -- announcements


def announce(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    text = args.text("text")
    if len(text) > 500:
        raise InvalidArgument("args.text is longer than 500 characters", arg="text")
    audience_name = args.opt_text("audience", AnnouncementAudience.EVERYONE.value)
    try:
        audience = AnnouncementAudience(audience_name)
    except ValueError:
        raise InvalidArgument(
            f"args.audience must be 'everyone' or 'hall', not {audience_name!r}", arg="audience"
        ) from None
    minutes = args.opt_number("expires_in_minutes")
    if minutes is not None:
        _in_range("expires_in_minutes", minutes, 1, 24 * 60)
    announcement = Announcement(
        id=args.opt_text("id", f"a-{secrets.token_hex(4)}"),
        text=text,
        audience=audience,
        created_at_ms=now_ms,
        expires_at_ms=None if minutes is None else now_ms + minutes * 60_000,
    )
    return Change(upserts=(announcement,))


def remove_announcement(state: EventState, args: Args, _actor: Audience, _now: int) -> Change:
    aid = args.text("announcement")
    if aid not in state.announcements:
        message = f"args.announcement: there is no announcement {aid!r}"
        raise InvalidArgument(message, arg="announcement")
    return Change(deletes=((Announcement.KIND, aid),))


COMMANDS: Final[dict[str, Command]] = {
    c.name: c
    for c in (
        Command("move_meeting", MODERATORS, move_meeting, "move a meeting to another table"),
        Command("swap_tables", MODERATORS, swap_tables, "swap the tables of two meetings"),
        Command("cancel_meeting", MODERATORS, cancel_meeting, "cancel a meeting"),
        Command("walk_in", MODERATORS, walk_in, "create an ad-hoc meeting"),
        Command("announce", MODERATORS, announce, "show an announcement"),
        Command("remove_announcement", MODERATORS, remove_announcement, "take it down"),
    )
}


def command(name: Any, audience: Audience) -> Command:
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UnknownCommand(f"there is no command {name!r}")
    if audience.role not in spec.roles:
        raise Forbidden(f"{audience.role} may not run {spec.name}")
    return spec


def actor_name(audience: Audience) -> str:
    if audience.participant_id is not None:
        return f"participant:{audience.participant_id}"
    return str(audience.role)


def _place(meeting: Meeting | None) -> dict[str, Any] | None:
    if meeting is None:
        return None
    return {"round": meeting.round, "table": meeting.table, "status": str(meeting.status)}


def preview(state: EventState, change: Change) -> dict[str, Any]:
    """Who a change affects, for a moderator to confirm before committing."""
    people: set[str] = set()
    meetings = []
    for record in change.upserts:
        if isinstance(record, Meeting):
            before = state.meetings.get(record.id)
            people.update(record.people, before.people if before else ())
            meetings.append(
                {"meeting": record.id, "before": _place(before), "after": _place(record)}
            )
    named = [state.participants[p] for p in people if p in state.participants]
    return {
        "meetings": meetings,
        "people": [{"id": p.id, "name": p.name} for p in sorted(named, key=lambda p: p.name)],
    }


@dataclass(frozen=True, slots=True)
class Outcome:
    record: ChangeRecord | None  # None for a dry run or a change that changed nothing
    preview: dict[str, Any]


async def run_command(
    service: Service,
    event_id: str,
    name: Any,
    raw_args: Any,
    audience: Audience,
    now_ms: int,
    *,
    dry_run: bool = False,
) -> Outcome:
    spec = command(name, audience)
    args = Args(raw_args)
    if dry_run:
        state = await service.state(event_id)
        change = spec.decide(state, args, audience, now_ms)
        rules.check(state, change)
        return Outcome(None, preview(state, change))
    previews: list[dict[str, Any]] = []

    def decide(state: EventState) -> Change:
        change = spec.decide(state, args, audience, now_ms)
        previews.append(preview(state, change))
        return change

    record = await service.execute(
        event_id, spec.name, decide, actor=actor_name(audience), args=args.raw
    )
    return Outcome(record, previews[-1] if previews else {})
