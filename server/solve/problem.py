"""What the optimiser is asked: slots, people, meetings, as plain frozen data.

Independent of Redis and of `EventState`: an adapter (the next increment) builds a `Problem`
from an event, the benchmark builds one from MiniZinc data (`dzn.py`).

- Slots are numbered 1..T in time order. Each has a `day`, a `block` within the day
  (morning and afternoon, say) and a `session` name that meetings may be restricted to.
  Idle breaks are counted within one day and block only: a gap between blocks or days
  is not a break.
- Each slot has `tables` interchangeable tables, numbered 1..tables.
- A meeting has an id, its people, optionally a session and/or an explicit set of slots it
  may be held in, a fixed slot and a fixed table, and the meetings that must be held
  strictly before it (binding when both are placed).

`Problem.validate()` raises `ProblemError` naming every structural mistake (unknown person,
slot or meeting, a precedence cycle); what merely cannot fit is not an error but a reason
for leaving a meeting unplaced (`precheck.py`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property


class ProblemError(ValueError):
    """The problem is malformed; `problems` lists every mistake found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Slot:
    index: int  # 1-based, consecutive, in time order
    day: int = 1
    block: int = 1  # breaks count only between meetings of the same day and block
    session: str = ""  # a name meetings may be restricted to ("AM", "PM", "day 2", ...)
    tables: int = 1
    # The seats of tables 1..tables when they differ (a meeting needs one per person);
    # empty: every table seats any meeting.
    seats: tuple[int, ...] = ()
    # Capacities in ascending order: `seats_for` counts with a binary search.
    _ascending: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ascending", tuple(sorted(self.seats)))

    def seats_for(self, size: int) -> int:
        """How many of its tables seat a meeting of `size` people."""
        if not self.seats:
            return self.tables
        return len(self._ascending) - bisect.bisect_left(self._ascending, size)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str = ""
    unavailable: frozenset[int] = frozenset()  # slot indexes
    # Slots in which a meeting the optimiser keeps (held, running, fixed) holds them: no
    # new meeting there, and their breaks count with it.
    busy: frozenset[int] = frozenset()

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class Meeting:
    id: str
    people: tuple[str, ...]
    session: str = ""  # "": any session
    slots: frozenset[int] = frozenset()  # an explicit set of allowed slots; empty: any
    fixed_slot: int | None = None
    fixed_table: int | None = None
    after: frozenset[str] = frozenset()  # meetings held strictly before this one
    name: str = ""  # how messages name it (the organiser's own id); "": its id
    # Already placed in this slot (rescheduling): it must stay placed, here or elsewhere.
    current: int | None = None


@dataclass(frozen=True)
class Problem:
    slots: tuple[Slot, ...]
    people: tuple[Person, ...]
    meetings: tuple[Meeting, ...]
    noun: str = "slot"  # what messages call a slot ("round" for an event)

    @cached_property
    def person(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def meeting(self) -> dict[str, Meeting]:
        return {m.id: m for m in self.meetings}

    @cached_property
    def slot(self) -> dict[int, Slot]:
        return {s.index: s for s in self.slots}

    @cached_property
    def meetings_of(self) -> dict[str, tuple[str, ...]]:
        """Person id -> the ids of their meetings, in problem order."""
        found: dict[str, list[str]] = {p.id: [] for p in self.people}
        for m in self.meetings:
            for pid in m.people:
                found.setdefault(pid, []).append(m.id)
        return {pid: tuple(ids) for pid, ids in found.items()}

    @cached_property
    def runs(self) -> tuple[tuple[int, ...], ...]:
        """The slots grouped by (day, block), each group in time order: breaks count
        within a group only."""
        groups: dict[tuple[int, int], list[int]] = {}
        for s in sorted(self.slots, key=lambda s: s.index):
            groups.setdefault((s.day, s.block), []).append(s.index)
        return tuple(tuple(g) for g in groups.values())

    @cached_property
    def successors(self) -> dict[str, tuple[str, ...]]:
        """Meeting id -> the meetings that must be held after it."""
        found: dict[str, list[str]] = {m.id: [] for m in self.meetings}
        for m in self.meetings:
            for before in sorted(m.after):
                found.setdefault(before, []).append(m.id)
        return {k: tuple(v) for k, v in found.items()}

    def rule_slots(self, m: Meeting) -> tuple[int, ...]:
        """The slots `m`'s own restrictions allow (session, explicit set, fixed slot),
        before looking at its people's availability."""
        out = []
        for s in self.slots:
            if m.session and s.session != m.session:
                continue
            if m.slots and s.index not in m.slots:
                continue
            if m.fixed_slot is not None and s.index != m.fixed_slot:
                continue
            if m.fixed_table is not None and m.fixed_table > s.tables:
                continue
            size = len(m.people)
            if s.seats and (
                s.seats_for(size) == 0
                or (m.fixed_table is not None and s.seats[m.fixed_table - 1] < size)
            ):
                continue
            out.append(s.index)
        return tuple(out)

    @cached_property
    def allowed(self) -> dict[str, tuple[int, ...]]:
        """Meeting id -> the slots it may be held in: its own restrictions and every one
        of its people available, in time order."""
        out = {}
        for m in self.meetings:
            away = set().union(
                *(self.person[p].unavailable | self.person[p].busy
                  for p in m.people if p in self.person)
            )  # fmt: skip
            out[m.id] = tuple(s for s in self.rule_slots(m) if s not in away)
        return out

    def label(self, meeting_id: str) -> str:
        """How messages name a meeting: "meeting m12 (Anna Berg and Bo Chen)"."""
        m = self.meeting[meeting_id]
        return f"meeting {m.name or m.id} ({names(self.person[p].label for p in m.people)})"

    def validate(self) -> Problem:
        problems = _structure(self)
        if problems:
            raise ProblemError(problems)
        return self


def names(labels: Iterable[str]) -> str:
    found = list(labels)
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]


def _structure(problem: Problem) -> list[str]:
    out: list[str] = []
    indexes = [s.index for s in problem.slots]
    if indexes != list(range(1, len(indexes) + 1)):
        out.append(f"slots must be numbered 1..{len(indexes)} in order, got {indexes[:10]}")
    for s in problem.slots:
        if s.tables < 0:
            out.append(f"slot {s.index} has {s.tables} tables")
        if s.seats and len(s.seats) != s.tables:
            out.append(f"slot {s.index} has {s.tables} tables but {len(s.seats)} seat counts")
    for kind, ids in (("person", [p.id for p in problem.people]),
                      ("meeting", [m.id for m in problem.meetings])):  # fmt: skip
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                out.append(f"{kind} id {i!r} is used twice")
            seen.add(i)
    slots = set(indexes)
    for p in problem.people:
        bad = sorted(p.unavailable - slots)
        if bad:
            out.append(f"{p.label} is unavailable in slots {bad}, which do not exist")
        bad = sorted(p.busy - slots)
        if bad:
            out.append(f"{p.label} is busy in slots {bad}, which do not exist")
    sessions = {s.session for s in problem.slots}
    for m in problem.meetings:
        where = f"meeting {m.id}"
        if len(m.people) < 2 or len(set(m.people)) != len(m.people):
            out.append(f"{where} needs two or more different people, got {list(m.people)}")
        unknown = [p for p in m.people if p not in problem.person]
        if unknown:
            out.append(f"{where} refers to {unknown[0]!r}, who is not a participant")
        if m.session and m.session not in sessions:
            out.append(f"{where} asks for session {m.session!r}, which no slot belongs to")
        if m.slots - slots:
            out.append(f"{where} allows slots {sorted(m.slots - slots)}, which do not exist")
        if m.current is not None and m.current not in slots:
            out.append(f"{where} is placed in slot {m.current}, which does not exist")
        if m.fixed_slot is not None and m.fixed_slot not in slots:
            out.append(f"{where} is fixed to slot {m.fixed_slot}, which does not exist")
        if m.fixed_table is not None and m.fixed_table < 1:
            out.append(f"{where} is fixed to table {m.fixed_table}; tables count from 1")
        for before in sorted(m.after):
            if before not in problem.meeting:
                out.append(f"{where} must come after meeting {before!r}, which does not exist")
            elif before == m.id:
                out.append(f"{where} must come after itself")
    if not out:
        cycle = _cycle(problem)
        if cycle:
            out.append("precedences form a cycle: " + " -> ".join(cycle))
    return out


def _cycle(problem: Problem) -> list[str]:
    """A precedence cycle as meeting ids (first repeated at the end), or []."""
    colour: dict[str, int] = {}  # 1: on the path, 2: done
    for start in problem.meeting:
        if start in colour:
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(problem.meeting[start].after))]
        colour[start] = 1
        path.append(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if colour.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in colour:
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(problem.meeting[nxt].after)))
    return []
