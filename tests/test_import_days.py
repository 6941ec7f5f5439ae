"""An event's plan by days (server/core/import_days.py): from a plan CSV and from the
options of `matchboard plan` (server/edge/cli_plan.py), checked alike, all or nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.core.errors import BadRequest, ImportFailed
from server.core.import_days import import_plan_csv
from server.core.model import Break, Event, Round, Table
from server.core.state import Change, EventState
from server.edge.cli_plan import day_rows, plan_from_rows

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "own-event"
BERLIN = ZoneInfo("Europe/Berlin")


def event_state() -> EventState:
    state = EventState()
    state.apply(Change(upserts=(Event(id="ev", name="Ev", timezone="Europe/Berlin"),)))
    return state


def at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, BERLIN).strftime("%Y-%m-%d %H:%M")


def test_the_examples_plan_csv_lays_out_rounds_around_the_breaks() -> None:
    state = event_state()
    plan = import_plan_csv(state, (EXAMPLE / "plan.csv").read_text(encoding="utf-8"))
    rounds = sorted((r for r in plan.records if isinstance(r, Round)), key=lambda r: r.index)
    assert [(r.index, r.day, at(r.starts_at_ms)) for r in rounds] == [
        (1, 1, "2036-05-06 09:00"),
        (2, 1, "2036-05-06 09:25"),
        (3, 1, "2036-05-06 09:50"),
        # 10:15 would seat people during the coffee break (10:15-10:45): after it, seated
        # during the changeover
        (4, 1, "2036-05-06 10:50"),
        (5, 1, "2036-05-06 11:15"),
        (6, 1, "2036-05-06 11:40"),
        (7, 2, "2036-05-07 09:30"),
        (8, 2, "2036-05-07 09:55"),
        (9, 2, "2036-05-07 10:20"),
        (10, 2, "2036-05-07 10:45"),
    ]
    assert {(r.meeting_s, r.changeover_s) for r in rounds} == {(1200, 300)}
    breaks = sorted((b for b in plan.records if isinstance(b, Break)), key=lambda b: b.id)
    assert [(b.label, at(b.starts_at_ms), at(b.ends_at_ms)) for b in breaks] == [
        ("Coffee", "2036-05-06 10:15", "2036-05-06 10:45"),
        ("Lunch", "2036-05-06 12:00", "2036-05-06 13:00"),
    ]
    assert sorted(t.number for t in plan.records if isinstance(t, Table)) == [1, 2, 3, 4]
    state.apply(Change(upserts=plan.records))
    again = import_plan_csv(state, (EXAMPLE / "plan.csv").read_text(encoding="utf-8"))
    assert (again.created, again.updated, again.records) == (0, 0, ())


def test_command_line_options_hold_for_every_day_unless_a_day_says_otherwise() -> None:
    rows = day_rows([
        ("--tables", "3"), ("--meeting-minutes", "15"), ("--break", "12:00-13:00 Lunch"),
        ("--day", "2036-05-07"), ("--start", "14:00"), ("--rounds", "2"),
        ("--day", "2036-05-06"), ("--start", "09:00"), ("--rounds", "2"),
        ("--meeting-minutes", "30"), ("--changeover-minutes", "0"),
    ])  # fmt: skip
    plan = plan_from_rows(event_state(), rows)
    rounds = sorted((r for r in plan.records if isinstance(r, Round)), key=lambda r: r.index)
    assert [(r.index, r.day, at(r.starts_at_ms), r.meeting_s) for r in rounds] == [
        (1, 1, "2036-05-06 09:00", 1800),  # days are numbered in date order
        (2, 1, "2036-05-06 09:30", 1800),
        (3, 2, "2036-05-07 14:00", 900),
        (4, 2, "2036-05-07 14:20", 900),
    ]
    assert len([b for b in plan.records if isinstance(b, Break)]) == 2  # lunch on both days
    assert len([t for t in plan.records if isinstance(t, Table)]) == 3


def failure(state: EventState, items: list[tuple[str, str]]) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as info:
        plan_from_rows(state, day_rows(items))
    assert "nothing was imported" in info.value.message
    errors = info.value.details["errors"]
    assert all(e["file"] == "command line" and e["unit"] == "day" for e in errors)
    return [(e["line"], e["column"], e["reason"]) for e in errors]


def test_every_bad_option_is_named_with_its_value() -> None:
    errors = failure(event_state(), [
        ("--tables", "forty"),
        ("--day", "2036-05-06"), ("--start", "9 o'clock"), ("--rounds", "8"),
        ("--break", "10:45-1115"),
        ("--day", "2036-13-01"), ("--start", "09:00"), ("--rounds", "0"),
        ("--meeting-minutes", "-5"), ("--break", "12:00-11:00"),
    ])  # fmt: skip
    assert errors == [
        (1, "--start", '"9 o\'clock" is not a time of day such as 09:00'),
        (1, "--break", "'10:45-1115' is not a break such as 10:45-11:15 or 12:30-13:30 Lunch"),
        (1, "--tables", "number of tables 'forty' is not a whole number"),
        (2, "--day", "'2036-13-01' is not a date such as 2036-05-06"),
        (2, "--rounds", "number of rounds 0 must be 1 or more"),
        (2, "--meeting-minutes", "'-5' is not a number of minutes"),
        (2, "--break", "the break '12:00-11:00' ends before it starts"),
    ]


def test_a_plan_needs_tables_days_inside_one_date_and_cannot_drop_rounds() -> None:
    state = event_state()
    day = [("--day", "2036-05-06"), ("--start", "09:00")]
    assert failure(state, [*day, ("--rounds", "2")]) == [
        (1, "--tables", "the event has no tables yet: say how many")
    ]
    assert failure(
        state, [("--tables", "2"), ("--day", "2036-05-06"), ("--start", "22:00"), ("--rounds", "6")]
    ) == [(1, "--rounds", "6 rounds from 22:00 run past midnight")]
    first = plan_from_rows(state, day_rows([*day, ("--rounds", "3"), ("--tables", "2")]))
    state.apply(Change(upserts=first.records))
    assert failure(state, [*day, ("--rounds", "2")]) == [
        (
            1,
            "--rounds",
            "the event already has rounds up to 3; this plan makes 2: plan at least 3 rounds",
        )
    ]
    twice = failure(state, [*day, ("--rounds", "3"), *day, ("--rounds", "3")])
    assert twice == [(2, "--day", "2036-05-06 is planned twice (also on day 1)")]
    with pytest.raises(ImportFailed) as info:
        plan_from_rows(EventState(), day_rows([*day, ("--rounds", "2")]))
    assert "create the event first" in info.value.details["errors"][0]["reason"]


def test_an_option_given_twice_for_one_day_or_no_day_at_all_is_refused() -> None:
    with pytest.raises(BadRequest, match=r"--start is given twice for day 1 \(2036-05-06\)"):
        day_rows([("--day", "2036-05-06"), ("--start", "09:00"), ("--start", "10:00")])
    with pytest.raises(BadRequest, match="give at least one --day"):
        day_rows([("--start", "09:00"), ("--rounds", "8")])


def test_a_plan_csv_reports_its_lines_and_columns() -> None:
    text = "date,start,rounds,breaks,tables\n2036-05-06,09:00,4,coffee,4\n,09:00,x,,5\n"
    with pytest.raises(ImportFailed) as info:
        import_plan_csv(event_state(), text, filename="plan.csv")
    errors = [(e["line"], e["column"], e["reason"]) for e in info.value.details["errors"]]
    assert errors == [
        (2, "breaks", "'coffee' is not a break such as 10:45-11:15 or 12:30-13:30 Lunch"),
        (3, "date", "the date is missing"),
        (3, "rounds", "number of rounds 'x' is not a whole number"),
        (3, "tables", "5 tables here, 4 on line 2"),
    ]


def test_planning_again_moves_the_rounds_and_replaces_the_breaks() -> None:
    state = event_state()
    day = [("--tables", "2"), ("--day", "2036-05-06"), ("--rounds", "4")]
    pauses = [("--break", "10:00-10:30"), ("--break", "11:00-12:00")]
    first = plan_from_rows(state, day_rows([*day, ("--start", "09:00"), *pauses]))
    state.apply(Change(upserts=first.records))
    assert len(state.breaks) == 2 and first.deletes == ()
    again = plan_from_rows(
        state, day_rows([*day, ("--start", "13:00"), ("--break", "13:30-14:00")])
    )
    state.apply(Change(upserts=again.records, deletes=again.deletes))
    assert [(b.id, at(b.starts_at_ms)) for b in state.breaks.values()] == [
        ("day1-break1", "2036-05-06 13:30")
    ]
    assert again.deletes == (("break", "day1-break2"),)
    assert at(state.rounds[1].starts_at_ms) == "2036-05-06 13:00"
    assert sorted(state.tables) == [1, 2] and again.created == 0
