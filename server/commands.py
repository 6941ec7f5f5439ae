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

from server import attendance, audit, clock_rules, proposals, rules
from server.command_args import (
    EVERYONE_BUT_HALL,
    MODERATORS,
    Args,
    Command,
    Decide,
    find_meeting,
    free_table,
    in_range,
    no_change,
)
from server.errors import (
    Forbidden,
    InvalidArgument,
    InvalidMeeting,
    RoundOver,
    UnknownCommand,
)
from server.model import (
    Announcement,
    AnnouncementAudience,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
)
from server.service import Service
from server.state import Change, ChangeRecord, EventState
from server.views import Audience

# -- meetings and tables


def _not_over(state: EventState, meeting: Meeting, now_ms: int) -> None:
    rnd = state.rounds.get(meeting.round) if meeting.round is not None else None
    if rnd is not None and rnd.ends_at_ms <= now_ms:
        raise RoundOver(
            f"round {rnd.index} is over: meeting {meeting.id} can no longer change",
            meeting=meeting.id,
            round=rnd.index,
        )


def move_meeting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    meeting = find_meeting(state, args.text("meeting"))
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
    a, b = find_meeting(state, args.text("meeting_a")), find_meeting(state, args.text("meeting_b"))
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
    meeting = find_meeting(state, args.text("meeting"))
    _not_over(state, meeting, now_ms)
    return Change(upserts=(dataclasses.replace(meeting, status=MeetingStatus.CANCELLED),))


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
        in_range("expires_in_minutes", minutes, 1, 24 * 60)
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


def _clock(operation: Callable[[EventState, int], Change]) -> Decide:
    return lambda state, _args, _actor, now_ms: operation(state, now_ms)


def _clock_minutes(operation: Callable[[EventState, int, int], Change]) -> Decide:
    return lambda state, args, _actor, now_ms: operation(state, now_ms, args.number("minutes"))


def _skip_round(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    return clock_rules.skip_round(state, now_ms, args.number("round"))


def set_auto_substitute(state: EventState, args: Args, _actor: Audience, _now: int) -> Change:
    """Seat substitutes automatically after a grace period (or stop doing so)."""
    if state.event is None:
        raise InvalidArgument("the event has no settings yet", arg="on")
    grace = args.opt_number("grace_minutes")
    settings = dataclasses.replace(
        state.event.settings,
        auto_substitute=args.flag("on"),
        substitute_grace_s=state.event.settings.substitute_grace_s
        if grace is None
        else in_range("grace_minutes", grace, 1, 30) * 60,
    )
    return Change(upserts=(dataclasses.replace(state.event, settings=settings),))


async def _undo(service: Service, event_id: str, actor: str) -> ChangeRecord:
    return await audit.undo_last(service, event_id, actor=actor)


COMMANDS: Final[dict[str, Command]] = {
    c.name: c
    for c in (
        Command("move_meeting", MODERATORS, move_meeting, "move a meeting to another table"),
        Command("swap_tables", MODERATORS, swap_tables, "swap the tables of two meetings"),
        Command("cancel_meeting", MODERATORS, cancel_meeting, "cancel a meeting"),
        Command("walk_in", MODERATORS, walk_in, "create an ad-hoc meeting"),
        Command("announce", MODERATORS, announce, "show an announcement"),
        Command("remove_announcement", MODERATORS, remove_announcement, "take it down"),
        Command("check_in", EVERYONE_BUT_HALL, attendance.check_in, "arrived"),
        Command("undo_check_in", EVERYONE_BUT_HALL, attendance.undo_check_in, "a mistake"),
        Command(
            "report_missing_partner",
            EVERYONE_BUT_HALL,
            attendance.report_missing_partner,
            "my partner is not here",
        ),
        Command("mark_absent", MODERATORS, attendance.mark_absent, "record a no-show"),
        Command("keep_waiting", MODERATORS, attendance.keep_waiting, "close an alert"),
        Command("accept_substitute", MODERATORS, attendance.accept_substitute, "seat a substitute"),
        Command("depart", EVERYONE_BUT_HALL, attendance.depart, "gone for the event"),
        Command("undo", MODERATORS, no_change, "undo the last moderator action", custom=_undo),
        Command("pause_clock", MODERATORS, _clock(clock_rules.pause), "freeze every countdown"),
        Command("resume_clock", MODERATORS, _clock(clock_rules.resume), "carry on"),
        Command(
            "start_next_round", MODERATORS, _clock(clock_rules.start_next_round_now), "start now"
        ),
        Command("extend_round", MODERATORS, _clock_minutes(clock_rules.extend_round), "more time"),
        Command("delay_rounds", MODERATORS, _clock_minutes(clock_rules.delay_remaining), "delay"),
        Command("end_round", MODERATORS, _clock(clock_rules.end_round_early), "end it now"),
        Command("skip_round", MODERATORS, _skip_round, "skip a round"),
        Command(
            "suggest_rounds",
            MODERATORS,
            no_change,
            "later rounds where a meeting fits",
            query=proposals.suggest_rounds,
        ),
        Command(
            "suggest_substitutes",
            MODERATORS,
            no_change,
            "who could replace a missing partner",
            query=proposals.suggest_substitutes,
        ),
        Command("stats", MODERATORS, no_change, "live statistics", query=proposals.live_stats),
        Command("set_auto_substitute", MODERATORS, set_auto_substitute, "automatic mode"),
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
    record: ChangeRecord | None  # None for a dry run, a query, or a change of nothing
    preview: dict[str, Any]
    data: dict[str, Any] | None = None  # a query's answer


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
    if spec.query is not None:
        state = await service.state(event_id)
        return Outcome(None, {}, spec.query(state, args, audience, now_ms))
    if spec.custom is not None:
        done = await spec.custom(service, event_id, actor_name(audience))
        return Outcome(done, {"undone": done.args})
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
