"""Moderator commands on the event clock: pause, resume, start now, extend, delay, end
early, skip. Pure: each is (state, now_ms, args) -> Change of Round/Break/Clock upserts; it
never mutates the state and never reads a clock. Errors are typed (server/core/errors.py) and
name the rounds and times involved, as HH:MM in the event's timezone.

What they keep true:
- within a day, each round not skipped seats no earlier than the round before it ends;
- a round that has started never becomes "not started" again, an ended one never restarts;
- skipped rounds never move: they hold no meetings and nothing waits for them;
- the day is the unit of the schedule: extend, delay and resume move only rounds and
  breaks of the current day (the day of the current, else the next, round).
While the clock is paused only `resume` and skipping a round yet to start are allowed.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.core.clock import (
    STARTED_PHASES,
    Phase,
    current_day,
    day_rounds,
    phase_in,
    rounds_in_order,
)
from server.core.errors import (
    AlreadyPaused,
    ClockPaused,
    InvalidArgument,
    NoCurrentRound,
    NotPaused,
    RoundOver,
    RoundRunning,
    ScheduleConflict,
    UnknownRound,
)
from server.core.model import MINUTE_MS, Break, Clock, MeetingStatus, Record, Round
from server.core.state import Change, EventState


def hhmm(state: EventState, at_ms: int) -> str:
    """`at_ms` as HH:MM in the event's timezone (UTC when unknown)."""
    tz: tzinfo = UTC
    if state.event is not None:
        with contextlib.suppress(ValueError, ZoneInfoNotFoundError):
            tz = ZoneInfo(state.event.timezone)
    return datetime.fromtimestamp(at_ms / 1000, tz).strftime("%H:%M")


def _shifted(rnd: Round, by_ms: int) -> Round:
    return dataclasses.replace(rnd, starts_at_ms=rnd.starts_at_ms + by_ms)


def _shifted_break(brk: Break, by_ms: int) -> Break:
    return dataclasses.replace(
        brk, starts_at_ms=brk.starts_at_ms + by_ms, ends_at_ms=brk.ends_at_ms + by_ms
    )


def _day_breaks(state: EventState, day: int) -> list[Break]:
    return sorted(
        (b for b in state.breaks.values() if b.day == day), key=lambda b: (b.starts_at_ms, b.id)
    )


def _require_running_clock(state: EventState) -> None:
    paused_at = state.clock.paused_at_ms
    if paused_at is not None:
        raise ClockPaused(
            f"the clock is paused (since {hhmm(state, paused_at)}): resume it first",
            paused_at_ms=paused_at,
        )


def _check_minutes(minutes: int, low: int, high: int, *, zero_ok: bool = True) -> None:
    if not low <= minutes <= high or (minutes == 0 and not zero_ok):
        nonzero = ", and not 0" if not zero_ok else ""
        raise InvalidArgument(
            f"minutes must be between {low} and {high}{nonzero}; got {minutes}", arg="minutes"
        )


def _started_round(state: EventState, now_ms: int) -> Round:
    """The round whose meetings are under way, or NoCurrentRound naming what comes next."""
    for rnd in rounds_in_order(state):
        if phase_in(state, rnd, now_ms) in STARTED_PHASES:
            return rnd
    message = f"no round is running at {hhmm(state, now_ms)}"
    for rnd in rounds_in_order(state):
        if phase_in(state, rnd, now_ms) in (Phase.UPCOMING, Phase.SEATING):
            message += f"; round {rnd.index} starts at {hhmm(state, rnd.starts_at_ms)}"
            break
    raise NoCurrentRound(message)


def pause(state: EventState, now_ms: int) -> Change:
    paused_at = state.clock.paused_at_ms
    if paused_at is not None:
        raise AlreadyPaused(
            f"the clock is already paused since {hhmm(state, paused_at)}", paused_at_ms=paused_at
        )
    return Change(upserts=(Clock(paused_at_ms=now_ms),))


def resume(state: EventState, now_ms: int) -> Change:
    """Every round and break of the current day not over at the pause moves on by the
    length of the pause, so a running round keeps exactly the time it had left."""
    paused_at = state.clock.paused_at_ms
    if paused_at is None:
        raise NotPaused("the clock is not paused")
    shift = max(0, now_ms - paused_at)
    day = current_day(state, now_ms)  # at the pause moment: the clock is still paused
    upserts: list[Record] = []
    if shift and day is not None:
        upserts += [_shifted(r, shift) for r in day_rounds(state, day) if r.ends_at_ms > paused_at]
        upserts += [
            _shifted_break(b, shift) for b in _day_breaks(state, day) if b.ends_at_ms > paused_at
        ]
    upserts.append(Clock())
    return Change(upserts=tuple(upserts))


def start_next_round_now(state: EventState, now_ms: int) -> Change:
    """The next round starts now: its seating is cut short (or skipped when it had not
    begun), a break in progress ends now, and the rounds after it stay where they are."""
    _require_running_clock(state)
    upcoming: Round | None = None
    for rnd in rounds_in_order(state):
        phase = phase_in(state, rnd, now_ms)
        if phase in STARTED_PHASES:
            raise RoundRunning(
                f"round {rnd.index} is still running until {hhmm(state, rnd.ends_at_ms)}",
                round=rnd.index,
            )
        if upcoming is None and phase in (Phase.UPCOMING, Phase.SEATING):
            upcoming = rnd
    if upcoming is None:
        raise NoCurrentRound(f"no round is left to start after {hhmm(state, now_ms)}")
    seated_s = max(0, (now_ms - upcoming.seating_at_ms) // 1000)
    started = dataclasses.replace(
        upcoming, starts_at_ms=now_ms, changeover_s=min(seated_s, upcoming.changeover_s)
    )
    cut = [
        dataclasses.replace(b, ends_at_ms=now_ms)
        for b in state.breaks.values()
        if b.starts_at_ms <= now_ms < b.ends_at_ms
    ]
    return Change(upserts=(started, *cut))


def extend_round(state: EventState, now_ms: int, minutes: int) -> Change:
    """The running round gets `minutes` more; the rounds after it that day move on as far
    as they would overlap, and a break in between shrinks before anything moves."""
    _require_running_clock(state)
    _check_minutes(minutes, 1, 60)
    rnd = _started_round(state, now_ms)
    old_end = rnd.ends_at_ms
    moved: dict[int, Round] = {
        rnd.index: dataclasses.replace(rnd, meeting_s=rnd.meeting_s + minutes * 60)
    }
    later = [r for r in day_rounds(state, rnd.day) if r.index > rnd.index]
    shifts: dict[int, int] = {}
    prev_end = moved[rnd.index].ends_at_ms
    for r in later:
        overlap = prev_end - r.seating_at_ms
        if overlap <= 0:
            break
        shifts[r.index] = overlap
        moved[r.index] = _shifted(r, overlap)
        prev_end = moved[r.index].ends_at_ms
    breaks: list[Break] = []
    for brk in _day_breaks(state, rnd.day):
        if brk.starts_at_ms < old_end:
            continue
        following = next((r for r in later if r.starts_at_ms >= brk.starts_at_ms), None)
        shift = 0 if following is None else shifts.get(following.index, 0)
        before = [r for r in (rnd, *later) if r.starts_at_ms < brk.starts_at_ms][-1]
        starts = max(brk.starts_at_ms + shift, moved.get(before.index, before).ends_at_ms)
        ends = max(brk.ends_at_ms + shift, starts)
        if (starts, ends) != (brk.starts_at_ms, brk.ends_at_ms):
            breaks.append(dataclasses.replace(brk, starts_at_ms=starts, ends_at_ms=ends))
    return Change(upserts=(*moved.values(), *breaks))


def delay_remaining(state: EventState, now_ms: int, minutes: int) -> Change:
    """Every round of the current day not started yet moves by `minutes` (earlier when
    negative), with the breaks not started; a break in progress ends that much later."""
    _require_running_clock(state)
    _check_minutes(minutes, -30, 120, zero_ok=False)
    day = current_day(state, now_ms)
    if day is None:
        raise NoCurrentRound(f"no round is left to delay after {hhmm(state, now_ms)}")
    shift = minutes * MINUTE_MS
    rounds: list[Round] = []
    prev: Round | None = None
    for rnd in day_rounds(state, day):
        if rnd.starts_at_ms <= now_ms:
            prev = rnd
            continue
        new = _shifted(rnd, shift)
        if shift < 0:
            _check_earlier(state, now_ms, rnd, new, prev, -minutes)
        rounds.append(new)
        prev = new
    if not rounds:
        raise NoCurrentRound(
            f"no round of day {day} is left to delay after {hhmm(state, now_ms)}", day=day
        )
    breaks: list[Break] = []
    for brk in _day_breaks(state, day):
        if brk.starts_at_ms > now_ms:
            breaks.append(_shifted_break(brk, shift))
        elif now_ms < brk.ends_at_ms:
            breaks.append(dataclasses.replace(brk, ends_at_ms=max(now_ms, brk.ends_at_ms + shift)))
    return Change(upserts=(*rounds, *breaks))


def _check_earlier(
    state: EventState, now_ms: int, old: Round, new: Round, prev: Round | None, minutes: int
) -> None:
    what = f"moving round {old.index} {minutes} minutes earlier"
    if old.seating_at_ms > now_ms and new.seating_at_ms < now_ms:
        raise ScheduleConflict(
            f"{what} would start its seating at {hhmm(state, new.seating_at_ms)}, "
            f"which is already past (now {hhmm(state, now_ms)})",
            round=old.index,
        )
    if new.starts_at_ms <= now_ms:
        raise ScheduleConflict(
            f"{what} would start it at {hhmm(state, new.starts_at_ms)}, which is already "
            f"past (now {hhmm(state, now_ms)}); start it now instead",
            round=old.index,
        )
    if prev is not None and new.seating_at_ms < prev.ends_at_ms:
        raise ScheduleConflict(
            f"{what} would start its seating at {hhmm(state, new.seating_at_ms)}, "
            f"before round {prev.index} ends at {hhmm(state, prev.ends_at_ms)}",
            round=old.index,
        )


def end_round_early(state: EventState, now_ms: int) -> Change:
    """The running round ends now (to the second)."""
    _require_running_clock(state)
    rnd = _started_round(state, now_ms)
    meeting_s = max(0, (now_ms - rnd.starts_at_ms) // 1000)
    return Change(upserts=(dataclasses.replace(rnd, meeting_s=meeting_s),))


def skip_round(state: EventState, now_ms: int, index: int) -> Change:
    """The round is skipped: it holds no meetings and shows as skipped. Only a round yet to
    start (upcoming or seating) can be skipped; skipping it again changes nothing."""
    rnd = state.rounds.get(index)
    if rnd is None:
        raise UnknownRound(f"round {index} does not exist", round=index)
    if rnd.skipped:
        return Change()
    phase = phase_in(state, rnd, now_ms)
    if phase in STARTED_PHASES:
        raise RoundOver(
            f"round {index} already started at {hhmm(state, rnd.starts_at_ms)}", round=index
        )
    if phase is Phase.ENDED:
        raise RoundOver(
            f"round {index} already ended at {hhmm(state, rnd.ends_at_ms)}", round=index
        )
    # Its meetings will not happen: cancel them (moderators can move them first; see
    # suggest_rounds), so that nobody is sent to a table in a round that is not held.
    cancelled = tuple(
        dataclasses.replace(m, status=MeetingStatus.CANCELLED, note="round skipped")
        for mid in sorted(state.meetings_in_round.get(index, ()))
        if (m := state.meetings[mid]).status is MeetingStatus.SCHEDULED
    )
    return Change(upserts=(dataclasses.replace(rnd, skipped=True), *cancelled))
