"""The B2B benchmark's MiniZinc data (`.dzn`) → `Problem` (format: ../shared/b2b-instances
/README.md). Pure: takes the text, never opens a file.

Only what those files use: `name = value;` with integers, `[...]` arrays of integers or of
sets `{...}`, and one 2-D array `[| a, b, c | ... |]`; `%` starts a comment. In the data,
participants and meetings are numbered from 1; here a person's id is "p<n>" and a meeting's
"m<n>". Slots 1..nMorningSlots form session "AM", the rest session "PM"; `requested`'s
third column restricts a meeting to AM (1), PM (2) or either (3). `forbidden`'s 0 is a
dummy; `fixed` 0 means free; `precedences[m]` lists meetings held strictly before m.
"""

from __future__ import annotations

import re

from server.solve.problem import Meeting, Person, Problem, Slot

Value = int | list[int] | list[list[int]]
_STATEMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*(.*?);", re.S)


class DznError(ValueError):
    pass


def parse(text: str) -> dict[str, Value]:
    """`name = value;` statements: an int, a list of ints, or a list of rows/sets."""
    text = re.sub(r"%[^\n]*", "", text)
    out: dict[str, Value] = {}
    for name, raw in _STATEMENT.findall(text):
        out[name] = _value(name, raw.strip())
    return out


def _ints(name: str, raw: str) -> list[int]:
    items = [x.strip() for x in raw.split(",") if x.strip()]
    try:
        return [int(x) for x in items]
    except ValueError as exc:
        raise DznError(f"{name}: not a list of integers: {raw[:60]!r}") from exc


def _value(name: str, raw: str) -> Value:
    if raw.startswith("[|"):
        if not raw.endswith("|]"):
            raise DznError(f"{name}: a 2-D array must end with |]")
        return [_ints(name, row) for row in raw[2:-2].split("|") if row.strip(" ,\n")]
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise DznError(f"{name}: an array must end with ]")
        inner = raw[1:-1].strip()
        if inner.startswith("{"):
            return [_ints(name, s) for s in re.findall(r"\{([^}]*)\}", inner)]
        return _ints(name, inner)
    try:
        return int(raw)
    except ValueError as exc:
        raise DznError(f"{name}: expected an integer, got {raw[:60]!r}") from exc


def _int(data: dict[str, Value], name: str) -> int:
    v = data.get(name)
    if not isinstance(v, int):
        raise DznError(f"{name} is missing or not an integer")
    return v


def _rows(data: dict[str, Value], name: str, count: int, default: list[int]) -> list[list[int]]:
    v = data.get(name)
    if v is None:
        return [list(default) for _ in range(count)]
    if not isinstance(v, list) or len(v) != count:
        raise DznError(f"{name} must have {count} entries")
    return [x if isinstance(x, list) else [x] for x in v]


def to_problem(text: str, lunch_is_a_break: bool = True) -> Problem:
    """The instance as a `Problem`. With `lunch_is_a_break` (the benchmark's objective)
    AM and PM are one block of the day, so a gap spanning lunch counts as a break;
    without it they are two blocks."""
    data = parse(text)
    people, meetings, tables = (
        _int(data, "nBusiness"),
        _int(data, "nMeetings"),
        _int(data, "nTables"),
    )
    total, morning = _int(data, "nTotalSlots"), _int(data, "nMorningSlots")
    requested = data.get("requested")
    if not isinstance(requested, list) or len(requested) != meetings:
        raise DznError(f"requested must have {meetings} rows")
    forbidden = _rows(data, "forbidden", people, [0])
    fixed = [row[0] for row in _rows(data, "fixed", meetings, [0])]
    precedences = _rows(data, "precedences", meetings, [])
    slots = tuple(
        Slot(s, day=1, block=1 if lunch_is_a_break or s <= morning else 2,
             session="AM" if s <= morning else "PM", tables=tables)
        for s in range(1, total + 1)
    )  # fmt: skip
    persons = tuple(
        Person(f"p{i}", unavailable=frozenset(s for s in forbidden[i - 1] if s != 0))
        for i in range(1, people + 1)
    )
    sessions = {1: "AM", 2: "PM", 3: ""}
    out = []
    for i, row in enumerate(requested, start=1):
        if not isinstance(row, list) or len(row) != 3 or row[2] not in sessions:
            raise DznError(f"requested row {i} must be a, b, 1|2|3: got {row}")
        out.append(Meeting(
            f"m{i}", (f"p{row[0]}", f"p{row[1]}"),
            session=sessions[row[2]] if morning < total else "",
            fixed_slot=fixed[i - 1] or None,
            after=frozenset(f"m{j}" for j in precedences[i - 1]),
        ))  # fmt: skip
    return Problem(slots=slots, people=persons, meetings=tuple(out)).validate()
