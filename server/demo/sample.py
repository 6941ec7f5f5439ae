"""The sample conference: a deterministic, seeded event modelled on the ICMC in Stuttgart.

Owns generating a realistic event for demos, tests and benchmarks: about 250 cluster
managers from about 180 cluster organisations in 30 European countries, about 600 meeting
requests (REQUESTED, not yet placed), two days of 20-minute rounds with lunch and coffee
breaks, and about 80 tables. `participants=` scales it (5,000 people -> about 12,000
requests). Same seed, same event: only `random.Random(seed)` is used, never the clock.
Tokens and keys are left empty: the service mints them. Name data: `server.demo.sample_names`.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from server.core.model import (
    MINUTE_MS,
    Break,
    Event,
    Meeting,
    Participant,
    Record,
    Round,
    Table,
)
from server.demo.sample_names import (
    ASCII_FOLD,
    COUNTRIES,
    LANDLOCKED,
    ORG_PATTERNS,
    SECTORS,
    TITLES,
    UMLAUT_COUNTRIES,
    UMLAUT_FOLD,
    Country,
)

DAY_MS = 24 * 60 * MINUTE_MS
# One day: blocks of rounds and the breaks between them, (label, minutes at 20-min rounds).
DAY_LAYOUT: tuple[int | tuple[str, int], ...] = (6, ("Lunch", 60), 3, ("Coffee break", 20), 3)
ORGS_PER_PERSON = 0.72  # 250 people -> 180 organisations, 70 of them send two
REQUESTS_PER_PERSON = 2.4  # 250 people -> 600 requests
TABLES_PER_PERSON = 0.32  # 250 people -> 80 tables
BIG_TABLE_EVERY = 16  # every 16th table seats four
MAX_REQUESTS = 8
# Weights of a person's number of meetings, 0..8: most have 3-6.
REQUEST_WEIGHTS = (1, 3, 6, 13, 20, 22, 17, 11, 7)
ONE_DAY_SHARE = 0.04  # of people, each: only on day 1, only on day 2
TEAM_SIDE_SHARE = 0.03  # of meetings, where a colleague joins one side


@dataclass(frozen=True, slots=True)
class SampleConference:
    event: Event
    tables: tuple[Table, ...]
    participants: tuple[Participant, ...]
    rounds: tuple[Round, ...]
    breaks: tuple[Break, ...]
    meetings: tuple[Meeting, ...]

    def records(self) -> list[Record]:
        return [
            self.event,
            *self.tables,
            *self.participants,
            *self.rounds,
            *self.breaks,
            *self.meetings,
        ]


@dataclass(slots=True)
class _Org:
    name: str
    country: Country
    domain: str
    sectors: tuple[str, ...]


def generate(
    *,
    seed: int = 2026,
    event_id: str = "icmc-2026",
    first_round_at_ms: int,
    round_minutes: int = 20,
    changeover_minutes: int = 5,
    participants: int = 250,
    day_gap_ms: int | None = None,
) -> SampleConference:
    """The sample event; round 1's meetings start at `first_round_at_ms` (UTC ms).

    Breaks scale with `round_minutes / 20`. Day 2 starts `day_gap_ms` after day 1; by
    default 24 h for 20-minute rounds, otherwise day 2 follows day 1 after a lunch-long
    pause, so a compressed demo runs straight through.
    """
    if round_minutes <= 0 or changeover_minutes < 0 or participants < 0:
        raise ValueError("round_minutes must be > 0, changeover and participants >= 0")
    rng = random.Random(seed)
    event = Event(
        id=event_id,
        name="International Cluster Matchmaking Conference 2026",
        timezone="Europe/Berlin",
        venue="Stuttgart, ICS Internationales Congresscenter",
    )
    rounds, breaks = _timetable(first_round_at_ms, round_minutes, changeover_minutes, day_gap_ms)
    people = _participants(rng, participants, rounds)
    return SampleConference(
        event=event,
        tables=_tables(max(4, round(participants * TABLES_PER_PERSON))),
        participants=tuple(people),
        rounds=tuple(rounds),
        breaks=tuple(breaks),
        meetings=tuple(_meetings(rng, people, rounds)),
    )


def _timetable(
    first_ms: int, round_minutes: int, changeover_minutes: int, day_gap_ms: int | None
) -> tuple[list[Round], list[Break]]:
    scale = round_minutes / 20
    step = (round_minutes + changeover_minutes) * MINUTE_MS
    changeover_ms = changeover_minutes * MINUTE_MS
    rounds: list[Round] = []
    breaks: list[Break] = []
    day_start = first_ms
    for day in (1, 2):
        at = day_start  # when the next round's meetings start
        for item in DAY_LAYOUT:
            if isinstance(item, tuple):
                label, minutes = item
                length = round(minutes * scale * MINUTE_MS)
                begin = at - changeover_ms  # the previous round's end
                bid = f"d{day}-{label.split()[0].lower()}"
                breaks.append(Break(bid, day, begin, begin + length, label))
                at += length
                continue
            for _ in range(item):
                index = len(rounds) + 1
                meeting_s, changeover_s = round_minutes * 60, changeover_minutes * 60
                rounds.append(Round(index, day, at, meeting_s, changeover_s, f"Round {index}"))
                at += step
        if day == 1:
            day1_end = rounds[-1].ends_at_ms
            pause = round(60 * scale * MINUTE_MS)
            if day_gap_ms is None:
                overnight = day1_end - first_ms + changeover_ms + pause
                day_gap_ms = DAY_MS if round_minutes == 20 else overnight
            if first_ms + day_gap_ms - changeover_ms < day1_end:
                raise ValueError("day_gap_ms is shorter than day 1")
            day_start = first_ms + day_gap_ms
    return rounds, breaks


def _tables(count: int) -> tuple[Table, ...]:
    hall = max(40, -(-count // 4))
    return tuple(
        Table(
            number=n,
            label=f"Table {n}",
            zone=f"Hall {chr(ord('A') + (n - 1) // hall)}",
            capacity=4 if n % BIG_TABLE_EVERY == 0 else 2,
        )
        for n in range(1, count + 1)
    )


def ascii_fold(text: str, country: str = "") -> str:
    """Lowercase ASCII for addresses: "Jürgen Müller" -> "juergen muller"-style per country."""
    text = text.lower()
    if country in UMLAUT_COUNTRIES:
        text = "".join(UMLAUT_FOLD.get(ch, ch) for ch in text)
    text = "".join(ASCII_FOLD.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in " -."))


def _organisations(rng: random.Random, count: int) -> list[_Org]:
    """Every country once (as far as `count` goes), the rest in proportion to the weights."""
    countries = list(COUNTRIES)
    rng.shuffle(countries)
    extra = max(0, count - len(countries))
    total = sum(c.weight for c in COUNTRIES)
    shares = [extra * c.weight / total for c in COUNTRIES]
    extras = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (extras[i] - shares[i], i))
    for i in by_remainder[: extra - sum(extras)]:
        extras[i] += 1
    picks = countries[:count] + [
        c for c, k in zip(COUNTRIES, extras, strict=True) for _ in range(k)
    ]
    rng.shuffle(picks)
    taken: set[str] = set()
    orgs: list[_Org] = []
    for country in picks:
        name, sectors = _org_name(rng, country, taken)
        taken.add(name)
        words = ascii_fold(name, country.code).replace(".", "").replace("-", " ").split()
        domain = "-".join(w for w in words if w not in {"for", "cluster"})
        orgs.append(_Org(name, country, f"{domain}.{country.code.lower()}.example", sectors))
    return orgs


def _org_name(rng: random.Random, country: Country, taken: set[str]) -> tuple[str, tuple[str, ...]]:
    tags = sorted(SECTORS)
    attempt = 0
    while True:
        attempt += 1
        sectors = tuple(rng.sample(tags, 1 if rng.random() < 0.7 else 2))
        if country.code in LANDLOCKED and "Maritime" in sectors:
            continue
        word = rng.choice(SECTORS[sectors[0]])
        name = rng.choice(ORG_PATTERNS).format(s=word, p=rng.choice(country.places))
        if attempt > 50:
            name = f"{name} {attempt - 49}"  # only when a huge event exhausts the names
        if name not in taken:
            return name, sectors


def _participants(rng: random.Random, count: int, rounds: list[Round]) -> list[Participant]:
    org_count = min(count, max(1, round(count * ORGS_PER_PERSON))) if count else 0
    orgs = _organisations(rng, org_count)
    seats = orgs + rng.sample(orgs, count - org_count)  # some organisations send two
    rng.shuffle(seats)
    day_rounds = {d: frozenset(r.index for r in rounds if r.day == d) for d in (1, 2)}
    width = max(3, len(str(count)))
    names: set[str] = set()
    emails: set[str] = set()
    people: list[Participant] = []
    for i, org in enumerate(seats, start=1):
        c = org.country
        for _ in range(30):
            female = rng.random() < 0.5
            first = rng.choice(c.female if female else c.male)
            last = c.surname(rng.choice(c.surnames), female)
            name = f"{first} {last}"
            local = ".".join(ascii_fold(x, c.code).replace(" ", "") for x in (first, last))
            email = f"{local}@{org.domain}"
            if name not in names and email not in emails:
                break
        names.add(name)
        emails.add(email)
        others = [t for t in sorted(SECTORS) if t not in org.sectors]
        tags = org.sectors + tuple(rng.sample(others, rng.randint(0, 2)))
        langs = ["en", c.languages[0]]
        if len(c.languages) > 1 and rng.random() < 0.5:
            langs.append(c.languages[1])
        if "de" not in langs and rng.random() < 0.15:
            langs.append("de")
        away: frozenset[int] = frozenset()
        roll = rng.random()
        if roll < ONE_DAY_SHARE:
            away = day_rounds[2]
        elif roll < 2 * ONE_DAY_SHARE:
            away = day_rounds[1]
        digits = "".join(str(rng.randint(0, 9)) for _ in range(7))
        people.append(
            Participant(
                id=f"p{i:0{width}d}",
                name=name,
                external_id=f"ICMC-{i:0{max(4, width)}d}",
                organisation=org.name,
                country=c.code,
                title=rng.choice(TITLES),
                tags=tags,
                languages=tuple(langs),
                email=email,
                phone=f"+{c.dial} {rng.randint(20, 899)} {digits}",
                unavailable_rounds=away,
            )
        )
    return people


def _meetings(rng: random.Random, people: list[Participant], rounds: list[Round]) -> list[Meeting]:
    """Requests between people of different organisations, each pair at most once."""
    avail = {p.id: frozenset(r.index for r in rounds if p.is_available(r)) for p in people}
    cap = {p.id: min(MAX_REQUESTS, len(avail[p.id])) for p in people}
    want = {p.id: min(cap[p.id], _draw(rng)) for p in people}
    ids = [p.id for p in people]
    goal = min(2 * round(len(people) * REQUESTS_PER_PERSON), sum(cap.values()))
    total = sum(want.values())
    while total != goal:  # nudge random people until the total fits
        pid = rng.choice(ids)
        delta = 1 if total < goal else -1
        if 0 <= want[pid] + delta <= cap[pid]:
            want[pid] += delta
            total += delta
    by_id = {p.id: p for p in people}
    met: set[tuple[str, str]] = set()  # (person, organisation they already meet)
    active = [pid for pid in ids if want[pid] > 0]
    where = {pid: i for i, pid in enumerate(active)}
    pairs: list[tuple[str, str]] = []
    for pid in sorted(active, key=lambda p: -want[p]):
        me = by_id[pid]
        shared = set(me.tags)
        while want[pid] > 0:
            fits = [
                q
                for q in rng.sample(active, min(len(active), 16))
                if _ok(by_id, avail, met, want, me, q)
            ]
            if not fits:
                fits = [q for q in active if _ok(by_id, avail, met, want, me, q)]
            if not fits:
                break
            partner = max(fits, key=lambda q: (len(shared & set(by_id[q].tags)), rng.random()))
            pairs.append((pid, partner))
            for a, b in ((pid, partner), (partner, pid)):
                want[a] -= 1
                met.add((a, by_id[b].organisation))
                if want[a] == 0:  # swap-remove from the pool
                    last = active.pop()
                    i = where.pop(a)
                    if last != a:
                        active[i] = last
                        where[last] = i
    colleagues: dict[str, list[str]] = {}
    for p in people:
        colleagues.setdefault(p.organisation, []).append(p.id)
    room = dict(cap)  # how many more meetings each person can take
    for a, b in pairs:
        room[a] -= 1
        room[b] -= 1
    rng.shuffle(pairs)
    width = max(4, len(str(len(pairs))))
    out: list[Meeting] = []
    for i, (a, b) in enumerate(pairs, start=1):
        side_a, side_b = [a], [b]
        if rng.random() < TEAM_SIDE_SHARE:  # a colleague of the requester comes along
            for mate in colleagues[by_id[a].organisation]:
                joint = avail[a] & avail[b] & avail[mate]
                fresh = (mate, by_id[b].organisation) not in met
                if mate != a and room[mate] > 0 and len(joint) >= 4 and fresh:
                    side_a.append(mate)
                    room[mate] -= 1
                    met.add((mate, by_id[b].organisation))
                    break
        out.append(Meeting(id=f"m{i:0{width}d}", side_a=tuple(side_a), side_b=tuple(side_b)))
    return out


def _draw(rng: random.Random) -> int:
    return rng.choices(range(len(REQUEST_WEIGHTS)), weights=REQUEST_WEIGHTS)[0]


def _ok(
    by_id: dict[str, Participant],
    avail: dict[str, frozenset[int]],
    met: set[tuple[str, str]],
    want: dict[str, int],
    me: Participant,
    qid: str,
) -> bool:
    other = by_id[qid]
    return (
        want[qid] > 0
        and other.organisation != me.organisation
        and (me.id, other.organisation) not in met
        and len(avail[me.id] & avail[qid]) >= 2
    )
