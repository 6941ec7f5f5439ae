"""The automatic moderator of a rehearsal: handles the alert queue as a sensible person.

It watches the event through the follower (the console's view) and acts with the
moderator token over HTTP, one thing at a time and `reaction_s` after an alert calls for
it (a person needs a few seconds to read a card), as one person at a console would:

- "my partner is not here" (missing_partner) while the partner is indeed not here:
  record the no-show at once (`mark_absent`);
- an at_risk alert still open some time after the round started: the same;
- someone waiting for a partner (needs_partner): seat the best substitute, from the
  candidates `mark_absent` offered or from `suggest_substitutes`, trying the next one
  when one is refused and asking again every few seconds while nobody is free;
- a walk-in request from two people without a meeting: create it (`walk_in`).

A refusal is normal here (the state moved on between looking and acting: someone
checked in, a candidate was taken, the round ended): it is counted, the next look at
the state decides what is left to do, and nothing is retried blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Final

from server.core.alerts import present, split_presence
from server.core.model import Alert, AlertKind
from server.core.state import EventState
from server.demo.rehearsal_live import Api, Follower

log = logging.getLogger("matchboard.rehearsal")
CANDIDATES: Final = 5  # how far down the ranked substitutes to try
IDLE_S: Final = 1.0  # look again at least this often, with or without a change


def absent_after_s(meeting_s: int) -> float:
    """How long into a round an at_risk alert is left before calling it a no-show: a
    quarter of the meeting (5 minutes of 20), between 10 s and 3 minutes."""
    return min(180.0, max(10.0, meeting_s / 4))


def retry_s(meeting_s: int) -> float:
    """How often to look for a substitute again while nobody is free."""
    return min(15.0, max(2.0, meeting_s / 20))


@dataclass(frozen=True, slots=True)
class WalkInRequest:
    round: int
    people: tuple[str, str]


class AutoModerator:
    def __init__(self, api: Api, follower: Follower, *, reaction_s: float = 5.0) -> None:
        self.api = api
        self.follower = follower
        self.reaction_ms = round(reaction_s * 1000)
        self.requests: asyncio.Queue[WalkInRequest] = asyncio.Queue()
        self._acted: set[tuple[str, str]] = set()  # (alert, kind) a no-show was recorded for
        self._seated: set[str] = set()  # needs_partner alerts a substitute was seated for
        self._next_look: dict[str, int] = {}  # needs_partner alert -> when to look again
        self._offered: dict[str, list[str]] = {}  # alert -> candidates mark_absent offered

    async def run(self, stop: asyncio.Event) -> None:
        """Handle alerts and requests until `stop` is set; never raises for a refusal."""
        while not stop.is_set():
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end the rehearsal; the log says what
                log.exception("the automatic moderator failed a step; carrying on")
            if self.requests.empty():
                await self.follower.changed(IDLE_S)

    async def step(self) -> None:
        while not self.requests.empty():
            await self._walk_in(self.requests.get_nowait())
        state = self.follower.state()
        now = self.follower.effective_now_ms(state)
        for alert in sorted(state.alerts.values(), key=lambda a: (a.since_ms, a.id)):
            if not alert.is_open:
                continue
            if alert.kind is AlertKind.NEEDS_PARTNER:
                first = alert.since_ms + self.reaction_ms  # e.g. raised by a departure
                if alert.id not in self._seated and now >= self._next_look.get(alert.id, first):
                    await self._seat(alert.id, alert.waiting, alert.round)
            elif self._is_no_show(state, alert, now):
                self._acted.add((alert.id, alert.kind))
                await self._mark_absent(alert)

    def _is_no_show(self, state: EventState, alert: Alert, now_ms: int) -> bool:
        """Whether a sensible moderator would now record the alert's meeting a no-show."""
        meeting = state.meetings.get(alert.meeting)
        rnd = state.rounds.get(alert.round)
        if (alert.id, alert.kind) in self._acted or meeting is None or rnd is None:
            return False
        if not meeting.occupies or not split_presence(state, meeting)[1]:
            return False  # already a no-show, or everyone is here (it closes by itself)
        if alert.kind is AlertKind.MISSING_PARTNER:
            return now_ms >= alert.since_ms + self.reaction_ms
        return now_ms >= rnd.starts_at_ms + absent_after_s(rnd.meeting_s) * 1000

    async def _mark_absent(self, alert: Alert) -> None:
        answer = await self.api.moderate("mark_absent", {"meeting": alert.meeting})
        if answer.ok:
            waiting = [str(p) for p in answer.data.get("waiting", [])]
            if waiting:  # someone is left alone: offer them a partner in the same breath
                offered = answer.data.get("candidates", [])
                self._offered[alert.id] = [str(c["participant"]) for c in offered]
                await self._seat(alert.id, tuple(waiting), alert.round)
        elif answer.code == "invalid_argument" and answer.details.get("arg") == "participant":
            # Each side still has someone (a colleague came): the meeting goes ahead.
            await self.api.moderate("keep_waiting", {"alert": alert.id})
        # Otherwise (person_present, round_over, ...) the state moved on: the next look
        # at it decides what is left to do.

    async def _seat(self, alert_id: str, waiting: tuple[str, ...], rnd: int) -> None:
        """Seat the first waiting person with the best candidate who is still free."""
        state = self.follower.state()
        for pid in waiting:
            if not present(state, pid):
                continue
            candidates = self._offered.pop(alert_id, None) or await self._suggest(pid, rnd)
            for candidate in candidates[:CANDIDATES]:
                args = {"participant": pid, "substitute": candidate, "round": rnd}
                answer = await self.api.moderate("accept_substitute", args)
                if answer.ok or answer.code == "round_over":
                    self._seated.add(alert_id)  # done, or too late to do anything
                    return
        # Nobody free right now: people arrive and partners go missing, so look again.
        meeting_s = state.rounds[rnd].meeting_s if rnd in state.rounds else 60
        later = self.follower.effective_now_ms(state) + round(retry_s(meeting_s) * 1000)
        self._next_look[alert_id] = later

    async def _suggest(self, pid: str, rnd: int) -> list[str]:
        args = {"participant": pid, "round": rnd, "limit": CANDIDATES}
        answer = await self.api.moderate("suggest_substitutes", args)
        with contextlib.suppress(KeyError, TypeError):
            return [str(c["participant"]) for c in answer.data.get("candidates", [])]
        return []

    async def _walk_in(self, request: WalkInRequest) -> None:
        a, b = request.people
        args = {"side_a": [a], "side_b": [b], "round": request.round}
        await self.api.moderate("walk_in", args)  # refused: busy by now, or no free table
