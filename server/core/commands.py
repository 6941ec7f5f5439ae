"""The command API: every action a moderator (or a participant) can take, by name.

A command is a pure `decide(state, args, actor, now_ms) -> Change`; the service checks
the invariants and commits it like any other change. The same commands run over HTTP
(`POST /api/events/{id}/commands`) and over the WebSocket (`command` message); both go
through the edge's `run_command` (server/edge/runner.py). docs/api.md lists every command, and
a test keeps them in step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from server.core import alerts, attendance, audit, clock_rules, outcomes, proposals, rotation
from server.core.command_args import (
    EVERYONE_BUT_HALL,
    MODERATORS,
    Args,
    Command,
    CommandDecide,
    find_meeting,
    in_range,
    no_change,
)
from server.core.errors import (
    Forbidden,
    InvalidArgument,
    UnknownCommand,
)
from server.core.meeting_commands import (
    announce,
    cancel_meeting,
    move_meeting,
    remove_announcement,
    swap_tables,
    walk_in,
)
from server.core.model import (
    Meeting,
    alert_id,
)
from server.core.state import Change, EventState
from server.core.views import Audience


def _clock(operation: Callable[[EventState, int], Change]) -> CommandDecide:
    return lambda state, _args, _actor, now_ms: operation(state, now_ms)


def _clock_minutes(operation: Callable[[EventState, int, int], Change]) -> CommandDecide:
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


def substitutes_after_no_show(
    state: EventState, args: Args, actor: Audience, now_ms: int
) -> dict[str, Any]:
    """After mark_absent: who waits now, and the substitutes ranked for them."""
    meeting = find_meeting(state, args.text("meeting"))
    alert = state.alerts.get(alert_id(meeting.id))
    if alert is None or not alert.is_open or not alert.waiting or meeting.round is None:
        return {"waiting": [], "candidates": []}
    waiting = alert.waiting[0]
    ask = Args({"participant": waiting, "round": meeting.round})
    return {"waiting": list(alert.waiting), "alert": alert.id} | proposals.suggest_substitutes(
        state, ask, actor, now_ms
    )


def _keeping_alerts(decide: CommandDecide) -> CommandDecide:
    """Every command's change carries what it means for the alerts of the meetings it
    touches (server/core/alerts.py `follow`): no alert outlives its meeting's problem."""

    def decide_and_follow(state: EventState, args: Args, actor: Audience, now_ms: int) -> Change:
        return alerts.follow(state, decide(state, args, actor, now_ms), now_ms)

    return decide_and_follow


COMMANDS: Final[dict[str, Command]] = {
    c.name: dataclasses.replace(c, decide=_keeping_alerts(c.decide))
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
        Command(
            "mark_absent",
            MODERATORS,
            attendance.mark_absent,
            "record a no-show",
            answer=substitutes_after_no_show,
        ),
        Command("set_outcome", MODERATORS, outcomes.set_outcome, "correct an outcome"),
        Command("keep_waiting", MODERATORS, attendance.keep_waiting, "close an alert"),
        Command("accept_substitute", MODERATORS, attendance.accept_substitute, "seat a substitute"),
        Command("depart", EVERYONE_BUT_HALL, attendance.depart, "gone for the event"),
        Command(
            "undo",
            MODERATORS,
            no_change,
            "undo the last moderator action",
            from_log=audit.plan_undo,
        ),
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
        Command(
            rotation.COMMAND,
            MODERATORS,
            rotation.rotate_token,
            "replace a link's secret",
            answer=rotation.new_secret,
        ),
    )
}


def command(name: Any, audience: Audience) -> Command:
    if not isinstance(name, str):
        raise UnknownCommand(f"a command needs a 'name' string (docs/api.md), not {name!r}")
    spec = COMMANDS.get(name)
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
    """Who a change affects, for a moderator to confirm before committing: each meeting
    before and after (None when it is created or deleted) and the people in them."""
    people: set[str] = set()
    meetings = []
    changed: list[tuple[str, Meeting | None]] = [
        (r.id, r) for r in change.upserts if isinstance(r, Meeting)
    ]
    changed += [(key, None) for kind, key in change.deletes if kind == Meeting.KIND]
    for mid, after in changed:
        before = state.meetings.get(mid)
        people.update(after.people if after else (), before.people if before else ())
        meetings.append({"meeting": mid, "before": _place(before), "after": _place(after)})
    named = [state.participants[p] for p in people if p in state.participants]
    return {
        "meetings": meetings,
        "people": [{"id": p.id, "name": p.name} for p in sorted(named, key=lambda p: p.name)],
    }


def dry_run_flag(value: Any) -> bool:
    """A command message's `dry_run`: true or false (absent: false), nothing else, so a
    string "false" is refused rather than taken as a dry run by its truthiness."""
    if value is None or isinstance(value, bool):
        return bool(value)
    raise InvalidArgument(f"dry_run must be true or false, not {value!r}", arg="dry_run")
