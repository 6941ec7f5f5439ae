"""The exporter: schedule and participants as CSV, the whole event as JSON, breaks per
person; round trips."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import orjson

from server.core.exporter import (
    BREAKS_COLUMNS,
    PARTICIPANT_EXPORT_COLUMNS,
    SCHEDULE_COLUMNS,
    export_breaks_csv,
    export_breaks_json,
    export_json,
    export_participants_csv,
    export_schedule_csv,
)
from server.core.import_constraints import allowed_rounds
from server.core.import_fields import OPEN_END_MS
from server.core.importer import import_json, import_meetings_csv, import_participants_csv
from server.core.model import (
    Break,
    Event,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Record,
    TimeWindow,
)
from server.core.state import Change, EventState
from tests.factory import meeting, small_state

DATA = Path(__file__).parent / "data"
ROUND_1_MS = 1_778_054_400_000  # 2026-05-06T10:00:00+02:00


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def full_state() -> EventState:
    """The example event with everything an export must carry: tokens, outcomes, walk-ins."""
    state = EventState()
    event = Event(
        id="icmc",
        name="ICMC",
        timezone="Europe/Berlin",
        venue="Stuttgart",
        moderator_token="MOD-SECRET",
        screen_key="SCREEN-SECRET",
    )
    state.apply(Change(upserts=(event,)))
    for name, load in (
        ("event.json", import_json),
        ("participants.csv", import_participants_csv),
        ("meetings.csv", import_meetings_csv),
    ):
        state.apply(Change(upserts=load(state, read(name)).records))
    # Tokens; and Anna hosts at table 2 (a home table round-trips like the other fields).
    anna = state.by_external_id["B2M-1001"]
    with_tokens = [
        dataclasses.replace(p, token=f"TOKEN-{p.id}", home_table=2 if p.id == anna else None)
        for p in state.participants.values()
    ]
    walk_in = Participant(
        id="w_1",
        name="=Walk In",  # a spreadsheet would run this as a formula
        organisation="Late Corp",
        phone="+43 1 234",
        token="TOKEN-w_1",
        available_windows=(
            TimeWindow(0, ROUND_1_MS + 3_600_000),
            TimeWindow(ROUND_1_MS + 86_400_000, OPEN_END_MS),
        ),
    )
    by_ext = state.by_external_id
    meetings = {m.external_id: m for m in state.meetings.values()}
    outcomes = [
        dataclasses.replace(meetings["REQ-01"], status=MeetingStatus.HELD),
        dataclasses.replace(meetings["REQ-02"], status=MeetingStatus.NO_SHOW, note="B late"),
        dataclasses.replace(meetings["REQ-07"], status=MeetingStatus.CANCELLED),
        # The organiser's constraints travel with the JSON export (the round trip below).
        dataclasses.replace(
            meetings["REQ-03"], rounds=(3, 4), after=(meetings["REQ-01"].id,), fixed=True
        ),
        Meeting(
            id="m_walkin",
            side_a=("w_1",),
            side_b=(by_ext["B2M-1010"],),
            round=1,
            table=5,
            status=MeetingStatus.SCHEDULED,
            origin=MeetingOrigin.WALK_IN,
        ),
    ]
    state.apply(Change(upserts=(*with_tokens, walk_in, *outcomes)))
    return state


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def without_tokens(records: list[Record]) -> list[Record]:
    return [dataclasses.replace(r, token="") if isinstance(r, Participant) else r for r in records]


def record_key(record: Record) -> tuple[str, str]:
    return (record.KIND, record.key)


def test_schedule_csv() -> None:
    state = full_state()
    text = export_schedule_csv(state)
    assert text.splitlines()[0] == ",".join(SCHEDULE_COLUMNS)
    table = rows(text)
    assert len(table) == len(state.meetings) == 9
    placed = [(r["round"], r["table"]) for r in table if r["table"]]
    assert placed == sorted(placed, key=lambda rt: (int(rt[0]), int(rt[1])))
    assert table[-1]["round"] == ""  # unplaced wishes come last
    first = table[0]
    assert first == {
        "meeting_id": "REQ-01",  # the organiser's id, not ours
        "status": "held",
        "origin": "planned",
        "round": "1",
        "day": "1",
        "starts_at": "2026-05-06T10:00:00+02:00",
        "table": "1",
        "participant_a": "B2M-1001",
        "name_a": "Anna Berg",
        "organisation_a": "Cluster Nord",
        "participant_b": "B2M-1002",
        "name_b": "Jonas Weber",
        "organisation_b": "Automotive BW",
        "outcome": "",
        "absent": "",
        "replaced_by": "",
        "rounds": "",
        "after": "",
        "fixed": "",
        "note": "",
    }
    group = next(r for r in table if r["table"] == "6")
    assert group["participant_a"] == "B2M-1011;B2M-1012"
    assert group["name_a"] == "Tomasz Nowak; Hanna Nowak"
    assert group["organisation_a"] == "Silesian Automotive"
    walk_in = next(r for r in table if r["origin"] == "walk_in")
    assert (walk_in["participant_a"], walk_in["name_a"]) == ("w_1", "'=Walk In")


def test_participants_csv_reimports_unchanged() -> None:
    state = full_state()
    text = export_participants_csv(state)
    assert text.splitlines()[0] == ",".join(PARTICIPANT_EXPORT_COLUMNS)
    by_id = {r["external_id"]: r for r in rows(text)}
    assert by_id["B2M-1001"]["phone"] == "'+49 40 1234567"
    assert by_id["B2M-1004"]["unavailable_rounds"] == "1;2"
    assert by_id["B2M-1005"]["available_from"] == "2026-05-06T11:00:00+02:00"
    assert by_id["w_1"]["available_from"] == ";2026-05-07T10:00:00+02:00"
    assert by_id["w_1"]["available_until"] == "2026-05-06T11:00:00+02:00;"
    assert (by_id["B2M-1001"]["home_table"], by_id["B2M-1002"]["home_table"]) == ("2", "")
    plan = import_participants_csv(state, text)
    assert (plan.records, plan.created, plan.updated) == ((), 0, 0)
    assert plan.unchanged == len(state.participants) == 13


def test_json_round_trip_into_an_empty_state() -> None:
    state = full_state()
    text = export_json(state)
    plan = import_json(EventState(), text)
    expected = without_tokens([r for r in state.records() if not isinstance(r, Event)])
    assert sorted(plan.records, key=record_key) == sorted(expected, key=record_key)
    assert (plan.created, plan.updated, plan.unchanged) == (len(expected), 0, 0)


def test_json_reimport_into_the_same_state_changes_nothing() -> None:
    state = full_state()
    plan = import_json(state, export_json(state))
    assert plan.records == ()
    assert plan.unchanged == len(state.records()) - 1  # all but the event


def test_json_is_readable() -> None:
    doc = orjson.loads(export_json(full_state()))
    assert list(doc) == ["event", "tables", "rounds", "breaks", "participants", "meetings"]
    assert doc["event"] == {
        "id": "icmc",
        "name": "ICMC",
        "timezone": "Europe/Berlin",
        "venue": "Stuttgart",
        "settings": {
            "warning_s": 120,
            "default_capacity": 2,
            "auto_substitute": False,
            "substitute_grace_s": 300,
        },
    }
    assert doc["rounds"][0] == {
        "index": 1,
        "day": 1,
        "starts_at": "2026-05-06T10:00:00+02:00",
        "meeting_minutes": 25,
        "changeover_minutes": 5,
        "label": "",
    }
    anna = next(p for p in doc["participants"] if p["external_id"] == "B2M-1001")
    assert anna["email"] == "anna.berg@cluster-nord.example"
    assert anna["tags"] == ["mobility", "hydrogen"]
    assert anna["home_table"] == 2
    assert {p["home_table"] for p in doc["participants"]} == {2, None}


def test_no_export_leaks_a_secret() -> None:
    state = full_state()
    texts = (export_json(state), export_schedule_csv(state), export_participants_csv(state),
             export_breaks_csv(state), export_breaks_json(state))  # fmt: skip
    for text in texts:
        assert "TOKEN-" not in text
        assert "MOD-SECRET" not in text
        assert "SCREEN-SECRET" not in text
        assert "token" not in text and "screen_key" not in text
    assert "anna.berg@cluster-nord.example" in export_participants_csv(state)


def test_exports_of_an_empty_state() -> None:
    state = EventState()
    assert export_schedule_csv(state) == ",".join(SCHEDULE_COLUMNS) + "\n"
    assert export_participants_csv(state) == ",".join(PARTICIPANT_EXPORT_COLUMNS) + "\n"
    assert import_json(state, export_json(state)).records == ()


def test_schedule_export_writes_the_placement_constraints_as_the_importer_reads_them() -> None:
    state = full_state()
    first, second = sorted(state.meetings.values(), key=lambda m: m.id)[:2]
    constrained = dataclasses.replace(second, rounds=(1, 2, 3, 6, 8), after=(first.id,))
    state.apply(Change(upserts=(constrained, dataclasses.replace(first, fixed=True))))
    rows = {r["meeting_id"]: r for r in csv.DictReader(io.StringIO(export_schedule_csv(state)))}
    a, b = first.external_id or first.id, second.external_id or second.id
    assert (rows[b]["rounds"], rows[b]["after"]) == ("1-3, 6, 8", a)
    assert rows[a]["fixed"] == "yes" and rows[b]["fixed"] == ""
    assert allowed_rounds(rows[b]["rounds"], state.rounds) == (1, 2, 3, 6, 8)


def breaks_state() -> EventState:
    """Rounds 1-6 with lunch between 3 and 4: blocks (1, 2, 3) and (4, 5, 6)."""
    state = small_state(rounds=6, tables=3)
    lunch = Break(id="lunch", day=1, starts_at_ms=state.rounds[3].ends_at_ms,
                  ends_at_ms=state.rounds[4].seating_at_ms)  # fmt: skip
    held = dataclasses.replace(meeting("m1", "p0", "p1", 1, 1), status=MeetingStatus.HELD)
    cancelled = dataclasses.replace(meeting("m8", "p6", "p7", 2, 1), status=MeetingStatus.CANCELLED)
    state.apply(Change(upserts=(
        lunch, held, cancelled,
        meeting("m2", "p0", "p2", 3, 1), meeting("m3", "p0", "p3", 6, 1),
        meeting("m4", "p1", "p2", 4, 1), meeting("m5", "p1", "p4", 6, 2),
        meeting("m6", "p2", "p5", 1, 2), meeting("m7", "p2", "p6", 6, 3),
        meeting("m9", "p3", "p4"),  # requested, unplaced: holds nobody
    )))  # fmt: skip
    return state


def test_breaks_csv_counts_idle_gaps_per_person_within_blocks() -> None:
    table = rows(export_breaks_csv(breaks_state()))
    # p2 meets in 1, 3 | 4, 6: idle in 2 and in 5, two breaks (lunch between 3 and 4 is
    # none). p0 in 1, 3 | 6 and p1 in 1 | 4, 6: one each. p7 has only a cancelled meeting.
    assert [(r["participant"], r["meetings"], r["breaks"], r["rounds"]) for r in table] == [
        ("EXT-2", "4", "2", "1, 3, 4, 6"),
        ("EXT-0", "3", "1", "1, 3, 6"),
        ("EXT-1", "3", "1", "1, 4, 6"),
        ("EXT-3", "1", "0", "6"),  # Jānis, Kateřina, Liam, Marco: by name among equals
        ("EXT-5", "1", "0", "1"),
        ("EXT-6", "1", "0", "6"),
        ("EXT-4", "1", "0", "6"),
    ]
    assert (table[0]["name"], table[0]["organisation"]) == ("Ayşe Yılmaz", "Istanbul Tech Cluster")
    assert list(table[0]) == list(BREAKS_COLUMNS)


def test_breaks_json_has_the_people_a_summary_and_the_blocks() -> None:
    doc = orjson.loads(export_breaks_json(breaks_state()))
    assert doc["summary"] == {
        "people": 7, "total_breaks": 4, "people_with_breaks": 3, "max_breaks": 2,
    }  # fmt: skip
    assert doc["blocks"] == [[1, 2, 3], [4, 5, 6]]
    assert doc["people"][0] == {
        "participant": "EXT-2", "id": "p2", "name": "Ayşe Yılmaz",
        "organisation": "Istanbul Tech Cluster", "meetings": 4, "breaks": 2,
        "rounds": [1, 3, 4, 6],
    }  # fmt: skip
    assert [p["id"] for p in doc["people"]] == ["p2", "p0", "p1", "p3", "p5", "p6", "p4"]


def test_breaks_exports_of_an_event_without_meetings() -> None:
    state = small_state()
    assert export_breaks_csv(state) == ",".join(BREAKS_COLUMNS) + "\n"
    doc = orjson.loads(export_breaks_json(state))
    assert doc["summary"] == {
        "people": 0, "total_breaks": 0, "people_with_breaks": 0, "max_breaks": 0,
    }  # fmt: skip
    assert doc["people"] == []


def test_schedule_csv_names_meetings_by_the_organisers_id_and_carries_the_note() -> None:
    state = full_state()
    table = {r["meeting_id"]: r for r in rows(export_schedule_csv(state))}
    assert table["REQ-02"]["note"] == "B late"
    assert "m_walkin" in table  # no organiser's id: ours
    assert not any(key.startswith("m_") for key in table if key != "m_walkin")


def test_reimporting_the_schedule_csv_changes_no_meeting() -> None:
    state = full_state()
    text = export_schedule_csv(state)
    plan = import_meetings_csv(state, text, filename="schedule.csv")
    assert (plan.created, plan.updated) == (0, 0)
    assert plan.unchanged == len(state.meetings)
    edited = text.replace(",B late", ",B came late")
    plan = import_meetings_csv(state, edited, filename="schedule.csv")
    assert (plan.created, plan.updated) == (0, 1)
    (changed,) = plan.records
    assert isinstance(changed, Meeting) and changed.note == "B came late"
    assert changed.id == next(m.id for m in state.meetings.values() if m.external_id == "REQ-02")
