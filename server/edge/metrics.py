"""What an operator watches: the process's Prometheus metrics, served at `/metrics`.

This module owns every prometheus-client object; the rest of the edge calls the small
functions below (one line at each place), so the instrumentation stays out of the way
of the code it measures. All figures are per server process: each process serves its own
`/metrics`, and Prometheus scrapes every process (docs/operations.md); the `instance`
label Prometheus adds tells them apart, and `matchboard_process_info` carries the pid.

Connections are not counted as they come and go: at each scrape a collector counts the
connections attached to the feeds of every hub of the process, by role, so the figure
cannot drift when a connection ends in an unusual way (dropped as too slow, revoked).
"""

from __future__ import annotations

import os
import socket
import time
import weakref
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Seconds: a command runs in about a millisecond when all is well; a schedule or an
# import takes seconds.
LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30)
# Seconds from a commit to its update written to every socket of this process.
FANOUT_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
ROLES: Final = ("moderator", "hall", "participant")

COMMANDS: Final = Counter(
    "matchboard_commands",
    "Commands run through HTTP or the WebSocket, by command and outcome "
    "(committed, unchanged, dry_run, query, repeat, or the error code).",
    ["command", "outcome"],
)
COMMAND_SECONDS: Final = Histogram(
    "matchboard_command_seconds",
    "How long a command took from its arrival to its answer, by command.",
    ["command"],
    buckets=LATENCY_BUCKETS,
)
COMMITS: Final = Counter(
    "matchboard_commits",
    "Changes committed to Redis by this process, by command (the timekeeper's bells, "
    "imports and schedules included).",
    ["command"],
)
FANOUT_SECONDS: Final = Histogram(
    "matchboard_fanout_delay_seconds",
    "From a change's commit time (stamped just before its atomic write, by whichever "
    "process committed it) to its update written to every connection of this process.",
    buckets=FANOUT_BUCKETS,
)
TOO_SLOW: Final = Counter(
    "matchboard_ws_closed_too_slow",
    "WebSocket clients closed because they fell too far behind (4008, backpressure).",
)
ATTACHED: Final = Counter(
    "matchboard_ws_attached",
    "WebSocket connections attached to their event, by how they were brought up to date: "
    "resume (only what they missed) or snapshot (the whole state).",
    ["kind"],
)
REDIS_ERRORS: Final = Counter(
    "matchboard_redis_errors",
    "Calls into Redis that failed (down, timing out, loading), by the client's error type.",
    ["error"],
)
PROCESS: Final = Info("matchboard_process", "This server process.")
PROCESS.info({"pid": str(os.getpid()), "host": socket.gethostname()})


def clock() -> float:
    """A start time for `command_done` (monotonic seconds)."""
    return time.perf_counter()


def command_done(command: str, started: float, outcome: str) -> None:
    COMMANDS.labels(command, outcome).inc()
    COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)


def committed(command: str) -> None:
    COMMITS.labels(command).inc()


def fanned_out(delay_ms: int) -> None:
    FANOUT_SECONDS.observe(max(0, delay_ms) / 1000)


def closed_too_slow() -> None:
    TOO_SLOW.inc()


def attached(*, resumed: bool) -> None:
    ATTACHED.labels("resume" if resumed else "snapshot").inc()


def redis_error(fault: BaseException) -> None:
    REDIS_ERRORS.labels(type(fault).__name__).inc()


# -- connections by role, counted at scrape time


class _Conn(Protocol):
    @property
    def audience(self) -> _Audience: ...


class _Audience(Protocol):
    @property
    def role(self) -> str: ...


class _Feed(Protocol):
    @property
    def connections(self) -> Iterable[_Conn]: ...


class Watched(Protocol):
    """A hub (server/edge/hub.py): its feeds, each with its connections."""

    @property
    def feeds(self) -> Mapping[str, _Feed]: ...


class _Connections(Collector):
    def __init__(self) -> None:
        self.hubs: weakref.WeakSet[Watched] = weakref.WeakSet()

    def collect(self) -> Iterator[Metric]:
        tally: Tally[str] = Tally({role: 0 for role in ROLES})
        for hub in list(self.hubs):
            for feed in list(hub.feeds.values()):
                tally.update(str(conn.audience.role) for conn in list(feed.connections))
        family = GaugeMetricFamily(
            "matchboard_ws_connections",
            "WebSocket connections attached to an event in this process, by role.",
            labels=["role"],
        )
        for role, count in sorted(tally.items()):
            family.add_metric([role], count)
        yield family
        family = GaugeMetricFamily(
            "matchboard_feeds", "Events with a running feed (connections) in this process."
        )
        family.add_metric([], sum(len(hub.feeds) for hub in list(self.hubs)))
        yield family


_CONNECTIONS: Final = _Connections()
REGISTRY.register(_CONNECTIONS)


def watch(hub: Watched) -> None:
    """Count this hub's connections at every scrape (until it is gone)."""
    _CONNECTIONS.hubs.add(hub)


def exposition() -> tuple[bytes, str]:
    """The body and content type of `/metrics`."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
