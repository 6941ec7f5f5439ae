"""Imports of participants and meetings (CSV) and of whole events (JSON), all or nothing.

Pure: each function gets the current state and a file's text and returns an `ImportPlan`,
the records to upsert, which the caller commits as one change. Every error in the file is
collected first; if there is any, `ImportFailed` lists each with file, line, column and
reason (for JSON: the item's index and a JSON pointer), and nothing is returned. Unknown
JSON keys are errors: a typo must not drop data. Unknown CSV columns are ignored, because
platform exports carry many columns Matchboard has no use for, and listed in the plan
(`ignored_columns`) so the caller can show them; a missing required column names them. The rules
(double bookings, availability, table sizes) are checked last, on the whole plan, and
their errors point at the rows that caused them.

Ids are stable, so importing the same file twice changes nothing: a participant keeps the
id and token of the one with the same external id, a new one gets "p_" + sha1(external
id)[:10]; a meeting gets "m_" + sha1(its id column) or sha1(its sides' external ids).
New participants have no token: the caller mints them. In CSV an "id" column is the
external id; in JSON "id" is the record's own id, as `server.core.exporter.export_json` writes it.
A CSV leaving out an optional column keeps those fields of existing participants. Times
without a UTC offset are read in the event's timezone (an error if there is no event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import orjson

from server.core import import_fields as cells
from server.core.import_fields import MEETING_COLUMNS, PARTICIPANT_COLUMNS, Row
from server.core.import_plan import JSON_FIELDS, ImportJob, ImportPlan, Progress
from server.core.model import Participant
from server.core.state import EventState

__all__ = [
    "ImportPlan",
    "Progress",
    "import_json",
    "import_meetings_csv",
    "import_participants_csv",
]


def import_participants_csv(
    state: EventState,
    text: str,
    *,
    filename: str = "participants.csv",
    progress: Progress | None = None,
) -> ImportPlan:
    job = ImportJob(state, filename, progress, "line")
    return participants_from(job, cells.read_csv(text, PARTICIPANT_COLUMNS, job.problems))


def participants_from(job: ImportJob, table: cells.CsvTable) -> ImportPlan:
    """The participants of a table read from a CSV or a sheet."""
    names = {"name", "first_name", "last_name"} & table.columns.keys()
    job.require(table, PARTICIPANT_COLUMNS, "external_id", *names or ["name"])
    job.require(table, PARTICIPANT_COLUMNS, "organisation")
    job.run(table.rows, job.participant)
    return replace(job.finish(), ignored_columns=tuple(table.ignored))


def import_meetings_csv(
    state: EventState,
    text: str,
    *,
    filename: str = "meetings.csv",
    extra_participants: Sequence[Participant] = (),
    progress: Progress | None = None,
) -> ImportPlan:
    job = ImportJob(state, filename, progress, "line")
    job.extras = tuple(extra_participants)
    for person in job.extras:
        job.pids.add(person.id)
        if person.external_id:
            job.refs[person.external_id] = person.id
    return meetings_from(job, cells.read_csv(text, MEETING_COLUMNS, job.problems))


def meetings_from(job: ImportJob, table: cells.CsvTable) -> ImportPlan:
    """The meetings of a table read from a CSV or a sheet."""
    job.require(table, MEETING_COLUMNS, "participant_a", "participant_b")
    job.run(table.rows, job.meeting)
    return replace(job.finish(), ignored_columns=tuple(table.ignored))


def import_json(
    state: EventState, text: str, *, filename: str = "event.json", progress: Progress | None = None
) -> ImportPlan:
    job = ImportJob(state, filename, progress, "item")
    add = job.problems.add
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        add(exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
        data = {}
    if not isinstance(data, dict):
        add(0, None, f"expected a JSON object with the keys {', '.join(JSON_FIELDS)}")
        data = {}
    for key, value in data.items():
        if key not in (*JSON_FIELDS, "event"):  # "event" is written for people, not imported
            add(0, f"/{key}", f"unknown key {key!r}; expected {', '.join(JSON_FIELDS)}")
        elif key != "event" and not isinstance(value, list):
            add(0, f"/{key}", f"{key} must be a list")
    rows: list[Row] = []
    for key, accepted in JSON_FIELDS.items():  # in this order: meetings refer to the others
        section = data.get(key)
        for i, item in enumerate(section if isinstance(section, list) else ()):
            path = f"/{key}/{i}"
            if not isinstance(item, dict):
                add(i, path, f"expected an object, got {orjson.dumps(item)[:40].decode()}")
                continue
            for name in sorted(item.keys() - set(accepted)):
                add(i, f"{path}/{name}", f"unknown field {name!r}; accepted: {', '.join(accepted)}")
            rows.append(Row(i, item, path=path))
    builders = {"participants": job.participant, "meetings": job.meeting}
    job.run(rows, lambda row: builders.get(row.section, job.plain)(row))
    return job.finish()
