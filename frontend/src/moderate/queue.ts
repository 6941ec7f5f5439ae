/**
 * The alert queue, pure: which alerts to show in which order, counts per kind, and who is
 * here and who is missing in an alert's meeting — from the server's `present` flag only
 * (the one derivation of presence; the console never guesses it from check-in times).
 */
import type { AlertKind, AlertRecord, MeetingRecord } from "../lib/protocol";

/** Rising urgency, as the server upgrades alerts (server/core/model.py AlertKind). */
export const URGENCY: Record<AlertKind, number> = { at_risk: 0, missing_partner: 1, needs_partner: 2 };

/** Open alerts: the current round's first, then the others by round (latest first);
 * within a round the most urgent kind, then those where someone sits alone (`waits`),
 * then the newest, first. */
export function orderAlerts(alerts: readonly AlertRecord[], currentRound: number | null, waits: (a: AlertRecord) => boolean = () => false): AlertRecord[] {
  const alone = new Map(alerts.map((a) => [a.id, waits(a)]));
  return alerts
    .filter((a) => a.status === "open")
    .sort(
      (a, b) =>
        Number(b.round === currentRound) - Number(a.round === currentRound) ||
        b.round - a.round ||
        URGENCY[b.kind] - URGENCY[a.kind] ||
        Number(alone.get(b.id)) - Number(alone.get(a.id)) ||
        b.since_ms - a.since_ms ||
        (a.id < b.id ? -1 : 1),
    );
}

/** Open alerts per kind, most urgent kind first, kinds with none left out. */
export function countByKind(alerts: readonly AlertRecord[]): [AlertKind, number][] {
  const counts = new Map<AlertKind, number>();
  for (const a of alerts) if (a.status === "open") counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  return [...counts].sort((a, b) => URGENCY[b[0]] - URGENCY[a[0]]);
}

export interface Presence {
  here: string[]; // in the meeting and present
  missing: string[]; // in the meeting and not present (or marked absent)
  waiting: string; // who a substitute would be for: the one waiting, else "" (nobody here)
}

/** Who is here and who is missing in an alert's meeting. A needs_partner alert names who
 * waits; otherwise it is the reporter if here, else the first person here. */
export function presenceOf(alert: AlertRecord, meeting: MeetingRecord | undefined, presentOf: (id: string) => boolean | undefined): Presence {
  const everyone = meeting ? [...meeting.side_a, ...meeting.side_b] : alert.reporter ? [alert.reporter] : [];
  const absent = new Set(meeting?.absent ?? []);
  const here = everyone.filter((id) => !absent.has(id) && presentOf(id) === true);
  const missing = everyone.filter((id) => !here.includes(id));
  let waiting = "";
  if (alert.kind === "needs_partner") waiting = (alert.waiting ?? []).find((id) => here.includes(id)) ?? alert.waiting?.[0] ?? "";
  else if (here.includes(alert.reporter)) waiting = alert.reporter;
  else waiting = here[0] ?? "";
  return { here, missing, waiting };
}
