"""Imports from a spreadsheet's sheets (XLSX): plan, participants and meetings, all or nothing.

Pure: the edge reads the workbook (server/edge/xlsx.py) into `Sheet`s of cell values;
here each cell becomes the text a CSV would hold (a real Excel date or time as ISO 8601,
12.0 as 12) and the rows go through the same readers and row logic as a CSV
(`import_fields.read_table`, `ImportJob`), so a sheet is checked exactly like a file. An
error names the file, the sheet, the row and the column.

A sheet's kind comes from its name (Plan, Participants, Meetings or Schedule, in any
case), else, in a workbook of one sheet, from its header row as for a CSV. The kinds are
read in the order plan, participants, meetings (meetings need their people and rounds),
each on the state the earlier ones leave, and every sheet's errors are reported before
anything is stored. Other sheets (an exported workbook's Outcomes and Agendas) are left
out and named in the plan (`ignored_sheets`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final, Literal

from server.core import import_days, importer
from server.core import import_fields as cells
from server.core.errors import ImportFailed
from server.core.import_plan import ImportJob, ImportPlan, Progress
from server.core.state import Change, EventState, state_from_records

SheetKind = Literal["plan", "participants", "meetings"]
ORDER: Final[tuple[SheetKind, ...]] = ("plan", "participants", "meetings")
SHEET_NAMES: Final[dict[str, SheetKind]] = {
    "plan": "plan",
    "days": "plan",
    "participants": "participants",
    "people": "participants",
    "meetings": "meetings",
    "schedule": "meetings",  # an exported workbook's schedule reads back unchanged
}
_SPECS: Final = {
    "plan": import_days.PLAN_COLUMNS,
    "participants": cells.PARTICIPANT_COLUMNS,
    "meetings": cells.MEETING_COLUMNS,
}
_BUILD: Final[dict[SheetKind, Callable[[ImportJob, cells.CsvTable], ImportPlan]]] = {
    "plan": import_days.plan_from,
    "participants": importer.participants_from,
    "meetings": importer.meetings_from,
}


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    rows: Sequence[tuple[int, Sequence[Any]]]  # (row number from 1, cell values)


def cell_text(value: Any) -> str:
    """A cell as a CSV would hold it: dates and times ISO 8601, whole floats without .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()  # a date typed into a date cell
        return value.isoformat(timespec="seconds" if not value.microsecond else "milliseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration cell: minutes
        return f"{value.total_seconds() / 60:g}"
    return str(value)


def guess_kind(header: Sequence[str]) -> SheetKind:
    """A sheet's (or CSV's) kind from its header cells."""
    names = {cells.norm_header(h) for h in header if h}
    if {"rounds", "start"} <= names or {"rounds", "date"} <= names:
        return "plan"
    meeting_sides = {"participant_a", "participant_b", "requester", "partner", "receiver"}
    return "meetings" if names & meeting_sides else "participants"


def _header(sheet: Sheet) -> list[str]:
    return next(([cell_text(v) for v in cells_] for _, cells_ in sheet.rows if any(
        not cells.blank(cell_text(v)) for v in cells_)), [])  # fmt: skip


def kinds_of(sheets: Sequence[Sheet], kind: SheetKind | None) -> dict[SheetKind, Sheet]:
    """Which sheet holds which kind. With `kind`: the sheet of that name, else the first."""
    named = {SHEET_NAMES[s.name.strip().lower()]: s for s in reversed(sheets)
             if s.name.strip().lower() in SHEET_NAMES}  # fmt: skip
    filled = [s for s in sheets if _header(s)]
    if kind is not None:
        chosen = named.get(kind) or (filled[0] if filled else None)
        return {kind: chosen} if chosen else {}
    if not named and len(filled) == 1:
        return {guess_kind(_header(filled[0])): filled[0]}
    return named


def import_workbook(
    state: EventState,
    sheets: Sequence[Sheet],
    *,
    filename: str,
    kind: SheetKind | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    chosen = kinds_of(sheets, kind)
    if not chosen:
        names = ", ".join(s.name for s in sheets) or "none"
        reason = (f"no sheet to import: name one Plan, Participants or Meetings (sheets: "
                  f"{names})")  # fmt: skip
        raise ImportFailed(f"1 error in {filename}; nothing was imported",
                           errors=[{"file": filename, "line": 0, "column": None,
                                    "reason": reason}])  # fmt: skip
    errors: list[dict[str, Any]] = []
    plans: list[ImportPlan] = []
    work = state
    for sheet_kind in (k for k in ORDER if k in chosen):
        sheet = chosen[sheet_kind]
        job = ImportJob(work, filename, progress, "row")
        job.problems.sheet, job.problems.unit = sheet.name, "row"
        lines = ((n, [cell_text(v) for v in values]) for n, values in sheet.rows)
        table = cells.read_table(lines, _SPECS[sheet_kind], job.problems)
        try:
            plan = _BUILD[sheet_kind](job, table)
            plans.append(plan)
            done = plan.records
        except ImportFailed as failed:
            errors += failed.details.get("errors", [])
            done = tuple(job.records)  # its good rows: the next sheets may name them
        if done and sheet_kind != ORDER[-1]:
            work = state_from_records(work.records(), work.epoch, work.version)
            work.apply(Change(upserts=done))
    if errors:
        n = len(errors)
        raise ImportFailed(f"{n} error{'' if n == 1 else 's'} in {filename}; nothing was imported",
                           errors=errors)  # fmt: skip
    ignored = tuple(s.name for s in sheets if s not in chosen.values() and _header(s))
    return ImportPlan(
        records=tuple(r for p in plans for r in p.records),
        created=sum(p.created for p in plans),
        updated=sum(p.updated for p in plans),
        unchanged=sum(p.unchanged for p in plans),
        ignored_columns=tuple(dict.fromkeys(c for p in plans for c in p.ignored_columns)),
        ignored_sheets=ignored,
        deletes=tuple(d for p in plans for d in p.deletes),
    )
