/**
 * Round-phase maths (mirrors server/core/clock.py; `moment`, which only the screens need,
 * mirrors tests/clock_helpers.py). Pure: `nowMs` (server UTC ms) is always an argument.
 * While the clock is paused every phase and countdown stands still at `paused_at_ms`.
 */
import type { BreakRecord, ClockRecord, RoundRecord } from "./protocol";

export type Phase =
  | "upcoming"
  | "seating"
  | "running"
  | "last_minutes"
  | "ended"
  | "skipped"
  // Only in a Moment: no round is current.
  | "break" // a break is in progress
  | "idle"; // no round left in the event

export type RoundTimes = Pick<RoundRecord, "index" | "starts_at_ms" | "meeting_s" | "changeover_s" | "skipped">;

/** A round is current (shown on hall screens) in these phases. */
export const ACTIVE_PHASES: ReadonlySet<Phase> = new Set(["seating", "running", "last_minutes"]);
/** The meetings of a round are under way in these phases. */
export const STARTED_PHASES: ReadonlySet<Phase> = new Set(["running", "last_minutes"]);

export const DEFAULT_WARNING_S = 120;

export function seatingAtMs(rnd: RoundTimes): number {
  return rnd.starts_at_ms - rnd.changeover_s * 1000;
}

export function endsAtMs(rnd: RoundTimes): number {
  return rnd.starts_at_ms + rnd.meeting_s * 1000;
}

/** The instant every phase is computed at: the pause instant while paused. */
export function effectiveNow(nowMs: number, clock: ClockRecord | null | undefined): number {
  return clock?.paused_at_ms ?? nowMs;
}

/** The phase of `rnd` at `nowMs`. A warning at least as long as the meeting makes the whole
 * meeting last_minutes; without changeover there is no seating phase. */
export function phaseAt(
  rnd: RoundTimes,
  nowMs: number,
  warningS: number,
  clock?: ClockRecord | null,
): Phase {
  if (rnd.skipped) return "skipped";
  const t = effectiveNow(nowMs, clock);
  const ends = endsAtMs(rnd);
  if (t < seatingAtMs(rnd)) return "upcoming";
  if (t < rnd.starts_at_ms) return "seating";
  if (t < ends - Math.max(warningS, 0) * 1000) return "running";
  if (t < ends) return "last_minutes";
  return "ended";
}

/** The instant the countdown of `rnd` in `phase` runs to, or null when there is none. */
export function countdownTargetMs(rnd: RoundTimes, phase: Phase): number | null {
  if (phase === "upcoming") return seatingAtMs(rnd);
  if (phase === "seating") return rnd.starts_at_ms;
  if (STARTED_PHASES.has(phase)) return endsAtMs(rnd);
  return null;
}

/** "12:05", "0:09", "1:02:03" from an hour up. Whole seconds rounded up, so "0:00" shows
 * exactly when the target is reached; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

// -- The event at one instant -------------------------------------------------------------

export interface Timeline<R extends RoundTimes = RoundRecord, B extends BreakRecord = BreakRecord> {
  rounds: readonly R[];
  breaks: readonly B[];
  clock: ClockRecord | null;
  warningS: number;
}

export interface Moment<R extends RoundTimes = RoundRecord, B extends BreakRecord = BreakRecord> {
  phase: Phase; // of `round`; break or idle when no round is current or upcoming
  round: R | null; // the current round, else the upcoming one (outside breaks)
  nextRound: R | null; // the round after `round`, or after the break
  break: B | null; // the break in progress, if any
  targetMs: number | null; // the countdown target (absolute server ms)
  paused: boolean;
  remainingMs: number | null; // target - effective now (frozen while paused)
}

function inOrder<R extends RoundTimes>(rounds: readonly R[]): R[] {
  return [...rounds].sort((a, b) => a.index - b.index);
}

export function phaseIn<R extends RoundTimes>(t: Timeline<R, BreakRecord>, rnd: R, nowMs: number): Phase {
  return phaseAt(rnd, nowMs, t.warningS, t.clock);
}

/** The first round in seating, running or last_minutes at effective now. */
export function currentRound<R extends RoundTimes>(t: Timeline<R, BreakRecord>, nowMs: number): R | null {
  return inOrder(t.rounds).find((r) => ACTIVE_PHASES.has(phaseIn(t, r, nowMs))) ?? null;
}

/** The first round not skipped whose seating has not begun at effective now. */
export function upcomingRound<R extends RoundTimes>(t: Timeline<R, BreakRecord>, nowMs: number): R | null {
  const now = effectiveNow(nowMs, t.clock);
  return inOrder(t.rounds).find((r) => !r.skipped && now < seatingAtMs(r)) ?? null;
}

/** The next round (by index) after `rnd` that is not skipped. */
export function roundAfter<R extends RoundTimes>(t: Timeline<R, BreakRecord>, rnd: R): R | null {
  return inOrder(t.rounds).find((r) => r.index > rnd.index && !r.skipped) ?? null;
}

export function breakAt<B extends BreakRecord>(t: Timeline<RoundTimes, B>, nowMs: number): B | null {
  const now = effectiveNow(nowMs, t.clock);
  let best: B | null = null;
  for (const b of t.breaks) {
    if (!(b.starts_at_ms <= now && now < b.ends_at_ms)) continue;
    if (best === null || b.starts_at_ms < best.starts_at_ms || (b.starts_at_ms === best.starts_at_ms && b.id < best.id)) {
      best = b;
    }
  }
  return best;
}

/** The current round if one is seating or running; else the break in progress; else the
 * next round to come (upcoming, counting down to its seating); else idle. */
export function moment<R extends RoundTimes, B extends BreakRecord>(t: Timeline<R, B>, nowMs: number): Moment<R, B> {
  const now = effectiveNow(nowMs, t.clock);
  const paused = t.clock?.paused_at_ms != null;
  const brk = breakAt(t, nowMs);
  let rnd = currentRound(t, nowMs);
  let phase: Phase;
  let target: number | null;
  let following: R | null;
  if (rnd !== null) {
    phase = phaseIn(t, rnd, nowMs);
    target = countdownTargetMs(rnd, phase);
    following = roundAfter(t, rnd);
  } else {
    following = upcomingRound(t, nowMs);
    if (brk !== null) {
      phase = "break";
      target = brk.ends_at_ms;
    } else if (following !== null) {
      rnd = following;
      phase = "upcoming";
      target = seatingAtMs(following);
      following = roundAfter(t, following);
    } else {
      phase = "idle";
      target = null;
    }
  }
  return {
    phase,
    round: rnd,
    nextRound: following,
    break: brk,
    targetMs: target,
    paused,
    remainingMs: target === null ? null : target - now,
  };
}
