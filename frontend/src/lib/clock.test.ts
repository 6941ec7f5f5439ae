import { describe, expect, it } from "vitest";
import { clocksyncVectors } from "../testing/vectors";
import { ClockOffset, offsetOf, rttOf, type Sample } from "./clock";

describe("ClockOffset agrees with server/client/clocksync.py (tests/vectors/clocksync.json)", () => {
  it.each(clocksyncVectors.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const samples: Sample[] = c.samples.map((s) => ({ sentMs: s.sent_ms, receivedMs: s.received_ms, serverMs: s.server_ms }));
    const clock = c.window === null ? new ClockOffset() : new ClockOffset(c.window);
    samples.forEach((sample, i) => {
      clock.add(sample);
      const expected = c.after_each[i]!;
      expect(clock.samples, `kept after sample ${i}`).toEqual(expected.kept.map((k) => samples[k]));
      expect(clock.best, `best after sample ${i}`).toBe(expected.best === null ? null : samples[expected.best]);
      expect([clock.offsetMs, clock.rttMs], `estimate after sample ${i}`).toEqual([expected.offset_ms, expected.rtt_ms]);
      if (expected.best !== null) {
        const best = samples[expected.best]!;
        expect([offsetOf(best), rttOf(best)]).toEqual([expected.offset_ms, expected.rtt_ms]);
      }
    });
    for (const { client_ms, server_ms } of c.server_now) expect(clock.serverNowMs(client_ms)).toBe(server_ms);
  });
});

describe("ClockOffset", () => {
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
});
