/** Records and times for the unit tests (imported by *.test.ts only; never bundled). */
import type { AlertRecord, RoundRecord } from "../lib/protocol";

/** Local time in Berlin (CEST, UTC+2) on day 1 (10 June 2026) or day 2, as UTC ms. */
export function berlinAt(day: number, hhmm: string): number {
  const [h = 0, m = 0, s = 0] = hhmm.split(":").map(Number);
  return Date.UTC(2026, 5, 9 + day, h - 2, m, s);
}

/** A 20-minute round with 5 minutes of seating. */
export function roundOn(index: number, day: number, startsAt: number, extra: Partial<RoundRecord> = {}): RoundRecord {
  return { index, day, starts_at_ms: startsAt, meeting_s: 20 * 60, changeover_s: 5 * 60, label: "", skipped: false, ...extra };
}

/** Anna waits for a new partner at table 10 in round 3 (raised 25 Nov 2026, 10:30 UTC). */
export function needsPartner(meetingId: string, over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: `alert-${meetingId}`,
    kind: "needs_partner",
    meeting: meetingId,
    round: 3,
    table: 10,
    reporter: "",
    since_ms: Date.UTC(2026, 10, 25, 10, 30),
    status: "open",
    resolution: "",
    waiting: ["anna"],
    no_candidates: false,
    ...over,
  };
}
