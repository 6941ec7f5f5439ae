"""An event's plan by days: its rounds, breaks and tables from one line per day.

Pure. An organiser says "on 2036-05-06, 8 rounds from 09:00, 20 minutes each with 5 to
change tables, coffee 10:45-11:15, lunch 12:30-13:30, 40 tables"; this module turns such
days into `Round`, `Break` and `Table` records. The days come as `Row`s, so the command line
(`matchboard plan`), a plan CSV and a spreadsheet's Plan sheet share every check, and an
error names the row (or day) and the column (or option) it is about. The records go through
`ImportJob`, as any import: the rules are checked on the whole plan, all or nothing.

How rounds are laid out: a round's meetings start at `start`, the next round's one meeting
length and one changeover later (people change tables during the changeover before each
round). A round whose changeover or meetings would overlap a break starts one changeover
after the break ends. Rounds are numbered 1, 2, ... across the days in date order; the
days 1, 2, ... in date order. Times are in the event's timezone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final

from server.core import import_fields as cells
from server.core.import_fields import Row
from server.core.import_plan import ImportJob, ImportPlan
from server.core.model import Break, Record, Round, Table
from server.core.state import EventState

PLAN_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "date": ("date", "day"),
    "start": ("start", "first_round", "starts_at"),
    "rounds": ("rounds",),
    "meeting_minutes": ("meeting_minutes", "meeting_length", "round_minutes"),
    "changeover_minutes": ("changeover_minutes", "changeover"),
    "breaks": ("breaks", "break"),
    "tables": ("tables",),
}
DEFAULT_MEETING_MINUTES: Final = 20
DEFAULT_CHANGEOVER_MINUTES: Final = 5
_HHMM: Final = r"(\d{1,2}[:.]\d{2})(?::00)?"
_BREAK: Final = re.compile(rf"{_HHMM}\s*[-–]\s*{_HHMM}\s*(.*)")


@dataclasses.dataclass(frozen=True, slots=True)
class Day:
    on: date
    start: time
    rounds: int
    meeting_s: int
    changeover_s: int
    breaks: tuple[tuple[time, time, str], ...]
    row: Row


def day_date(value: Any) -> date:
    s = cells.text(value)[:10]
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{cells.text(value)!r} is not a date such as 2036-05-06") from None


def clock_time(value: Any) -> time:
    s = cells.text(value).replace(".", ":")
    if "T" in s or " " in s.strip():  # a date and time (a spreadsheet's cell): its time
        s = s.strip().replace("T", " ").rsplit(" ", 1)[-1]
    try:
        return time.fromisoformat(s if len(s) > 4 else s.zfill(5))
    except ValueError:
        raise ValueError(f"{cells.text(value)!r} is not a time of day such as 09:00") from None


def breaks(value: Any) -> tuple[tuple[time, time, str], ...]:
    """Breaks from "10:45-11:15; 12:30-13:30 Lunch" (a label may follow each)."""
    out = []
    for part in cells.items(value, ";\n"):
        found = _BREAK.fullmatch(part)
        if found is None:
            raise ValueError(f"{part!r} is not a break such as 10:45-11:15 or 12:30-13:30 Lunch")
        starts, ends = clock_time(found[1]), clock_time(found[2])
        if starts >= ends:
            raise ValueError(f"the break {part!r} ends before it starts")
        out.append((starts, ends, found[3].strip() or "Break"))
    return tuple(sorted(out))


def _minutes(what: str) -> Any:
    def parse(value: Any) -> int:
        seconds = cells.minutes_s(value)
        if what == "meeting" and seconds == 0:
            raise ValueError("a round needs more than 0 minutes")
        return seconds

    return parse


def _count(what: str) -> Any:
    return cells.optional_number(what)


class DayPlanner:
    """Days read from rows, then laid out as rounds, breaks and tables for `job`."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.days: list[Day] = []
        self.tables: tuple[int, Row] | None = None

    def day(self, row: Row) -> None:
        p, errors = self.job.problems, len(self.job.problems.errors)
        on = p.parse(row, "date", day_date, None)
        if on is None:
            self.job.missing(row, "date", "the date is missing")
        start = p.parse(row, "start", clock_time, None)
        if start is None:
            self.job.missing(row, "start", "the start time of the first round is missing")
        rounds = p.parse(row, "rounds", _count("number of rounds"), None)
        if rounds is None:
            self.job.missing(row, "rounds", "the number of rounds is missing")
        meeting_s = p.parse(row, "meeting_minutes", _minutes("meeting"), None)
        changeover_s = p.parse(row, "changeover_minutes", _minutes("changeover"), None)
        none: tuple[tuple[time, time, str], ...] = ()
        pauses = p.parse(row, "breaks", breaks, none)
        tables = p.parse(row, "tables", _count("number of tables"), None)
        if tables is not None and self.tables is not None and tables != self.tables[0]:
            where = f"{self.job.unit} {self.tables[1].line}"
            p.add(row.line, row.col("tables"), f"{tables} tables here, {self.tables[0]} on {where}")
        elif tables is not None:
            self.tables = (tables, row)
        if on is not None:
            self.job.first("day", on, row, "date", f"{on} is planned twice")
        if len(p.errors) > errors or on is None or start is None or rounds is None:
            return
        meeting_s = DEFAULT_MEETING_MINUTES * 60 if meeting_s is None else meeting_s
        if changeover_s is None:
            changeover_s = DEFAULT_CHANGEOVER_MINUTES * 60
        self.days.append(Day(on, start, rounds, meeting_s, changeover_s, pauses, row))

    def lay_out(self, tz: tzinfo) -> None:
        job, index = self.job, 0
        for number, day in enumerate(sorted(self.days, key=lambda d: d.on), 1):
            at = datetime.combine(day.on, day.start, tz)
            meeting, changeover = (
                timedelta(seconds=day.meeting_s),
                timedelta(seconds=day.changeover_s),
            )
            pauses = [(datetime.combine(day.on, s, tz), datetime.combine(day.on, e, tz), label)
                      for s, e, label in day.breaks]  # fmt: skip
            for k, (starts, ends, label) in enumerate(pauses, 1):
                record = Break(f"day{number}-break{k}", number, _ms(starts), _ms(ends), label)
                job.keep(_update(job.state, record), day.row)
            for _ in range(day.rounds):
                for starts, ends, _label in pauses:  # in time order: one pass suffices
                    if at - changeover < ends and at + meeting > starts:
                        at = ends + changeover
                if (at + meeting).date() != day.on:
                    late = f"{day.rounds} rounds from {day.start:%H:%M} run past midnight"
                    job.problems.add(day.row.line, day.row.col("rounds"), late)
                    break
                index += 1
                rnd = Round(index, number, _ms(at), day.meeting_s, day.changeover_s)
                job.keep(_update(job.state, rnd), day.row)
                job.rounds.add(index)
                job.plan[index] = rnd
                at += meeting + changeover
        self._beyond("round", index, job.state.rounds)
        count = self.tables[0] if self.tables else 0
        if not count and not job.state.tables and self.days:
            row = self.days[0].row
            job.problems.add(row.line, row.col("tables") or "tables",
                             "the event has no tables yet: say how many")  # fmt: skip
        for number in range(1, count + 1):
            table = Table(number, capacity=job.defaults(Table)["capacity"])
            job.keep(_update(job.state, table), self.tables[1] if self.tables else self.days[0].row)
            job.tables.add(number)
        if count:
            self._beyond("table", count, job.state.tables)

    def _beyond(self, what: str, count: int, existing: dict[int, Any]) -> None:
        """A plan sets the event's rounds (tables): it cannot leave old ones after its own."""
        extra = sorted(n for n in existing if n > count)
        if extra and (self.days or what == "table"):
            option = "tables" if what == "table" else "rounds"
            row = self.tables[1] if what == "table" and self.tables else self.days[-1].row
            self.job.problems.add(row.line, row.col(option),
                                  f"the event already has {what}s up to {extra[-1]}; this plan "
                                  f"makes {count}: plan at least {extra[-1]} {what}s")  # fmt: skip


def _update(state: EventState, record: Record) -> Record:
    """The record as planned, keeping what the plan does not say (a table's label)."""
    old = state.get(record.KIND, record.key)
    if isinstance(old, Table) and isinstance(record, Table):
        return old
    if isinstance(old, Round) and isinstance(record, Round):
        timing = ("day", "starts_at_ms", "meeting_s", "changeover_s")
        return dataclasses.replace(old, **{name: getattr(record, name) for name in timing})
    if isinstance(old, Break) and isinstance(record, Break):
        return dataclasses.replace(
            record, label=record.label if record.label != "Break" else old.label
        )
    return record


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def plan_days(state: EventState, rows: Sequence[Row], job: ImportJob) -> ImportPlan:
    """The plan of `rows` (one per day) as records to upsert; ImportFailed names each
    wrong cell. Tables and rounds beyond those planned are an error, not deleted; the
    event's other breaks are deleted (`deletes`)."""
    if job.tz is None:
        job.problems.add(0, None, "create the event first: its timezone says when the rounds are")
        job.problems.raise_if_any()
    assert job.tz is not None
    planner = DayPlanner(job)
    job.run(rows, planner.day)
    if not rows:
        job.problems.add(0, None, "no day is planned")
    if job.problems.errors:
        job.problems.raise_if_any()
    planner.lay_out(job.tz)
    plan = job.finish()
    # The plan sets the event's days: breaks it does not have (an earlier plan's) go.
    planned = {key for kind, key in job.located if kind == Break.KIND}
    stale = tuple((Break.KIND, key) for key in sorted(state.breaks) if key not in planned)
    return dataclasses.replace(plan, deletes=stale)


def import_plan_csv(state: EventState, text: str, *, filename: str = "plan.csv") -> ImportPlan:
    job = ImportJob(state, filename, None, "line")
    return plan_from(job, cells.read_csv(text, PLAN_COLUMNS, job.problems))


def plan_from(job: ImportJob, table: cells.CsvTable) -> ImportPlan:
    """The plan of a table read from a CSV or a sheet."""
    job.require(table, PLAN_COLUMNS, "date", "start", "rounds")
    plan = plan_days(job.state, table.rows, job)
    return dataclasses.replace(plan, ignored_columns=tuple(table.ignored))
