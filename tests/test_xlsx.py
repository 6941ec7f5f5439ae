"""Spreadsheets: plan, participants and meetings from XLSX (built here with openpyxl),
checked like CSV, all or nothing, errors by sheet, row and column; the organiser's
workbook (Schedule, Outcomes, Agendas) parsed back; the CLI and the HTTP API."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
from starlette.testclient import TestClient

from server.core.errors import ImportFailed
from server.core.export_sheets import AGENDA_COLUMNS, workbook
from server.core.exporter import SCHEDULE_COLUMNS
from server.core.import_sheets import cell_text, import_workbook
from server.core.model import Event, Meeting, MeetingStatus, Participant, Round, Table
from server.core.state import Change, EventState
from server.edge.cli import main, where
from server.edge.xlsx import XLSX_MEDIA, read_workbook, write_workbook
from tests.test_cli import cli_env  # noqa: F401 (the fixture: Redis for the CLI)
from tests.test_http import api, auth  # noqa: F401 (api: the fixture, a real Redis and the app)

Rows = list[list[Any]]
PLAN: Rows = [
    ["Date", "Start", "Rounds", "Meeting minutes", "Changeover minutes", "Breaks", "Tables"],
    # real Excel date and time cells, and numbers as floats, as spreadsheets store them
    [datetime(2036, 5, 6), time(9, 0), 3.0, 20.0, 5.0, "10:00-10:30 Coffee", 3.0],
    ["2036-05-07", "09:30", 2, 20, 5, None, None],
]
PEOPLE: Rows = [
    ["Participant ID", "First Name", "Last Name", "Organisation", "Country", "Email"],
    [1001.0, "Anna", "Berg", "Cluster Nord", "DE", "anna@example.org"],
    [1002.0, "Jonas", "Weber", "Automotive BW", "Germany", "jonas@example.org"],
    [1003.0, "Ayşe", "Yılmaz", "Istanbul Tech Cluster", "TR", None],
    [1004.0, "Ingrid", "Ødegaard", "Oslo Cleantech", "NO", None],
]
MEETINGS: Rows = [
    ["Meeting ID", "Requester", "Partner", "Round", "Table", "Note"],
    ["REQ-1", 1001.0, 1002.0, 1.0, 1.0, "first"],
    ["REQ-2", 1003, 1004, None, None, None],
]


def book(**sheets: Rows) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def event_state() -> EventState:
    state = EventState()
    state.apply(Change(upserts=(Event(id="ev", name="Ev", timezone="Europe/Berlin"),)))
    return state


def load(state: EventState, data: bytes, name: str = "event.xlsx", **kw: Any) -> Any:
    return import_workbook(state, read_workbook(data, name), filename=name, **kw)


def test_cells_read_as_a_csv_would_hold_them() -> None:
    assert [cell_text(v) for v in (None, 12.0, 12.5, 7, True, "x")] == [
        "", "12", "12.5", "7", "yes", "x"
    ]  # fmt: skip
    assert cell_text(datetime(2036, 5, 6)) == "2036-05-06"
    assert cell_text(datetime(2036, 5, 6, 9, 30)) == "2036-05-06T09:30:00"
    assert cell_text(time(9, 30)) == "09:30:00"
    assert cell_text(date(2036, 5, 6)) == "2036-05-06"


def test_a_workbook_imports_plan_people_and_meetings_in_one_plan() -> None:
    state = event_state()
    data = book(Meetings=MEETINGS, Participants=PEOPLE, Plan=PLAN, Notes=[["anything"]])
    plan = load(state, data)
    rounds = sorted((r for r in plan.records if isinstance(r, Round)), key=lambda r: r.index)
    assert [(r.index, r.day) for r in rounds] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]
    assert len([t for t in plan.records if isinstance(t, Table)]) == 3
    people = {p.external_id: p for p in plan.records if isinstance(p, Participant)}
    assert sorted(people) == ["1001", "1002", "1003", "1004"]  # 1001.0 is the id 1001
    assert people["1002"].country == "DE"
    meetings = {m.external_id: m for m in plan.records if isinstance(m, Meeting)}
    assert meetings["REQ-1"].people == (people["1001"].id, people["1002"].id)
    assert (meetings["REQ-1"].round, meetings["REQ-1"].table) == (1, 1)
    assert meetings["REQ-1"].status is MeetingStatus.SCHEDULED
    assert meetings["REQ-2"].status is MeetingStatus.REQUESTED
    assert plan.ignored_sheets == ("Notes",)
    state.apply(Change(upserts=plan.records))
    again = load(state, data)
    assert (again.created, again.updated, again.records) == (0, 0, ())


def test_bad_cells_name_sheet_row_and_column_and_nothing_is_imported() -> None:
    people = [row[:] for row in PEOPLE]
    people[3][5] = "not-an-email"  # row 4 of the sheet
    meetings = [row[:] for row in MEETINGS]
    meetings[2][2] = "NOBODY"  # row 3
    with pytest.raises(ImportFailed) as info:
        load(event_state(), book(Plan=PLAN, Participants=people, Meetings=meetings),
             "people.xlsx")  # fmt: skip
    assert info.value.message == "3 errors in people.xlsx; nothing was imported"
    errors = info.value.details["errors"]
    assert [where(e) + ": " + e["reason"] for e in errors] == [
        "people.xlsx, sheet Participants, row 4, column Email: "
        "'not-an-email' is not a valid email address",
        # Ayşe's row was refused, so the meeting cannot name her either
        "people.xlsx, sheet Meetings, row 3, column Requester: unknown participant '1003'",
        "people.xlsx, sheet Meetings, row 3, column Partner: unknown participant 'NOBODY'",
    ]


def test_one_sheet_is_read_by_its_header_or_as_the_kind_asked_for() -> None:
    state = event_state()
    plan = load(state, book(Sheet1=PLAN))
    assert len([r for r in plan.records if isinstance(r, Round)]) == 5
    plan = load(state, book(Sheet1=PEOPLE, Other=PLAN), kind="participants")
    assert {type(r) for r in plan.records} == {Participant}
    with pytest.raises(ImportFailed) as info:
        load(state, book(Sheet1=PEOPLE, Other=PLAN))
    assert "no sheet to import" in info.value.details["errors"][0]["reason"]


def scheduled_state() -> EventState:
    state = event_state()
    state.apply(Change(upserts=load(state, book(Plan=PLAN, Participants=PEOPLE)).records))
    state.apply(Change(upserts=load(state, book(Meetings=MEETINGS)).records))
    return state


def test_the_workbook_export_parses_back_and_reimports_unchanged() -> None:
    state = scheduled_state()
    data = write_workbook(workbook(state, "agendas"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Agendas", "Schedule", "Outcomes"]
    schedule = wb["Schedule"]
    header = [c.value for c in schedule[1]]
    assert header == list(SCHEDULE_COLUMNS)
    assert all(c.font.bold for c in schedule[1])
    assert schedule.freeze_panes == "A2"
    assert schedule.column_dimensions["A"].width >= len("meeting_id")
    rows = [
        dict(zip(header, r, strict=True)) for r in schedule.iter_rows(min_row=2, values_only=True)
    ]
    first = next(r for r in rows if r["meeting_id"] == "REQ-1")
    assert (first["round"], first["table"], first["note"]) == (1, 1, "first")
    assert first["starts_at"] == datetime(2036, 5, 6, 9, 0)  # a real date-time, local time
    agendas = wb["Agendas"]
    assert [c.value for c in agendas[1]] == list(AGENDA_COLUMNS)
    lines = list(agendas.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[8], r[10]) for r in lines] == [
        ("1002", 1, "Anna Berg", "REQ-1"),  # Automotive BW comes before Cluster Nord
        ("1001", 1, "Jonas Weber", "REQ-1"),
    ]
    assert wb["Outcomes"].max_row == 2
    plan = load(state, data, "schedule.xlsx")
    assert (plan.created, plan.updated) == (0, 0)
    assert plan.ignored_sheets == ("Agendas", "Outcomes")


@pytest.mark.usefixtures("cli_env")
def test_cli_imports_a_workbook_and_exports_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["create", "ev", "--name", "Ev", "--timezone", "Europe/Berlin"]) == 0
    people = [row[:] for row in PEOPLE]
    people[3][5] = "not-an-email"
    bad = tmp_path / "people.xlsx"
    bad.write_bytes(book(Plan=PLAN, Participants=people))
    assert main(["import", "ev", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "people.xlsx, sheet Participants, row 4, column Email: 'not-an-email'" in err
    good = tmp_path / "event.xlsx"
    good.write_bytes(book(Plan=PLAN, Participants=PEOPLE, Meetings=MEETINGS))
    assert main(["import", "ev", str(good)]) == 0
    assert "event.xlsx: 15 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    target = tmp_path / "out.xlsx"
    assert main(["export", "ev", "--what", "outcomes", "--format", "xlsx", "-o", str(target)]) == 0
    assert openpyxl.load_workbook(target).sheetnames == ["Outcomes", "Schedule", "Agendas"]
    assert main(["export", "ev", "--what", "agendas"]) == 2
    assert "add --format xlsx" in capsys.readouterr().err


def test_http_imports_xlsx_and_serves_the_workbook(request: pytest.FixtureRequest) -> None:
    client, event = cast(tuple[TestClient, Event], request.getfixturevalue("api"))
    plan = Path(__file__).parent.parent / "docs" / "examples" / "own-event" / "plan.csv"
    planned = client.post("/api/events/ev1/import/plan", content=plan.read_bytes(),
                          headers=auth(event))  # fmt: skip
    assert planned.status_code == 200, planned.text
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    assert (len(state["rounds"]), len(state["tables"])) == (10, 4)
    meetings = [["id", "a", "b", "note"], ["X-1", "EXT-0", "EXT-1", "hello"]]
    sent = client.post("/api/events/ev1/import/meetings", content=book(Sheet1=meetings),
                       headers={**auth(event), "content-type": XLSX_MEDIA})  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert (sent.json()["created"], sent.json()["ignored_sheets"]) == (1, [])
    bad = [["id", "a", "b"], ["X-2", "EXT-0", "NOBODY"]]
    refused = client.post("/api/events/ev1/import/xlsx?filename=m.xlsx",
                          content=book(Meetings=bad), headers=auth(event))  # fmt: skip
    assert refused.status_code == 422
    (error,) = refused.json()["error"]["details"]["errors"]
    assert (error["file"], error["sheet"], error["line"], error["column"]) == (
        "m.xlsx", "Meetings", 2, "b"
    )  # fmt: skip
    scheduled = client.post("/api/events/ev1/schedule", json={"fast": True}, headers=auth(event))
    assert scheduled.json()["placed"] == 1
    got = client.get("/api/events/ev1/export/schedule.xlsx", headers=auth(event))
    assert got.status_code == 200
    assert got.headers["content-type"] == XLSX_MEDIA
    wb = openpyxl.load_workbook(io.BytesIO(got.content))
    assert wb.sheetnames == ["Schedule", "Outcomes", "Agendas"]
    rows = list(wb["Schedule"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[-1]) for r in rows] == [("X-1", "hello")]
    wrong = client.get("/api/events/ev1/export/badges.xlsx", headers=auth(event))
    assert wrong.status_code == 400
