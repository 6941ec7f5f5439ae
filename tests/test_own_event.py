"""The README's "Running your own event", run as written against a real Redis: the
commands of its example (docs/examples/own-event/) and what an organiser gets from them."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

import openpyxl
import pytest

from server.edge.cli import main
from tests.test_cli import cli_env  # noqa: F401 (the fixture: Redis for the CLI)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "own-event"
pytestmark = pytest.mark.usefixtures("cli_env")


def readme_commands() -> list[list[str]]:
    """The `matchboard` commands of the README's own-event block, as argument lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- own-event")[1].split("<!-- /own-event -->")[0]
    code = block.split("```sh\n")[1].split("```")[0].replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in code.splitlines() if line.strip()]
    assert all(argv[0] == ".venv/bin/matchboard" for argv in commands)
    return [argv[1:] for argv in commands]


def exported_event(capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, object]]]:
    capsys.readouterr()
    assert main(["export", "my-event", "--what", "event"]) == 0
    doc: dict[str, list[dict[str, object]]] = json.loads(capsys.readouterr().out)
    return doc


def test_the_readme_commands_plan_import_schedule_and_export_the_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the README's paths, and its output files go here
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    commands = readme_commands()
    assert [argv[0] for argv in commands][:5] == ["create", "plan", "import", "import", "schedule"]
    for argv in commands:
        assert main(argv) == 0, argv
    out = capsys.readouterr().out
    assert "placed 10 meetings; 0 could not be placed" in out
    assert "day 1, 2036-05-06: rounds 1-6, meetings 09:00-12:00; breaks: Coffee 10:15-10:45" in out

    event = exported_event(capsys)
    assert len(event["rounds"]) == 10 and len(event["tables"]) == 4
    assert [b["label"] for b in event["breaks"]] == ["Coffee", "Lunch"]
    meetings = event["meetings"]
    assert len(meetings) == 10
    assert all(m["status"] == "scheduled" and m["round"] and m["table"] for m in meetings)
    with (tmp_path / "schedule.csv").open(encoding="utf-8-sig") as f:
        schedule = {row["meeting_id"]: row for row in csv.DictReader(f)}
    assert sorted(schedule) == [f"REQ-{n:02}" for n in range(1, 11)]
    assert schedule["REQ-06"]["note"] == "Interpreter needed (French)"
    assert schedule["REQ-01"]["participant_a"] == "P-01"
    agendas = openpyxl.load_workbook(tmp_path / "agendas.xlsx")
    assert agendas.sheetnames == ["Agendas", "Schedule", "Outcomes"]
    lines = list(agendas["Agendas"].iter_rows(min_row=2, values_only=True))
    assert len(lines) == 20  # each of the 10 meetings on the agendas of its two people
    assert {line[10] for line in lines} == set(schedule)


def test_the_plan_csv_makes_the_same_plan_as_the_readmes_plan_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    create, plan = readme_commands()[:2]
    assert main(create) == 0 and main(plan) == 0
    by_command = exported_event(capsys)
    assert main(["create", "other", "--name", "Other", "--timezone", "Europe/Berlin"]) == 0
    assert main(["import", "other", str(EXAMPLE / "plan.csv")]) == 0  # kind from its header
    capsys.readouterr()
    assert main(["export", "other", "--what", "event"]) == 0
    by_file = json.loads(capsys.readouterr().out)
    for part in ("rounds", "breaks", "tables"):
        assert by_file[part] == by_command[part]


def test_a_bad_plan_option_is_named_and_nothing_is_stored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    create, plan = readme_commands()[:2]
    assert main(create) == 0
    bad = [("10:45-11:15" if arg == "10:15-10:45 Coffee" else arg) for arg in plan]
    bad[bad.index("--rounds") + 1] = "six"
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "error: 1 error in command line; nothing was imported" in err
    assert (
        "command line, day 1, option --rounds: number of rounds 'six' is not a whole number" in err
    )
    event = exported_event(capsys)
    assert (event["rounds"], event["tables"], event["breaks"]) == ([], [], [])
    assert main(plan) == 0  # as written: stored
    lunch = plan.index("12:00-13:00 Lunch")
    assert main(plan[: lunch - 1] + plan[lunch + 1 :]) == 0  # again, without the lunch break
    assert (
        "plan: 0 created, 0 updated, 15 unchanged, 1 old breaks removed" in capsys.readouterr().out
    )
    assert [b["label"] for b in exported_event(capsys)["breaks"]] == ["Coffee"]


def test_schedule_without_a_plan_says_why_by_the_organisers_ids_and_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(readme_commands()[0]) == 0
    for name in ("participants.csv", "meetings.csv"):
        assert main(["import", "my-event", str(EXAMPLE / name)]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["schedule", "my-event", "--time-limit", "5"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "m_" not in captured.out
    assert (
        "the event has no rounds: add rounds to its plan, then schedule again (meetings REQ-01, "
        in captured.out
    )
    assert "no meeting could be placed" in captured.err
