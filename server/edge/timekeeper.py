"""Records each phase boundary (seating, start, warning, end of a round) exactly once.

Every server process runs a timekeeper for every event. When boundaries are due, each
process proposes the same change: the missing `Bell` records, plus, at a round's
seating, an `at_risk` alert for each meeting with someone who has not checked in, and,
once a round has ended, every meeting's outcome and the round's open alerts expired. The
versioned commit lets one of them win; the others re-decide against the new state, find
the bells there and commit nothing. No process is special, so losing one never stops
the clock, and a process that starts late records what is missing (up to CATCH_UP_MS).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from server.core import clock
from server.core.alerts import raise_alert, split_presence
from server.core.attendance import accept_substitute
from server.core.command_args import Args
from server.core.errors import EventNotFound, MatchboardError, Unavailable
from server.core.model import Alert, AlertKind, Announcement, Bell, MeetingStatus, Record
from server.core.outcomes import round_end_outcomes
from server.core.state import Change, EventState
from server.core.substitutes import rank_substitutes
from server.core.views import Audience
from server.edge.faults import Outage
from server.edge.service import Service
from server.edge.tasks import stop_tasks
from server.wire.protocol import Role

log = logging.getLogger("matchboard.timekeeper")
# Bells this far in the past are still recorded (a restart, a paused process); older
# ones are history: nobody wants a start bell an hour late.
CATCH_UP_MS: Final = 10 * 60_000
# Round times can be moved by moderators at any moment, so the next boundary is looked
# up again at least this often.
MAX_SLEEP_S: Final = 1.0
EVENTS_REFRESH_S: Final = 10.0
TIMEKEEPER: Final = Audience(Role.MODERATOR)  # acts with a moderator's rights


def bell_id(boundary: clock.Boundary) -> str:
    return f"{boundary.round}-{boundary.cue}"


def housekeeping(state: EventState, now_ms: int) -> Change:
    """Everything that happens because time passed: bells (and seating-time alerts),
    expired announcements taken down, and, if the event wants it, one automatic
    substitute per call for a meeting still missing someone after the grace period."""
    bells = record_bells(state, now_ms)
    # A round that ended by its seating (a late process catching up, a round ended early)
    # has the alerts raised at its seating expired in this same change, in their place.
    raised = {r.id: r for r in bells.upserts if isinstance(r, Alert)}
    outcomes = round_end_outcomes(state, now_ms, raised)
    closed = {r.id: r for r in outcomes.upserts if isinstance(r, Alert) and r.id in raised}
    upserts = tuple(closed.get(r.id, r) if isinstance(r, Alert) else r for r in bells.upserts)
    upserts += tuple(r for r in outcomes.upserts if not (isinstance(r, Alert) and r.id in closed))
    expired = tuple(
        (Announcement.KIND, a.id) for a in state.announcements.values() if not a.is_active(now_ms)
    )
    change = Change(upserts=upserts, deletes=expired)
    if change:
        return change
    return auto_substitute(state, now_ms)


def auto_substitute(state: EventState, now_ms: int) -> Change:
    """One substitute seated by itself: first for someone known to be waiting (a
    needs_partner alert), then for a meeting still missing someone after the grace time."""
    settings = state.event.settings if state.event else None
    if settings is None or not settings.auto_substitute:
        return Change()
    rnd = clock.current_round(state, now_ms)
    if rnd is None:
        return Change()
    for alert in sorted(state.alerts.values(), key=lambda a: (a.since_ms, a.id)):
        if alert.is_open and alert.kind is AlertKind.NEEDS_PARTNER and alert.round == rnd.index:
            meeting = state.meetings.get(alert.meeting)
            absent = frozenset(meeting.absent if meeting else ())
            for pid in alert.waiting:
                if not state.participants[pid].present:
                    continue
                seated = _seat_best(state, pid, rnd.index, absent, now_ms)
                if seated:
                    return seated
    if now_ms < rnd.starts_at_ms + settings.substitute_grace_s * 1000:
        return Change()
    for mid in sorted(state.meetings_in_round.get(rnd.index, ())):
        meeting = state.meetings[mid]
        if meeting.status is not MeetingStatus.SCHEDULED or not meeting.occupies:
            continue
        missing = [p for p in meeting.people if not state.participants[p].present]
        here = [p for p in meeting.people if state.participants[p].present]
        if not missing or not here:
            continue
        seated = _seat_best(state, here[0], rnd.index, frozenset(missing), now_ms)
        if seated:
            return seated
    return Change()


def _seat_best(
    state: EventState, pid: str, rnd: int, absent: frozenset[str], now_ms: int
) -> Change:
    """`pid` seated with the best-ranked substitute; no change when there is none (or the
    rules refuse it: the next tick looks again)."""
    for candidate in rank_substitutes(state, pid, rnd, absent=absent, limit=3):
        args = Args({"participant": pid, "substitute": candidate.participant, "round": rnd})
        try:
            return accept_substitute(state, args, TIMEKEEPER, now_ms)
        except MatchboardError:
            continue
    return Change()


def record_bells(state: EventState, now_ms: int) -> Change:
    """The bells due by now that are not recorded yet, and the seating-time alerts."""
    upserts: list[Record] = []
    for boundary in clock.due(state, now_ms - CATCH_UP_MS, now_ms):
        bid = bell_id(boundary)
        if bid in state.bells:
            continue
        upserts.append(Bell(bid, boundary.round, boundary.cue, boundary.at_ms, now_ms))
        if boundary.cue is clock.Cue.SEATING:
            upserts.extend(at_risk_alerts(state, boundary.round, now_ms))
    return Change(upserts=tuple(upserts))


def at_risk_alerts(state: EventState, rnd: int, now_ms: int) -> list[Alert]:
    """At seating: an alert for each meeting with someone not checked in."""
    out = []
    for mid in sorted(state.meetings_in_round.get(rnd, ())):
        meeting = state.meetings[mid]
        if meeting.status is not MeetingStatus.SCHEDULED or not meeting.occupies:
            continue
        if split_presence(state, meeting)[1]:
            alert = raise_alert(state, meeting, AlertKind.AT_RISK, now_ms)
            if alert is not None:
                out.append(alert)
    return out


class Timekeeper:
    def __init__(self, service: Service, *, clock_ms: Callable[[], int] | None = None) -> None:
        self.service = service
        self.clock_ms = clock_ms or service.clock  # the service's clock unless a test's
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._watcher = asyncio.create_task(self._watch_events(), name="timekeeper")

    async def stop(self) -> None:
        tasks = [*self.tasks.values(), *([self._watcher] if self._watcher else [])]
        await stop_tasks(tasks, "timekeeper")

    async def _watch_events(self) -> None:
        outage = Outage(log, "timekeeper: listing events")
        while True:
            try:
                for event_id in await self.service.store.event_ids():
                    if event_id not in self.tasks:
                        self._start_keeping(event_id)
                outage.ok()
            except Unavailable as exc:
                outage.failed(exc)
            except Exception:
                log.exception("listing events failed")
            await asyncio.sleep(EVENTS_REFRESH_S)

    def _start_keeping(self, event_id: str) -> None:
        task = asyncio.create_task(self.keep(event_id), name=f"timekeeper:{event_id}")
        self.tasks[event_id] = task

        def ended(_task: asyncio.Task[None]) -> None:
            # The event was deleted: no entry left behind for it (a later listing of the
            # same id starts a new task).
            if self.tasks.get(event_id) is task:
                del self.tasks[event_id]

        task.add_done_callback(ended)

    async def tick(self, event_id: str) -> float:
        """Record what is due; how long to wait before looking again (seconds)."""
        now = self.clock_ms()
        await self.service.execute(
            event_id, "housekeeping", lambda s: housekeeping(s, self.clock_ms()), actor="timekeeper"
        )
        state = self.service.replica(event_id)  # execute just brought it up to date
        upcoming = clock.next_boundary_ms(state, now)
        if upcoming is None:
            return MAX_SLEEP_S
        return max(0.0, min(MAX_SLEEP_S, (upcoming - self.clock_ms()) / 1000))

    async def keep(self, event_id: str) -> None:
        outage = Outage(log, f"event {event_id}: timekeeping")
        while True:
            try:
                delay = await self.tick(event_id)
                outage.ok()
                await asyncio.sleep(delay)
            except EventNotFound:
                return
            except asyncio.CancelledError:
                raise
            except Unavailable as exc:  # Redis down or loading: no traceback, just wait
                outage.failed(exc)
                await asyncio.sleep(MAX_SLEEP_S)
            except Exception:
                log.exception("timekeeping for %s failed; retrying", event_id)
                await asyncio.sleep(MAX_SLEEP_S)
