/**
 * The hall's "find your table" list: which round it shows and how it pages. Pure (times
 * are arguments), so the rules are tested without a browser; hall.ts does the DOM.
 *
 * Paging is a timer of its own: a data update re-computes the rows but never restarts the
 * page or its time (with a check-in every few seconds the list would otherwise never leave
 * page 1, exactly while people look for their table).
 */
import { effectiveNow, endsAtMs, seatingAtMs, upcomingRound, type RoundTimes, type Timeline } from "./phases";
import type { BreakRecord } from "./protocol";
import { surnameOf } from "./views";

// -- Which round ---------------------------------------------------------------------------

/**
 * The round whose seating the list shows at `nowMs`: the round people are walking to or
 * sitting in (seating, running, last minutes) until the next round's seating begins; between
 * rounds (round over, break, upcoming) the next round to be seated; null when no round is
 * left. When a tight schedule lets the next round's seating begin before the current round
 * ends, the next round wins: that is where people go now. Frozen while the clock is paused.
 */
export function directoryRound<R extends RoundTimes>(t: Timeline<R, BreakRecord>, nowMs: number): R | null {
  const now = effectiveNow(nowMs, t.clock);
  let shown: R | null = null;
  for (const r of t.rounds) {
    if (r.skipped || now < seatingAtMs(r) || now >= endsAtMs(r)) continue;
    if (shown === null || seatingAtMs(r) > seatingAtMs(shown) || (seatingAtMs(r) === seatingAtMs(shown) && r.index > shown.index)) {
      shown = r;
    }
  }
  return shown ?? upcomingRound(t, nowMs);
}

// -- Paging --------------------------------------------------------------------------------

export interface PagerLimits {
  maxPageMs: number; // a page stays up this long when the list is short
  maxCycleMs: number; // every name comes round again within this time
}

/** 10 s per page while the list is short; never more than a minute for the whole list. */
export const DEFAULT_LIMITS: PagerLimits = { maxPageMs: 10_000, maxCycleMs: 60_000 };

export interface PagePlan {
  pageSize: number; // rows per page, at least 1
  pages: number; // at least 1
  pageMs: number; // how long each page stays up
  cycleMs: number; // pages × pageMs: every row is shown once within it
}

/**
 * How `rows` rows page at `pageSize` rows a page. The rule: each page stays up
 * `maxPageMs`, unless the whole cycle would then take longer than `maxCycleMs`; then pages
 * get shorter (maxCycleMs / pages), never skipped, so that nobody waits more than
 * `maxCycleMs` for their name. (250 people at 24 a page: 11 pages of 5.4 s. A list so long
 * that pages flip faster than people can read needs a bigger screen or a second one.)
 */
export function pagePlan(rows: number, pageSize: number, limits: PagerLimits = DEFAULT_LIMITS): PagePlan {
  const size = Number.isFinite(pageSize) ? Math.max(1, Math.floor(pageSize)) : 1;
  const pages = Math.max(1, Math.ceil(Math.max(0, rows) / size));
  const pageMs = Math.max(1, Math.min(limits.maxPageMs, Math.floor(limits.maxCycleMs / pages)));
  return { pageSize: size, pages, pageMs, cycleMs: pages * pageMs };
}

export interface PagerState {
  page: number; // 0-based
  sinceMs: number; // when this page's time began
}

/** Page 1, from `nowMs`: when the list starts or switches to another round. */
export function startPager(nowMs: number): PagerState {
  return { page: 0, sinceMs: nowMs };
}

/**
 * The page at `nowMs`. Flips on a fixed cadence from `sinceMs` (not from the last tick, so
 * late ticks do not drift), one page per call at most: a screen that was asleep shows the
 * next page in full rather than skipping names. A list that shrank keeps its last page; a
 * single page keeps its start time, so a second page appearing flips without delay.
 * Returns `state` itself when nothing changed.
 */
export function stepPager(state: PagerState, nowMs: number, plan: Pick<PagePlan, "pages" | "pageMs">): PagerState {
  const last = Math.max(0, plan.pages - 1);
  const page = Math.min(state.page, last);
  if (plan.pages <= 1 || nowMs - state.sinceMs < plan.pageMs) {
    return page === state.page ? state : { page, sinceMs: state.sinceMs };
  }
  let sinceMs = state.sinceMs + plan.pageMs;
  if (nowMs - sinceMs >= plan.pageMs) sinceMs = nowMs; // far behind: restart the cadence here
  return { page: page >= last ? 0 : page + 1, sinceMs };
}

// -- Rows ----------------------------------------------------------------------------------

/** A name as the list prints it: the surname (which the list is sorted by) first. */
export function listedName(name: string): { surname: string; given: string } {
  const surname = surnameOf(name);
  const words = name.trim().split(/\s+/);
  return { surname, given: words.slice(0, -1).join(" ") };
}

/** "Berg, Anna", or just "Cher". */
export function listedNameText(name: string): string {
  const { surname, given } = listedName(name);
  return given ? `${surname}, ${given}` : surname;
}

/** How many rows of `rowPx` fit in `heightPx` (at least 1, so the list always pages). */
export function rowsThatFit(heightPx: number, rowPx: number): number {
  if (!(rowPx > 0) || !(heightPx > 0)) return 1;
  return Math.max(1, Math.floor((heightPx + 0.5) / rowPx)); // half a pixel of rounding slack
}
