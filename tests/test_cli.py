"""The `matchboard` command against a real Redis: create, import, schedule, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import redis

from server.core.errors import Unavailable
from server.edge import embedded
from server.edge.cli import main
from server.edge.embedded import EmbeddedRedis

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cli_env(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    redis.Redis.from_url(redis_server.url).flushall()
    monkeypatch.setenv("MATCHBOARD_REDIS_URL", redis_server.url)


def _future(tmp_path: Path) -> Path:
    """The test data's plan moved to a future year (the scheduler only places meetings in
    rounds that have not begun), in `tmp_path`."""
    for name in ("event.json", "participants.csv", "meetings.csv"):
        text = (DATA / name).read_text(encoding="utf-8").replace("2026-05-0", "2036-05-0")
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.usefixtures("cli_env")
def test_a_whole_planning_session(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(["create", "cmc", "--name", "Cluster Matchmaking", "--timezone", "Europe/Berlin"]) == 0
    )
    assert "Moderator token:" in capsys.readouterr().out
    data = _future(tmp_path)
    assert main(["import", "cmc", str(data / "event.json")]) == 0
    assert main(["import", "cmc", str(data / "participants.csv")]) == 0
    out = capsys.readouterr().out
    assert "participants.csv: 12 created, 0 updated, 0 unchanged" in out
    assert main(["import", "cmc", str(data / "meetings.csv")]) == 0
    capsys.readouterr()
    # Preview, keep the plan, store that very plan.
    plan = tmp_path / "plan.json"
    preview = ["schedule", "cmc", "--time-limit", "5", "--preview", "--save-plan", str(plan)]
    assert main(preview) == 0
    out = capsys.readouterr().out
    assert "would place 3 meetings; 0 could not be placed" in out
    assert "idle breaks:" in out and "proven optimal" in out
    assert f"plan saved to {plan}: store it as shown with --apply {plan}" in out
    saved = json.loads(plan.read_text(encoding="utf-8"))
    assert len(saved["meetings"]) == 3
    assert main(["schedule", "cmc", "--apply", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "placed 3 meetings; 0 could not be placed" in out
    assert "(the previewed schedule, as shown)" in out
    assert main(["export", "cmc", "--what", "event"]) == 0
    stored = {m["id"]: m for m in json.loads(capsys.readouterr().out)["meetings"]}
    for row in saved["meetings"]:
        m = stored[row["meeting_id"]]
        assert (m["round"], m["table"], m["status"]) == (row["round"], row["table"], "scheduled")
    assert main(["schedule", "cmc", "--apply", str(plan)]) == 2  # its meetings changed since
    assert "changed since the preview" in capsys.readouterr().err
    assert main(["schedule", "cmc", "--save-plan", str(plan)]) == 2
    assert "--save-plan needs --preview" in capsys.readouterr().err
    assert main(["schedule", "cmc", "--time-limit", "5"]) == 0  # again: nothing waits
    assert "nothing to schedule: no meeting request is waiting" in capsys.readouterr().out

    target = tmp_path / "schedule.csv"
    assert main(["export", "cmc", "-o", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows
    assert {"meeting_id", "round", "table", "status"} <= set(rows[0])
    assert main(["export", "cmc", "--what", "event"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert len(exported["participants"]) == 12


@pytest.mark.usefixtures("cli_env")
def test_bad_csv_prints_every_error_and_stores_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "cmc", "--name", "Cluster Matchmaking"]) == 0
    capsys.readouterr()
    assert main(["import", "cmc", str(DATA / "bad_participants.csv")]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert "bad_participants.csv line 3, column email" in err
    assert "bad_participants.csv line 4, column country" in err
    assert main(["export", "cmc", "--what", "participants"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1  # the header only


@pytest.mark.usefixtures("cli_env")
def test_unknown_event_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "nope"]) == 2
    assert "there is no event 'nope'" in capsys.readouterr().err


def test_a_bad_setting_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read before anything starts: the variable and its value, and a non-zero exit."""
    monkeypatch.setenv("MATCHBOARD_PORT", "eighty")
    assert main(["create", "cmc", "--name", "Cluster Matchmaking"]) == 2
    assert "error: MATCHBOARD_PORT must be a port number, not 'eighty'" in capsys.readouterr().err


def test_missing_redis_server_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "find_redis_server", lambda: None)
    with pytest.raises(Unavailable, match="MATCHBOARD_REDIS_URL") as caught:
        EmbeddedRedis(tmp_path).start()
    assert "apt-get install redis-server" in caught.value.message


@pytest.mark.usefixtures("cli_env")
def test_badges_carry_check_in_codes_and_phone_links(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "cmc", "--name", "Cluster Matchmaking"]) == 0
    assert main(["import", "cmc", str(DATA / "participants.csv")]) == 0
    capsys.readouterr()
    assert main(["export", "cmc", "--what", "badges"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 12
    assert all(len(r["check_in_code"]) == 10 for r in rows)
    assert all(r["phone_link"].startswith("http://127.0.0.1:8000/p/cmc.") for r in rows)


@pytest.mark.usefixtures("cli_env")
def test_breaks_report_as_csv_by_default_or_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["create", "cmc", "--name", "Cluster Matchmaking"]) == 0
    for name in ("event.json", "participants.csv", "meetings.csv"):
        assert main(["import", "cmc", str(_future(tmp_path) / name)]) == 0
    assert main(["schedule", "cmc", "--time-limit", "5"]) == 0
    capsys.readouterr()
    assert main(["export", "cmc", "--what", "schedule"]) == 0
    schedule = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    held = [m for m in schedule if m["status"] == "scheduled"]
    assert held

    target = tmp_path / "breaks.csv"
    assert main(["export", "cmc", "--what", "breaks", "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM, as for every CSV
    people = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    # Everyone in a scheduled meeting (a side may be a group: "a;b"), once, with their
    # meetings counted.
    seats = [p for m in held for side in ("participant_a", "participant_b")
             for p in m[side].split(";")]  # fmt: skip
    assert sorted(r["participant"] for r in people) == sorted(set(seats))
    assert sum(int(r["meetings"]) for r in people) == len(seats)
    capsys.readouterr()
    assert main(["export", "cmc", "--what", "breaks", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["people"] == len(people)
    assert doc["summary"]["total_breaks"] == sum(int(r["breaks"]) for r in people)
    assert [p["participant"] for p in doc["people"]] == [r["participant"] for r in people]

    assert main(["export", "cmc", "--what", "participants", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "cannot export participants as json: use " in err
    assert "--what breaks --format json" in err
