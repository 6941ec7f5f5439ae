import { describe, expect, it } from "vitest";
import { berlinAt as at, roundOn as round } from "../testing/records";
import {
  countdownTargetMs,
  effectiveNow,
  endsAtMs,
  formatCountdown,
  moment,
  phaseAt,
  seatingAtMs,
  type Phase,
  type Timeline,
} from "./phases";
import type { BreakRecord, RoundRecord } from "./protocol";

const S = 1_000;
const MIN = 60_000;



/** Day 1: rounds 1-2 back to back, a 10-minute gap, round 3, lunch, round 4. Day 2: rounds
 * 5-6. Every round seats 5 minutes and meets 20 (tests/test_clock.py). */
function twoDays(skipped: number[] = [], warningS = 120): Timeline {
  const starts: [number, number, string][] = [
    [1, 1, "09:05"], [2, 1, "09:30"], [3, 1, "10:05"], [4, 1, "11:35"], [5, 2, "09:05"], [6, 2, "09:30"],
  ];
  const lunch: BreakRecord = { id: "lunch", day: 1, starts_at_ms: at(1, "10:25"), ends_at_ms: at(1, "11:30"), label: "Lunch" };
  return {
    rounds: starts.map(([i, day, t]) => round(i, day, at(day, t), { skipped: skipped.includes(i) })),
    breaks: [lunch],
    clock: null,
    warningS,
  };
}

// One round seating at 09:00, starting 09:05, last minutes from 09:23, ending 09:25.
const R = round(1, 1, at(1, "09:05"));
const SEAT = seatingAtMs(R);
const START = R.starts_at_ms;
const END = endsAtMs(R);
const WARN = END - 120 * S;
const NO_CHANGEOVER = { ...R, changeover_s: 0 };
const SHORT = { ...R, meeting_s: 60 }; // shorter than the warning
const EXACT = { ...R, meeting_s: 120 }; // as long as the warning
const SKIPPED = { ...R, skipped: true };

describe("phaseAt and countdownTargetMs", () => {
  it("derive seating and end from the round's times", () => {
    expect([SEAT, START, END]).toEqual([at(1, "09:00"), at(1, "09:05"), at(1, "09:25")]);
  });

  it.each<[string, RoundRecord, number, Phase, number | null]>([
    ["R", R, SEAT - 1, "upcoming", SEAT],
    ["R", R, SEAT, "seating", START],
    ["R", R, SEAT + 1, "seating", START],
    ["R", R, START - 1, "seating", START],
    ["R", R, START, "running", END],
    ["R", R, START + 1, "running", END],
    ["R", R, WARN - 1, "running", END],
    ["R", R, WARN, "last_minutes", END],
    ["R", R, WARN + 1, "last_minutes", END],
    ["R", R, END - 1, "last_minutes", END],
    ["R", R, END, "ended", null],
    ["R", R, END + 1, "ended", null],
    // Without changeover there is no seating: upcoming until the start.
    ["no changeover", NO_CHANGEOVER, START - 1, "upcoming", START],
    ["no changeover", NO_CHANGEOVER, START, "running", END],
    ["no changeover", NO_CHANGEOVER, WARN, "last_minutes", END],
    // A warning at least as long as the meeting: last minutes from the start.
    ["short", SHORT, START - 1, "seating", START],
    ["short", SHORT, START, "last_minutes", START + 60 * S],
    ["short", SHORT, START + 60 * S - 1, "last_minutes", START + 60 * S],
    ["short", SHORT, START + 60 * S, "ended", null],
    ["exact", EXACT, START, "last_minutes", START + 120 * S],
    ["exact", EXACT, START + 120 * S, "ended", null],
    ["skipped", SKIPPED, START, "skipped", null],
    ["skipped", SKIPPED, SEAT - 1, "skipped", null],
  ])("%s at %i: %s, target %s", (_name, rnd, now, phase, target) => {
    expect(phaseAt(rnd, now, 120)).toBe(phase);
    expect(countdownTargetMs(rnd, phase)).toBe(target);
  });

  it("a negative warning counts as none", () => {
    expect(phaseAt(R, END - 1, -5)).toBe("running");
  });
});

describe("a paused clock", () => {
  it("freezes the phase and the remaining time", () => {
    const clock = { paused_at_ms: WARN - 1 };
    expect(effectiveNow(END + 3_600_000, clock)).toBe(WARN - 1);
    expect(effectiveNow(END, { paused_at_ms: null })).toBe(END);
    expect(effectiveNow(END, null)).toBe(END);
    expect(phaseAt(R, END + 3_600_000, 120, clock)).toBe("running");
    const paused = { ...twoDays(), clock: { paused_at_ms: at(1, "09:10") } };
    for (const later of ["09:10", "09:40", "18:00"]) {
      const m = moment(paused, at(1, later));
      expect([m.phase, m.paused, m.remainingMs, m.round?.index]).toEqual(["running", true, 15 * MIN, 1]);
    }
    const running = moment(twoDays(), at(1, "09:40"));
    expect([running.paused, running.remainingMs]).toEqual([false, 10 * MIN]);
  });
});

describe("moment over a two-day event", () => {
  it.each<[number[], number, string, Phase, number | null, number | null, [number, string] | null]>([
    [[], 1, "08:00", "upcoming", 1, 2, [1, "09:00"]], // before day 1
    [[], 1, "09:02", "seating", 1, 2, [1, "09:05"]],
    [[], 1, "09:10", "running", 1, 2, [1, "09:25"]],
    [[], 1, "09:24", "last_minutes", 1, 2, [1, "09:25"]],
    [[], 1, "09:25", "seating", 2, 3, [1, "09:30"]], // round 1 ends, 2 seats
    [[], 1, "09:55", "upcoming", 3, 4, [1, "10:00"]], // between rounds
    [[], 1, "10:30", "break", null, 4, [1, "11:30"]], // lunch
    [[], 1, "11:30", "seating", 4, 5, [1, "11:35"]], // lunch is over
    [[], 1, "12:00", "upcoming", 5, 6, [2, "09:00"]], // overnight
    [[], 2, "09:49", "last_minutes", 6, null, [2, "09:50"]],
    [[], 2, "09:50", "idle", null, null, null], // after the last round
    [[], 2, "23:00", "idle", null, null, null],
    // Round 3 skipped: passed over, never current, never next.
    [[3], 1, "09:40", "running", 2, 4, [1, "09:50"]],
    [[3], 1, "09:55", "upcoming", 4, 5, [1, "11:30"]],
    [[3], 1, "10:10", "upcoming", 4, 5, [1, "11:30"]],
    [[6], 2, "09:26", "idle", null, null, null],
  ])("skipped %j, day %i %s: %s", (skipped, day, time, phase, rnd, next, target) => {
    const now = at(day, time);
    const m = moment(twoDays(skipped), now);
    expect(m.phase).toBe(phase);
    expect(m.round?.index ?? null).toBe(rnd);
    expect(m.nextRound?.index ?? null).toBe(next);
    expect(m.targetMs).toBe(target ? at(...target) : null);
    expect(m.remainingMs).toBe(m.targetMs === null ? null : m.targetMs - now);
    expect(m.paused).toBe(false);
    expect(m.break?.id ?? null).toBe(phase === "break" ? "lunch" : null);
  });

  it("is idle without rounds", () => {
    const m = moment({ rounds: [], breaks: [], clock: null, warningS: 120 }, 0);
    expect([m.phase, m.round, m.nextRound, m.targetMs, m.remainingMs]).toEqual(["idle", null, null, null, null]);
  });

  it("does not depend on the order of the rounds it is given", () => {
    const t = twoDays();
    const shuffled = { ...t, rounds: [...t.rounds].reverse() };
    expect(moment(shuffled, at(1, "09:25"))).toEqual(moment(t, at(1, "09:25")));
  });

  it("picks the earliest of overlapping breaks", () => {
    const t = twoDays();
    const coffee: BreakRecord = { id: "coffee", day: 1, starts_at_ms: at(1, "10:20"), ends_at_ms: at(1, "10:40"), label: "Coffee" };
    const m = moment({ ...t, breaks: [...t.breaks, coffee] }, at(1, "10:30"));
    expect([m.phase, m.break?.id, m.targetMs]).toEqual(["break", "coffee", at(1, "10:40")]);
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
