"""A rehearsal's event and what its simulated people will do. Pure: no I/O, no clock.

`rehearsal_records` builds the event: the sample conference (server/demo/sample.py) with a
compressed timetable of a few back-to-back rounds and its requests scheduled in memory,
so the rehearsal event starts with a full schedule and no leftover requests, plus a spare
table per walk-in request of a round.

`make_plan` draws everything random up front from one `random.Random(seed)`: who never
comes, who is late, who arrives early or during seating, who presses "my partner is not
here" and how soon, who leaves early, and which free pairs ask for a walk-in meeting. An
action's time is an offset from a round's seating, start or end, never a clock reading,
so the same seed gives the same plan whenever it runs, and the runner turns offsets into
instants from the live round times (a paused or extended round moves its actions along).
What a person then does depends on what they would see at that moment (is my partner
here?), which the runner decides against the server's state.
"""

from __future__ import annotations

import dataclasses
import enum
import random
from dataclasses import dataclass
from typing import Final

from server.core import scheduler
from server.core.model import Event, EventSettings, MeetingStatus, Record, Round, Table
from server.core.state import EventState, state_from_records
from server.demo import sample

# Of the people who come on time, this share is there before seating begins.
EARLY_SHARE: Final = 0.5
EARLY_WINDOW_S: Final = 60.0  # how long before seating the early ones arrive, at most
# Late arrivals: after their first round started, by an exponential tail (mean a third of a
# meeting), cut off at one and a half meetings (some miss their first round entirely).
LATE_MEAN_SHARE: Final = 1 / 3
LATE_CAP_SHARE: Final = 1.5
# "My partner is not here": pressed this share of the meeting time after it started.
REPORT_DELAY_SHARES: Final = (0.03, 0.12)
# Walk-in pairs ask a moderator this share of the meeting time after the round started.
WALK_IN_SHARES: Final = (0.1, 0.35)
SAMPLE_SEED: Final = 2026  # the sample conference is always the same event


@dataclass(frozen=True, slots=True)
class RehearsalOptions:
    participants: int = 250
    rounds: int = 3
    round_minutes: float = 2.0
    seating_s: int = 30
    start_in_s: float = 20.0  # from creating the event to round 1's seating
    seed: int = 1
    no_show_share: float = 0.10  # never come
    late_share: float = 0.10  # of those who come: after their first round started
    report_share: float = 0.6  # of those who come: press "not here" when left alone
    depart_share: float = 0.05  # of those who come on time: leave between two rounds
    walk_ins: int = 1  # walk-in requests per round
    reaction_s: float = 5.0  # the automatic moderator acts this long after an alert calls for it
    event_id: str = "rehearsal"

    @property
    def meeting_s(self) -> int:
        return max(1, round(self.round_minutes * 60))

    def check(self) -> None:
        """ValueError naming the first option out of range."""
        shares = ("no_show_share", "late_share", "report_share", "depart_share")
        for name in shares:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if self.participants < 4:
            raise ValueError("--participants must be at least 4")
        if self.rounds < 1 or self.round_minutes * 60 < 10:
            raise ValueError("--rounds must be at least 1 and --round-minutes at least 1/6")
        if self.reaction_s < 0:
            raise ValueError("--reaction-seconds must be >= 0")
        if self.seating_s < 5 or self.start_in_s < 0 or self.walk_ins < 0:
            raise ValueError(
                "--seating-seconds must be >= 5, --start-in-seconds and --walk-ins >= 0"
            )


def timetable(first_seating_ms: int, rounds: int, meeting_s: int, seating_s: int) -> list[Round]:
    """Back-to-back rounds of one day: each round's seating begins as the previous ends."""
    step_ms = (meeting_s + seating_s) * 1000
    first_start = first_seating_ms + seating_s * 1000
    return [
        Round(i, 1, first_start + (i - 1) * step_ms, meeting_s, seating_s, f"Round {i}")
        for i in range(1, rounds + 1)
    ]


def rehearsal_records(
    options: RehearsalOptions, first_seating_ms: int
) -> tuple[Event, list[Record]]:
    """The rehearsal event and its records: people, tables, rounds and placed meetings."""
    conf = sample.generate(
        seed=SAMPLE_SEED,
        event_id=options.event_id,
        first_round_at_ms=first_seating_ms,  # replaced by the rehearsal's timetable below
        participants=options.participants,
    )
    rounds = timetable(first_seating_ms, options.rounds, options.meeting_s, options.seating_s)
    kept = frozenset(r.index for r in rounds)
    people = [
        dataclasses.replace(p, unavailable_rounds=p.unavailable_rounds & kept)
        for p in conf.participants
    ]
    # The last-minutes phase of a 20-minute round is 2 minutes; a short round keeps the
    # same proportion, so the screens show every phase.
    settings = EventSettings(warning_s=min(120, options.meeting_s // 10 or 1))
    event = dataclasses.replace(conf.event, name=f"Rehearsal: {conf.event.name}", settings=settings)
    unplaced = state_from_records([event, *conf.tables, *people, *rounds, *conf.meetings])
    placed = scheduler.schedule(unplaced).placed
    # The scheduler fills every table; organisers keep a few free for walk-ins, added
    # after scheduling so that they stay free.
    last = max(conf.tables, key=lambda t: t.number).number
    spare = [
        Table(number=n, label=f"Walk-in table {n}", zone="Walk-ins")
        for n in range(last + 1, last + 1 + options.walk_ins)
    ]
    return event, [*conf.tables, *spare, *people, *rounds, *placed]


class Anchor(enum.StrEnum):
    SEATING = "seating"
    START = "start"
    END = "end"


class Act(enum.StrEnum):
    CHECK_IN = "check_in"
    REPORT = "report_missing_partner"  # if still alone at the table then
    DEPART = "depart"
    WALK_IN = "walk_in"  # two people without a meeting ask a moderator for one


ANCHORS_IN_TIME: Final = (Anchor.SEATING, Anchor.START, Anchor.END)


@dataclass(frozen=True, slots=True)
class Action:
    round: int
    anchor: Anchor
    offset_s: float  # from the anchor; negative: before it
    act: Act
    people: tuple[str, ...]

    def due_ms(self, rnd: Round) -> int:
        """When it happens, given the round's (current) times."""
        if self.anchor is Anchor.SEATING:
            base = rnd.seating_at_ms
        else:
            base = rnd.starts_at_ms if self.anchor is Anchor.START else rnd.ends_at_ms
        return base + round(self.offset_s * 1000)

    def sort_key(self) -> tuple[int, int, float, str, tuple[str, ...]]:
        order = ANCHORS_IN_TIME.index(self.anchor)
        return (self.round, order, self.offset_s, self.act, self.people)


@dataclass(frozen=True, slots=True)
class Plan:
    seed: int
    actions: tuple[Action, ...]  # by round, anchor and offset
    no_shows: frozenset[str]
    late: frozenset[str]
    reporters: frozenset[str]
    departures: frozenset[str]

    def count(self, act: Act) -> int:
        return sum(1 for a in self.actions if a.act is act)

    def summary(self) -> str:
        comers = self.count(Act.CHECK_IN)
        return (
            f"Rehearsal plan (seed {self.seed}): {comers} people come ({len(self.late)} late), "
            f"{len(self.no_shows)} never do, {len(self.departures)} leave early; "
            f"{len(self.reporters)} report a missing partner; "
            f"{self.count(Act.WALK_IN)} walk-in requests."
        )


def _draw(rng: random.Random, people: list[str], count: float) -> set[str]:
    """round(count) of `people` (all of them if fewer), drawn at random: shares are exact."""
    return set(rng.sample(people, min(len(people), round(count))))


def make_plan(state: EventState, options: RehearsalOptions) -> Plan:
    """What everyone will do, drawn from `random.Random(options.seed)` alone."""
    rng = random.Random(options.seed)
    people = sorted(state.participants)
    rounds = sorted(state.rounds)
    seats: dict[int, set[str]] = {r: set() for r in rounds}  # who has a meeting in a round
    met: set[frozenset[str]] = set()
    for m in sorted(state.meetings.values(), key=lambda m: m.id):
        if m.round in seats and m.status is MeetingStatus.SCHEDULED:
            seats[m.round].update(m.people)
            met.update(frozenset((a, b)) for a in m.side_a for b in m.side_b)
    first = {p: next((r for r in rounds if p in seats[r]), rounds[0]) for p in people}
    no_shows = _draw(rng, people, options.no_show_share * len(people))
    comers = [p for p in people if p not in no_shows]
    late = _draw(rng, comers, options.late_share * len(comers))
    reporters = _draw(rng, comers, options.report_share * len(comers))
    # Only someone who is there, with a round left to miss, can leave early.
    can_leave = [p for p in comers if p not in late and first[p] < rounds[-1]]
    departures = _draw(rng, can_leave, options.depart_share * len(comers))
    actions: list[Action] = []
    for p in comers:
        rnd = state.rounds[first[p]]
        if p in late:
            tail = rng.expovariate(1 / (LATE_MEAN_SHARE * rnd.meeting_s))
            anchor, offset = Anchor.START, 1 + min(tail, LATE_CAP_SHARE * rnd.meeting_s)
        elif rng.random() < EARLY_SHARE:
            anchor, offset = Anchor.SEATING, -rng.uniform(1, EARLY_WINDOW_S)
        else:
            anchor, offset = Anchor.SEATING, rng.uniform(0, 0.9 * rnd.changeover_s)
        actions.append(Action(rnd.index, anchor, offset, Act.CHECK_IN, (p,)))
    for p in sorted(reporters):
        for r in rounds:
            if p in seats[r]:
                delay = rng.uniform(*REPORT_DELAY_SHARES) * state.rounds[r].meeting_s
                actions.append(Action(r, Anchor.START, 1 + delay, Act.REPORT, (p,)))
    gone_after: dict[str, int] = {}
    for p in sorted(departures):
        # Leaves between rounds: during the next round's seating, so that meeting is theirs
        # to miss and whoever waits there needs a new partner.
        after = rng.choice([r for r in rounds if first[p] <= r < rounds[-1]])
        gone_after[p] = after
        offset = rng.uniform(0, 0.5 * state.rounds[after + 1].changeover_s)
        actions.append(Action(after + 1, Anchor.SEATING, offset, Act.DEPART, (p,)))
    organisation = {p: state.participants[p].organisation for p in people}
    for r in rounds:
        # Here by then (on time for an earlier or this round, not gone) and without a meeting.
        free = [
            p
            for p in comers
            if p not in late and p not in seats[r] and first[p] <= r and gone_after.get(p, r) >= r
        ]
        for _ in range(options.walk_ins):
            if len(free) < 2:
                break
            a = rng.choice(free)
            fits = [
                b
                for b in free
                if organisation[b] != organisation[a] and frozenset((a, b)) not in met
            ]
            if not fits:
                break
            b = rng.choice(fits)
            free = [p for p in free if p not in (a, b)]
            offset = rng.uniform(*WALK_IN_SHARES) * state.rounds[r].meeting_s
            actions.append(Action(r, Anchor.START, offset, Act.WALK_IN, (a, b)))
    return Plan(
        seed=options.seed,
        actions=tuple(sorted(actions, key=Action.sort_key)),
        no_shows=frozenset(no_shows),
        late=frozenset(late),
        reporters=frozenset(reporters),
        departures=frozenset(departures),
    )
