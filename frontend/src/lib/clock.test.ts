import { describe, expect, it } from "vitest";
import { ClockOffset, offsetOf, rttOf, type Sample } from "./clock";

/** A small seeded PRNG (mulberry32), so the simulations are repeatable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Delay = (random: () => number) => number; // one leg's one-way delay in ms
const jitter = (base: number, spread: number): Delay => (r) => base + r() * spread;
/** Mostly base..base+spread, sometimes (bufferbloat) `spike` ms more. */
const spiky = (base: number, spread: number, spike: number, chance: number): Delay => (r) =>
  base + r() * spread + (r() < chance ? spike : 0);

function simulate(trueOffsetMs: number, up: Delay, down: Delay, n: number, seed: number): Sample[] {
  const random = rng(seed);
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = 1_780_000_000_000 + i * 1_000;
    const dUp = up(random);
    const dDown = down(random);
    out.push({ sentMs: t0, receivedMs: t0 + dUp + dDown, serverMs: t0 + dUp + trueOffsetMs });
  }
  return out;
}

function estimate(samples: Sample[], window = 8): ClockOffset {
  const clock = new ClockOffset(window);
  for (const s of samples) clock.add(s);
  return clock;
}

const LINKS: Record<string, [Delay, Delay]> = {
  "symmetric lan": [jitter(1, 2), jitter(1, 2)],
  "symmetric wifi": [jitter(5, 40), jitter(5, 40)],
  asymmetric: [jitter(3, 5), jitter(30, 60)],
  "upload spikes": [spiky(10, 10, 1_000, 0.5), jitter(10, 10)],
  "download spikes": [jitter(10, 10), spiky(10, 10, 1_500, 0.5)],
};
const OFFSETS = [3_000, -250, 0, 86_400_000]; // client 3 s behind, 250 ms ahead, exact, a day

describe("estimate under skew and jitter", () => {
  const cases = Object.keys(LINKS).flatMap((link) =>
    OFFSETS.flatMap((offset) => [1, 2, 3].map((seed) => [link, offset, seed] as const)),
  );
  it.each(cases)("%s, true offset %i, seed %i: within half the smallest rtt", (link, offset, seed) => {
    const [up, down] = LINKS[link]!;
    const samples = simulate(offset, up, down, 8, seed);
    const clock = estimate(samples);
    const minRtt = Math.min(...samples.map(rttOf));
    expect(clock.rttMs).toBe(minRtt);
    expect(Math.abs(clock.offsetMs! - offset)).toBeLessThanOrEqual(minRtt / 2);
    expect(clock.serverNowMs(5_000)).toBe(5_000 + clock.offsetMs!);
  });

  const spikeCases = ["upload spikes", "download spikes"].flatMap((link) =>
    [3_000, -250].flatMap((offset) => Array.from({ length: 10 }, (_, seed) => [link, offset, seed] as const)),
  );
  it.each(spikeCases)("%s, offset %i, seed %i: spikes fool the average, not the min rtt", (link, offset, seed) => {
    const [up, down] = LINKS[link]!;
    const samples = simulate(offset, up, down, 8, seed);
    const spiked = samples.filter((s) => rttOf(s) > 100).length;
    if (spiked === 0 || spiked === 8) return; // this seed drew no mix: nothing to compare
    const clock = estimate(samples);
    const error = Math.abs(clock.offsetMs! - offset);
    const average = samples.reduce((sum, s) => sum + offsetOf(s), 0) / samples.length;
    const averageError = Math.abs(average - offset);
    expect(error).toBeLessThanOrEqual(5); // calm legs differ by at most 10 ms
    expect(averageError).toBeGreaterThan(50);
    expect(averageError).toBeGreaterThanOrEqual(10 * error);
  });

  it("most seeds draw a mix of calm and spiked samples", () => {
    const mixed = Array.from({ length: 10 }, (_, seed) => simulate(3_000, ...LINKS["upload spikes"]!, 8, seed))
      .filter((samples) => {
        const spiked = samples.filter((s) => rttOf(s) > 100).length;
        return spiked > 0 && spiked < 8;
      }).length;
    expect(mixed).toBeGreaterThanOrEqual(8);
  });
});

describe("ClockOffset", () => {
  it("keeps only the last `window` samples", () => {
    const clock = new ClockOffset(3);
    const fastOld = { sentMs: 0, receivedMs: 2, serverMs: 1_001 }; // rtt 2, offset 1000
    clock.add(fastOld);
    expect(clock.offsetMs).toBe(1_000);
    for (let i = 1; i <= 3; i++) {
      const t0 = i * 100; // rtt 10 each, offset 2000; the third evicts fastOld
      clock.add({ sentMs: t0, receivedMs: t0 + 10, serverMs: t0 + 5 + 2_000 });
      if (i < 3) expect(clock.best).toBe(fastOld);
    }
    expect(clock.samples).not.toContain(fastOld);
    expect(clock.samples).toHaveLength(3);
    expect(clock.offsetMs).toBe(2_000);
    expect(clock.rttMs).toBe(10);
  });

  it("the default window is 8", () => {
    const clock = new ClockOffset();
    for (let i = 0; i < 12; i++) clock.add({ sentMs: i, receivedMs: i + 5, serverMs: i });
    expect(clock.samples).toHaveLength(8);
    expect(clock.samples[0]!.sentMs).toBe(4);
  });

  it("a later sample with a smaller rtt wins; ties keep the first", () => {
    const clock = new ClockOffset();
    clock.add({ sentMs: 0, receivedMs: 40, serverMs: 520 }); // offset 500
    clock.add({ sentMs: 100, receivedMs: 110, serverMs: 405 }); // offset 300
    clock.add({ sentMs: 200, receivedMs: 210, serverMs: 705 }); // offset 500, same rtt
    expect(clock.rttMs).toBe(10);
    expect(clock.offsetMs).toBe(300);
  });

  it("ignores a negative rtt (the clock stepped back)", () => {
    const clock = new ClockOffset();
    clock.add({ sentMs: 1_000, receivedMs: 990, serverMs: 5_000 });
    expect(clock.offsetMs).toBeNull();
    expect(clock.samples).toHaveLength(0);
    const good = { sentMs: 1_000, receivedMs: 1_020, serverMs: 1_510 };
    clock.add(good);
    clock.add({ sentMs: 2_000, receivedMs: 1_999, serverMs: 0 });
    expect(clock.samples).toEqual([good]);
    expect(clock.offsetMs).toBe(500);
  });

  it("a zero rtt is a valid sample", () => {
    const clock = new ClockOffset();
    clock.add({ sentMs: 10, receivedMs: 10, serverMs: 7 });
    expect(clock.rttMs).toBe(0);
    expect(clock.offsetMs).toBe(-3);
  });

  it("has no estimate without samples, and after clear()", () => {
    const clock = new ClockOffset();
    expect(clock.offsetMs).toBeNull();
    expect(clock.rttMs).toBeNull();
    expect(clock.best).toBeNull();
    expect(() => clock.serverNowMs(1_000)).toThrow(/no clock sample/);
    clock.add({ sentMs: 0, receivedMs: 10, serverMs: 5 });
    clock.clear();
    expect(clock.offsetMs).toBeNull();
    expect(clock.samples).toHaveLength(0);
  });

  it("needs a window of at least one", () => {
    expect(() => new ClockOffset(0)).toThrow(/window/);
  });

  it.each([
    [{ sentMs: 0, receivedMs: 100, serverMs: 3_050 }, 100, 3_000],
    [{ sentMs: 1_000, receivedMs: 1_040, serverMs: 770 }, 40, -250],
    [{ sentMs: 1_000, receivedMs: 1_040, serverMs: 1_020 }, 40, 0],
  ])("sample %o: rtt %i, offset %i", (sample, rtt, offset) => {
    expect(rttOf(sample)).toBe(rtt);
    expect(offsetOf(sample)).toBe(offset);
  });
});
