"""The committed shared test vectors (tests/vectors/*.json) are what the Python code
produces now. The vitest suites check the TypeScript mirrors against the same files, so a
Python change that alters behaviour fails here until the vectors are regenerated
(`python -m tests.vectors`), and then fails there until the TypeScript follows."""

from __future__ import annotations

import json

import pytest

from tests.vectors import BUILDERS, path_of, render


@pytest.mark.parametrize("name", BUILDERS)
def test_committed_vectors_are_what_the_python_code_produces(name: str) -> None:
    committed = path_of(name).read_text(encoding="utf-8")
    assert committed == render(name), f"regenerate with `python -m tests.vectors`: {name}"


def test_the_vectors_cover_what_the_mirrors_must_agree_on() -> None:
    """Guards the generators themselves: every phase, a pause, every OutOfSync reason."""
    phases = json.loads(path_of("phases").read_text(encoding="utf-8"))
    seen = {case["phase"] for case in phases["phase_cases"] + phases["moment_cases"]}
    assert seen == {"upcoming", "seating", "running", "last_minutes", "ended", "skipped",
                    "break", "idle"}  # fmt: skip
    assert any(case["paused"] for case in phases["moment_cases"])
    client = json.loads(path_of("client_state").read_text(encoding="utf-8"))
    reasons = {step["out_of_sync"] for case in client["cases"] for step in case["steps"]}
    assert reasons == {None, "gap", "duplicate", "epoch", "before any snapshot"}
    records = json.loads(path_of("records").read_text(encoding="utf-8"))
    assert set(records["fields"]) == {"moderator", "hall", "participant"}
