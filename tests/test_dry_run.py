"""A dry run of any command commits nothing, undo included: checked against a real Redis,
command by command, with arguments under which each one would succeed for real."""

from __future__ import annotations

import dataclasses
from typing import Any

from server.core.commands import COMMANDS
from server.core.model import Alert, AlertKind, Announcement, Event, Participant
from server.core.state import Change
from server.core.views import Audience
from server.edge.runner import run_command
from server.edge.service import Service, wall_clock_ms
from server.wire.protocol import Role
from tests.factory import meeting, small_event_records

EVENT = "dry"
MOD = Audience(Role.MODERATOR)
ANNA = Audience(Role.PARTICIPANT, "p0")
MINUTE_MS = 60_000

# Round 1 is over, round 2 is running (m1, m2), rounds 3 and 4 are to come.
ARGS: dict[str, tuple[Audience, dict[str, Any]]] = {
    "move_meeting": (MOD, {"meeting": "m1", "table": 3}),
    "swap_tables": (MOD, {"meeting_a": "m1", "meeting_b": "m2"}),
    "cancel_meeting": (MOD, {"meeting": "m1"}),
    "walk_in": (MOD, {"side_a": ["p4"], "side_b": ["p5"], "round": 2}),
    "announce": (MOD, {"text": "Coffee is served"}),
    "remove_announcement": (MOD, {"announcement": "a1"}),
    "check_in": (ANNA, {}),
    "undo_check_in": (MOD, {"participant": "p2"}),
    "report_missing_partner": (MOD, {"participant": "p2"}),
    "mark_absent": (MOD, {"meeting": "m2"}),
    "keep_waiting": (MOD, {"alert": "alert-m2"}),
    "accept_substitute": (MOD, {"participant": "p2", "substitute": "p6", "round": 2}),
    "depart": (MOD, {"participant": "p2"}),
    "undo": (MOD, {}),
    "set_outcome": (MOD, {"meeting": "m0", "outcome": "no_show", "absent": ["p7"]}),
    "pause_clock": (MOD, {}),
    "resume_clock": (MOD, {}),  # after a real pause, below
    "start_next_round": (MOD, {}),  # after a real end of round 2, below
    "extend_round": (MOD, {"minutes": 5}),
    "delay_rounds": (MOD, {"minutes": 5}),
    "end_round": (MOD, {}),
    "skip_round": (MOD, {"round": 3}),
    "suggest_rounds": (MOD, {"meeting": "m1"}),
    "suggest_substitutes": (MOD, {"participant": "p2", "round": 2}),
    "stats": (MOD, {}),
    "set_auto_substitute": (MOD, {"on": True}),
    "rotate_token": (MOD, {"participant": "p2", "check_in_code": True}),
}
LATER = ("resume_clock", "start_next_round")


async def make_event(service: Service, now_ms: int) -> None:
    here = {"p2", "p6", "p7"}
    records = [
        dataclasses.replace(r, checked_in_at_ms=now_ms - MINUTE_MS)
        if isinstance(r, Participant) and r.id in here
        else r
        for r in small_event_records(event_id=EVENT, t0_ms=now_ms - 26 * MINUTE_MS)
    ]
    event = records[0]
    assert isinstance(event, Event)
    await service.create_event(event, records[1:], actor="test")
    m2 = meeting("m2", "p2", "p3", 2, 2)
    setup = Change(upserts=(
        meeting("m0", "p6", "p7", 1, 1), meeting("m1", "p0", "p1", 2, 1), m2,
        Announcement("a1", "Welcome"),
        Alert("alert-m2", AlertKind.AT_RISK, "m2", 2, 2, "", now_ms),
    ))  # fmt: skip
    await service.execute(EVENT, "setup", lambda _s: setup, actor="moderator")


async def dry_run(service: Service, name: str, now_ms: int) -> None:
    actor, args = ARGS[name]
    version = (await service.state(EVENT)).version
    outcome = await run_command(service, EVENT, name, args, actor, now_ms, dry_run=True)
    assert outcome.record is None, name
    assert (await service.state(EVENT)).version == version, name


async def test_every_command_is_tried() -> None:
    assert set(ARGS) == set(COMMANDS)


async def test_a_dry_run_commits_nothing(service: Service) -> None:
    now = wall_clock_ms()
    await make_event(service, now)
    for name in ARGS:
        if name not in LATER:
            await dry_run(service, name, now)
    undo = await run_command(service, EVENT, "undo", {}, MOD, now, dry_run=True)
    assert undo.preview["undone"]["command"] == "setup"
    assert {m["meeting"] for m in undo.preview["meetings"]} == {"m0", "m1", "m2"}
    assert "Anna Berg" in {p["name"] for p in undo.preview["people"]}

    await run_command(service, EVENT, "pause_clock", {}, MOD, now)
    await dry_run(service, "resume_clock", now + 1000)
    await run_command(service, EVENT, "resume_clock", {}, MOD, now + 1000)
    await run_command(service, EVENT, "end_round", {}, MOD, now + 2000)
    await dry_run(service, "start_next_round", now + 3000)
