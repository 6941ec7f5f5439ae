"""The baseline scheduler: places requested meetings into rounds and at tables.

Owns turning an event's REQUESTED meetings into SCHEDULED ones around the meetings that
already hold seats, which it never moves. It keeps every invariant of `server.core.rules`, so
`rules.check(state, Change(upserts=result.placed))` passes, and for each request it cannot
place it computes a reason that names the people and the numbers. Pure: no I/O, no clock.

Heuristic: most-constrained requests first (fixed round wishes, then fewest feasible rounds,
then the busiest people), each into the free round that keeps its people's meetings apart
and the rounds evenly loaded, at the table it asks for or else a home table of its people
(`Participant.home_table`) when free and big enough, else the smallest adequate table
nobody calls home if there is one; then one repair pass that moves a single meeting placed
earlier to make room for a request that found no round.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from server.core.model import Meeting, MeetingStatus
from server.core.state import EventState


@dataclass(frozen=True, slots=True)
class Unplaced:
    meeting_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    placed: tuple[Meeting, ...]  # the requested meetings placed, now SCHEDULED
    unplaced: tuple[Unplaced, ...]  # every requested meeting not placed, with the reason


class _Board:
    """Which people and tables are free in which round, as placement proceeds."""

    def __init__(self, state: EventState) -> None:
        self.state = state
        self.rounds = sorted(state.rounds)
        self.caps = sorted({t.capacity for t in state.tables.values()})
        self.busy: defaultdict[str, dict[int, str]] = defaultdict(dict)  # person -> round -> id
        self.load = dict.fromkeys(self.rounds, 0)
        used: set[tuple[int, int]] = set()
        for m in state.meetings.values():
            if m.occupies and m.round is not None and m.table is not None:
                for pid in m.people:
                    self.busy[pid][m.round] = m.id
                used.add((m.table, m.round))
                if m.round in self.load:
                    self.load[m.round] += 1
        self.fixed_busy = {pid: frozenset(rounds) for pid, rounds in self.busy.items()}
        by_cap: defaultdict[int, list[int]] = defaultdict(list)
        for number in sorted(state.tables):
            by_cap[state.tables[number].capacity].append(number)
        self.free = {
            r: {c: [t for t in by_cap[c] if (t, r) not in used] for c in self.caps}
            for r in self.rounds
        }
        self.at = {m.id: m.round for m in state.meetings.values() if m.occupies and m.round}
        self.cursor: dict[int, int] = {}  # capacity -> the table number to try next
        self._avail: dict[str, frozenset[int]] = {}
        people = state.participants.values()
        self.home = {p.id: p.home_table for p in people if p.home_table in state.tables}
        self.hosted = frozenset(self.home.values())

    def avail(self, pid: str) -> frozenset[int]:
        if pid not in self._avail:
            person = self.state.participants[pid]
            rounds = self.state.rounds
            self._avail[pid] = frozenset(r for r in self.rounds if person.is_available(rounds[r]))
        return self._avail[pid]

    def common(self, m: Meeting) -> list[int]:
        """Rounds in which everyone in `m` is available, among its allowed ones (only the
        wished one, if any)."""
        shared = frozenset.intersection(*(self.avail(p) for p in m.people))
        if m.rounds:
            shared &= frozenset(m.rounds)
        if m.round is not None:
            return [m.round] if m.round in shared else []
        return sorted(shared)

    def has_table(self, r: int, n: int) -> bool:
        return any(self.free[r][c] for c in self.caps if c >= n)

    def fits(self, m: Meeting, r: int) -> bool:
        return all(r not in self.busy[p] for p in m.people) and self.has_table(r, len(m.people))

    def in_order(self, m: Meeting, r: int) -> bool:
        """Round `r` is after every placed meeting `m` follows, before every placed one
        that follows it."""
        return all(self.at[b] < r for b in m.after if b in self.at) and all(
            r < self.at[f] for f in self.state.followers.get(m.id, ()) if f in self.at
        )

    def best_round(self, m: Meeting) -> int | None:
        """The free round that keeps its people's meetings apart and the load even."""
        n, busy = len(m.people), [self.busy[p] for p in m.people]
        best: tuple[int, int, int] | None = None
        for r in self.common(m):
            if any(r in b for b in busy) or not self.has_table(r, n) or not self.in_order(m, r):
                continue
            key = (sum((r - 1 in b) + (r + 1 in b) for b in busy), self.load[r], r)
            best = key if best is None or key < best else best
        return None if best is None else best[2]

    def take(self, table: int | None, r: int, n: int) -> bool:
        """Take `table` in round `r` for `n` people if it is free and seats them."""
        cap = self.state.tables[table].capacity if table in self.state.tables else 0
        if table is None or cap < n or table not in self.free[r][cap]:
            return False
        self.free[r][cap].remove(table)
        return True

    def place(self, m: Meeting, r: int, prefer: int | None) -> Meeting:
        """`m` in round `r`, at `prefer` if free and big enough; with no table asked for,
        at a home table of its people (side_a first) if one is."""
        n = len(m.people)
        wanted = [prefer] if prefer is not None else [self.home.get(p) for p in m.people]
        table = next((t for t in wanted if self.take(t, r, n)), None)
        if table is None:
            # Smallest adequate capacity; within it, round-robin so tables are used evenly,
            # passing over the tables people call home while another is free.
            cap = next(c for c in self.caps if c >= n and self.free[r][c])
            free = self.free[r][cap]
            i = bisect.bisect_left(free, self.cursor.get(cap, 0))
            i = i if i < len(free) else 0
            if self.hosted and free[i] in self.hosted:
                ring = range(i, i + len(free))
                i = next((j % len(free) for j in ring if free[j % len(free)] not in self.hosted), i)
            table = free.pop(i)
            self.cursor[cap] = table + 1
        for pid in m.people:
            self.busy[pid][r] = m.id
        self.load[r] += 1
        self.at[m.id] = r
        return replace(m, round=r, table=table, status=MeetingStatus.SCHEDULED)

    def unplace(self, m: Meeting) -> None:
        assert m.round is not None and m.table is not None
        for pid in m.people:
            del self.busy[pid][m.round]
        self.load[m.round] -= 1
        del self.at[m.id]
        bisect.insort(self.free[m.round][self.state.tables[m.table].capacity], m.table)


def schedule(state: EventState) -> ScheduleResult:
    board = _Board(state)
    requests = sorted(
        (m for m in state.meetings.values() if m.status == MeetingStatus.REQUESTED),
        key=lambda m: m.id,
    )
    reasons: dict[str, str] = {}
    valid: list[Meeting] = []
    for m in requests:
        problem = _invalid(state, m, board.caps[-1] if board.caps else 0)
        if problem:
            reasons[m.id] = problem
        else:
            valid.append(m)
    demand = Counter(p for m in valid for p in set(m.people))

    def pressure(pid: str) -> float:
        return demand[pid] / max(1, len(board.avail(pid) - board.fixed_busy.get(pid, set())))

    options = {m.id: len(board.common(m)) for m in valid}
    order = sorted(
        valid,
        key=lambda m: (m.round is None, options[m.id], -max(map(pressure, m.people)), m.id),
    )
    placed: dict[str, Meeting] = {}
    failed: list[Meeting] = []
    for m in order:
        r = board.best_round(m)
        if r is None:
            failed.append(m)
        else:
            placed[m.id] = board.place(m, r, m.table)
    for m in failed:
        if not _repair(board, m, placed, state):
            reasons[m.id] = _reason(board, m, demand)
    return ScheduleResult(
        placed=tuple(placed[k] for k in sorted(placed)),
        unplaced=tuple(Unplaced(k, reasons[k]) for k in sorted(reasons)),
    )


def _repair(board: _Board, m: Meeting, placed: dict[str, Meeting], state: EventState) -> bool:
    """Place `m` by moving one meeting placed earlier (without a round wish) elsewhere."""
    n = len(m.people)
    for r in board.common(m):
        if not board.in_order(m, r):
            continue
        blockers = {board.busy[p][r] for p in m.people if r in board.busy[p]}
        if len(blockers) != 1:
            continue
        (bid,) = blockers
        other, wanted = placed.get(bid), state.meetings[bid]
        if other is None or other.table is None or wanted.round is not None:
            continue  # seated before scheduling, or bound to its round
        if not board.has_table(r, n) and state.tables[other.table].capacity < n:
            continue
        board.unplace(other)
        placed[m.id] = board.place(m, r, m.table)
        r2 = board.best_round(wanted)
        if r2 is not None:
            placed[bid] = board.place(wanted, r2, wanted.table)
            return True
        board.unplace(placed.pop(m.id))
        placed[bid] = board.place(wanted, r, other.table)
    return False


def _name(state: EventState, pid: str) -> str:
    p = state.participants.get(pid)
    return pid if p is None else p.name_and_organisation


def _names(state: EventState, pids: Iterable[str]) -> str:
    names = [_name(state, p) for p in pids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _invalid(state: EventState, m: Meeting, largest: int) -> str:
    """Why `m` cannot be placed anywhere as it stands, or "" when it can be tried."""
    where = f"meeting {m.id}"
    if not m.side_a or not m.side_b:
        return f"{where} needs at least one person on each side"
    twice = sorted(p for p, k in Counter(m.people).items() if k > 1)
    if twice:
        return f"{where} lists {_names(state, twice)} twice"
    unknown = [p for p in m.people if p not in state.participants]
    if unknown:
        return f"{where} refers to participant {unknown[0]!r}, who does not exist"
    if m.round is not None and m.round not in state.rounds:
        return f"{where} asks for round {m.round}, which does not exist"
    if m.round is not None and m.rounds and m.round not in m.rounds:
        allowed = ", ".join(map(str, m.rounds))
        return f"{where} asks for round {m.round}, but may only be held in round {allowed}"
    if not state.rounds:
        return "the event has no rounds"
    if largest < len(m.people):
        have = f"the largest seats {largest}" if state.tables else "there are no tables"
        return f"no table seats the {len(m.people)} people of {where} ({have})"
    return ""


def _reason(board: _Board, m: Meeting, demand: Counter[str]) -> str:
    """Why `m` found no round, computed from the board after placement."""
    state, people, n = board.state, m.people, len(m.people)
    both = "both" if n == 2 else "all"
    if m.round is not None:
        r = m.round
        wish = f"round {r}, the round asked for"
        away = [p for p in people if r not in board.avail(p)]
        if away:
            verb = "is" if len(away) == 1 else "are"
            return f"{_names(state, away)} {verb} not available in {wish}"
        busy = [p for p in people if r in board.busy[p]]
        if busy:
            verb = "has" if len(busy) == 1 else "have"
            return f"{_names(state, busy)} already {verb} a meeting in {wish}"
        return f"no free table seats {n} people in {wish}"
    rounds = board.common(m)
    if rounds and not any(board.in_order(m, r) for r in rounds):
        first = [f"meeting {b} (round {board.at[b]})" for b in m.after if b in board.at]
        then = [f"meeting {f} (round {board.at[f]})" for f in sorted(
            state.followers.get(m.id, ())) if f in board.at]  # fmt: skip
        order = " and ".join(
            [*(["after " + ", ".join(first)] if first else []),
             *(["before " + ", ".join(then)] if then else [])]
        )  # fmt: skip
        return f"meeting {m.id} must come {order}: no round in between suits {both} of them"
    if not rounds:
        never = [p for p in people if not board.avail(p)]
        if never:
            verb = "is" if len(never) == 1 else "are"
            return f"{_names(state, never)} {verb} not available in any round"
        among = f" among its allowed rounds ({', '.join(map(str, m.rounds))})" if m.rounds else ""
        return f"{_names(state, people)} have no round{among} in which {both} are available"
    for pid in sorted(people, key=lambda p: (-demand[p], p)):
        mine = board.avail(pid)
        taken = len(mine & board.fixed_busy.get(pid, frozenset()))
        if demand[pid] > len(mine) - taken and any(r in board.busy[pid] for r in rounds):
            extra = f" ({taken} of them already taken)" if taken else ""
            return (
                f"{_name(state, pid)} has {_count(demand[pid], 'request')} but is available "
                f"in {_count(len(mine), 'round')}{extra}"
            )
    counts = ", ".join(
        f"{state.participants[p].name} busy in {sum(r in board.busy[p] for r in rounds)}"
        for p in people
    )
    tableless = sum(
        all(r not in board.busy[p] for p in people) and not board.has_table(r, n) for r in rounds
    )
    return (
        f"every round where {both} {_names(state, people)} are available is already full "
        f"for one of them or has no free table ({_count(len(rounds), 'round')}: {counts}, "
        f"no free table in {tableless})"
    )
