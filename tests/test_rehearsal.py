"""Rehearsal mode: the plan (pure, fast), a whole rehearsal against a real server, and
`matchboard rehearse` as a command."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.client.client import Client
from server.core.model import MeetingStatus
from server.core.state import EventState, state_from_records
from server.demo import rehearsal
from server.demo.rehearsal_plan import Act, Anchor, RehearsalOptions, make_plan, rehearsal_records
from server.demo.rehearsal_report import outcome_writes
from server.edge.cli import main
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service
from server.edge.store import Store
from server.wire.protocol import ServerType
from tests.servers import free_port, running_server

T0_MS = 1_780_000_000_000
SMALL = RehearsalOptions(participants=60, rounds=4, round_minutes=0.75, seating_s=15,
                         start_in_s=5, walk_ins=1, event_id="rehearsal-test")  # fmt: skip


def planned_state(options: RehearsalOptions) -> EventState:
    event, records = rehearsal_records(options, T0_MS)
    return state_from_records([event, *records])


# -- the event and the plan (pure) ---------------------------------------------------------


def test_the_rehearsal_event_has_back_to_back_rounds_a_full_schedule_and_spare_tables() -> None:
    options = dataclasses.replace(SMALL, walk_ins=2)
    state = planned_state(options)
    rounds = [state.rounds[i] for i in sorted(state.rounds)]
    assert [r.index for r in rounds] == [1, 2, 3, 4]
    assert rounds[0].seating_at_ms == T0_MS
    assert all(r.meeting_s == 45 and r.changeover_s == 15 for r in rounds)
    assert all(b.seating_at_ms == a.ends_at_ms for a, b in itertools.pairwise(rounds))
    assert state.meetings
    assert all(m.status is MeetingStatus.SCHEDULED and m.round in state.rounds
               for m in state.meetings.values())  # fmt: skip
    spare = [t.number for t in state.tables.values() if t.zone == "Walk-ins"]
    assert len(spare) == 2
    assert not any((t, r) in state.table_use for t in spare for r in state.rounds)


def test_same_seed_same_plan_another_seed_another_plan() -> None:
    state = planned_state(SMALL)
    plan = make_plan(state, SMALL)
    assert make_plan(planned_state(SMALL), SMALL) == plan
    other = make_plan(state, dataclasses.replace(SMALL, seed=2))
    assert other != plan
    assert other.no_shows != plan.no_shows


def test_the_plan_respects_the_shares() -> None:
    options = dataclasses.replace(SMALL, participants=200, no_show_share=0.2, late_share=0.25,
                                  report_share=0.5, depart_share=0.1, walk_ins=3)  # fmt: skip
    state = planned_state(options)
    plan = make_plan(state, options)
    people = set(state.participants)
    comers = people - plan.no_shows
    assert len(plan.no_shows) == round(0.2 * len(people))
    assert len(plan.late) == round(0.25 * len(comers))
    assert len(plan.reporters) == round(0.5 * len(comers))
    assert len(plan.departures) == round(0.1 * len(comers))
    checked_in = Counter(a.people[0] for a in plan.actions if a.act is Act.CHECK_IN)
    assert set(checked_in) == comers  # the no-shows never come, everyone else once
    assert set(checked_in.values()) == {1}
    for action in plan.actions:
        who = action.people[0]
        if action.act is Act.CHECK_IN and who in plan.late:
            assert action.anchor is Anchor.START and action.offset_s > 0  # after it started
        if action.act is Act.REPORT:
            assert who in plan.reporters
        if action.act is Act.DEPART:
            assert who in plan.departures and who not in plan.late
    walk_ins = [a for a in plan.actions if a.act is Act.WALK_IN]
    assert 0 < len(walk_ins) <= 3 * options.rounds
    for a in walk_ins:
        x, y = a.people
        assert (x, a.round) not in state.seat_of and (y, a.round) not in state.seat_of
        assert state.participants[x].organisation != state.participants[y].organisation
        assert not plan.no_shows & {x, y}


@pytest.mark.parametrize(
    "bad",
    [{"no_show_share": 1.5}, {"late_share": -0.1}, {"rounds": 0}, {"round_minutes": 0.1},
     {"seating_s": 2}, {"participants": 3}, {"walk_ins": -1}],
)  # fmt: skip
def test_options_out_of_range_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="--"):
        dataclasses.replace(SMALL, **bad).check()
    SMALL.check()


def test_an_outcome_written_twice_is_counted() -> None:
    def entry(actor: str, before: Any, outcome: str) -> dict[str, Any]:
        after = {"id": "m1", "outcome": outcome}
        change = {"kind": "meeting", "key": "m1", "before": before, "after": after}
        return {"actor": actor, "changes": [change]}

    once = [entry("timekeeper", {"id": "m1", "outcome": None}, "held")]
    assert outcome_writes(once) == {"m1": 1}
    twice = [*once, entry("timekeeper", {"id": "m1", "outcome": "held"}, "held")]
    assert outcome_writes(twice) == {"m1": 2}
    corrected = [*once, entry("moderator", {"id": "m1", "outcome": "held"}, "no_show")]
    assert outcome_writes(corrected) == {"m1": 1}  # a moderator's correction is not one


# -- a whole rehearsal against a real server -----------------------------------------------


class Following:
    """A moderator connection of the reference client that follows the whole run."""

    def __init__(self, url: str, event: str, token: str) -> None:
        self.client = Client(url, event=event, token=token, on_message=self._seen)
        self.moved = asyncio.Event()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def _seen(self, message: dict[str, Any]) -> None:
        if message["type"] in (ServerType.SNAPSHOT, ServerType.UPDATE):
            self.moved.set()

    async def start(self) -> None:
        self.task = asyncio.create_task(self.client.run(stop=self.stop))
        async with asyncio.timeout(20):
            await self.moved.wait()

    async def caught_up_with(self, url: str, event: str, token: str) -> dict[str, Any]:
        """A fresh snapshot, once the follower has reached the same version."""
        async with asyncio.timeout(30):
            while True:
                fresh = Client(url, event=event, token=token)
                await fresh.connect(resume=False)
                await fresh.close()
                while (self.client.state.version or 0) < (fresh.state.version or 0):
                    self.moved.clear()
                    await self.moved.wait()
                if self.client.state.version == fresh.state.version:
                    return fresh.state.snapshot_like()

    async def finish(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task


@pytest.mark.slow
async def test_a_rehearsal_with_the_automatic_moderator(
    redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> None:
    service = Service(Store(redis))
    state = await rehearsal.create_event(service, SMALL)
    plan = make_plan(state, SMALL)
    assert state.event is not None
    event, token = state.event.id, state.event.moderator_token
    day_s = SMALL.start_in_s + SMALL.rounds * (SMALL.meeting_s + SMALL.seating_s)
    lines: list[str] = []
    async with asyncio.timeout(day_s + 120), running_server(redis_server.url) as url:
        following = Following(url, event, token)
        await following.start()
        base = url.replace("ws://", "http://").removesuffix("/ws")
        report = await rehearsal.run_rehearsal(
            base, event, token, plan, mode="auto", say=lines.append, show_progress=False
        )
        fresh = await following.caught_up_with(url, event, token)
        assert following.client.state.snapshot_like() == fresh
        await following.finish()
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as http:
            path = f"/api/events/{event}"
            body = (await http.get(path)).json()
            entries = (await http.get(f"{path}/audit")).json()["entries"]
            stats = (await http.post(f"{path}/commands", json={"name": "stats"})).json()["data"]
    assert lines == []  # nothing went wrong that the runner had to say

    # Every meeting of every (ended) round has exactly one outcome, written once.
    meetings = [m for m in body["meetings"] if m["status"] != "requested"]
    assert meetings
    assert all(m["outcome"] is not None for m in meetings)
    assert entries[0]["version"] == 1  # the log covers the whole run
    writes: Counter[str] = Counter()
    for entry in entries:
        for change in entry["changes"] if entry["actor"] == "timekeeper" else ():
            if change["kind"] == "meeting" and (change["after"] or {}).get("outcome"):
                writes[change["key"]] += 1
    assert writes == Counter({m["id"]: 1 for m in meetings})

    # No alert is left open, and whoever was left waiting got a partner within a minute
    # (or nobody was free when they were left alone).
    alerts = body["alerts"]
    assert not [a for a in alerts if a["status"] == "open"]
    waits = [a for a in alerts if a["kind"] == "needs_partner"]
    seated = [a for a in waits if a["resolution"] == "substituted"]
    assert len(seated) >= 2
    for alert in waits:
        if alert["resolution"] == "substituted":
            assert alert["closed_at_ms"] - alert["reported_at_ms"] <= 60_000, alert
        else:
            assert alert["no_candidates"], alert

    # The kept-meeting rate: the report's, a recount from the outcomes, the server's.
    outcomes = Counter(m["outcome"] for m in meetings)
    due = outcomes["held"] + outcomes["no_show"] + outcomes["substituted"]
    assert due
    assert report.kept_rate == outcomes["held"] / due == stats["kept_rate"]
    assert report.kept_rate_matches
    assert (report.held, report.no_show, report.substituted, report.cancelled) == (
        outcomes["held"], outcomes["no_show"], outcomes["substituted"], outcomes["cancelled"]
    )  # fmt: skip
    assert report.alerts_open == 0 and report.pending == 0 and report.outcomes_written_twice == 0
    # One substitution can seat two people who were both waiting: count the waits.
    assert report.substitute_waits == stats["substitute_waits"] >= len(seated)
    assert report.substitute_wait_median_s == stats["substitute_wait_median_s"]
    assert 0 < report.substitutions <= report.substitute_waits
    assert report.commands_sent > report.commands_refused >= 0
    assert report.walk_in_requests >= report.walk_ins
    checked_in = sum(1 for p in body["participants"] if p["checked_in_at_ms"] is not None)
    assert report.checked_in == checked_in > 0
    assert not plan.no_shows & {p["id"] for p in body["participants"] if p["checked_in_at_ms"]}


# -- the command -------------------------------------------------------------------------


def test_rehearse_refuses_options_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", "--no-show-share", "1.5"]) == 2
    assert "--no-show-share must be between 0 and 1" in capsys.readouterr().err


@pytest.mark.slow
def test_matchboard_rehearse_plays_reports_and_stops(tmp_path: Path) -> None:
    """As an organiser runs it: embedded Redis, the server, the day, the report, exit."""
    data, report = tmp_path / "data", tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHBOARD_")}
    done = subprocess.run(
        [sys.executable, "-m", "server.edge.cli", "rehearse", "--data-dir", str(data),
         "--port", str(free_port()), "--participants", "24", "--rounds", "1",
         "--round-minutes", "0.25", "--seating-seconds", "5", "--start-in-seconds", "1",
         "--report", str(report)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Moderator:" in done.stdout and "Rehearsal report: rehearsal" in done.stdout
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last == json.loads(report.read_text())
    assert last["rounds"][0]["meetings"] > 0
    assert (last["pending"], last["alerts_open"], last["outcomes_written_twice"]) == (0, 0, 0)
    assert last["kept_rate_matches"]
    assert not (data / "redis.sock").exists()  # the embedded Redis stopped with it
