import { describe, expect, it } from "vitest";
import { berlinAt, roundOn } from "../testing/records";
import { phasesVectors } from "../testing/vectors";
import { countdownTargetMs, effectiveNow, endsAtMs, formatCountdown, moment, phaseAt, seatingAtMs } from "./phases";

const S = 1_000;
const MIN = 60_000;

describe("phaseAt and countdownTargetMs agree with server/core/clock.py (tests/vectors/phases.json)", () => {
  const cases = phasesVectors.phase_cases.map((c) => [c.round, c.now_ms, c.warning_s, c.clock?.paused_at_ms ?? null, c] as const);
  it.each(cases)("%s at %i, warning %i s, paused at %s", (_name, _now, _warning, _paused, c) => {
    const rnd = phasesVectors.rounds[c.round]!;
    const phase = phaseAt(rnd, c.now_ms, c.warning_s, c.clock);
    expect(phase).toBe(c.phase);
    expect(countdownTargetMs(rnd, phase)).toBe(c.target_ms);
  });

  it("derive seating and end from the round's times", () => {
    const rnd = roundOn(1, 1, berlinAt(1, "09:05"));
    expect([seatingAtMs(rnd), rnd.starts_at_ms, endsAtMs(rnd)]).toEqual([berlinAt(1, "09:00"), berlinAt(1, "09:05"), berlinAt(1, "09:25")]);
  });

  it("a missing clock runs like a clock that is not paused", () => {
    expect(effectiveNow(5, { paused_at_ms: 3 })).toBe(3);
    expect(effectiveNow(5, { paused_at_ms: null })).toBe(5);
    expect(effectiveNow(5, null)).toBe(5);
    expect(effectiveNow(5, undefined)).toBe(5);
  });
});

describe("moment agrees with tests/clock_helpers.py (tests/vectors/phases.json)", () => {
  const cases = phasesVectors.moment_cases.map((c) => [c.timeline, c.now_ms, c] as const);
  it.each(cases)("%s at %i", (name, now, c) => {
    const t = phasesVectors.timelines[name]!;
    const m = moment({ rounds: t.rounds, breaks: t.breaks, clock: t.clock, warningS: t.warning_s }, now);
    expect({
      phase: m.phase,
      round: m.round?.index ?? null,
      next_round: m.nextRound?.index ?? null,
      break: m.break?.id ?? null,
      target_ms: m.targetMs,
      paused: m.paused,
      remaining_ms: m.remainingMs,
    }).toEqual({ ...c, timeline: undefined, now_ms: undefined });
  });
});

describe("formatCountdown", () => {
  it.each([
    [12 * MIN + 5 * S, "12:05"],
    [9 * S, "0:09"],
    [8_001, "0:09"], // whole seconds rounded up
    [1, "0:01"],
    [0, "0:00"],
    [-5_000, "0:00"], // never negative
    [59 * MIN + 59 * S, "59:59"],
    [60 * MIN, "1:00:00"],
    [62 * MIN + 3 * S, "1:02:03"],
    [25 * 60 * MIN, "25:00:00"],
  ])("%i ms: %s", (ms, text) => {
    expect(formatCountdown(ms)).toBe(text);
  });
});
