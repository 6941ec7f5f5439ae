"""Building an import's records from its rows and planning the upserts, all or nothing.

Pure. `ImportJob` takes the rows server/core/importer.py read from a file, parses each cell
(server/core/import_fields.py), gives every record its stable id, collects every problem with
where it is, and `finish` returns the `ImportPlan`: only the new and changed records,
checked against the rules as one change (their errors point at the rows that caused
them), or `ImportFailed` listing every problem.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from typing import Any, Final

from server.core import countries
from server.core import import_constraints as constraints
from server.core import import_fields as cells
from server.core.errors import ParticipantBusy, RuleError, TableTaken
from server.core.import_fields import MEETING_COLUMNS, PARTICIPANT_COLUMNS, Row
from server.core.model import (
    Break,
    Meeting,
    MeetingOrigin,
    MeetingOutcome,
    MeetingStatus,
    Participant,
    Record,
    Round,
    Table,
)
from server.core.rules import check
from server.core.state import Change, EventState

Progress = Callable[[int, int], None]  # (rows done, rows in all), every PROGRESS_EVERY rows
PROGRESS_EVERY: Final = 500
MAX_RULE_ERRORS: Final = 20  # each costs a whole rules check; fix these, then import again

_PERSON_FIELDS: Final[dict[str, tuple[Callable[[Any], Any], Any]]] = {
    "country": (countries.country_code, ""),
    "title": (cells.text, ""),
    "email": (cells.email, ""),
    "phone": (cells.text, ""),
    "tags": (cells.items, ()),
    "languages": (cells.items, ()),
    "unavailable_rounds": (cells.round_numbers, frozenset()),
    "home_table": (cells.optional_number("home table"), None),
}
# Tables, rounds and breaks come only in JSON; their fields' parsers, and times apart.
_NUMBER: Final = cells.optional_number
_PLAIN_FIELDS: Final[dict[str, Callable[[Any], Any]]] = {
    "number": _NUMBER("table number"),
    "index": _NUMBER("round index"),
    "day": _NUMBER("day"),
    "capacity": _NUMBER("capacity"),
    **{name: cells.text for name in ("id", "label", "zone")},
    **{name: cells.minutes_s for name in ("meeting_minutes", "changeover_minutes")},
}
_PLAIN_KINDS: Final[dict[str, type[Table | Round | Break]]] = {
    "tables": Table,
    "rounds": Round,
    "breaks": Break,
}
_TIMES: Final = ("starts_at", "ends_at")
_RENAMED: Final = {"meeting_minutes": "meeting_s", "changeover_minutes": "changeover_s"}
JSON_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "tables": ("number", "label", "zone", "capacity"),
    "rounds": ("index", "day", "starts_at", "starts_at_ms", "label", *_RENAMED),
    "breaks": ("id", "day", "starts_at", "starts_at_ms", "ends_at", "ends_at_ms", "label"),
    "participants": ("id", *PARTICIPANT_COLUMNS),
    "meetings": ("id", *MEETING_COLUMNS, "status", "origin", "outcome", "absent", "replaced_by"),
}


@dataclass(frozen=True, slots=True)
class ImportPlan:
    records: tuple[Record, ...]  # the new and changed records, to upsert in one change
    created: int
    updated: int
    unchanged: int  # in the file but equal to what the state has: not in `records`
    ignored_columns: tuple[str, ...] = ()  # CSV header cells that match no known column
    ignored_sheets: tuple[str, ...] = ()  # a workbook's sheets of no kind it imports
    deletes: tuple[tuple[str, str], ...] = ()  # (kind, key): a plan's breaks replace the old


def _sha10(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:10]


class ImportJob:
    """One import in progress: the records built so far, where each came from, the errors."""

    def __init__(self, state: EventState, filename: str, progress: Progress | None, unit: str):
        self.state = state
        self.problems = cells.Problems(filename)
        self.progress = progress
        self.unit = unit  # what `Row.line` counts: "line" (CSV) or "item" (JSON)
        # Times written without an offset are in the event's timezone.
        self.tz: tzinfo | None = cells.zone(state.event.timezone) if state.event else None
        self.records: list[Record] = []
        self.located: dict[tuple[str, str], tuple[int, str | None]] = {}
        self.extras: tuple[Participant, ...] = ()
        self.rounds = set(state.rounds)
        self.plan = dict(state.rounds)  # the rounds by index, with those of this file
        self.tables = set(state.tables)
        self.refs = dict(state.by_external_id)  # how meetings name people -> participant id
        self.pids = set(state.participants)
        self.first_line: dict[tuple[str, object], int] = {}
        self.after: dict[str, tuple[tuple[str, ...], Row]] = {}  # meeting -> its `after` cell
        self.meeting_refs = {m.external_id: m.id for m in state.meetings.values() if m.external_id}

    def require(self, table: cells.CsvTable, spec: dict[str, Any], *names: str) -> None:
        unknown = ", ".join(repr(c) for c in table.ignored)
        for name in names:
            if table.columns and name not in table.columns:  # an empty file is reported
                accepted = ", ".join(spec[name])
                reason = f"missing column {name!r}; accepted names: {accepted}"
                if unknown:
                    reason += f" (columns not recognised: {unknown})"
                self.problems.add(1, name, reason)

    def run(self, rows: Sequence[Row], build: Callable[[Row], None]) -> None:
        total = len(rows)
        for done, row in enumerate(rows, 1):
            build(row)
            if self.progress is not None and done % PROGRESS_EVERY == 0 and done < total:
                self.progress(done, total)
        if self.progress is not None:
            self.progress(total, total)

    def keep(self, record: Record, row: Row) -> None:
        self.records.append(record)
        self.located[(record.KIND, record.key)] = (row.line, row.path)

    def first(self, what: str, key: object, row: Row, column: str, reason: str) -> bool:
        """Whether `key` is new in this file; if not, an error naming both places."""
        line = self.first_line.setdefault((what, key), row.line)
        if line != row.line:
            self.problems.add(row.line, row.col(column), f"{reason} (also on {self.unit} {line})")
        return line == row.line

    def missing(self, row: Row, name: str, reason: str) -> None:
        # A CSV without the column was reported once, at its header; a value that is there
        # but invalid was reported by its parser.
        if cells.blank(row.values.get(name)) and (row.path is not None or name in row.columns):
            self.problems.add(row.line, row.col(name), reason)

    def instant(self, row: Row, name: str) -> int | None:
        iso = self.problems.parse(row, name, lambda v: cells.instant_ms(v, self.tz), None)
        ms = self.problems.parse(row, f"{name}_ms", cells.whole_number, None)
        if iso is not None and ms is not None and iso != ms:
            self.problems.add(row.line, row.col(f"{name}_ms"), f"{name} and {name}_ms disagree")
        return ms if ms is not None else iso

    def participant(self, row: Row) -> None:
        p, errors, text = self.problems, len(self.problems.errors), cells.text
        ext, rid = p.parse(row, "external_id", text, ""), p.parse(row, "id", text, "")
        if not ext and not rid:
            self.missing(row, "external_id", "the external id is missing")
        first, last = p.parse(row, "first_name", text, ""), p.parse(row, "last_name", text, "")
        name = p.parse(row, "name", text, "") or " ".join(n for n in (first, last) if n)
        if not name:
            column = next((c for c in ("name", "first_name", "last_name") if row.col(c)), "name")
            self.missing(row, column, "the name is missing")
        org = p.parse(row, "organisation", text, "")
        if not org:
            self.missing(row, "organisation", "the organisation is missing")
        fields: dict[str, Any] = {"name": name, "organisation": org}
        for field, (parse, empty) in _PERSON_FIELDS.items():
            if field in row.values:
                fields[field] = p.parse(row, field, parse, empty)
        for n in sorted(fields.get("unavailable_rounds", ())):
            if self.rounds and n not in self.rounds:
                low, high = min(self.rounds), max(self.rounds)
                reason = f"round {n} does not exist (rounds are {low} to {high})"
                p.add(row.line, row.col("unavailable_rounds"), reason)
        home = fields.get("home_table")
        if home is not None and home not in self.tables:
            hint = " (the event has no tables yet)" if not self.tables else ""
            p.add(row.line, row.col("home_table"), f"there is no table {home}{hint}")
        if "available_from" in row.values or "available_until" in row.values:
            none: list[int | None] = []
            starts = p.parse(row, "available_from", self.moments, none)
            ends = p.parse(row, "available_until", self.moments, none)
            windows = partial(cells.windows, starts, ends, self.tz)
            fields["available_windows"] = p.attempt(row, "available_until", windows, None) or ()
        if key := ext or rid:
            what = "external id" if ext else "id"
            self.first("participant", key, row, "external_id", f"duplicate {what} {key!r}")
        if len(p.errors) > errors:
            return
        pid = self.state.by_external_id.get(ext) or rid
        unnamed = self.state.participants.get(ext)
        if not pid and unnamed is not None and not unnamed.external_id:
            pid, ext = ext, ""  # one without an external id is exported under its own id
        pid = pid or f"p_{_sha10(ext)}"
        if not self.first("participant id", pid, row, "external_id", f"id {pid} is taken"):
            return
        base = self.state.participants.get(pid) or Participant(id=pid, name=name)
        self.keep(dataclasses.replace(base, id=pid, external_id=ext, **fields), row)
        self.pids.add(pid)
        if ext:
            self.refs[ext] = pid

    def moments(self, value: Any) -> list[int | None]:
        return cells.moments(value, self.tz)

    def side(self, row: Row, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The external ids a side gives, and the participant ids they name."""
        refs: tuple[str, ...] = self.problems.parse(row, name, lambda v: cells.items(v, ";+"), ())
        if not refs:
            self.missing(row, name, f"{name} is missing")
        return refs, self.people(row, name) or ()

    def meeting(self, row: Row) -> None:
        p, errors = self.problems, len(self.problems.errors)
        ext, rid = p.parse(row, "external_id", cells.text, ""), p.parse(row, "id", cells.text, "")
        refs_a, side_a = self.side(row, "participant_a")
        refs_b, side_b = self.side(row, "participant_b")
        for ref in sorted(set(refs_a) & set(refs_b)):
            p.add(row.line, row.col("participant_b"), f"{ref!r} is on both sides")
        rnd = p.parse(row, "round", cells.optional_number("round"), None)
        table = p.parse(row, "table", cells.optional_number("table"), None)
        status = p.parse(row, "status", cells.choice(MeetingStatus), None)
        origin = p.parse(row, "origin", cells.choice(MeetingOrigin), None)
        note = p.parse(row, "note", cells.text, None)
        outcome = p.parse(row, "outcome", cells.choice(MeetingOutcome), None)
        replaced_by = p.parse(row, "replaced_by", cells.text, None)
        absent = self.people(row, "absent")
        in_plan = partial(constraints.allowed_rounds, rounds=self.plan)
        allowed = p.parse(row, "rounds", in_plan, None)
        after = p.parse(row, "after", constraints.meeting_refs, None)
        fixed = p.parse(row, "fixed", constraints.flag, None)
        if fixed and (rnd is None or table is None):
            p.add(row.line, row.col("fixed"), "a fixed meeting needs its round and table")
        for what, number, known in (("round", rnd, self.rounds), ("table", table, self.tables)):
            if number is not None and number not in known:
                hint = f"the event has no {what}s yet" if not known else f"no such {what}"
                p.add(row.line, row.col(what), f"{what} {number} does not exist ({hint})")
        if table is not None and cells.blank(row.values.get("round")):
            p.add(row.line, row.col("table"), f"table {table} is given without a round")
        if len(p.errors) > errors:
            return
        if status not in (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW):
            pair = frozenset((frozenset(side_a), frozenset(side_b)))
            names = f"{'+'.join(refs_a)} and {'+'.join(refs_b)}"
            if not self.first("pair", pair, row, "participant_a", f"{names} meet twice"):
                return
        sides = sorted(";".join(sorted(refs)) for refs in (refs_a, refs_b))
        mid, ext = self.meeting_id(rid, ext, sides)
        if not self.first("meeting", mid, row, "external_id", f"duplicate meeting id {mid!r}"):
            return
        old = self.state.meetings.get(mid)
        if old is not None and {old.side_a, old.side_b} == {side_a, side_b}:
            side_a, side_b = old.side_a, old.side_b  # the same meeting, written the other way
        if status is not None:
            place = (rnd, table, status)  # a whole record, as exported
        elif old is not None and (rnd is None or (rnd == old.round and table in (None, old.table))):
            place = (old.round, old.table, old.status)  # keeps what was planned since
        elif rnd is not None and table is not None:
            place = (rnd, table, MeetingStatus.SCHEDULED)
        else:
            place = (rnd, None, MeetingStatus.REQUESTED)  # a wish, maybe for a fixed round
        record = Meeting(
            mid,
            side_a,
            side_b,
            *place,
            origin=origin or (old.origin if old else MeetingOrigin.PLANNED),
            external_id=ext or (old.external_id if old else ""),
            note=note if note is not None else (old.note if old else ""),
            absent=absent if absent is not None else (old.absent if old else ()),
            replaced_by=(old.replaced_by if old else "") if replaced_by is None else replaced_by,
            outcome=outcome or (old.outcome if old else None),
            rounds=allowed if allowed is not None else (old.rounds if old else ()),
            after=old.after if old and after is None else (),
            fixed=fixed if fixed is not None else (old.fixed if old else False),
        )
        if after is not None:
            self.after[mid] = (after, row)  # resolved once every row is read
        self.keep(record, row)

    def meeting_id(self, rid: str, ext: str, sides: list[str]) -> tuple[str, str]:
        """The meeting's id and external id. A schedule export names a meeting by the
        organiser's id, or by our own id when it has none: both find the same meeting."""
        own = self.state.meetings.get(ext) if ext else None
        if rid or ext in self.meeting_refs:
            return rid or self.meeting_refs[ext], ext
        if own is not None and not own.external_id:
            return own.id, ""
        return f"m_{_sha10(ext or '|'.join(sides))}", ext

    def people(self, row: Row, name: str) -> tuple[str, ...] | None:
        """Participants named in an optional list (external ids or ids); None when absent."""
        if cells.blank(row.values.get(name)):
            return None
        refs: tuple[str, ...] = self.problems.parse(row, name, lambda v: cells.items(v, ";+"), ())
        pids = []
        for ref in refs:
            pid = self.refs.get(ref) or (ref if ref in self.pids else None)
            if pid is None:
                self.problems.add(row.line, row.col(name), f"unknown participant {ref!r}")
            else:
                pids.append(pid)
        return tuple(pids)

    def plain(self, row: Row) -> None:
        """A table, round or break (JSON only); fields left out keep their old values."""
        p, errors = self.problems, len(self.problems.errors)
        cls, names = _PLAIN_KINDS[row.section], JSON_FIELDS[row.section]
        fields = {n: p.parse(row, n, _PLAIN_FIELDS[n], None) for n in names if n in _PLAIN_FIELDS}
        fields |= {f"{t}_ms": self.instant(row, t) for t in _TIMES if t in names}
        fields = {_RENAMED.get(k, k): v for k, v in fields.items() if v is not None}
        key_field = names[0]
        if key_field not in fields:
            self.missing(row, key_field, f"the {key_field} is missing")
            return
        key = fields[key_field]
        old = self.state.get(cls.KIND, str(key))
        if old is None:
            for t in _TIMES:
                if t in names and f"{t}_ms" not in fields:
                    self.missing(row, t, f"{t} is missing")
            fields = {**self.defaults(cls), **fields}
        if fields.get("meeting_s") == 0:
            p.add(row.line, row.col("meeting_minutes"), "a round needs more than 0 minutes")
        if len(p.errors) > errors:
            return
        if not self.first(cls.KIND, key, row, key_field, f"duplicate {cls.KIND} {key!r}"):
            return
        record = dataclasses.replace(old, **fields) if old is not None else cls(**fields)
        if isinstance(record, Break) and record.starts_at_ms >= record.ends_at_ms:
            p.add(row.line, row.col("ends_at"), "the break ends before it starts")
            return
        self.keep(record, row)
        if isinstance(record, Table):
            self.tables.add(record.number)
        elif isinstance(record, Round):
            self.rounds.add(record.index)
            self.plan[record.index] = record

    def defaults(self, cls: type[Record]) -> dict[str, Any]:
        if cls is Table:
            event = self.state.event
            return {"capacity": event.settings.default_capacity if event else 2}
        return {"day": 1}

    def finish(self) -> ImportPlan:
        if self.after:  # `after` names meetings in this file or the event: all known now
            constraints.resolve_all(self.records, self.after, self.state.meetings, self.problems)
        self.problems.raise_if_any()
        changed = [r for r in self.records if self.state.get(r.KIND, r.key) != r]
        created = sum(1 for r in changed if self.state.get(r.KIND, r.key) is None)
        self.check_rules(changed)
        self.problems.raise_if_any()
        unchanged = len(self.records) - len(changed)
        return ImportPlan(tuple(changed), created, len(changed) - created, unchanged)

    def check_rules(self, pending: list[Record]) -> None:
        """Report each rule violation at its row: drop the offending record, check again."""
        found: list[tuple[int, str | None, str]] = []
        for _ in range(MAX_RULE_ERRORS):
            try:
                check(self.state, Change(upserts=(*self.extras, *pending)))
                break
            except RuleError as err:
                key = self.offender(err, pending)
                if key is None:
                    found.append((0, None, err.message))
                    break
                reason, other = err.message, (Meeting.KIND, str(err.details.get("meeting")))
                if other != key and other in self.located:
                    reason += f" (on {self.unit} {self.located[other][0]})"
                found.append((*self.located[key], reason))
                pending = [r for r in pending if (r.KIND, r.key) != key]
        else:
            found.append((0, None, f"stopped after {MAX_RULE_ERRORS} conflicts with the rules"))
        for line, column, reason in sorted(found, key=lambda f: f[0]):
            self.problems.add(line, column, reason)

    def offender(self, err: RuleError, pending: list[Record]) -> tuple[str, str] | None:
        d = err.details
        if isinstance(err, ParticipantBusy | TableTaken):
            for r in pending:  # the first claim other than the one the error names
                if not isinstance(r, Meeting) or not r.occupies or r.id == d.get("meeting"):
                    continue
                if r.round == d.get("round") and (
                    d.get("participant") in r.people
                    if isinstance(err, ParticipantBusy)
                    else r.table == d.get("table")
                ):
                    return (Meeting.KIND, r.id)
        for kind in (Meeting.KIND, Participant.KIND, Table.KIND, Round.KIND):
            if (kind, str(d.get(kind))) in self.located:
                return (kind, str(d.get(kind)))
        return None
