"""Rehearsal mode: an event day played against the real server by simulated people.

    create_event (the rehearsal event, server/demo/rehearsal_plan.py)
    make_plan    (pure: who comes when, who reports, leaves, asks for a walk-in)
    run_rehearsal: the plan's actions at their times, each a real command with the
                   person's own token; the automatic moderator (server/demo/rehearsal_moderator.py)
                   or a person at the console handles the alerts; then the report
                   (server/demo/rehearsal_report.py), computed from the server's records.

Organisers use it to train moderators on a realistic day without real people, and to
check that the live side copes. The plan is deterministic; real timing is not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import orjson
from tqdm import tqdm

from server.core import clock
from server.core.alerts import present
from server.core.model import MeetingStatus
from server.core.state import EventState
from server.demo.rehearsal_live import Api, Follower
from server.demo.rehearsal_moderator import AutoModerator, WalkInRequest
from server.demo.rehearsal_plan import Act, Action, Plan, RehearsalOptions, rehearsal_records
from server.demo.rehearsal_report import Report, build_report, format_report, state_from_snapshot
from server.edge.service import Service, wall_clock_ms

Mode = Literal["auto", "manual"]
Say = Callable[[str], None]
ACTOR: Final = "rehearsal"  # who created the event, in the audit log
# After the last round ends, how long to wait for the timekeeper's outcomes.
FINISH_GRACE_MS: Final = 30_000
MAX_PAUSE_S: Final = 1.0  # the round times may move (pause, extend): look again this often
log = logging.getLogger("matchboard.rehearsal")


async def create_event(service: Service, options: RehearsalOptions) -> EventState:
    """(Re-)create the rehearsal event; round 1's seating begins `start_in_s` from now."""
    first_seating_ms = wall_clock_ms() + round(options.start_in_s * 1000)
    event, records = rehearsal_records(options, first_seating_ms)
    return await service.create_event(event, records, actor=ACTOR, replace=True)


class People:
    """The simulated participants. Each acts when the plan says, if what they would see
    then still calls for it (am I here? is my partner here? are we both free?)."""

    def __init__(self, api: Api, follower: Follower, tokens: dict[str, str],
                 ask_moderator: Callable[[WalkInRequest], None]) -> None:  # fmt: skip
        self.api, self.follower, self.tokens = api, follower, tokens
        self.ask_moderator = ask_moderator

    async def act(self, action: Action) -> None:
        state = self.follower.state()
        pid = action.people[0]
        person = state.participants.get(pid)
        if person is None:
            return
        if action.act is Act.CHECK_IN and not person.checked_in:
            await self.api.command(self.tokens[pid], "check_in", {})
        elif action.act is Act.DEPART and person.present:
            await self.api.command(self.tokens[pid], "depart", {})
        elif action.act is Act.REPORT and (meeting := self._alone_at(state, pid, action.round)):
            await self.api.command(self.tokens[pid], "report_missing_partner", {"meeting": meeting})
        elif action.act is Act.WALK_IN and all(
            present(state, p) and (p, action.round) not in state.seat_of for p in action.people
        ):
            a, b = action.people
            self.api.tally.walk_in_requests += 1
            self.ask_moderator(WalkInRequest(action.round, (a, b)))

    @staticmethod
    def _alone_at(state: EventState, pid: str, rnd: int) -> str | None:
        """`pid`'s meeting in `rnd` if they are at its table and nobody across is."""
        mid = state.seat_of.get((pid, rnd))
        if mid is None or not present(state, pid):
            return None
        meeting = state.meetings[mid]
        if meeting.status is not MeetingStatus.SCHEDULED:
            return None
        return None if any(present(state, p) for p in meeting.partners_of(pid)) else mid


def _finished(state: EventState, now_ms: int) -> bool:
    """Every round over, and every meeting of the ended ones has its outcome."""
    over = (clock.Phase.ENDED, clock.Phase.SKIPPED)
    if any(clock.phase_in(state, r, now_ms) not in over for r in state.rounds.values()):
        return False
    return all(
        m.outcome is not None
        for m in state.meetings.values()
        if m.round in state.rounds
        and not state.rounds[m.round].skipped
        and m.status is not MeetingStatus.REQUESTED
    )


def _status(state: EventState, now_ms: int) -> str:
    if rnd := clock.current_round(state, now_ms):
        where = f"round {rnd.index} {str(clock.phase_in(state, rnd, now_ms)).replace('_', ' ')}"
    elif rnd := clock.upcoming_round(state, now_ms):
        where = f"before round {rnd.index}"
    else:
        where = "day over"
    here = sum(1 for p in state.participants.values() if p.present)
    alerts = sum(1 for a in state.alerts.values() if a.is_open)
    return f"{where} · {here} here · {alerts} alerts open"


async def play(
    api: Api,
    follower: Follower,
    plan: Plan,
    tokens: dict[str, str],
    *,
    moderator: AutoModerator | None,
    say: Say,
    show_progress: bool,
) -> None:
    """Carry out the plan at the live round times until the day is over."""

    def ask(request: WalkInRequest) -> None:
        if moderator is not None:
            moderator.requests.put_nowait(request)
            return
        known = follower.state().participants
        names = " and ".join(f"{known[p].name} ({p})" for p in request.people)
        say(f"Walk-in request, round {request.round}: {names} would like to meet.")

    acting: list[asyncio.Task[None]] = []  # every person's action, to see them all end
    try:
        await _carry_out(People(api, follower, tokens, ask), follower, plan, acting, say,
                         show_progress)  # fmt: skip
    except BaseException:
        for task in acting:  # interrupted: nobody acts any more
            task.cancel()
        raise
    for result in await asyncio.gather(*acting, return_exceptions=True):
        if isinstance(result, Exception):
            log.error("a simulated person failed: %r", result)


async def _carry_out(
    people: People,
    follower: Follower,
    plan: Plan,
    acting: list[asyncio.Task[None]],
    say: Say,
    show_progress: bool,
) -> None:
    pending = list(plan.actions)
    state = follower.state()
    started = follower.effective_now_ms(state)
    last_end = max(r.ends_at_ms for r in state.rounds.values())
    total_s = max(1, round((last_end - started) / 1000))
    # On a terminal only (disable=None); the live status goes where tqdm puts `desc`.
    with tqdm(total=total_s, disable=None if show_progress else True,
              bar_format="Rehearsal {bar} {n:.0f}/{total:.0f} s  {desc}") as bar:  # fmt: skip
        while True:
            state = follower.state()
            now = follower.effective_now_ms(state)
            is_due = [a.due_ms(state.rounds[a.round]) <= now for a in pending]
            due = [a for a, yes in zip(pending, is_due, strict=True) if yes]
            pending = [a for a, yes in zip(pending, is_due, strict=True) if not yes]
            acting.extend(asyncio.create_task(people.act(action)) for action in due)
            bar.n = min(total_s, max(0, round((now - started) / 1000)))
            bar.set_description_str(_status(state, now))
            last_end = max(r.ends_at_ms for r in state.rounds.values())
            if _finished(state, now):
                break  # what is still pending comes after the day (a very late arrival)
            if now > last_end + FINISH_GRACE_MS:
                say("The last round ended but not every outcome is recorded; reporting anyway.")
                break
            upcoming = min((a.due_ms(state.rounds[a.round]) for a in pending), default=now + 1000)
            await asyncio.sleep(min(MAX_PAUSE_S, max(0.02, (upcoming - now) / 1000)))
        bar.n = total_s
        bar.refresh()


async def run_rehearsal(
    base_url: str,
    event_id: str,
    moderator_token: str,
    plan: Plan,
    *,
    mode: Mode = "auto",
    reaction_s: float = 5.0,
    say: Say = print,
    show_progress: bool = True,
) -> Report:
    """Play `plan` against the server at `base_url` (http://host:port) and report."""
    api = Api(base_url, event_id, moderator_token)
    body = await api.read()  # a moderator's view has every participant's token
    tokens = {str(p["id"]): str(p["token"]) for p in body["participants"]}
    follower = Follower(base_url, event_id, moderator_token)
    await follower.start()
    stop = asyncio.Event()
    moderator = AutoModerator(api, follower, reaction_s=reaction_s) if mode == "auto" else None
    policy = asyncio.create_task(moderator.run(stop)) if moderator else None
    try:
        await play(api, follower, plan, tokens, moderator=moderator, say=say,
                   show_progress=show_progress)  # fmt: skip
    finally:
        stop.set()
        if policy is not None:
            await policy
        await follower.stop()
    return await collect_report(api, plan.seed)


async def collect_report(api: Api, seed: int) -> Report:
    """The report from the server's records (state, stats, audit log)."""
    # As it stands now: the reads below are not part of the rehearsal.
    tally = dataclasses.replace(
        api.tally, sent=Counter(api.tally.sent), refused=Counter(api.tally.refused)
    )
    body = await api.read()
    data = {k: v for k, v in body.items() if k not in ("ok", "epoch", "version")}
    state = state_from_snapshot(data, str(body["epoch"]), int(body["version"]))
    stats = (await api.moderate("stats")).data
    entries: list[dict[str, Any]] = (await api.read("/audit"))["entries"]
    return build_report(state, stats, entries, tally, seed=seed, now_ms=wall_clock_ms())


def present_report(report: Report, say: Say, path: Path | None = None) -> None:
    """The report as a table, then as one JSON line (and into `path`, if given)."""
    plain = orjson.dumps(report.to_plain()).decode()
    say("\n" + format_report(report) + "\n")
    say(plain)
    if path is not None:
        path.write_text(plain + "\n", encoding="utf-8")
