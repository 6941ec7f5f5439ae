"""Shared test vectors for the four Python ↔ TypeScript mirrors.

Each mirror has one JSON file here, generated from the Python implementation and
committed; tests/test_vectors.py checks the files equal what the Python code produces
now, and the vitest suites (frontend/src/testing/vectors.ts) check that the TypeScript
gives the same outputs for the same inputs:

- phases.json: server/core/clock.py (and tests/clock_helpers.py's `moment`) ↔ phases.ts;
- clocksync.json: server/client/clocksync.py ↔ clock.ts;
- client_state.json: server/client/client_state.py ↔ store.ts;
- records.json: the record fields server/core/views.py sends ↔ the record types in protocol.ts.

Every file is {"about": <what it holds>, ...}: inputs and expected outputs only, in the
wire shapes (records as the server sends them). Regenerate after a deliberate behaviour
change with `python -m tests.vectors` (from the repository root) and commit the result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.vectors import client_state, clocksync, phases, records

FOLDER = Path(__file__).parent
BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "phases": phases.build,
    "clocksync": clocksync.build,
    "client_state": client_state.build,
    "records": records.build,
}


def render(name: str) -> str:
    """The text of one vector file: stable, so regenerating without a change is a no-op."""
    return json.dumps(BUILDERS[name](), indent=1, ensure_ascii=False) + "\n"


def path_of(name: str) -> Path:
    return FOLDER / f"{name}.json"


def write_all() -> list[Path]:
    paths = []
    for name in BUILDERS:
        path_of(name).write_text(render(name), encoding="utf-8")
        paths.append(path_of(name))
    return paths
