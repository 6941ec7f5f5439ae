"""The meeting, table and announcement commands: pure decide functions.

Each is a `decide(state, args, actor, now_ms) -> Change` that server/core/commands.py registers
by name in `COMMANDS`; the service checks the invariants and commits the change.
"""

from __future__ import annotations

import dataclasses

from server.core.command_args import Args, find_meeting, free_table, in_range, round_not_over
from server.core.errors import InvalidArgument, InvalidMeeting
from server.core.model import (
    Announcement,
    AnnouncementAudience,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
)
from server.core.state import Change, EventState
from server.core.views import Audience

# -- meetings and tables


def move_meeting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    meeting = find_meeting(state, args.text("meeting"))
    target_round = args.opt_number("round")
    if target_round is None or target_round == meeting.round:
        round_not_over(state, meeting, now_ms)  # a table change in a round that is over
    moved = dataclasses.replace(
        meeting,
        table=args.number("table"),
        round=meeting.round if target_round is None else target_round,
        status=MeetingStatus.SCHEDULED,
    )
    round_not_over(state, moved, now_ms)
    return Change(upserts=(moved,))


def swap_tables(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    a, b = find_meeting(state, args.text("meeting_a")), find_meeting(state, args.text("meeting_b"))
    if a.id == b.id or a.round != b.round or a.table is None or b.table is None:
        raise InvalidMeeting(
            f"meetings {a.id} and {b.id} must be two placed meetings of the same round",
            meeting=a.id,
        )
    round_not_over(state, a, now_ms)
    return Change(
        upserts=(dataclasses.replace(a, table=b.table), dataclasses.replace(b, table=a.table))
    )


def cancel_meeting(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    meeting = find_meeting(state, args.text("meeting"))
    round_not_over(state, meeting, now_ms)
    return Change(upserts=(dataclasses.replace(meeting, status=MeetingStatus.CANCELLED),))


def walk_in(state: EventState, args: Args, _actor: Audience, now_ms: int) -> Change:
    side_a, side_b = args.ids("side_a"), args.ids("side_b")
    rnd = args.number("round")
    table = args.opt_number("table")
    if table is None:
        table = free_table(state, rnd, len(side_a) + len(side_b))
    meeting = Meeting(
        id=args.opt_text("id", f"w-{args.fresh.hex('walk_in', 4)}"),
        side_a=side_a,
        side_b=side_b,
        round=rnd,
        table=table,
        status=MeetingStatus.SCHEDULED,
        origin=MeetingOrigin.WALK_IN,
    )
    if meeting.id in state.meetings:
        raise InvalidArgument(f"meeting {meeting.id} exists already", arg="id")
    round_not_over(state, meeting, now_ms)
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
        id=args.opt_text("id", f"a-{args.fresh.hex('announce', 4)}"),
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
