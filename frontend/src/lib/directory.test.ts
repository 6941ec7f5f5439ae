import { describe, expect, it } from "vitest";
import { berlinAt as at, roundOn as round } from "../testing/records";
import { DEFAULT_LIMITS, directoryRound, listedName, listedNameText, pagePlan, rowsThatFit, startPager, stepPager, type PagePlan, type PagerState } from "./directory";
import type { Timeline } from "./phases";
import type { BreakRecord, RoundRecord } from "./protocol";
import { paginate } from "./views";

const MIN = 60_000;



/** As in phases.test.ts: rounds 1-2 back to back (seating 09:00 and 09:25), a gap, round 3
 * (seating 10:00, ends 10:25), lunch until 11:30, round 4; day 2: rounds 5-6. */
function twoDays(options: { skipped?: number[]; changeoverS?: number; pausedAt?: number } = {}): Timeline {
  const starts: [number, number, string][] = [
    [1, 1, "09:05"], [2, 1, "09:30"], [3, 1, "10:05"], [4, 1, "11:35"], [5, 2, "09:05"], [6, 2, "09:30"],
  ];
  const lunch: BreakRecord = { id: "lunch", day: 1, starts_at_ms: at(1, "10:25"), ends_at_ms: at(1, "11:30"), label: "Lunch" };
  const extra = (i: number): Partial<RoundRecord> => ({
    skipped: options.skipped?.includes(i) ?? false,
    ...(options.changeoverS !== undefined ? { changeover_s: options.changeoverS } : {}),
  });
  return {
    rounds: starts.map(([i, day, t]) => round(i, day, at(day, t), extra(i))),
    breaks: [lunch],
    clock: options.pausedAt === undefined ? null : { paused_at_ms: options.pausedAt },
    warningS: 120,
  };
}

describe("directoryRound", () => {
  it.each([
    ["08:00", 1, "before the event: the first round to be seated"],
    ["09:00", 1, "round 1 seating"],
    ["09:10", 1, "round 1 running: latecomers still look for their table"],
    ["09:24", 1, "round 1 in its last minutes"],
    ["09:25", 2, "round 2's seating begins"],
    ["09:45", 2, "round 2 running"],
    ["09:55", 3, "round over, a gap: the next round to be seated"],
    ["10:40", 4, "lunch break"],
    ["11:31", 4, "round 4 seating"],
  ])("day 1 %s: round %i (%s)", (hhmm, index) => {
    expect(directoryRound(twoDays(), at(1, hhmm))?.index).toBe(index);
  });

  it("shows the next day's first round overnight, nothing after the last round", () => {
    expect(directoryRound(twoDays(), at(1, "18:00"))?.index).toBe(5);
    expect(directoryRound(twoDays(), at(2, "09:49"))?.index).toBe(6);
    expect(directoryRound(twoDays(), at(2, "09:50"))).toBeNull();
  });

  it("passes over skipped rounds", () => {
    const t = twoDays({ skipped: [2] });
    expect(directoryRound(t, at(1, "09:20"))?.index).toBe(1);
    expect(directoryRound(t, at(1, "09:27"))?.index).toBe(3);
  });

  it("moves on when the next round's seating begins before this round ends", () => {
    const t = twoDays({ changeoverS: 10 * 60 }); // round 2 seats from 09:20; round 1 ends 09:25
    expect(directoryRound(t, at(1, "09:19"))?.index).toBe(1);
    expect(directoryRound(t, at(1, "09:22"))?.index).toBe(2);
  });

  it("stands still while the clock is paused", () => {
    const t = twoDays({ pausedAt: at(1, "09:10") });
    expect(directoryRound(t, at(1, "09:40"))?.index).toBe(1);
  });

  it("is null without rounds", () => {
    expect(directoryRound({ rounds: [], breaks: [], clock: null, warningS: 120 }, 0)).toBeNull();
  });
});

describe("pagePlan", () => {
  it("keeps a short list's pages up for the full page time", () => {
    expect(pagePlan(60, 24)).toEqual({ pageSize: 24, pages: 3, pageMs: 10_000, cycleMs: 30_000 });
    expect(pagePlan(0, 24)).toEqual({ pageSize: 24, pages: 1, pageMs: 10_000, cycleMs: 10_000 });
  });

  it("shortens pages so that 250 people come round within a minute", () => {
    const plan = pagePlan(250, 24);
    expect(plan.pages).toBe(11);
    expect(plan.pageMs).toBe(5_454);
    expect(plan.cycleMs).toBeLessThanOrEqual(60_000);
  });

  it("never lets a cycle run longer than the limit, never shows a page longer than the page time", () => {
    for (const limits of [DEFAULT_LIMITS, { maxPageMs: 1_500, maxCycleMs: 60_000 }, { maxPageMs: 8_000, maxCycleMs: 20_000 }]) {
      for (let rows = 0; rows <= 1_000; rows += 7) {
        for (const size of [1, 5, 18, 24, 33]) {
          const plan = pagePlan(rows, size, limits);
          expect(plan.pages * plan.pageSize).toBeGreaterThanOrEqual(rows);
          expect(plan.cycleMs).toBeLessThanOrEqual(limits.maxCycleMs);
          expect(plan.pageMs).toBeLessThanOrEqual(limits.maxPageMs);
        }
      }
    }
  });

  it("takes a broken page size as one row a page", () => {
    expect(pagePlan(3, 0).pages).toBe(3);
    expect(pagePlan(3, Number.NaN).pageSize).toBe(1);
  });
});

/** Ticks every `tickMs` from 0 to `untilMs` (inclusive); the plan may change per tick. */
function run(plan: (t: number) => PagePlan, untilMs: number, tickMs = 250, onTick?: (t: number, s: PagerState) => void): PagerState {
  let state = startPager(0);
  for (let t = 0; t <= untilMs; t += tickMs) {
    state = stepPager(state, t, plan(t));
    onTick?.(t, state);
  }
  return state;
}

describe("stepPager", () => {
  it("shows page floor(t / pageMs) mod pages at time t", () => {
    const plan = pagePlan(250, 24);
    for (const t of [0, 5_453, 5_454, 20_000, 59_999, 60_000, 61_000, 3 * 60_000 + 7]) {
      const ticked = Math.floor(t / 250) * 250; // the last tick at or before t
      expect(run(() => plan, t).page, `t=${t}`).toBe(Math.floor(ticked / plan.pageMs) % plan.pages);
    }
  });

  it("keeps its page and cadence when updates change the rows", () => {
    const steady = pagePlan(250, 24);
    const seen: number[] = [];
    const busy: number[] = [];
    run(() => steady, 120_000, 250, (_t, s) => seen.push(s.page));
    // A check-in every second re-computes the rows (249 or 250 of them: same pages).
    run((t) => pagePlan(250 - (Math.floor(t / 1_000) % 2), 24), 120_000, 250, (_t, s) => busy.push(s.page));
    expect(busy).toEqual(seen);
    expect(new Set(busy).size).toBe(steady.pages);
  });

  it("shows every row within one cycle", () => {
    const rows = Array.from({ length: 250 }, (_, i) => i);
    for (const size of [12, 18, 21, 24, 30]) {
      const plan = pagePlan(rows.length, size);
      const shown = new Set<number>();
      run(() => plan, plan.cycleMs - 1, 250, (_t, s) => paginate(rows, size, s.page).items.forEach((r) => shown.add(r)));
      expect(shown.size, `page size ${size}`).toBe(rows.length);
    }
  });

  it("keeps the last page when the list shrinks, and returns the same state when nothing changed", () => {
    const state: PagerState = { page: 4, sinceMs: 1_000 };
    expect(stepPager(state, 2_000, { pages: 3, pageMs: 5_000 })).toEqual({ page: 2, sinceMs: 1_000 });
    expect(stepPager(state, 2_000, { pages: 5, pageMs: 5_000 })).toBe(state);
  });

  it("wraps from the last page to the first", () => {
    expect(stepPager({ page: 2, sinceMs: 0 }, 5_000, { pages: 3, pageMs: 5_000 })).toEqual({ page: 0, sinceMs: 5_000 });
  });

  it("does not skip pages after a long pause in ticks (a sleeping screen)", () => {
    expect(stepPager({ page: 1, sinceMs: 0 }, 10 * MIN, { pages: 5, pageMs: 5_000 })).toEqual({ page: 2, sinceMs: 10 * MIN });
  });

  it("stays on a single page, keeping its start time", () => {
    const state = startPager(0);
    expect(stepPager(state, MIN, { pages: 1, pageMs: 10_000 })).toBe(state);
    expect(stepPager(state, MIN + 1, { pages: 2, pageMs: 10_000 }).page).toBe(1);
  });
});

describe("listedName", () => {
  it.each([
    ["Anna Berg", "Berg", "Anna", "Berg, Anna"],
    ["Ludwig van Beethoven", "Beethoven", "Ludwig van", "Beethoven, Ludwig van"],
    ["  Cher ", "Cher", "", "Cher"],
    ["Jānis  Bērziņš", "Bērziņš", "Jānis", "Bērziņš, Jānis"],
  ])("%s", (name, surname, given, text) => {
    expect(listedName(name)).toEqual({ surname, given });
    expect(listedNameText(name)).toBe(text);
  });
});

describe("rowsThatFit", () => {
  it.each([
    [660, 81.6, 8],
    [652.8, 81.6, 8], // exactly eight, whatever the rounding
    [652.5, 81.6, 8],
    [80, 81.6, 1], // never zero
    [0, 81.6, 1],
    [500, 0, 1],
  ])("%f px / %f px: %i rows", (height, row, rows) => {
    expect(rowsThatFit(height, row)).toBe(rows);
  });
});
