"""Estimating the server clock from ping/pong samples, NTP-style. Pure.

A client sends `ping` at its time t0, the server answers with its time s, and the pong
arrives at client time t1. Then rtt = t1 - t0 and offset (server - client) ≈
s - (t0 + t1) / 2, wrong by at most rtt / 2 (the asymmetry of the two legs). Of the last
few samples, the one with the smallest rtt waited least in queues, so its offset is the
best estimate (docs/protocol.md, "Server time"). No clock reads here: times are arguments.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    sent_ms: float  # client clock when the ping was sent (t0)
    received_ms: float  # client clock when the pong arrived (t1)
    server_ms: float  # server clock in the pong (s)

    @property
    def rtt_ms(self) -> float:
        return self.received_ms - self.sent_ms

    @property
    def offset_ms(self) -> float:
        """Server clock minus client clock, within ±rtt/2."""
        return self.server_ms - (self.sent_ms + self.received_ms) / 2


class ClockOffset:
    """The server-minus-client clock offset from the last `window` samples."""

    def __init__(self, window: int = 8) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._samples: deque[Sample] = deque(maxlen=window)
        self._best: Sample | None = None

    def add(self, sample: Sample) -> None:
        """Keep the sample; one with a negative rtt (a clock step) is ignored."""
        if sample.rtt_ms < 0:
            return
        self._samples.append(sample)
        self._best = min(self._samples, key=lambda s: s.rtt_ms)

    @property
    def samples(self) -> tuple[Sample, ...]:
        return tuple(self._samples)

    @property
    def best(self) -> Sample | None:
        """The kept sample with the smallest rtt (the earliest of equals)."""
        return self._best

    @property
    def offset_ms(self) -> float | None:
        return None if self._best is None else self._best.offset_ms

    @property
    def rtt_ms(self) -> float | None:
        return None if self._best is None else self._best.rtt_ms

    def server_now_ms(self, client_now_ms: float) -> float:
        """The server clock at client time `client_now_ms`; LookupError before any sample."""
        if self._best is None:
            raise LookupError("no clock sample yet: ping the server first")
        return client_now_ms + self._best.offset_ms
