"""Who could replace a missing partner in a round: the eligible people, ranked by fit.

Pure: no I/O, no clock. A moderator asks for someone left alone (absent or departed
partner, or simply a free round) and gets a short list of `Candidate`s with reasons.

Eligible: checked in and not departed; available in the round; free in the round (see
`free_in_round`); not the person themself; not one of the people known to be missing in
the round (`absent`, plus the partners of the person's own no-show meeting in the round);
never met before (no SCHEDULED or HELD meeting together, in any round); not from the same
organisation (trimmed, case-insensitive; an empty organisation matches nobody).

Score: +2 per shared interest tag (case-insensitive), +1 for a different country (when
both are known), +1.5 when the candidate is also waiting alone (partner absent or departed,
or their meeting in the round was marked a no-show), and up to +0.5 for having had fewer
meetings earlier that day. Ties go by name, then id.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Final

from server.errors import UnknownParticipant, UnknownRound
from server.model import ACTIVE_STATUSES, Meeting, MeetingStatus, Participant
from server.state import EventState

TAG_WEIGHT: Final = 2.0
COUNTRY_WEIGHT: Final = 1.0
WAITING_WEIGHT: Final = 1.5
FEWER_MEETINGS_WEIGHT: Final = 0.5  # scaled by the share of the day's earlier rounds free


@dataclass(frozen=True, slots=True)
class Candidate:
    participant: str  # id
    score: float  # higher is better
    reasons: tuple[str, ...]  # short and human, e.g. "shares automotive, hydrogen"


def _fold(text: str) -> str:
    return text.strip().casefold()


def _partners_gone(state: EventState, meeting: Meeting, pid: str, absent: frozenset[str]) -> bool:
    """Whether everyone on the other side of `pid`'s meeting is absent or has departed."""
    partners = meeting.partners_of(pid)
    if not partners:
        return False
    for other in partners:
        if other in absent:
            continue
        person = state.participants.get(other)
        if person is None or person.departed_at_ms is None:
            return False
    return True


def free_in_round(
    state: EventState, pid: str, rnd: int, *, absent: frozenset[str] = frozenset()
) -> bool:
    """True when `pid` holds no occupying meeting in round `rnd` (none at all, or only
    no-show / cancelled ones), or everyone across the table from them is absent (departed,
    or in `absent`: people known to be missing in that round)."""
    mid = state.seat_of.get((pid, rnd))
    if mid is None:
        return True
    meeting = state.meetings[mid]
    if meeting.status not in ACTIVE_STATUSES:
        return True
    return _partners_gone(state, meeting, pid, absent)


def rank_substitutes(
    state: EventState,
    participant: str,
    rnd: int,
    *,
    absent: frozenset[str] = frozenset(),
    limit: int = 5,
) -> list[Candidate]:
    """The best `limit` replacement partners for `participant` in round `rnd`, best first.

    Raises `UnknownParticipant` / `UnknownRound` when either does not exist."""
    me = state.participants.get(participant)
    if me is None:
        raise UnknownParticipant(
            f"cannot look for substitutes: there is no participant {participant!r}",
            participant=participant,
        )
    the_round = state.rounds.get(rnd)
    if the_round is None:
        raise UnknownRound(
            f"cannot look for substitutes for {me.name}: there is no round {rnd}", round=rnd
        )
    if limit <= 0:
        return []

    met: set[str] = set()
    missing = set(absent)
    for mid in state.meetings_of.get(participant, ()):
        m = state.meetings[mid]
        if m.status in ACTIVE_STATUSES:
            met.update(m.partners_of(participant))
        elif m.status is MeetingStatus.NO_SHOW and m.round == rnd:
            missing.update(m.partners_of(participant))  # my no-show partner is not coming
    gone = frozenset(missing)
    no_show: set[str] = set()
    for mid in state.meetings_in_round.get(rnd, ()):
        m = state.meetings[mid]
        if m.status is MeetingStatus.NO_SHOW:
            no_show.update(m.people)
    my_org = _fold(me.organisation)
    my_country = _fold(me.country)
    my_tags = {_fold(t) for t in me.tags if t.strip()}
    folded: dict[str, str] = {}  # tag or country as written -> folded, per call
    seat_of = state.seat_of

    # Pass 1: every eligible person with the score before the small "fewer meetings" part.
    found: list[_Found] = []
    for person in state.participants.values():
        pid = person.id
        if person.checked_in_at_ms is None or person.departed_at_ms is not None:
            continue
        if pid == participant or pid in gone or pid in met:
            continue
        if rnd in person.unavailable_rounds or (
            person.available_windows and not person.is_available(the_round)
        ):
            continue
        seat = seat_of.get((pid, rnd))
        if seat is None:
            waiting = pid in no_show
        elif _partners_gone(state, state.meetings[seat], pid, gone):
            waiting = True
        else:
            continue
        org = person.organisation
        if my_org and (org == me.organisation or org.strip().casefold() == my_org):
            continue
        shared: set[str] = set()
        if my_tags:
            for tag in person.tags:
                key = folded.get(tag)
                if key is None:
                    key = folded[tag] = _fold(tag)
                if key in my_tags:
                    shared.add(key)
        country = folded.get(person.country)
        if country is None:
            country = folded[person.country] = _fold(person.country)
        foreign = bool(my_country and country and country != my_country)
        base = (
            TAG_WEIGHT * len(shared)
            + (COUNTRY_WEIGHT if foreign else 0.0)
            + (WAITING_WEIGHT if waiting else 0.0)
        )
        found.append(_Found(base, person, waiting, foreign))
    if not found:
        return []

    # Pass 2: only those whose full score can still reach the top `limit`.
    cutoff = heapq.nlargest(limit, (f.base for f in found))[-1] - FEWER_MEETINGS_WEIGHT
    earlier = [r.index for r in state.rounds.values() if r.day == the_round.day and r.index < rnd]
    ranked: list[tuple[tuple[float, str, str, str], _Found, int]] = []
    for f in found:
        if f.base < cutoff:
            continue
        count = sum(1 for r in earlier if (f.person.id, r) in seat_of)
        fewer = (len(earlier) - count) / len(earlier) if earlier else 1.0
        score = round(f.base + FEWER_MEETINGS_WEIGHT * fewer, 4)
        name = f.person.name
        ranked.append(((-score, name.casefold(), name, f.person.id), f, count))
    ranked.sort(key=lambda item: item[0])
    return [_candidate(f, -key[0], count, my_tags) for key, f, count in ranked[:limit]]


@dataclass(slots=True)
class _Found:
    base: float
    person: Participant
    waiting: bool
    foreign: bool


def _candidate(f: _Found, score: float, count: int, my_tags: set[str]) -> Candidate:
    person = f.person
    reasons: list[str] = []
    shared: dict[str, str] = {}
    for tag in person.tags:
        if (key := _fold(tag)) in my_tags:
            shared.setdefault(key, tag.strip())
    if shared:
        reasons.append("shares " + ", ".join(shared.values()))
    if f.foreign:
        reasons.append(f"from {person.country.strip().upper()} (different country)")
    reasons.append("also waiting (partner absent)" if f.waiting else "free this round")
    reasons.append(f"{count} meeting{'' if count == 1 else 's'} so far today")
    return Candidate(participant=person.id, score=score, reasons=tuple(reasons))
