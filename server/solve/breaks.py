"""The measure of a schedule: idle breaks per person, and every hard constraint it breaks.

A schedule maps meeting ids to slots (meetings left out are unplaced). A person's break is
a maximal run of free slots between two of their meetings in the same day and block
(`Problem.runs`); free slots before the first or after the last meeting of a block are
not breaks, nor is the gap between blocks or days. The fairness spread is the largest
minus the smallest number of breaks over the people who have meetings in the problem.

`violations` lists every broken hard constraint of a placement, each with its kind (see
`KINDS`) and a sentence naming the meeting, person or slot; a valid schedule has none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from server.core.idle import person_breaks as person_breaks
from server.solve.problem import Problem

KINDS: Final = (
    "unknown",  # a meeting or slot that does not exist
    "double_booked",  # a person in two meetings of one slot
    "tables",  # more meetings in a slot than it has tables, or two at one table
    "not_allowed",  # outside the meeting's session or explicit slots
    "unavailable",  # a person is unavailable in that slot
    "fixed",  # a fixed slot or table not kept
    "precedence",  # a meeting not strictly after one it must follow
)


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str
    text: str
    meetings: tuple[str, ...] = ()  # the placements involved


@dataclass(frozen=True, slots=True)
class Measure:
    per_person: Mapping[str, int]  # breaks of each person who has meetings in the problem
    total: int
    spread: int  # max - min of per_person (0 when nobody has meetings)
    placed: int


def measure(problem: Problem, schedule: Mapping[str, int]) -> Measure:
    busy: defaultdict[str, set[int]] = defaultdict(set)
    for mid, slot in schedule.items():
        m = problem.meeting.get(mid)
        if m is not None:
            for pid in m.people:
                busy[pid].add(slot)
    for person in problem.people:
        if person.busy:
            busy[person.id] |= person.busy
    per_person = {
        pid: person_breaks(busy[pid], problem.runs)
        for pid, ids in problem.meetings_of.items()
        if ids
    }
    values = list(per_person.values())
    return Measure(
        per_person=per_person,
        total=sum(values),
        spread=max(values) - min(values) if values else 0,
        placed=sum(1 for mid in schedule if mid in problem.meeting),
    )


def violations(
    problem: Problem, schedule: Mapping[str, int], tables: Mapping[str, int] | None = None
) -> list[Violation]:
    """Every hard constraint `schedule` (and, when given, its table numbers) breaks."""
    out: list[Violation] = []

    def add(kind: str, text: str, *meetings: str) -> None:
        out.append(Violation(kind, text, meetings))

    known: dict[str, int] = {}
    for mid, s in sorted(schedule.items()):
        if mid not in problem.meeting:
            add("unknown", f"meeting {mid!r} does not exist", mid)
        elif s not in problem.slot:
            add("unknown", f"{problem.label(mid)} is in slot {s}, which does not exist", mid)
        else:
            known[mid] = s
    seat: dict[tuple[str, int], str] = {
        (person.id, s): "a meeting kept in place" for person in problem.people for s in person.busy
    }
    for mid, s in known.items():
        m = problem.meeting[mid]
        for pid in m.people:
            other = seat.setdefault((pid, s), mid)
            if other != mid:
                who = problem.person[pid].label if pid in problem.person else pid
                add(
                    "double_booked", f"{who} has meetings {other} and {mid} in slot {s}", other, mid
                )
        if s not in problem.rule_slots(m) and m.fixed_slot in (None, s):
            add("not_allowed", f"{problem.label(mid)} is not allowed in slot {s}", mid)
        if m.fixed_slot is not None and m.fixed_slot != s:
            add("fixed", f"{problem.label(mid)} is fixed to slot {m.fixed_slot}, not {s}", mid)
        for pid in m.people:
            person = problem.person.get(pid)
            if person is not None and s in person.unavailable:
                add("unavailable", f"{person.label} is unavailable in slot {s} ({mid})", mid)
        for before in sorted(m.after):
            t = known.get(before)
            if t is not None and t >= s:
                add(
                    "precedence",
                    f"meeting {before} (slot {t}) must be before {mid} (slot {s})",
                    before,
                    mid,
                )
    in_slot: defaultdict[int, list[str]] = defaultdict(list)
    for mid, s in known.items():
        in_slot[s].append(mid)
    for s, ids in sorted(in_slot.items()):
        slot = problem.slot[s]
        if len(ids) > slot.tables:
            have = slot.tables
            add("tables", f"slot {s} holds {len(ids)} meetings but has {have} tables", *ids)
        sizes = [len(problem.meeting[i].people) for i in ids]
        for c in sorted(set(sizes)) if slot.seats else ():
            n = sum(1 for z in sizes if z >= c)
            if n > slot.seats_for(c):
                have = slot.seats_for(c)
                add("tables", f"slot {s} holds {n} meetings of {c} or more people but has "
                    f"{have} tables seating them", *ids)  # fmt: skip
    if tables is not None:
        out += _table_violations(problem, known, tables)
    return out


def _table_violations(
    problem: Problem, known: Mapping[str, int], tables: Mapping[str, int]
) -> list[Violation]:
    out = []
    at: dict[tuple[int, int], str] = {}
    for mid, s in sorted(known.items()):
        table = tables.get(mid)
        fixed = problem.meeting[mid].fixed_table
        if table is None or not 1 <= table <= problem.slot[s].tables:
            out.append(
                Violation("tables", f"meeting {mid} in slot {s} has no table ({table})", (mid,))
            )
            continue
        other = at.setdefault((s, table), mid)
        if other != mid:
            out.append(
                Violation("tables", f"meetings {other} and {mid} share table {table}", (other, mid))
            )
        seats = problem.slot[s].seats
        size = len(problem.meeting[mid].people)
        if seats and seats[table - 1] < size:
            out.append(Violation(
                "tables", f"meeting {mid} of {size} people at table {table}, which seats "
                f"{seats[table - 1]}", (mid,)))  # fmt: skip
        if fixed is not None and table != fixed:
            out.append(
                Violation("fixed", f"meeting {mid} is fixed to table {fixed}, got {table}", (mid,))
            )
    return out
