"""Parsing helpers for imports: reading CSV, header aliases, cell values (countries apart).

Pure: functions take text or decoded JSON values and return values, or raise ValueError
with a reason for a person that names the value. `Problems` collects those reasons with
their file, line and column so an import can report every error at once. No I/O, no clock.
Country names and codes are server/core/countries.py.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final, TypeVar

from server.core.errors import ImportFailed
from server.core.model import TimeWindow

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

# The end of a window given only a start: 9999-12-31T23:59:59.999Z.
OPEN_END_MS: Final = 253_402_300_799_999
# CSV exports prefix a cell starting with one of these with "'", so that a spreadsheet does
# not run it as a formula (CSV injection); imports drop that prefix again.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


# Canonical column name -> the header names accepted for it (compared case-insensitively,
# with spaces, "-" and "_" alike). The canonical names are the JSON field names.
PARTICIPANT_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "external_id": ("external_id", "id", "participant_id", "registration_id"),
    "first_name": ("first_name", "firstname", "first name"),
    "last_name": ("last_name", "lastname", "last name", "surname"),
    "name": ("name",),
    "organisation": (
        "organisation",
        "organization",
        "company",
        "organisation_name",
        "organization_name",
        "company_name",
    ),
    "country": ("country",),
    "title": ("title", "job_title", "position"),
    "email": ("email", "e-mail", "email_address"),
    "phone": ("phone", "phone_number", "mobile"),
    "tags": ("tags", "interests"),
    "languages": ("languages",),
    "unavailable_rounds": ("unavailable_rounds",),
    "available_from": ("available_from",),
    "available_until": ("available_until",),
    "home_table": ("home_table",),
}
MEETING_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "external_id": ("id", "meeting_id", "external_id"),
    "participant_a": ("participant_a", "a", "requester"),
    "participant_b": ("participant_b", "b", "partner", "receiver"),
    "round": ("round",),
    "table": ("table",),
    "note": ("note", "notes", "comment"),
    "rounds": ("rounds", "allowed_rounds", "session"),
    "after": ("after", "after_meetings"),
    "fixed": ("fixed",),
}


@dataclass
class Problems:
    """Every error found in one file; `raise_if_any` turns them into one ImportFailed."""

    file: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    sheet: str = ""  # a spreadsheet's sheet, when the rows come from one
    unit: str = ""  # what `line` counts when not a CSV line or JSON item: "row", "day"

    def add(self, line: int, column: str | None, reason: str) -> None:
        error = {"file": self.file, "line": line, "column": column, "reason": reason}
        error |= {k: v for k, v in (("sheet", self.sheet), ("unit", self.unit)) if v}
        self.errors.append(error)

    def parse(self, row: Row, name: str, parse: Callable[[Any], T], default: T) -> T:
        """The parsed value of `name` in `row`, or `default` when absent or invalid."""
        raw = row.values.get(name)
        if blank(raw):
            return default
        return self.attempt(row, name, lambda: parse(raw), default)

    def attempt(self, row: Row, name: str, make: Callable[[], T], default: T) -> T:
        """`make()`, or `default` with an error at `name` when it raises ValueError."""
        try:
            return make()
        except ValueError as exc:
            self.add(row.line, row.col(name), str(exc))
            return default

    def raise_if_any(self) -> None:
        if self.errors:
            n = len(self.errors)
            raise ImportFailed(
                f"{n} error{'' if n == 1 else 's'} in {self.file}; nothing was imported",
                errors=self.errors,
            )


@dataclass(frozen=True, slots=True)
class Row:
    """One CSV row or JSON item: raw values by canonical field name, and where they came from.

    `line` is the physical line of a CSV row, or the index of a JSON item; `path` is the JSON
    pointer of the item (None for CSV, whose column labels are the header cells as written).
    """

    line: int
    values: Mapping[str, Any]
    columns: Mapping[str, str] = field(default_factory=dict)
    path: str | None = None

    @property
    def section(self) -> str:
        """The JSON list the item is in ("participants", ...); "" for CSV."""
        return self.path.split("/")[1] if self.path else ""

    def col(self, name: str) -> str | None:
        if self.path is not None:
            return f"{self.path}/{name}"
        return self.columns.get(name)


@dataclass(frozen=True, slots=True)
class CsvTable:
    columns: dict[str, str]  # canonical name -> header cell as written
    rows: list[Row]
    # Header cells that match no known column: ignored, since platform exports carry many
    # columns Matchboard has no use for, and reported so that a misspelling is noticed.
    ignored: list[str]


def norm_header(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


def read_csv(text: str, spec: Mapping[str, tuple[str, ...]], problems: Problems) -> CsvTable:
    """Rows of a CSV whose header names are matched case-insensitively against `spec`
    (canonical name -> accepted names). Sniffs `,`, `;` or tab; drops a UTF-8 BOM."""
    text = text.removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def lines() -> Iterator[tuple[int, list[str]]]:
        line = 1
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                problems.add(reader.line_num, None, f"unreadable CSV: {exc}")
                return
            if cells is None:
                return
            start, line = line, reader.line_num + 1
            yield start, cells

    return read_table(lines(), spec, problems)


def read_table(
    lines: Iterable[tuple[int, Sequence[str]]],
    spec: Mapping[str, tuple[str, ...]],
    problems: Problems,
) -> CsvTable:
    """Rows from (line or row number, cells as text): a header row, then data rows; from a
    CSV or a spreadsheet's sheet, so both are read by the same rules."""
    aliases = {norm_header(a): canon for canon, names in spec.items() for a in names}
    header: dict[int, str] | None = None
    width = 0
    columns: dict[str, str] = {}
    ignored: list[str] = []
    rows: list[Row] = []
    for start, raw in lines:
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if header is None:
            header, width = {}, len(cells)
            for i, cell in enumerate(cells):
                if not cell:
                    continue
                canon = aliases.get(norm_header(cell))
                if canon is None:
                    ignored.append(cell)
                elif canon in columns:
                    problems.add(
                        start, cell, f"columns {columns[canon]!r} and {cell!r} mean the same"
                    )
                else:
                    header[i] = canon
                    columns[canon] = cell
            continue
        if any(cells[width:]):
            problems.add(start, None, "this row has more cells than the header has columns")
        values = {canon: unescape(cells[i]) for i, canon in header.items() if i < len(cells)}
        rows.append(Row(start, values, columns))
    if header is None:
        problems.add(1, None, "the file is empty: expected a header row and data rows")
    return CsvTable(columns, rows, ignored)


def unescape(cell: str) -> str:
    if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


def blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {value!r}")


def items(value: Any, separators: str = ";,") -> tuple[str, ...]:
    """A list from a JSON list or from a cell like "a; b, c"; duplicates and blanks dropped."""
    if isinstance(value, list):
        parts = [text(v) for v in value]
    else:
        parts = [p.strip() for p in re.split(f"[{re.escape(separators)}]", text(value))]
    return tuple(dict.fromkeys(p for p in parts if p))


def whole_number(value: Any, what: str = "value") -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    s = text(value)
    try:
        return int(s)
    except ValueError:
        raise ValueError(f"{what} {s!r} is not a whole number") from None


def optional_number(what: str) -> Callable[[Any], int | None]:
    def parse(value: Any) -> int | None:
        if value is None or value == "":
            return None
        n = whole_number(value, what)
        if n < 1:
            raise ValueError(f"{what} {n} must be 1 or more")
        return n

    return parse


def round_numbers(value: Any) -> frozenset[int]:
    parts = value if isinstance(value, list) else re.split(r"[;,\s]+", text(value))
    numbers = (optional_number("round")(p) for p in parts)
    return frozenset(n for n in numbers if n is not None)


def choice(cls: type[E]) -> Callable[[Any], E]:
    def parse(value: Any) -> E:
        try:
            return cls(text(value))
        except ValueError:
            names = ", ".join(str(m.value) for m in cls)
            raise ValueError(f"{value!r} is not one of {names}") from None

    return parse


def minutes_s(value: Any) -> int:
    try:
        minutes = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of minutes") from None
    if not minutes >= 0:
        raise ValueError(f"{value!r} is not a number of minutes")
    return round(minutes * 60)


def email(value: Any) -> str:
    s = text(value)
    if s and not _EMAIL.fullmatch(s):
        raise ValueError(f"{s!r} is not a valid email address")
    return s


def instant_ms(value: Any, tz: tzinfo | None) -> int:
    """Ms since the epoch of an ISO 8601 date-time; without an offset, in `tz` if given."""
    s = text(value)
    try:
        moment = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"{s!r} is not an ISO 8601 date and time such as 2026-05-06T09:30:00+02:00"
        ) from None
    if moment.tzinfo is None:
        if tz is None:
            raise ValueError(f"{s!r} has no UTC offset; write it like 2026-05-06T09:30:00+02:00")
        moment = moment.replace(tzinfo=tz)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def moments(value: Any, tz: tzinfo | None) -> list[int | None]:
    """Instants from a JSON list or a `;`-separated cell; an empty item is an open end."""
    parts = value if isinstance(value, list) else text(value).split(";")
    if parts in ([""], []):
        return []
    return [None if text(p) == "" else instant_ms(p, tz) for p in parts]


def windows(
    starts: list[int | None], ends: list[int | None], tz: tzinfo | None
) -> tuple[TimeWindow, ...]:
    """Windows from start and end times paired by position; a missing one is an open end."""
    if len(starts) + len(ends) == 1:
        starts, ends = starts or [None], ends or [None]
    if len(starts) != len(ends):
        raise ValueError(f"{len(ends)} times here for {len(starts)} in available_from")
    out = tuple(
        TimeWindow(start or 0, OPEN_END_MS if end is None else end)
        for start, end in zip(starts, ends, strict=True)
    )
    for window in out:
        if window.starts_at_ms >= window.ends_at_ms:
            since, until = (_iso(ms, tz) for ms in (window.starts_at_ms, window.ends_at_ms))
            raise ValueError(f"available from {since} until {until}: that ends before it starts")
    return out


def _iso(ms: int, tz: tzinfo | None) -> str:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz or UTC).isoformat()


def zone(name: str) -> tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
