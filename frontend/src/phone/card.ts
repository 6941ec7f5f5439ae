/**
 * Which meeting the phone's card shows, and in which mode. Pure.
 *
 * Normally the card shows the first meeting that is not over. But when my partner did not
 * come in the current round, jumping to my next meeting would leave me standing at the
 * table without a word: the card stays on this round and says what happens now (the
 * organisers look for a new partner, or nobody is free), until a substitute meeting of
 * mine in this round arrives, which the card then shows like any meeting.
 */
import { ACTIVE_PHASES, type Phase } from "../lib/phases";
import type { AlertRecord, RoundRecord } from "../lib/protocol";
import { ACTIVE_STATUSES, type AgendaItem } from "../lib/views";

export type CardState =
  | { mode: "none" } // no meeting left
  | { mode: "meeting"; item: AgendaItem; phase: Phase }
  /** My partner did not come: "searching" while the organisers look for a new one (stay at
   * the table), "free" when nobody can step in; `next` is my next meeting, if any. */
  | { mode: "waiting"; item: AgendaItem; phase: Phase; search: "searching" | "free"; next: AgendaItem | null }
  /** I was marked as not here for the current round. */
  | { mode: "absent"; item: AgendaItem; phase: Phase };

const over = (p: Phase): boolean => p === "ended" || p === "skipped";

/** The card for `me` at the instant `phaseOf` computes phases for. `agenda` is in time order
 * (agendaOf); `alerts` are the needs_partner alerts the server sent me. */
export function cardOf(
  me: string,
  agenda: readonly AgendaItem[],
  alerts: readonly AlertRecord[],
  phaseOf: (round: RoundRecord) => Phase,
): CardState {
  const activeInRound = (item: AgendaItem): boolean =>
    agenda.some((o) => o !== item && o.meeting.round === item.meeting.round && ACTIVE_STATUSES.has(o.meeting.status));
  for (const item of agenda) {
    if (item.round === null) continue;
    const phase = phaseOf(item.round);
    if (over(phase)) continue;
    const { meeting } = item;
    if (ACTIVE_STATUSES.has(meeting.status)) return { mode: "meeting", item, phase };
    // Only a no-show of the round under way holds the card; a substitute meeting of mine
    // in that round takes its place (it comes later or earlier in the agenda: same time).
    if (meeting.status !== "no_show" || !ACTIVE_PHASES.has(phase) || activeInRound(item)) continue;
    if ((meeting.absent ?? []).includes(me)) return { mode: "absent", item, phase };
    const alert = alerts.find(
      (a) => a.kind === "needs_partner" && a.meeting === meeting.id && (a.waiting === undefined || a.waiting.includes(me)),
    );
    const searching = alert !== undefined && alert.status === "open" && alert.no_candidates !== true;
    const startsAt = item.round.starts_at_ms;
    const next =
      agenda.find(
        (o) => o.round !== null && ACTIVE_STATUSES.has(o.meeting.status) && o.round.starts_at_ms > startsAt && !over(phaseOf(o.round)),
      ) ?? null;
    return { mode: "waiting", item, phase, search: searching ? "searching" : "free", next };
  }
  return { mode: "none" };
}
