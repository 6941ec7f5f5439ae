"""Rotating a secret: a participant's personal link (and, if asked, badge code), the hall
screen key or the moderator token.

The new secret replaces the old one in one committed change; the hub then closes every
connection that used the old one (close 4005, server/edge/feed.py `Feed._close_revoked`), and
the old one opens nothing any more. Only the moderator who asked gets the new secret, in
the result's `data`: the audit log and exports leave secrets out (server/core/audit.py,
server/core/exporter.py), and undo refuses to bring an old one back.

The secrets are derived from the run's fresh entropy (`args.fresh`, minted by the edge:
server/core/fresh.py), as `walk_in` derives its meeting id; a retried decision derives the same
ones, and the answer reads whichever was committed from the state after the commit.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from server.core.command_args import Args, find_participant
from server.core.errors import InvalidArgument
from server.core.fresh import check_in_code, participant_token
from server.core.model import Event
from server.core.state import Change, EventState
from server.core.views import Audience

TARGETS: Final = ("participant", "hall", "moderator")
COMMAND: Final = "rotate_token"


def _target(args: Args) -> str:
    """Which secret: exactly one of `participant` (an id), `hall: true`, `moderator: true`."""
    given = [name for name in TARGETS if args.raw.get(name) is not None]
    if len(given) != 1:
        named = given[1] if given else "participant"
        raise InvalidArgument(
            "give exactly one of args.participant (an id), args.hall: true or "
            f"args.moderator: true (got {', '.join(given) or 'none'})",
            arg=named,
        )
    target = given[0]
    if target != "participant":
        if not args.flag(target):
            raise InvalidArgument(f"args.{target} must be true (or left out)", arg=target)
        if "check_in_code" in args.raw:
            raise InvalidArgument(
                "args.check_in_code goes with args.participant only", arg="check_in_code"
            )
    return target


def _event(state: EventState) -> Event:
    if state.event is None:
        raise InvalidArgument("the event has no record yet", arg="hall")
    return state.event


def rotate_token(state: EventState, args: Args, _actor: Audience, _now: int) -> Change:
    target = _target(args)
    if target == "participant":
        person = find_participant(state, args.text("participant"))
        rotated = dataclasses.replace(
            person,
            token=participant_token(_event(state).id, args.fresh, f"rotate:{person.id}"),
            check_in_code=check_in_code(args.fresh, f"rotate-code:{person.id}")
            if args.opt_flag("check_in_code")
            else person.check_in_code,
        )
        return Change(upserts=(rotated,))
    event = _event(state)
    if target == "hall":
        return Change(
            upserts=(dataclasses.replace(event, screen_key=args.fresh.token("rotate:hall")),)
        )
    return Change(
        upserts=(dataclasses.replace(event, moderator_token=args.fresh.token("rotate:moderator")),)
    )


def new_secret(state: EventState, args: Args, _actor: Audience, _now: int) -> dict[str, Any]:
    """The result's `data`: the secret now in force and the link (a path) that holds it,
    for the moderator who rotated it."""
    target = _target(args)
    if target == "participant":
        person = find_participant(state, args.text("participant"))
        data = {"target": target, "participant": person.id, "token": person.token,
                "link": f"/p/{person.token}"}  # fmt: skip
        if args.opt_flag("check_in_code"):
            data["check_in_code"] = person.check_in_code
        return data
    event = _event(state)
    if target == "hall":
        key = event.screen_key
        return {"target": target, "token": key, "link": f"/hall/{event.id}?key={key}"}
    token = event.moderator_token
    return {"target": target, "token": token, "link": f"/moderate/{event.id}?token={token}"}
