"""How long planning takes: importing 5,000 people and 12,000 meetings from CSV, and the
baseline scheduler on the sample conference and on the 20x event.

    .venv/bin/python scripts/bench_planning.py

Pure (no Redis, no server). Each figure is the median of a few runs; the last line is
JSON. Tests check what these produce, never how long it takes.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from server.core.importer import import_meetings_csv, import_participants_csv
from server.core.model import Participant, Round, Table
from server.core.scheduler import schedule
from server.core.state import Change, EventState, state_from_records
from server.demo.sample import generate

RUNS = 3
T0 = 1_780_000_000_000


def median_s(work: Callable[[], object]) -> float:
    took = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        took.append(time.perf_counter() - started)
    return round(statistics.median(took), 4)


def large_import() -> None:
    """5,000 people and 12,000 meetings (11,800 placed in 10 rounds, 200 wishes)."""
    state = EventState()
    state.apply(Change(upserts=(
        *(Table(number=n) for n in range(1, 1201)),
        *(Round(index=r, day=1, starts_at_ms=r * 1_800_000) for r in range(1, 11)),
    )))  # fmt: skip
    people = "\n".join(
        f"E{i},First{i},Last{i},Org {i // 3},DE,p{i}@example.org,t1;t2" for i in range(5000)
    )
    placed = [
        f"E{k},E{2500 + (k + 7 * r) % 2500},{r + 1},{k + 1}" for r in range(10) for k in range(1200)
    ]
    wishes = [f"E{k},E{1300 + k}" for k in range(1200, 1400)]
    plan = import_participants_csv(
        state, "id,first_name,last_name,company,country,email,tags\n" + people
    )
    extra = [p for p in plan.records if isinstance(p, Participant)]
    import_meetings_csv(state, "a,b,round,table\n" + "\n".join(placed[:11_800] + wishes),
                        extra_participants=extra)  # fmt: skip


def main() -> None:
    sample = state_from_records(generate(first_round_at_ms=T0).records())
    large = state_from_records(generate(first_round_at_ms=T0, participants=5000).records())
    figures = {
        "import_5000_people_12000_meetings_s": median_s(large_import),
        "schedule_sample_250_s": median_s(lambda: schedule(sample)),
        "schedule_20x_5000_s": median_s(lambda: schedule(large)),
    }
    for name, value in figures.items():
        print(f"{name:40} {value:8.3f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
