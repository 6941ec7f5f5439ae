"""Vectors for server/client/clocksync.py ↔ clock.ts.

Each case feeds ping/pong `samples` (client send time, client receive time, server time)
one by one into a ClockOffset of `window` (null: the default); after each sample,
"after_each" gives the kept samples and the best one (indexes into `samples`) and the
offset and rtt estimates; "server_now" gives the server clock at some client instants
after the last sample (empty while there is no estimate).
"""

from __future__ import annotations

from typing import Any

from server.client.clocksync import ClockOffset, Sample
from tests.test_clocksync import LINKS, simulate


def samples(*triples: tuple[float, float, float]) -> list[Sample]:
    return [Sample(sent_ms=t0, received_ms=t1, server_ms=s) for t0, t1, s in triples]


def hand_cases() -> dict[str, tuple[int | None, list[Sample]]]:
    evicting = samples(
        (0, 2, 1_001), *((i * 100, i * 100 + 10, i * 100 + 2_005) for i in (1, 2, 3))
    )
    return {
        "a window of 3 evicts the fast old sample": (3, evicting),
        "the default window keeps 8": (None, samples(*((i, i + 5, i) for i in range(12)))),
        "a smaller rtt wins, ties keep the first": (
            None,
            samples((0, 40, 520), (100, 110, 405), (200, 210, 705)),
        ),
        "a negative rtt is ignored": (
            None,
            samples((1_000, 990, 5_000), (1_000, 1_020, 1_510), (2_000, 1_999, 0)),
        ),
        "a zero rtt is valid": (None, samples((10, 10, 7))),
        "no samples": (None, []),
        "rtt and offset": (1, samples((0, 100, 3_050), (1_000, 1_040, 770), (1_000, 1_040, 1_020))),
    }


def simulated_cases() -> dict[str, tuple[int | None, list[Sample]]]:
    cases: dict[str, tuple[int | None, list[Sample]]] = {}
    for link, (up, down) in LINKS.items():
        for offset in (3_000.0, -250.0):
            drawn = simulate(true_offset_ms=offset, up=up, down=down, n=12, seed=1)
            cases[f"{link}, true offset {offset:g}"] = (4 if offset < 0 else None, drawn)
    return cases


def index_of(sample: Sample | None, fed: list[Sample]) -> int | None:
    """The index of this very sample object (equal samples may repeat)."""
    return None if sample is None else next(i for i, s in enumerate(fed) if s is sample)


def run(name: str, window: int | None, fed: list[Sample]) -> dict[str, Any]:
    clock = ClockOffset() if window is None else ClockOffset(window)
    after_each = []
    for sample in fed:
        clock.add(sample)
        after_each.append(
            {
                "kept": [index_of(s, fed) for s in clock.samples],
                "best": index_of(clock.best, fed),
                "offset_ms": clock.offset_ms,
                "rtt_ms": clock.rtt_ms,
            }
        )
    client_instants = (0.0, 5_000.0, 1_780_000_000_000.0) if clock.best is not None else ()
    return {
        "name": name,
        "window": window,
        "samples": [
            {"sent_ms": s.sent_ms, "received_ms": s.received_ms, "server_ms": s.server_ms}
            for s in fed
        ],
        "after_each": after_each,
        "server_now": [
            {"client_ms": t, "server_ms": clock.server_now_ms(t)} for t in client_instants
        ],
    }


def build() -> dict[str, Any]:
    cases = hand_cases() | simulated_cases()
    return {
        "about": __doc__,
        "cases": [run(name, window, fed) for name, (window, fed) in cases.items()],
    }
