"""Clock-offset estimation from simulated ping/pong exchanges over jittery links."""

from __future__ import annotations

import random
from collections.abc import Callable
from statistics import fmean

import pytest

from server.client.clocksync import ClockOffset, Sample

Delay = Callable[[random.Random], float]  # one leg's one-way delay in ms


def jitter(base: float, spread: float) -> Delay:
    return lambda rng: base + rng.uniform(0, spread)


def spiky(base: float, spread: float, spike: float, chance: float) -> Delay:
    """Mostly `base`..`base+spread`, sometimes (bufferbloat) `spike` ms more."""
    return lambda rng: base + rng.uniform(0, spread) + (spike if rng.random() < chance else 0)


def simulate(
    *,
    true_offset_ms: float,
    up: Delay,
    down: Delay,
    n: int,
    seed: int,
    start_ms: float = 1_780_000_000_000,
    every_ms: float = 1_000,
) -> list[Sample]:
    """`n` exchanges; the server clock reads client clock + `true_offset_ms`."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t0 = start_ms + i * every_ms
        d_up, d_down = up(rng), down(rng)
        server_ms = t0 + d_up + true_offset_ms
        out.append(Sample(sent_ms=t0, received_ms=t0 + d_up + d_down, server_ms=server_ms))
    return out


def estimate(samples: list[Sample], window: int = 8) -> ClockOffset:
    clock = ClockOffset(window)
    for sample in samples:
        clock.add(sample)
    return clock


OFFSETS = [3_000.0, -250.0, 0.0, 86_400_000.0]
LINKS = {
    "symmetric lan": (jitter(1, 2), jitter(1, 2)),
    "symmetric wifi": (jitter(5, 40), jitter(5, 40)),
    "asymmetric": (jitter(3, 5), jitter(30, 60)),
    "upload spikes": (spiky(10, 10, 1_000, 0.5), jitter(10, 10)),
    "download spikes": (jitter(10, 10), spiky(10, 10, 1_500, 0.5)),
}


@pytest.mark.parametrize("true_offset_ms", OFFSETS)
@pytest.mark.parametrize("link", LINKS.keys())
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_estimate_is_within_half_the_smallest_rtt(
    true_offset_ms: float, link: str, seed: int
) -> None:
    up, down = LINKS[link]
    samples = simulate(true_offset_ms=true_offset_ms, up=up, down=down, n=8, seed=seed)
    clock = estimate(samples)

    min_rtt = min(s.rtt_ms for s in samples)
    assert clock.rtt_ms == min_rtt
    assert clock.offset_ms is not None
    assert abs(clock.offset_ms - true_offset_ms) <= min_rtt / 2
    assert clock.server_now_ms(5_000.0) == 5_000.0 + clock.offset_ms


@pytest.mark.parametrize("true_offset_ms", [3_000.0, -250.0])
@pytest.mark.parametrize("link", ["upload spikes", "download spikes"])
@pytest.mark.parametrize("seed", range(10))
def test_spikes_on_one_leg_fool_the_average_not_the_min_rtt(
    true_offset_ms: float, link: str, seed: int
) -> None:
    up, down = LINKS[link]
    samples = simulate(true_offset_ms=true_offset_ms, up=up, down=down, n=8, seed=seed)
    spiked = sum(s.rtt_ms > 100 for s in samples)
    assert 1 <= spiked <= 7, "the seed must draw both calm and spiked samples"
    clock = estimate(samples)
    assert clock.offset_ms is not None

    error = abs(clock.offset_ms - true_offset_ms)
    average_error = abs(fmean(s.offset_ms for s in samples) - true_offset_ms)
    assert error <= 5  # calm legs differ by at most 10 ms
    assert average_error > 50  # every spike drags the average by spike / 2 / 8
    assert average_error >= 10 * error


def test_window_keeps_only_the_last_samples() -> None:
    clock = ClockOffset(window=3)
    fast_old = Sample(sent_ms=0, received_ms=2, server_ms=1_001)  # rtt 2, offset 1000
    clock.add(fast_old)
    assert clock.offset_ms == 1_000
    for i in range(1, 4):  # rtt 10 each, offset 2000; the third evicts `fast_old`
        t0 = i * 100
        clock.add(Sample(sent_ms=t0, received_ms=t0 + 10, server_ms=t0 + 5 + 2_000))
        if i < 3:
            assert clock.best is fast_old
    assert fast_old not in clock.samples
    assert len(clock.samples) == 3
    assert clock.offset_ms == 2_000
    assert clock.rtt_ms == 10


def test_a_later_sample_with_smaller_rtt_wins_and_ties_keep_the_first() -> None:
    clock = ClockOffset()
    clock.add(Sample(sent_ms=0, received_ms=40, server_ms=520))  # offset 500
    clock.add(Sample(sent_ms=100, received_ms=110, server_ms=405))  # offset 300
    clock.add(Sample(sent_ms=200, received_ms=210, server_ms=705))  # offset 500, same rtt
    assert clock.rtt_ms == 10
    assert clock.offset_ms == 300


def test_negative_rtt_is_ignored() -> None:
    clock = ClockOffset()
    clock.add(Sample(sent_ms=1_000, received_ms=990, server_ms=5_000))  # the clock stepped back
    assert clock.offset_ms is None
    assert not clock.samples
    good = Sample(sent_ms=1_000, received_ms=1_020, server_ms=1_510)
    clock.add(good)
    clock.add(Sample(sent_ms=2_000, received_ms=1_999, server_ms=0))
    assert clock.samples == (good,)
    assert clock.offset_ms == 500


def test_zero_rtt_is_a_valid_sample() -> None:
    clock = ClockOffset()
    clock.add(Sample(sent_ms=10, received_ms=10, server_ms=7))
    assert clock.rtt_ms == 0
    assert clock.offset_ms == -3


def test_no_sample_means_no_estimate() -> None:
    clock = ClockOffset()
    assert clock.offset_ms is None
    assert clock.rtt_ms is None
    assert clock.best is None
    with pytest.raises(LookupError):
        clock.server_now_ms(1_000)


def test_window_must_hold_a_sample() -> None:
    with pytest.raises(ValueError, match="window"):
        ClockOffset(window=0)


@pytest.mark.parametrize(
    ("sample", "rtt", "offset"),
    [
        (Sample(sent_ms=0, received_ms=100, server_ms=3_050), 100, 3_000),
        (Sample(sent_ms=1_000, received_ms=1_040, server_ms=770), 40, -250),
        (Sample(sent_ms=1_000, received_ms=1_040, server_ms=1_020), 40, 0),
    ],
)
def test_sample_rtt_and_offset(sample: Sample, rtt: float, offset: float) -> None:
    assert sample.rtt_ms == rtt
    assert sample.offset_ms == offset
