"""`matchboard plan EVENT`: an event's days, rounds, breaks and tables from the command line.

    matchboard plan my-event --tables 12 --meeting-minutes 20 --changeover-minutes 5 \
        --day 2036-05-06 --start 09:00 --rounds 8 --break 10:45-11:15 --break "12:30-13:30 Lunch" \
        --day 2036-05-07 --start 09:30 --rounds 6

Options before the first `--day` hold for every day; `--start`, `--rounds`,
`--meeting-minutes`, `--changeover-minutes` and `--break` after a `--day` are that day's
(its breaks are added to those of every day). The options become one row per day for
server/core/import_days.py, which checks them as it checks a plan file's rows: an error
names the day and the option, and nothing is stored.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from server.core import import_days
from server.core.errors import BadRequest
from server.core.import_fields import Row, zone
from server.core.import_plan import ImportJob, ImportPlan
from server.core.state import EventState
from server.edge import planning
from server.edge.cli_events import settings_from, with_service
from server.edge.service import Service

# option -> the plan column it fills (server/core/import_days.py, PLAN_COLUMNS)
OPTIONS: Final = {
    "--day": "date",
    "--start": "start",
    "--rounds": "rounds",
    "--meeting-minutes": "meeting_minutes",
    "--changeover-minutes": "changeover_minutes",
    "--break": "breaks",
    "--tables": "tables",
}
SOURCE: Final = "command line"


class _InOrder(argparse.Action):
    """Keeps every plan option with its value in the order given: a day's options are
    those after its `--day`."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = list(getattr(namespace, "plan_items", None) or [])
        items.append((option_string, values))
        namespace.plan_items = items


def add_plan_arguments(p: argparse.ArgumentParser) -> None:
    helps = {
        "--day": "a day of meetings, e.g. 2036-05-06 (repeat for each day; the options "
        "after it are that day's)",
        "--start": "when the first round's meetings begin, e.g. 09:00 (event's timezone)",
        "--rounds": "how many rounds that day",
        "--meeting-minutes": f"length of a meeting (default {import_days.DEFAULT_MEETING_MINUTES})",
        "--changeover-minutes": "time to change tables before each round (default "
        f"{import_days.DEFAULT_CHANGEOVER_MINUTES})",
        "--break": "a break without meetings, e.g. 10:45-11:15 or '12:30-13:30 Lunch' (repeatable)",
        "--tables": "how many tables (numbered 1 to N)",
    }
    metavars = {"--day": "DATE", "--start": "HH:MM", "--break": "HH:MM-HH:MM"}
    for option, help_ in helps.items():
        p.add_argument(option, action=_InOrder, dest="plan_items", default=None,
                       metavar=metavars.get(option, "N"), help=help_)  # fmt: skip


def day_rows(items: Sequence[tuple[str, str]]) -> list[Row]:
    """One row per `--day`, with the options that hold for every day filled in."""
    shared: dict[str, list[str]] = {}
    days: list[dict[str, list[str]]] = []
    for option, value in items:
        if option == "--day":
            days.append({"date": [value]})
            continue
        scope = days[-1] if days and option != "--tables" else shared
        values = scope.setdefault(OPTIONS[option], [])
        if values and option != "--break":
            where = f"for day {len(days)} ({days[-1]['date'][0]})" if scope is not shared else ""
            raise BadRequest(f"{option} is given twice {where}: {values[0]} and {value}".strip())
        values.append(value)
    if not days:
        raise BadRequest("give at least one --day (e.g. --day 2036-05-06 --start 09:00 --rounds 8)")
    columns = {column: option for option, column in OPTIONS.items()}
    rows = []
    for number, own in enumerate(days, 1):
        merged = {k: shared.get(k, []) + own.get(k, []) for k in {*shared, *own}}
        if number > 1:  # the tables are the event's: said once, on the first day
            merged.pop("tables", None)
        cells = {k: "; ".join(v) if k == "breaks" else v[-1] for k, v in merged.items()}
        rows.append(Row(number, cells, columns))
    return rows


def plan_from_rows(state: EventState, rows: Sequence[Row]) -> ImportPlan:
    job = ImportJob(state, SOURCE, None, "day")
    job.problems.unit = "day"
    return import_days.plan_days(state, rows, job)


def describe_plan(state: EventState, now_ms: int) -> list[str]:
    """The event's days as an organiser checks them: rounds, times, breaks, tables."""
    tz = (zone(state.event.timezone) if state.event else None) or UTC

    def at(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz).strftime("%H:%M")

    lines = []
    for day in sorted({r.day for r in state.rounds.values()}):
        rounds = sorted((r for r in state.rounds.values() if r.day == day), key=lambda r: r.index)
        first, last = rounds[0], rounds[-1]
        on = datetime.fromtimestamp(first.starts_at_ms / 1000, tz).date().isoformat()
        pauses = sorted((b for b in state.breaks.values() if b.day == day),
                        key=lambda b: b.starts_at_ms)  # fmt: skip
        text = ", ".join(f"{b.label} {at(b.starts_at_ms)}-{at(b.ends_at_ms)}" for b in pauses)
        lines.append(f"day {day}, {on}: rounds {first.index}-{last.index}, meetings "
                     f"{at(first.starts_at_ms)}-{at(last.ends_at_ms)}"
                     + (f"; breaks: {text}" if text else ""))  # fmt: skip
    lines.append(f"{len(state.tables)} tables")
    begun = [r.index for r in state.rounds.values() if r.seating_at_ms <= now_ms]
    if begun:
        lines.append(f"warning: rounds {min(begun)}-{max(begun)} have begun or are over: "
                     "`matchboard schedule` places meetings only in rounds not begun")  # fmt: skip
    return lines


def cmd_plan(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    rows = day_rows(args.plan_items or [])

    async def work(service: Service) -> None:
        def parse(state: EventState) -> ImportPlan:
            return plan_from_rows(state, rows)

        outcome = await planning.import_parsed(service, args.event, "plan", parse, SOURCE, "cli")
        plan = outcome.plan
        removed = f", {len(plan.deletes)} old breaks removed" if plan.deletes else ""
        print(f"plan: {plan.created} created, {plan.updated} updated, {plan.unchanged} unchanged"
              + removed)  # fmt: skip
        for line in describe_plan(await service.state(args.event), service.clock()):
            print(line)

    with_service(settings, work)
