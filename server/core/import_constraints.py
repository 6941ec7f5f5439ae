"""The organiser's placement constraints in an import's meeting rows: `rounds` (where a
meeting may be held), `after` (which meetings come first) and `fixed`. Pure.

`rounds` accepts round numbers, ranges and whole days, in a cell or a JSON list:
"1-4, 7", "day 2", "day 1; 9-10". `after` names other meetings by the organiser's id (or
Matchboard's), in this file or already in the event; they are resolved once every row is
read, so a row may name a meeting further down. `fixed` is yes/no (true/false, 1/0).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Final

from server.core import import_fields as cells
from server.core.model import Meeting, Record, Round

_RANGE: Final = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_DAY: Final = re.compile(r"^day\s*(\d+)$", re.IGNORECASE)
_YES: Final = frozenset({"yes", "y", "true", "1", "x", "fixed"})
_NO: Final = frozenset({"no", "n", "false", "0", ""})


def allowed_rounds(value: Any, rounds: Mapping[int, Round]) -> tuple[int, ...]:
    """The rounds a `rounds` cell allows, sorted; ValueError naming the first bad part."""
    if not rounds:
        raise ValueError("the event has no rounds yet: import the plan first")
    parts = [str(v) for v in value] if isinstance(value, list) else cells.items(value, ";,")
    chosen: set[int] = set()
    for part in (p.strip() for p in parts):
        if part.isdigit():
            wanted = {int(part)}
        elif match := _RANGE.match(part):
            low, high = int(match[1]), int(match[2])
            if low > high:
                raise ValueError(f"{part!r}: a range goes from low to high")
            wanted = set(range(low, high + 1))
        elif match := _DAY.match(part):
            day = int(match[1])
            wanted = {r.index for r in rounds.values() if r.day == day}
            if not wanted:
                days = sorted({r.day for r in rounds.values()})
                raise ValueError(f"{part!r}: day {day} has no rounds (days are {days})")
        else:
            raise ValueError(f"{part!r} is not a round, a range like 1-4 or a day like 'day 2'")
        missing = sorted(wanted - set(rounds))
        if missing:
            known = f"rounds are {min(rounds)} to {max(rounds)}"
            raise ValueError(f"round {missing[0]} does not exist ({known})")
        chosen |= wanted
    return tuple(sorted(chosen))


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = cells.text(value).lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


def meeting_refs(value: Any) -> tuple[str, ...]:
    return cells.items(value, ";,")


def resolve_after(
    refs: tuple[str, ...], mid: str, ids: Mapping[str, str]
) -> tuple[tuple[str, ...], list[str]]:
    """The meeting ids `refs` name (by the organiser's id or by id), and the refs that name
    nothing (or the meeting itself)."""
    found: list[str] = []
    unknown: list[str] = []
    for ref in refs:
        target = ids.get(ref)
        if target is None or target == mid:
            unknown.append(ref)
        else:
            found.append(target)
    return tuple(dict.fromkeys(found)), unknown


def meeting_ids(state_meetings: Mapping[str, Meeting], new: list[Meeting]) -> dict[str, str]:
    """How an `after` cell may name a meeting: its id, or the organiser's id."""
    ids: dict[str, str] = {}
    for meeting in [*state_meetings.values(), *new]:
        ids[meeting.id] = meeting.id
        if meeting.external_id:
            ids[meeting.external_id] = meeting.id
    return ids


def resolve_all(
    records: list[Record],
    pending: Mapping[str, tuple[tuple[str, ...], cells.Row]],
    existing: Mapping[str, Meeting],
    problems: cells.Problems,
) -> None:
    """Give each meeting with an `after` cell the meeting ids it names (in place), and
    report, at its row, every name that is no other meeting."""
    ids = meeting_ids(existing, [r for r in records if isinstance(r, Meeting)])
    for i, record in enumerate(records):
        if isinstance(record, Meeting) and record.id in pending:
            refs, row = pending[record.id]
            after, unknown = resolve_after(refs, record.id, ids)
            for ref in unknown:
                problems.add(row.line, row.col("after"), f"no other meeting {ref!r}")
            records[i] = dataclasses.replace(record, after=after)
