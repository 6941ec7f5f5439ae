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
meetings earlier that day. Ties go by name (accents and case aside), then id.
"""

from __future__ import annotations

import heapq
import unicodedata
from dataclasses import dataclass
from typing import Final

from server.core.errors import UnknownParticipant, UnknownRound
from server.core.model import ACTIVE_STATUSES, Meeting, MeetingStatus, Participant
from server.core.state import EventState

TAG_WEIGHT: Final = 2.0
COUNTRY_WEIGHT: Final = 1.0
WAITING_WEIGHT: Final = 1.5
FEWER_MEETINGS_WEIGHT: Final = 0.5  # scaled by the share of the day's earlier rounds free
_NO_ACCENTS: Final = dict.fromkeys(range(0x300, 0x370))  # combining diacritical marks


@dataclass(frozen=True, slots=True)
class Candidate:
    participant: str  # id
    score: float  # higher is better
    reasons: tuple[str, ...]  # short and human, e.g. "shares automotive, hydrogen"


def _fold(text: str) -> str:
    return text.strip().casefold()


def _collation_key(name: str) -> str:
    """Accents and case set aside, so "Jānis" sorts before "Jonas"."""
    if name.isascii():
        return name.casefold()
    return unicodedata.normalize("NFKD", name).translate(_NO_ACCENTS).casefold()


def _partners_gone(state: EventState, meeting: Meeting, pid: str, absent: frozenset[str]) -> bool:
    """Whether everyone on the other side of `pid`'s meeting is absent or has departed."""
    partners, people = meeting.partners_of(pid), state.participants
    return bool(partners) and all(
        other in absent or ((p := people.get(other)) is not None and p.departed_at_ms is not None)
        for other in partners
    )


def free_in_round(
    state: EventState, pid: str, rnd: int, *, absent: frozenset[str] = frozenset()
) -> bool:
    """True when `pid` holds no seat in round `rnd` (no meeting, or only no-show /
    cancelled ones: `seat_of` indexes occupying meetings only), or everyone across the
    table from them is absent (departed, or in `absent`: people known to be missing in
    that round)."""
    seat = state.seat_of.get((pid, rnd))
    return seat is None or _partners_gone(state, state.meetings[seat], pid, absent)


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

    met, gone = _met_and_missing(state, participant, rnd, absent)
    no_show: set[str] = set()  # people whose meeting in the round was marked a no-show
    for mid in state.meetings_in_round.get(rnd, ()):
        if (m := state.meetings[mid]).status is MeetingStatus.NO_SHOW:
            no_show.update(m.people)
    my_org = _fold(me.organisation)
    my_country = _fold(me.country)
    my_tags = {_fold(t) for t in me.tags if t.strip()}
    folded: dict[str, str] = {}  # tag or country as written -> folded, per call
    seat_of = state.seat_of

    # Pass 1: every eligible person, scored without the small "fewer meetings" part. Kept
    # in flat lists (no object per person) to stay cheap for the garbage collector.
    bases: list[float] = []
    people: list[Participant] = []
    waiting: set[str] = set()
    foreign: set[str] = set()
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
        if not free_in_round(state, pid, rnd, absent=gone):
            continue
        org = person.organisation
        if my_org and (org == me.organisation or org.strip().casefold() == my_org):
            continue
        base = 0.0
        if (pid, rnd) in seat_of or pid in no_show:  # free, yet seated: partner gone
            waiting.add(pid)
            base += WAITING_WEIGHT
        if my_tags:
            shared = 0
            for tag in person.tags:
                key = folded.get(tag)
                if key is None:
                    key = folded[tag] = _fold(tag)
                shared += key in my_tags
            if shared > 1:  # a tag given twice counts once
                shared = len(my_tags.intersection(folded[t] for t in person.tags))
            base += TAG_WEIGHT * shared
        country = folded.get(person.country)
        if country is None:
            country = folded[person.country] = _fold(person.country)
        if my_country and country and country != my_country:
            foreign.add(pid)
            base += COUNTRY_WEIGHT
        bases.append(base)
        people.append(person)
    if not people:
        return []

    # Pass 2: add "fewer meetings" for those who can still reach the top `limit`.
    cutoff = heapq.nlargest(limit, bases)[-1] - FEWER_MEETINGS_WEIGHT
    hopeful = [i for i, base in enumerate(bases) if base >= cutoff]
    earlier = [r.index for r in state.rounds.values() if r.day == the_round.day and r.index < rnd]
    counts = _meetings_so_far(state, earlier, [people[i].id for i in hopeful])
    scores: dict[int, float] = {}
    for i in hopeful:
        fewer = 1.0 - counts.get(people[i].id, 0) / len(earlier) if earlier else 1.0
        scores[i] = round(bases[i] + FEWER_MEETINGS_WEIGHT * fewer, 4)

    def order(i: int) -> tuple[float, str, str, str]:
        name = people[i].name
        return (-scores[i], _collation_key(name), name, people[i].id)

    return [
        _candidate(people[i], scores[i], counts.get(people[i].id, 0), my_tags, waiting, foreign)
        for i in heapq.nsmallest(limit, scores, key=order)
    ]


def _met_and_missing(
    state: EventState, participant: str, rnd: int, absent: frozenset[str]
) -> tuple[set[str], frozenset[str]]:
    """Whom `participant` has met (SCHEDULED or HELD, any round), and who is known to be
    missing in `rnd`: `absent` plus the partners of the participant's no-show there."""
    met: set[str] = set()
    missing = set(absent)
    for mid in state.meetings_of.get(participant, ()):
        m = state.meetings[mid]
        if m.status in ACTIVE_STATUSES:
            met.update(m.partners_of(participant))
        elif m.status is MeetingStatus.NO_SHOW and m.round == rnd:
            missing.update(m.partners_of(participant))
    return met, frozenset(missing)


def _meetings_so_far(state: EventState, earlier: list[int], pids: list[str]) -> dict[str, int]:
    """Seated meetings in the `earlier` rounds per person of `pids` (people with none may
    be left out): a lookup per person and round, or one pass over those rounds if cheaper."""
    seat_of = state.seat_of
    per_round = [state.meetings_in_round.get(r, set()) for r in earlier]
    if len(pids) * len(earlier) <= sum(map(len, per_round)):
        return {pid: sum((pid, r) in seat_of for r in earlier) for pid in pids}
    out: dict[str, int] = {}
    for mids in per_round:
        for mid in mids:
            if (m := state.meetings[mid]).occupies:
                for pid in m.people:
                    out[pid] = out.get(pid, 0) + 1
    return out


def _candidate(
    person: Participant,
    score: float,
    count: int,
    my_tags: set[str],
    waiting: set[str],
    foreign: set[str],
) -> Candidate:
    reasons: list[str] = []
    shared: dict[str, str] = {}
    for tag in person.tags:
        if (key := _fold(tag)) in my_tags:
            shared.setdefault(key, tag.strip())
    if shared:
        reasons.append("shares " + ", ".join(shared.values()))
    if person.id in foreign:
        reasons.append(f"from {person.country.strip().upper()} (different country)")
    reasons.append("also waiting (partner absent)" if person.id in waiting else "free this round")
    reasons.append(f"{count} meeting{'' if count == 1 else 's'} so far today")
    return Candidate(participant=person.id, score=score, reasons=tuple(reasons))
