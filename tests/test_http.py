"""The HTTP API against real Redis: health, auth, the one error shape, import/export."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from starlette.testclient import TestClient

from server.core.model import Event
from server.edge.app import create_app
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.settings import Settings
from server.edge.store import Store
from tests.factory import small_event_records

DATA = Path(__file__).parent / "data"


def seed(url: str, event_id: str = "ev1") -> Event:
    async def run() -> Event:
        client = aioredis.from_url(url)
        try:
            later = wall_clock_ms() + 3_600_000  # the server's clock is real: rounds ahead
            records = small_event_records(event_id=event_id, t0_ms=later)
            event = records[0]
            assert isinstance(event, Event)
            state = await Service(Store(client)).create_event(event, records[1:], actor="test")
            assert state.event is not None
            return state.event
        finally:
            await client.aclose()

    return asyncio.run(run())


@pytest.fixture
def api(redis_server: EmbeddedRedis) -> Iterator[tuple[TestClient, Event]]:
    redis.Redis.from_url(redis_server.url).flushall()
    event = seed(redis_server.url)
    app = create_app(Settings(redis_url=redis_server.url))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, event


def auth(event: Event) -> dict[str, str]:
    return {"authorization": f"Bearer {event.moderator_token}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"ok", "error"}
    assert body["ok"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_health_and_readiness(api: tuple[TestClient, Event]) -> None:
    client, _ = api
    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/readyz").json() == {"ok": True, "redis": "ok"}


def test_readiness_fails_cleanly_without_redis(tmp_path: Path) -> None:
    app = create_app(Settings(redis_url=f"unix://{tmp_path}/nothing.sock"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert_error(client.get("/readyz"), 503, "unavailable")


def test_moderator_reads_the_whole_state(api: tuple[TestClient, Event]) -> None:
    client, event = api
    body = client.get("/api/events/ev1", headers=auth(event)).json()
    assert body["ok"] is True
    assert body["version"] == 1
    assert len(body["epoch"]) == 16
    assert {t["number"] for t in body["tables"]} == {1, 2, 3}
    assert body["participants"][0]["email"]  # moderators see private fields
    via_query = client.get(f"/api/events/ev1?token={event.moderator_token}")
    assert via_query.json() == body


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        ("GET", "/api/events/ev1", {}, 401, "unauthorized"),
        ("GET", "/api/events/ev1", {"authorization": "Bearer wrong"}, 401, "unauthorized"),
        ("GET", "/api/events/ev1", "hall", 403, "forbidden"),
        ("GET", "/api/events/ev1/audit", "participant", 403, "forbidden"),
        (
            "POST",
            "/api/events/ev1/schedule",
            {"authorization": "Bearer wrong"},
            401,
            "unauthorized",
        ),
        ("GET", "/api/events/nope", {"authorization": "Bearer x"}, 404, "event_not_found"),
        ("GET", "/no/such/page", {}, 404, "not_found"),
        ("POST", "/healthz", {}, 405, "method_not_allowed"),
        ("GET", "/api/events/ev1/export/tables.xml", "mod", 400, "bad_request"),
        ("POST", "/api/events/ev1/import/rooms", "mod", 400, "bad_request"),
        ("POST", "/api/events/ev1/schedule", {}, 401, "unauthorized"),
    ],
)
def test_every_error_has_the_one_shape(
    api: tuple[TestClient, Event],
    method: str,
    path: str,
    headers: dict[str, str] | str,
    status: int,
    code: str,
) -> None:
    client, event = api
    # The hall screen's key and a participant's token are valid for the event, but not
    # for a moderator's endpoint.
    tokens = {"mod": event.moderator_token, "hall": event.screen_key,
              "participant": client.get("/api/events/ev1", headers=auth(event)).json()[
                  "participants"][0]["token"]}  # fmt: skip
    sent = {"authorization": f"Bearer {tokens[headers]}"} if isinstance(headers, str) else headers
    assert_error(client.request(method, path, headers=sent), status, code)


def test_bad_csv_is_rejected_with_line_errors_and_nothing_stored(
    api: tuple[TestClient, Event],
) -> None:
    client, event = api
    bad = (DATA / "bad_participants.csv").read_bytes()
    error = assert_error(
        client.post("/api/events/ev1/import/participants", content=bad, headers=auth(event)),
        422,
        "import_failed",
    )
    errors = error["details"]["errors"]
    assert len(errors) >= 2
    for item in errors:
        assert item["file"] == "participants.csv"
        assert item["line"] >= 1
        assert item["reason"]
    body = client.get("/api/events/ev1", headers=auth(event)).json()
    assert body["version"] == 1
    assert len(body["participants"]) == 8


def test_import_schedule_export_round(api: tuple[TestClient, Event]) -> None:
    client, event = api
    plan = (DATA / "event.json").read_bytes()
    tables = client.post("/api/events/ev1/import/json", content=plan, headers=auth(event))
    assert tables.status_code == 200, tables.text
    assert tables.json()["version"] == 2
    people = (DATA / "participants.csv").read_bytes()
    first = client.post("/api/events/ev1/import/participants", content=people, headers=auth(event))
    assert first.status_code == 200, first.text
    assert first.json()["created"] > 0
    assert first.json()["version"] == 3
    again = client.post("/api/events/ev1/import/participants", content=people, headers=auth(event))
    assert again.json()["created"] == 0
    assert again.json()["updated"] == 0
    assert again.json()["version"] is None  # nothing changed, nothing committed

    meetings = (DATA / "meetings.csv").read_bytes()
    imported = client.post("/api/events/ev1/import/meetings", content=meetings, headers=auth(event))
    assert imported.status_code == 200, imported.text
    scheduled = client.post("/api/events/ev1/schedule", headers=auth(event)).json()
    assert scheduled["ok"] is True
    assert scheduled["placed"] + len(scheduled["unplaced"]) >= 1

    csv_export = client.get("/api/events/ev1/export/schedule.csv", headers=auth(event))
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert "meeting_id" in csv_export.text.splitlines()[0]
    json_text = client.get("/api/events/ev1/export/event.json", headers=auth(event)).text
    assert event.moderator_token not in json_text
    assert event.screen_key not in json_text
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    assert all(p["token"] not in json_text for p in state["participants"])
    assert len(state["participants"]) > 8


def test_commands_over_http(api: tuple[TestClient, Event]) -> None:
    client, event = api
    walk = {"name": "walk_in", "args": {"side_a": ["p0"], "side_b": ["p1"], "round": 1, "id": "w1"}}
    dry = client.post(
        "/api/events/ev1/commands", json={**walk, "dry_run": True}, headers=auth(event)
    )
    assert dry.json()["version"] is None
    assert [m["after"]["table"] for m in dry.json()["preview"]["meetings"]] == [1]
    # dry_run is true or false: the string "false" must not be taken as a dry run (nor
    # commit anything).
    for wrong in ("false", 1, "yes"):
        odd = {**walk, "dry_run": wrong}
        response = client.post("/api/events/ev1/commands", json=odd, headers=auth(event))
        assert_error(response, 422, "invalid_argument")
    done = client.post("/api/events/ev1/commands", json=walk, headers=auth(event)).json()
    assert done["version"] == 2
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    assert [(m["id"], m["table"], m["origin"]) for m in state["meetings"]] == [("w1", 1, "walk_in")]

    again = {"name": "walk_in", "args": {"side_a": ["p0"], "side_b": ["p2"], "round": 1}}
    busy = client.post("/api/events/ev1/commands", json=again, headers=auth(event))
    assert_error(busy, 409, "participant_busy")
    participant = state["participants"][3]["token"]
    denied = client.post(
        "/api/events/ev1/commands",
        json={"name": "announce", "args": {"text": "hi"}},
        headers={"authorization": f"Bearer {participant}"},
    )
    assert_error(denied, 403, "forbidden")
    assert_error(client.post("/api/events/ev1/commands", json=walk), 401, "unauthorized")
    not_json = client.post("/api/events/ev1/commands", content=b"{", headers=auth(event))
    assert_error(not_json, 400, "bad_request")
    unknown = client.post("/api/events/ev1/commands", json={"name": "fly"}, headers=auth(event))
    assert_error(unknown, 404, "unknown_command")
    nameless_commands: list[dict[str, Any]] = [{"args": {}}, {"name": 7}]
    for nameless in nameless_commands:
        response = client.post("/api/events/ev1/commands", json=nameless, headers=auth(event))
        assert "'name'" in assert_error(response, 404, "unknown_command")["message"]
    bad = client.post(
        "/api/events/ev1/commands", json={"name": "walk_in", "args": {}}, headers=auth(event)
    )
    assert_error(bad, 422, "invalid_argument")


def command(client: TestClient, event: Event, name: str, **args: Any) -> Any:
    return client.post(
        "/api/events/ev1/commands", json={"name": name, "args": args}, headers=auth(event)
    )


def table_of(client: TestClient, event: Event, mid: str) -> int:
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    table: int = next(m["table"] for m in state["meetings"] if m["id"] == mid)
    return table


def test_audit_log_and_undo(api: tuple[TestClient, Event]) -> None:
    client, event = api
    assert_error(command(client, event, "undo"), 409, "nothing_to_undo")
    command(client, event, "walk_in", side_a=["p0"], side_b=["p1"], round=1, table=1, id="w1")
    command(client, event, "walk_in", side_a=["p2"], side_b=["p3"], round=1, table=2, id="w2")
    assert command(client, event, "move_meeting", meeting="w1", table=3).status_code == 200
    undone = command(client, event, "undo").json()
    assert undone["preview"]["undone"] == {"version": 4, "command": "move_meeting"}
    assert table_of(client, event, "w1") == 1
    # The next undo takes back the walk-in before it (the move is already undone).
    command(client, event, "undo")
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    assert [m["id"] for m in state["meetings"]] == ["w1"]
    # A later change to the same meeting blocks undoing the earlier one.
    command(client, event, "move_meeting", meeting="w1", table=2)
    token = next(p["token"] for p in state["participants"] if p["id"] == "p0")
    client.post("/api/events/ev1/commands", json={"name": "depart"},
                headers={"authorization": f"Bearer {token}"})  # fmt: skip
    refused = command(client, event, "undo")
    assert_error(refused, 409, "undo_refused")
    assert "meeting w1 was changed again" in refused.json()["error"]["message"]

    entries = client.get("/api/events/ev1/audit", headers=auth(event)).json()["entries"]
    assert [e["command"] for e in entries[-3:]] == ["undo", "move_meeting", "depart"]
    move = entries[-2]
    assert move["actor"] == "moderator"
    assert move["changes"][0]["before"]["table"] == 1
    assert move["changes"][0]["after"]["table"] == 2
    assert entries[-1]["actor"] == "participant:p0"
    csv_text = client.get("/api/events/ev1/export/audit.csv", headers=auth(event)).text
    assert "move_meeting" in csv_text
    assert csv_text.lstrip("\ufeff").startswith("version,at_ms,actor,command")


def test_substitutes_and_stats_are_answered_in_data(api: tuple[TestClient, Event]) -> None:
    client, event = api
    for pid in ("p0", "p2", "p4"):
        command(client, event, "check_in", participant=pid)
    answer = command(client, event, "suggest_substitutes", participant="p0", round=1).json()
    assert answer["version"] is None  # a question commits nothing
    names = [c["participant"] for c in answer["data"]["candidates"]]
    assert names
    assert set(names) <= {"p2", "p4"}  # only people who are here
    stats = command(client, event, "stats").json()["data"]
    assert stats["checked_in"] == 3
    assert stats["participants"] == 8


def test_breaks_report_as_csv_and_json(api: tuple[TestClient, Event]) -> None:
    client, event = api  # 8 people EXT-0..7, 3 tables, rounds 1-4 in one block
    for rnd, partner in ((1, "p1"), (3, "p2")):  # p0 meets in 1 and 3: idle in 2
        placed = command(client, event, "walk_in", side_a=["p0"], side_b=[partner], round=rnd,
                         table=1, id=f"w{rnd}")  # fmt: skip
        assert placed.status_code == 200, placed.text
    got = client.get("/api/events/ev1/export/breaks.csv", headers=auth(event))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert 'filename="ev1-breaks.csv"' in got.headers["content-disposition"]
    assert got.text.startswith("\ufeff")  # for spreadsheets, like the other CSV exports
    table = list(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert [(r["participant"], r["breaks"], r["rounds"]) for r in table] == [
        ("EXT-0", "1", "1, 3"),
        ("EXT-2", "0", "3"),  # Ayşe Yılmaz before Jonas Weber
        ("EXT-1", "0", "1"),
    ]
    doc = client.get("/api/events/ev1/export/breaks.json", headers=auth(event))
    assert doc.headers["content-type"].startswith("application/json")
    assert doc.json()["summary"] == {
        "people": 3, "total_breaks": 1, "people_with_breaks": 1, "max_breaks": 1,
    }  # fmt: skip
    wrong = client.get("/api/events/ev1/export/breaks.xlsx", headers=auth(event))
    message = assert_error(wrong, 400, "bad_request")["message"]
    assert message.startswith("cannot export breaks.xlsx: use ") and "breaks.json" in message


def test_no_export_or_audit_record_holds_a_secret(api: tuple[TestClient, Event]) -> None:
    """Tokens, the hall key and badge codes appear only in the badge export (made to
    print them), never in another export or in the audit log, as JSON or CSV."""
    client, event = api
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    code = state["participants"][0]["check_in_code"]
    command(client, event, "check_in", code=code)  # a badge scan: its code is an argument
    command(client, event, "walk_in", side_a=["p0"], side_b=["p1"], round=1, table=1, id="w1")
    secrets = {state["event"]["moderator_token"], state["event"]["screen_key"]}
    secrets |= {p["token"] for p in state["participants"]}
    secrets |= {p["check_in_code"] for p in state["participants"]}
    assert len(secrets) == 2 + 2 * len(state["participants"])
    exports = ("schedule.csv", "participants.csv", "event.json", "audit.csv", "breaks.csv",
               "breaks.json")  # fmt: skip
    shown = {
        what: client.get(f"/api/events/ev1/export/{what}", headers=auth(event)).text
        for what in exports
    }
    shown["audit"] = client.get("/api/events/ev1/audit", headers=auth(event)).text
    assert "create_event" in shown["audit"] and "check_in" in shown["audit"]
    for what, text in shown.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{what} holds {len(leaked)} secrets"
    badges = client.get("/api/events/ev1/export/badges.csv", headers=auth(event)).text
    assert all(p["token"] in badges for p in state["participants"])


def test_an_organisers_constraints_hold_from_import_to_a_moderators_move(
    api: tuple[TestClient, Event],
) -> None:
    """The organiser imports meetings that must be in some rounds or follow another; the
    scheduler keeps to that; a moderator's move that breaks it is refused with the reason
    (the views keep the constraints to moderators: PRIVATE_FIELDS)."""
    client, event = api  # 8 people EXT-0..7, 3 tables, rounds 1-4 an hour from now
    meetings = "\n".join([
        "id,a,b,rounds,after",
        "K-1,EXT-0,EXT-1,3-4,",
        "K-2,EXT-0,EXT-2,,K-1",
        "K-3,EXT-3,EXT-4,1,",
    ])  # fmt: skip
    imported = client.post("/api/events/ev1/import/meetings", content=meetings.encode(),
                           headers=auth(event))  # fmt: skip
    assert imported.status_code == 200, imported.text
    scheduled = client.post("/api/events/ev1/schedule", headers=auth(event)).json()
    assert scheduled["ok"] is True and scheduled["unplaced"] == [], scheduled
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    by_ext = {m["external_id"]: m for m in state["meetings"]}
    assert by_ext["K-1"]["round"] == 3  # 3 or 4, and K-2 must still fit after it
    assert by_ext["K-2"]["round"] == 4
    assert by_ext["K-3"]["round"] == 1
    move = {"name": "move_meeting",
            "args": {"meeting": by_ext["K-1"]["id"], "round": 1, "table": 3}}  # fmt: skip
    body = assert_error(
        client.post("/api/events/ev1/commands", json=move, headers=auth(event)),
        409, "round_not_allowed",
    )  # fmt: skip
    assert "Anna Berg" in body["message"] and "round 3, 4" in body["message"]
    later = {"name": "move_meeting",
             "args": {"meeting": by_ext["K-2"]["id"], "round": 2, "table": 1}}  # fmt: skip
    body = assert_error(
        client.post("/api/events/ev1/commands", json=later, headers=auth(event)),
        409, "out_of_order",
    )  # fmt: skip
    assert f"must come after meeting {by_ext['K-1']['id']}" in body["message"]


def test_an_organiser_re_optimises_after_cancellations_with_a_preview_first(
    api: tuple[TestClient, Event],
) -> None:
    """Schedule with the optimiser (no idle gaps), a cancellation leaves Anna Berg idle in
    the middle of her day, the preview of rescheduling says who would move and stores
    nothing, the reschedule closes the gap in one commit (the breaks report agrees)."""
    client, event = api  # 8 people EXT-0..7, 3 tables, rounds 1-4 an hour from now
    meetings = "\n".join(["id,a,b", "A-1,EXT-0,EXT-1", "A-2,EXT-0,EXT-2", "A-3,EXT-0,EXT-3",
                          "B-1,EXT-4,EXT-5"])  # fmt: skip
    imported = client.post("/api/events/ev1/import/meetings", content=meetings.encode(),
                           headers=auth(event))  # fmt: skip
    assert imported.status_code == 200, imported.text
    first = client.post("/api/events/ev1/schedule", json={"time_limit_s": 10},
                        headers=auth(event)).json()  # fmt: skip
    assert first["ok"] is True and first["method"] == "optimiser", first
    assert (first["placed"], first["unplaced"], first["breaks"]) == (4, [], 0)
    assert first["optimal"] is True and first["gap"] == 0

    state = client.get("/api/events/ev1", headers=auth(event)).json()
    anna = sorted((m for m in state["meetings"] if m["external_id"].startswith("A-")),
                  key=lambda m: m["round"])  # fmt: skip
    middle = anna[1]
    cancel = {"name": "cancel_meeting", "args": {"meeting": middle["id"]}}
    done = client.post("/api/events/ev1/commands", json=cancel, headers=auth(event))
    assert done.status_code == 200, done.text
    report = client.get("/api/events/ev1/export/breaks.json", headers=auth(event)).json()
    assert report["summary"]["total_breaks"] == 1  # Anna idles where the meeting was

    version = client.get("/api/events/ev1", headers=auth(event)).json()["version"]
    ask = {"reschedule": True, "preview": True, "time_limit_s": 10}
    preview = client.post("/api/events/ev1/schedule", headers=auth(event), json=ask).json()
    assert preview["preview"] is True and preview["version"] is None, preview
    assert preview["moved"] >= 1 and preview["people_changed"] >= 2
    assert (preview["breaks_before"], preview["breaks"]) == (1, 0)
    assert len(preview["moves"]) == preview["moved"]
    for move in preview["moves"]:
        assert move["from"] != move["to"] and move["name"].startswith("A-")
        assert any(name.startswith("Anna Berg") for name in move["people"])
    assert client.get("/api/events/ev1", headers=auth(event)).json()["version"] == version

    # Confirm stores the previewed plan itself, not a new solve's answer.
    plan = preview["plan"]
    assert plan["version"] == version
    moving = {m["meeting_id"] for m in preview["moves"]}
    assert {r["meeting_id"] for r in plan["meetings"]} == moving
    done = client.post("/api/events/ev1/schedule", headers=auth(event),
                       json={"apply": plan}).json()  # fmt: skip
    assert done["method"] == "plan" and "plan" not in done, done
    assert done["version"] == version + 1 and done["breaks"] == 0, done
    assert done["moves"] == preview["moves"] and done["moved"] == preview["moved"]
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    where = {m["id"]: (m["round"], m["table"]) for m in state["meetings"]}
    assert all(where[r["meeting_id"]] == (r["round"], r["table"]) for r in plan["meetings"])
    report = client.get("/api/events/ev1/export/breaks.json", headers=auth(event)).json()
    assert report["summary"]["total_breaks"] == 0

    # The same plan again: its meetings changed since the preview (they moved), so it is
    # a conflict that names one, and nothing is stored.
    again = client.post("/api/events/ev1/schedule", headers=auth(event), json={"apply": plan})
    error = assert_error(again, 409, "conflict")
    assert "changed since the preview" in error["message"] and "preview again" in error["message"]
    assert client.get("/api/events/ev1", headers=auth(event)).json()["version"] == version + 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"time_limit": 5}, "unknown schedule option 'time_limit'"),
        ({"time_limit_s": 0}, "time_limit_s must be a number of seconds in (0, 600]"),
        ({"fairness": -1}, "fairness must be a whole number ≥ 0"),
        ({"fast": "yes"}, "fast must be true or false"),
        (
            {"apply": {"version": 1, "meetings": []}, "preview": True},
            "apply stores a preview's plan as it is: it takes no other option ('preview' given)",
        ),
        ({"apply": [1]}, 'apply must be the "plan" of a preview answer'),
        (
            {
                "apply": {
                    "version": 1,
                    "meetings": [{"meeting_id": "m1", "round": 0, "table": 1, "was": "ab"}],
                }
            },
            "apply.meetings[0].round must be a whole number ≥ 1, not 0",
        ),
        (
            {"apply": {"version": 1, "meetings": [{"meeting_id": "m1", "round": 1, "table": 1}]}},
            "apply.meetings[0].was must be the fingerprint the preview gave",
        ),
    ],
)
def test_a_bad_schedule_option_is_refused_with_its_name(
    api: tuple[TestClient, Event], body: dict[str, Any], says: str
) -> None:
    client, event = api
    error = assert_error(
        client.post("/api/events/ev1/schedule", json=body, headers=auth(event)), 400, "bad_request"
    )
    assert says in error["message"]


def test_a_plan_with_a_meeting_that_is_gone_stores_nothing(api: tuple[TestClient, Event]) -> None:
    client, event = api
    version = client.get("/api/events/ev1", headers=auth(event)).json()["version"]
    plan = {"version": version,
            "meetings": [{"meeting_id": "nope", "round": 1, "table": 1, "was": "ab"}]}  # fmt: skip
    answer = client.post("/api/events/ev1/schedule", json={"apply": plan}, headers=auth(event))
    error = assert_error(answer, 409, "conflict")
    assert error["message"] == "meeting nope no longer exists: nothing was stored, preview again"
    assert client.get("/api/events/ev1", headers=auth(event)).json()["version"] == version


def test_the_fast_baseline_stays_available(api: tuple[TestClient, Event]) -> None:
    client, event = api
    meetings = "id,a,b\nF-1,EXT-0,EXT-1\n"
    client.post("/api/events/ev1/import/meetings", content=meetings.encode(), headers=auth(event))
    body = client.post("/api/events/ev1/schedule", json={"fast": True}, headers=auth(event)).json()
    assert (body["method"], body["placed"], body["unplaced"]) == ("baseline", 1, [])
    assert "optimal" not in body
