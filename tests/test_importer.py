"""The importer: pure parsing and validation of CSV and JSON files, all or nothing."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import pytest

from server.core.errors import ImportFailed
from server.core.importer import (
    ImportPlan,
    import_json,
    import_meetings_csv,
    import_participants_csv,
)
from server.core.model import (
    Event,
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Round,
    Table,
    TimeWindow,
)
from server.core.state import Change, EventState

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def apply(state: EventState, plan: ImportPlan) -> EventState:
    state.apply(Change(upserts=plan.records))
    return state


def event_state() -> EventState:
    """The example event: Europe/Berlin, 6 tables, 8 rounds over two days, a lunch break."""
    state = EventState()
    state.apply(Change(upserts=(Event(id="icmc", name="ICMC", timezone="Europe/Berlin"),)))
    return apply(state, import_json(state, read("event.json")))


def with_participants() -> EventState:
    state = event_state()
    return apply(state, import_participants_csv(state, read("participants.csv")))


def failure(call: Any, *args: Any, **kwargs: Any) -> tuple[str, list[tuple[int, Any, str]]]:
    with pytest.raises(ImportFailed) as info:
        call(*args, **kwargs)
    errors = info.value.details["errors"]
    assert all(set(e) == {"file", "line", "column", "reason"} for e in errors)
    return info.value.message, [(e["line"], e["column"], e["reason"]) for e in errors]


def pid(external_id: str) -> str:
    return "p_" + hashlib.sha1(external_id.encode()).hexdigest()[:10]


def mid(key: str) -> str:
    return "m_" + hashlib.sha1(key.encode()).hexdigest()[:10]


# -- JSON: tables, rounds, breaks


def test_event_json_gives_tables_rounds_and_breaks() -> None:
    state = event_state()
    assert sorted(state.tables) == [1, 2, 3, 4, 5, 6]
    assert state.tables[6] == Table(number=6, label="Lounge", zone="Lounge", capacity=4)
    assert sorted(state.rounds) == list(range(1, 9))
    # 10:00 in Berlin in May is 08:00 UTC; starts_at_ms is taken as it is.
    assert state.rounds[1] == Round(1, 1, 1_778_054_400_000, 25 * 60, 5 * 60)
    assert state.rounds[7].starts_at_ms == 1_778_144_400_000
    assert state.rounds[7].label == "Round 7"
    assert state.breaks["lunch-1"].ends_at_ms - state.breaks["lunch-1"].starts_at_ms == 3_600_000


def test_json_errors_point_at_items() -> None:
    text = """{
      "tables": [{"number": 1}, {"number": "x"}, {"number": 1, "colour": "red"}],
      "rounds": [{"index": 1, "day": 1}],
      "people": []
    }"""
    message, errors = failure(import_json, EventState(), text, filename="ev.json")
    assert message == "5 errors in ev.json; nothing was imported"
    assert errors == [
        (
            0,
            "/people",
            "unknown key 'people'; expected tables, rounds, breaks, participants, meetings",
        ),
        (2, "/tables/2/colour", "unknown field 'colour'; accepted: number, label, zone, capacity"),
        (1, "/tables/1/number", "table number 'x' is not a whole number"),
        (2, "/tables/2/number", "duplicate table 1 (also on item 0)"),
        (0, "/rounds/0/starts_at", "starts_at is missing"),
    ]


def test_invalid_json_names_the_line() -> None:
    _, errors = failure(import_json, EventState(), '{\n"tables": [1,]\n}')
    assert errors[0][0] == 2
    assert errors[0][2].startswith("not valid JSON")


def test_json_sets_the_events_words_for_round_and_table() -> None:
    state = event_state()
    text = """{"event": {"id": "elsewhere", "name": "written for people",
      "settings": {"warning_s": 30, "round_label": "Slot", "table_label": " Booth ",
                   "round_label_de": "Gesprächsrunde"}}}"""
    plan = import_json(state, text)
    assert (plan.created, plan.updated) == (0, 1)
    state = apply(state, plan)
    assert state.event is not None
    settings = state.event.settings
    assert (settings.round_label, settings.table_label) == ("Slot", "Booth")
    assert (settings.round_label_de, settings.table_label_de) == ("Gesprächsrunde", "")
    assert settings.warning_s == 120  # only the labels are imported
    assert (state.event.id, state.event.name) == ("icmc", "ICMC")
    assert import_json(state, text).records == ()  # the same again changes nothing


def test_the_operations_guide_sets_the_labels_as_shown() -> None:
    guide = (DATA.parent.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    text = guide.split("cat > labels.json <<'JSON'\n", 1)[1].split("JSON\n", 1)[0]
    state = apply(event_state(), import_json(event_state(), text))
    assert state.event is not None
    settings = state.event.settings
    assert (settings.round_label, settings.round_label_de) == ("Session", "Gesprächsrunde")
    assert (settings.table_label, settings.table_label_de) == ("Booth", "Stand")


def test_json_event_labels_are_checked() -> None:
    text = """{"event": {"settings": {"round_labl": "Slot", "table_label": 7,
      "round_label_de": "%s"}}}""" % ("x" * 31)
    _, errors = failure(import_json, event_state(), text)
    assert errors == [
        (
            0,
            "/event/settings/round_labl",
            "unknown setting 'round_labl'; the labels are"
            " round_label, round_label_de, table_label, table_label_de",
        ),
        (0, "/event/settings/table_label", "table_label must be text"),
        (0, "/event/settings/round_label_de", "round_label_de is longer than 30 characters"),
    ]
    _, errors = failure(import_json, EventState(), '{"event": {"settings": {"round_label": "S"}}}')
    assert errors == [(0, "/event/settings", "create the event before setting its labels")]


# -- Participants CSV


def test_participants_csv_with_platform_headers() -> None:
    state = event_state()
    plan = import_participants_csv(state, read("participants.csv"))
    assert (plan.created, plan.updated, plan.unchanged) == (12, 0, 0)
    people = {p.external_id: p for p in plan.records if isinstance(p, Participant)}
    assert people["B2M-1001"] == Participant(
        id=pid("B2M-1001"),
        name="Anna Berg",
        external_id="B2M-1001",
        organisation="Cluster Nord",
        country="DE",
        title="Cluster Manager",
        tags=("mobility", "hydrogen"),
        languages=("en", "de"),
        email="anna.berg@cluster-nord.example",
        phone="+49 40 1234567",
    )
    assert people["B2M-1003"].country == "TR"  # "Türkiye"
    assert people["B2M-1006"].country == "CZ"  # "Czech Republic"
    assert people["B2M-1002"].tags == ("automotive", "batteries")  # split on ","
    assert people["B2M-1004"].unavailable_rounds == frozenset({1, 2})
    # 2026-05-06T11:00+02:00 to 2026-05-07T12:00+02:00
    assert people["B2M-1005"].available_windows == (
        TimeWindow(1_778_058_000_000, 1_778_148_000_000),
    )
    assert all(not p.token for p in people.values())  # the caller mints tokens


def test_semicolons_bom_and_other_aliases() -> None:
    text = read("participants_semicolon.csv")
    assert text.startswith("\ufeff") and ";" in text.splitlines()[0]
    plan = import_participants_csv(EventState(), text)
    people = {p.external_id: p for p in plan.records if isinstance(p, Participant)}
    assert set(people) == {"EU-01", "EU-02", "EU-03"}
    assert people["EU-01"].name == "Lena Huber"
    assert people["EU-01"].organisation == "Cluster Alpine Tech"
    assert people["EU-01"].country == "AT"  # "Österreich"
    assert people["EU-01"].tags == ("tourism", "sport")
    assert people["EU-03"].tags == ("wood", "bioeconomy")
    assert people["EU-02"].email == "jean@poleauto.example"  # "e-mail"


def test_single_name_column_and_crlf() -> None:
    text = "Registration ID,Name,Company\r\nR1,Ada Lovelace,Analytical Engines\r\n"
    (person,) = import_participants_csv(EventState(), text).records
    assert isinstance(person, Participant)
    assert (person.id, person.name, person.organisation) == (
        pid("R1"),
        "Ada Lovelace",
        "Analytical Engines",
    )


def test_reimporting_the_same_file_changes_nothing() -> None:
    state = with_participants()
    plan = import_participants_csv(state, read("participants.csv"))
    assert plan == ImportPlan(records=(), created=0, updated=0, unchanged=12)


def test_reimport_updates_in_place_and_keeps_id_and_token() -> None:
    state = with_participants()
    anna_id = state.by_external_id["B2M-1001"]
    anna = dataclasses.replace(state.participants[anna_id], token="secret-token")
    state.apply(Change(upserts=(anna,)))
    text = read("participants.csv").replace("B2M-1001,Anna,Berg", "B2M-1001,Anna,Berg-Lund")
    plan = import_participants_csv(state, text)
    assert (plan.created, plan.updated, plan.unchanged) == (0, 1, 11)
    (changed,) = plan.records
    assert changed == dataclasses.replace(anna, name="Anna Berg-Lund")


def test_columns_left_out_keep_their_values() -> None:
    state = with_participants()
    text = "id,name,company\nB2M-1001,Anna Berg,Cluster Nord\nNEW-1,Nina New,New Org\n"
    plan = import_participants_csv(state, text)
    assert (plan.created, plan.updated, plan.unchanged) == (1, 0, 1)
    assert state.participants[state.by_external_id["B2M-1001"]].phone == "+49 40 1234567"


def test_bad_participants_lists_every_error_and_imports_nothing() -> None:
    message, errors = failure(
        import_participants_csv,
        event_state(),
        read("bad_participants.csv"),
        filename="bad_participants.csv",
    )
    assert message == "7 errors in bad_participants.csv; nothing was imported"
    assert errors == [
        (3, "email", "'bob-at-example.org' is not a valid email address"),
        (
            4,
            "country",
            "'Atlantis' is not a known country: use an ISO 3166 code such as DE "
            "or an English name such as Germany",
        ),
        (5, "external_id", "duplicate external id 'X-1' (also on line 2)"),
        (6, "unavailable_rounds", "round 'three' is not a whole number"),
        (
            7,
            "available_until",
            "available from 2026-05-07T12:00:00+02:00 until "
            "2026-05-06T09:00:00+02:00: that ends before it starts",
        ),
        (8, "organisation", "the organisation is missing"),
        (9, "unavailable_rounds", "round 12 does not exist (rounds are 1 to 8)"),
    ]


def test_unknown_rounds_are_fine_when_the_event_has_none_yet() -> None:
    plan = import_participants_csv(EventState(), "id,name,company,unavailable_rounds\n1,A B,O,12\n")
    (person,) = plan.records
    assert isinstance(person, Participant) and person.unavailable_rounds == frozenset({12})


def test_header_problems_are_reported_once_at_line_1() -> None:
    text = "ID;Full Name;Organisaton;Email\n1;Ann;Org;ann@x.example\n2;Bob;Org;bad\n"
    _, errors = failure(import_participants_csv, EventState(), text)
    assert [(line, column) for line, column, _ in errors] == [
        (1, "name"),
        (1, "organisation"),
        (3, "Email"),
    ]
    assert errors[0][2] == (
        "missing column 'name'; accepted names: name "
        "(columns not recognised: 'Full Name', 'Organisaton')"
    )
    assert errors[1][2].startswith(
        "missing column 'organisation'; accepted names: organisation, organization, company"
    )


def test_columns_matchmaking_platforms_add_are_ignored_and_listed() -> None:
    text = "id,name,company,Badge Printed,Dietary Needs\n1,Ann Lee,Org,yes,vegan\n"
    plan = import_participants_csv(EventState(), text)
    assert plan.created == 1
    assert plan.ignored_columns == ("Badge Printed", "Dietary Needs")


def test_empty_file() -> None:
    _, errors = failure(import_participants_csv, EventState(), "\n\n")
    assert errors == [(1, None, "the file is empty: expected a header row and data rows")]


def test_multiline_cells_keep_physical_line_numbers() -> None:
    text = 'id,name,company,email\n1,"Ann\nAnnson",Org,ann@x.example\n2,Bob,Org,nope\n'
    _, errors = failure(import_participants_csv, EventState(), text)
    assert errors == [(4, "email", "'nope' is not a valid email address")]


# -- Meetings CSV


def test_meetings_csv_with_participants_of_the_same_import() -> None:
    state = event_state()
    people = import_participants_csv(state, read("participants.csv"))
    plan = import_meetings_csv(
        state,
        read("meetings.csv"),
        extra_participants=[p for p in people.records if isinstance(p, Participant)],
    )
    assert (plan.created, plan.updated, plan.unchanged) == (8, 0, 0)
    meetings = {m.external_id: m for m in plan.records if isinstance(m, Meeting)}
    first = meetings["REQ-01"]
    assert first == Meeting(
        id=mid("REQ-01"),
        side_a=(pid("B2M-1001"),),
        side_b=(pid("B2M-1002"),),
        round=1,
        table=1,
        status=MeetingStatus.SCHEDULED,
        origin=MeetingOrigin.PLANNED,
        external_id="REQ-01",
    )
    assert meetings["REQ-04"].side_a == (pid("B2M-1011"), pid("B2M-1012"))
    assert meetings["REQ-04"].note == "Two people from Silesian Automotive"
    wish = meetings["REQ-05"]
    assert (wish.round, wish.table, wish.status) == (2, None, MeetingStatus.REQUESTED)
    open_ = meetings["REQ-06"]
    assert (open_.round, open_.table, open_.status) == (None, None, MeetingStatus.REQUESTED)


def meetings_state() -> EventState:
    state = with_participants()
    return apply(state, import_meetings_csv(state, read("meetings.csv")))


def test_reimporting_meetings_keeps_what_happened_since() -> None:
    state = meetings_state()
    held = dataclasses.replace(state.meetings[mid("REQ-01")], status=MeetingStatus.HELD)
    placed = dataclasses.replace(
        state.meetings[mid("REQ-06")], round=4, table=5, status=MeetingStatus.SCHEDULED
    )
    state.apply(Change(upserts=(held, placed)))
    plan = import_meetings_csv(state, read("meetings.csv"))
    assert plan == ImportPlan(records=(), created=0, updated=0, unchanged=8)
    moved = read("meetings.csv").replace(
        "REQ-02,B2M-1003,B2M-1004,3,2", "REQ-02,B2M-1003,B2M-1004,4,2"
    )
    (change,) = import_meetings_csv(state, moved).records
    assert isinstance(change, Meeting)
    assert (change.id, change.round, change.table) == (mid("REQ-02"), 4, 2)


def test_meeting_id_without_id_column_ignores_side_order() -> None:
    state = with_participants()
    plan = import_meetings_csv(state, "a,b\nB2M-1002,B2M-1001\n")
    (meeting,) = plan.records
    assert meeting.key == mid("B2M-1001|B2M-1002")
    state.apply(Change(upserts=plan.records))
    again = import_meetings_csv(state, "a,b\nB2M-1001,B2M-1002\n")
    assert (again.records, again.unchanged) == ((), 1)


def test_bad_meeting_rows() -> None:
    text = "\n".join(
        [
            "participant_a,participant_b,round,table",
            "B2M-1001,NOBODY,1,1",
            "B2M-1001,B2M-1001,,",
            "B2M-1003,B2M-1004,9,",
            "B2M-1005,B2M-1006,4,77",
            "B2M-1007,B2M-1008,,3",
            "B2M-1009,B2M-1010,two,",
            "B2M-1011,B2M-1012,,",
            "B2M-1012,B2M-1011,,",
            ",B2M-1002,,",
        ]
    )
    message, errors = failure(import_meetings_csv, with_participants(), text)
    assert message == "8 errors in meetings.csv; nothing was imported"
    assert errors == [
        (2, "participant_b", "unknown participant 'NOBODY'"),
        (3, "participant_b", "'B2M-1001' is on both sides"),
        (4, "round", "round 9 does not exist (no such round)"),
        (5, "table", "table 77 does not exist (no such table)"),
        (6, "table", "table 3 is given without a round"),
        (7, "round", "round 'two' is not a whole number"),
        (9, "participant_a", "B2M-1012 and B2M-1011 meet twice (also on line 8)"),
        (10, "participant_a", "participant_a is missing"),
    ]


def test_meetings_before_rounds_and_tables_exist() -> None:
    state = EventState()
    state = apply(state, import_participants_csv(state, "id,name,company\nA,A A,X\nB,B B,Y\n"))
    _, errors = failure(import_meetings_csv, state, "a,b,round,table\nA,B,1,1\n")
    assert errors == [
        (2, "round", "round 1 does not exist (the event has no rounds yet)"),
        (2, "table", "table 1 does not exist (the event has no tables yet)"),
    ]


def test_double_booking_in_the_file_points_at_its_rows() -> None:
    message, errors = failure(
        import_meetings_csv,
        with_participants(),
        read("double_booking.csv"),
        filename="double_booking.csv",
    )
    assert message == "2 errors in double_booking.csv; nothing was imported"
    assert errors == [
        (
            4,
            None,
            "Anna Berg (Cluster Nord) already has a meeting in round 1 (table 1, with "
            "Jonas Weber (Automotive BW)) (on line 2)",
        ),
        (
            5,
            None,
            "table 2 is taken in round 1 by the meeting between Ayşe Yılmaz (Istanbul "
            "Tech Cluster) and Kateřina Dvořáková (Moravian Microsystems) (on line 3)",
        ),
    ]


def test_double_booking_against_the_schedule_in_the_state() -> None:
    state = meetings_state()  # Anna meets Jonas in round 1 at table 1
    _, errors = failure(import_meetings_csv, state, "a,b,round,table\nB2M-1001,B2M-1010,1,2\n")
    assert errors == [
        (
            2,
            None,
            "Anna Berg (Cluster Nord) already has a meeting in round 1 (table 1, with "
            "Jonas Weber (Automotive BW))",
        ),
    ]


def test_availability_rules_point_at_the_row() -> None:
    state = with_participants()  # Jānis (B2M-1004) cannot come to rounds 1 and 2
    _, errors = failure(import_meetings_csv, state, "a,b,round,table\nB2M-1001,B2M-1004,2,5\n")
    assert errors == [(2, None, "Jānis Bērziņš (Latvian IT Cluster) is not available in round 2")]
    state = meetings_state()  # Anna meets Jonas in round 1
    text = read("participants.csv").replace(
        '+49 40 1234567,"mobility; hydrogen",en;de,', '+49 40 1234567,"mobility; hydrogen",en;de,1'
    )
    _, errors = failure(import_participants_csv, state, text)
    assert errors == [(2, None, "Anna Berg (Cluster Nord) is not available in round 1")]


def test_progress_is_reported_and_ends_with_the_total() -> None:
    rows = "\n".join(f"P{i},Person {i},Org {i % 50}" for i in range(1200))
    calls: list[tuple[int, int]] = []
    plan = import_participants_csv(
        EventState(), "id,name,company\n" + rows, progress=lambda d, t: calls.append((d, t))
    )
    assert plan.created == 1200
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]


def test_formula_escapes_are_dropped() -> None:
    (person,) = import_participants_csv(
        EventState(), "id,name,company,phone\n1,'=Ann,'@Org,'+49 1\n"
    ).records
    assert isinstance(person, Participant)
    assert (person.name, person.organisation, person.phone) == ("=Ann", "@Org", "+49 1")


def test_a_large_import_is_complete_and_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    state = EventState()
    state.apply(
        Change(
            upserts=(
                *(Table(number=n) for n in range(1, 1201)),
                *(Round(index=r, day=1, starts_at_ms=r * 1_800_000) for r in range(1, 11)),
            )
        )
    )
    people = "\n".join(
        f"E{i},First{i},Last{i},Org {i // 3},DE,p{i}@example.org,t1;t2" for i in range(5000)
    )
    # Round r: person k (k < 1200) meets person 2500 + (k + 7r) % 2500 at table k + 1;
    # 200 more unplaced wishes. No one is booked twice, and no pair meets twice.
    placed = [
        f"E{k},E{2500 + (k + 7 * r) % 2500},{r + 1},{k + 1}" for r in range(10) for k in range(1200)
    ]
    wishes = [f"E{k},E{1300 + k}" for k in range(1200, 1400)]
    meetings = "\n".join(placed[:11_800] + wishes)
    plan_p = import_participants_csv(
        state, "id,first_name,last_name,company,country,email,tags\n" + people
    )
    extra = [p for p in plan_p.records if isinstance(p, Participant)]
    plan_m = import_meetings_csv(state, "a,b,round,table\n" + meetings, extra_participants=extra)
    assert (plan_p.created, plan_m.created) == (5000, 12_000)
    # How long it takes is measured by scripts/bench_planning.py, not asserted here.
    assert capsys.readouterr() == ("", "")


# -- Placement constraints: rounds, after, fixed


def test_meeting_constraints_are_read_and_resolved_across_rows() -> None:
    state = with_participants()  # 8 rounds: 1-4 on day 1, 5-8 on day 2
    text = "\n".join([
        "id,a,b,round,table,rounds,after,fixed",
        'C-1,B2M-1001,B2M-1002,,,"1-2, 4",C-3,',
        "C-2,B2M-1003,B2M-1004,,,day 2,,no",
        "C-3,B2M-1005,B2M-1006,3,1,,,yes",
    ])  # fmt: skip
    plan = import_meetings_csv(state, text)
    got = {m.external_id: m for m in plan.records if isinstance(m, Meeting)}
    assert got["C-1"].rounds == (1, 2, 4) and got["C-1"].after == (got["C-3"].id,)
    assert got["C-2"].rounds == (5, 6, 7, 8) and not got["C-2"].fixed
    assert got["C-3"].fixed and got["C-3"].rounds == () and got["C-3"].after == ()
    apply(state, plan)
    assert state.followers[got["C-3"].id] == {got["C-1"].id}
    # Re-importing without those columns keeps them.
    again = import_meetings_csv(state, "id,a,b\nC-1,B2M-1001,B2M-1002\n")
    assert again.records == () and again.unchanged == 1


def test_bad_meeting_constraints_name_row_and_column() -> None:
    text = "\n".join([
        "id,a,b,round,table,rounds,after,fixed",
        "C-1,B2M-1001,B2M-1002,,,9,,",
        "C-2,B2M-1003,B2M-1004,,,day 3,,",
        "C-3,B2M-1005,B2M-1006,,,mornings,,",
        "C-4,B2M-1007,B2M-1008,,,4-2,,",
        "C-5,B2M-1009,B2M-1010,,,,NOPE; C-5,",
        "C-6,B2M-1011,B2M-1012,2,,,,yes",
        "C-7,B2M-1001,B2M-1003,,,,,maybe",
    ])  # fmt: skip
    message, errors = failure(import_meetings_csv, with_participants(), text)
    assert message == "8 errors in meetings.csv; nothing was imported"
    assert errors == [
        (2, "rounds", "round 9 does not exist (rounds are 1 to 8)"),
        (3, "rounds", "'day 3': day 3 has no rounds (days are [1, 2])"),
        (4, "rounds", "'mornings' is not a round, a range like 1-4 or a day like 'day 2'"),
        (5, "rounds", "'4-2': a range goes from low to high"),
        (7, "fixed", "a fixed meeting needs its round and table"),
        (8, "fixed", "expected yes or no, got 'maybe'"),
        # `after` is resolved once every row is read, so its errors come last
        (6, "after", "no other meeting 'NOPE'"),
        (6, "after", "no other meeting 'C-5'"),  # not itself
    ]


def test_an_import_that_breaks_an_order_is_refused_at_its_row() -> None:
    state = with_participants()
    text = "id,a,b,round,table,after\nO-1,B2M-1001,B2M-1002,3,1,O-2\nO-2,B2M-1003,B2M-1004,3,2,\n"
    _, errors = failure(import_meetings_csv, state, text)
    assert len(errors) == 1 and errors[0][0] == 2
    assert "must come after meeting" in errors[0][2] and "round 3" in errors[0][2]


def test_a_home_table_is_read_checked_against_the_tables_and_cleared_when_blank() -> None:
    state = with_participants()  # tables 1 to 6
    text = ("id,name,company,home_table\nB2M-1001,Anna Berg,Cluster Nord,4\n"
            "B2M-1002,Jonas Weber,Automotive BW,\n")  # fmt: skip
    apply(state, import_participants_csv(state, text))
    people = state.participants
    assert people[state.by_external_id["B2M-1001"]].home_table == 4
    assert people[state.by_external_id["B2M-1002"]].home_table is None
    # Left out: kept. Blank: cleared.
    left_out = "id,name,company\nB2M-1001,Anna Berg,Cluster Nord\n"
    apply(state, import_participants_csv(state, left_out))
    assert people[state.by_external_id["B2M-1001"]].home_table == 4
    apply(state, import_participants_csv(state, text.replace(",4\n", ",\n")))
    assert people[state.by_external_id["B2M-1001"]].home_table is None
    bad = "id,name,company,Home Table\nX-1,A B,O,4\nX-2,C D,O,99\nX-3,E F,O,two\nX-4,G H,O,0\n"
    _, errors = failure(import_participants_csv, state, bad)
    assert errors == [
        (3, "Home Table", "there is no table 99"),
        (4, "Home Table", "home table 'two' is not a whole number"),
        (5, "Home Table", "home table 0 must be 1 or more"),
    ]
    _, errors = failure(import_participants_csv, EventState(), bad)
    assert errors[0] == (2, "Home Table", "there is no table 4 (the event has no tables yet)")


def test_a_home_table_may_come_with_its_table_in_one_json_file() -> None:
    doc = ('{"tables": [{"number": 7}], "participants": [{"external_id": "X-1", "name": "A B",'
           ' "organisation": "O", "home_table": 7}, {"external_id": "X-2", "name": "C D",'
           ' "organisation": "O", "home_table": 8}]}')  # fmt: skip
    _, errors = failure(import_json, EventState(), doc)
    assert errors == [(1, "/participants/1/home_table", "there is no table 8")]
    plan = import_json(EventState(), doc.replace('"home_table": 8', '"home_table": null'))
    homes = {r.external_id: r.home_table for r in plan.records if isinstance(r, Participant)}
    assert homes == {"X-1": 7, "X-2": None}
