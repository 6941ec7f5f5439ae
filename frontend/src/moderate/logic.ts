/** Pure helpers of the moderator console: free tables, cell states, preview text, ages. */
import type { MeetingRecord, ParticipantRecord, Preview, PreviewMeeting, RoundSuggestion, TableRecord } from "../lib/protocol";
import { ACTIVE_STATUSES } from "../lib/views";
import type { Phase } from "../lib/phases";
import { meetingStatusLabel } from "../ui/labels";
import { count as plural, ENGLISH, type ModT } from "./i18n";

/** Tables of `round` that hold no active meeting and seat `seats` people, by number. */
export function freeTables(meetings: readonly MeetingRecord[], tables: readonly TableRecord[], round: number, seats = 0): TableRecord[] {
  const taken = new Set<number>();
  for (const m of meetings) if (m.round === round && m.table !== null && ACTIVE_STATUSES.has(m.status)) taken.add(m.table);
  return tables.filter((t) => !taken.has(t.number) && t.capacity >= seats).sort((a, b) => a.number - b.number);
}

/** Other placed, active meetings of the same round (candidates for a swap). */
export function swapCandidates(meetings: readonly MeetingRecord[], meeting: MeetingRecord): MeetingRecord[] {
  return meetings
    .filter((m) => m.id !== meeting.id && m.round === meeting.round && m.table !== null && ACTIVE_STATUSES.has(m.status))
    .sort((a, b) => (a.table ?? 0) - (b.table ?? 0));
}

export function seatsOf(m: Pick<MeetingRecord, "side_a" | "side_b">): number {
  return m.side_a.length + m.side_b.length;
}

const LIVE: ReadonlySet<Phase> = new Set(["seating", "running", "last_minutes"]);

/** The CSS classes of a grid cell: status, origin, and at-risk (someone of a scheduled
 * meeting not present while its round is seating or running). */
export function cellClasses(m: MeetingRecord, phase: Phase, presentOf: (id: string) => boolean | undefined, alerted: boolean): string[] {
  const out = ["cell", `st-${m.status}`];
  if (m.origin !== "planned") out.push(`or-${m.origin}`);
  if (m.status === "scheduled" && LIVE.has(phase) && [...m.side_a, ...m.side_b].some((id) => presentOf(id) === false)) out.push("at-risk");
  if (alerted) out.push("has-alert");
  return out;
}

/** "just now", "3 min", "1 h 05 min" since `sinceMs`. */
export function formatAge(sinceMs: number, nowMs: number, t: ModT = ENGLISH): string {
  const min = Math.floor(Math.max(0, nowMs - sinceMs) / 60_000);
  if (min < 1) return t("justNow");
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

type Place = PreviewMeeting["before"];

function placeText(p: NonNullable<Place>, t: ModT): string {
  const where = p.round === null ? t("unplaced") : `${t("roundLower", { n: p.round })}${p.table !== null ? ` ${t("tableLower", { n: p.table })}` : ""}`;
  return p.status === "scheduled" ? where : `${where} (${meetingStatusLabel(p.status, t)})`;
}

/** "m12: round 4 table 9 → table 14": only what changes on the right. */
export function meetingChange(pm: PreviewMeeting, t: ModT = ENGLISH): string {
  const { before: b, after: a } = pm;
  if (b === null && a === null) return `${pm.meeting}: ${t("unchanged")}`;
  if (b === null) return `${pm.meeting}: ${t("newAt", { place: placeText(a!, t) })}`;
  if (a === null) return `${pm.meeting}: ${t("removedWas", { place: placeText(b, t) })}`;
  const parts: string[] = [];
  if (a.round !== b.round) parts.push(a.round === null ? t("unplaced") : t("roundLower", { n: a.round }));
  if (a.table !== b.table || (a.round !== b.round && a.table !== null)) parts.push(a.table === null ? t("noTable") : t("tableLower", { n: a.table }));
  if (a.status !== b.status) parts.push(meetingStatusLabel(a.status, t));
  const before = `${t("roundLower", { n: b.round ?? "–" })}${b.table !== null ? ` ${t("tableLower", { n: b.table })}` : ""}${b.status !== "scheduled" && a.status !== b.status ? ` ${meetingStatusLabel(b.status, t)}` : ""}`;
  return `${pm.meeting}: ${before} → ${parts.length ? parts.join(" ") : t("unchanged")}`;
}

/** The preview of a dry run as lines: "Affects: …", then one per meeting. */
export function formatPreview(p: Preview | undefined, t: ModT = ENGLISH): string[] {
  const people = p?.people ?? [];
  const lines = [people.length ? t("affects", { names: people.map((x) => x.name).join(", ") }) : t("affectsNobody")];
  for (const m of p?.meetings ?? []) lines.push(meetingChange(m, t));
  if (p?.undone) lines.push(t("undoes", { command: p.undone.command, version: p.undone.version }));
  return lines;
}

/** People whose name or organisation contains every word of `query`, by name. */
export function searchPeople(people: readonly ParticipantRecord[], query: string, limit = 50): ParticipantRecord[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return people
    .filter((p) => !p.departed_at_ms && words.every((w) => `${p.name} ${p.organisation}`.toLowerCase().includes(w)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, limit);
}

/** A function that runs `fn` at most once per `ms` (trailing call kept). */
export function throttle(fn: () => void, ms: number, now: () => number = Date.now, later: (f: () => void, ms: number) => unknown = setTimeout): () => void {
  let last = -Infinity;
  let pending = false;
  return () => {
    if (pending) return;
    const wait = last + ms - now();
    if (wait <= 0) {
      last = now();
      fn();
      return;
    }
    pending = true;
    later(() => {
      pending = false;
      last = now();
      fn();
    }, wait);
  };
}

export interface AuditEntry {
  version: number;
  atMs: number;
  actor: string;
  command: string;
}

/** Append to a list kept at `max` newest-first entries. */
export function pushAudit(list: readonly AuditEntry[], e: AuditEntry, max = 10): AuditEntry[] {
  return [e, ...list].slice(0, max);
}

/** A new link from `rotate_token`'s answer: the whole URL to hand over, and a new badge
 * code if one was asked for; null for an answer that is not one. */
export function newLinkOf(data: Record<string, unknown> | undefined, origin: string): { url: string; code: string | null } | null {
  const link = data?.link;
  if (typeof link !== "string" || !link.startsWith("/")) return null;
  const code = data?.check_in_code;
  return { url: new URL(link, origin).toString(), code: typeof code === "string" ? code : null };
}

/** What re-slotting a meeting into a suggested round does to its people's idle gaps, in
 * words read at a glance: "fills a gap", "no new gaps", "+1 idle gap for Anna Berg",
 * "+2 idle gaps". Names only when one person alone is affected. */
export function slotEffect(s: Pick<RoundSuggestion, "breaks_added" | "breaks_by_person">, nameOf: (id: string) => string, t: ModT = ENGLISH): string {
  const n = s.breaks_added;
  if (n === 0) return t("noNewGaps");
  const who = Object.keys(s.breaks_by_person ?? {});
  const text = n < 0 ? plural(t, "fillsGap", -n) : plural(t, "idleGap", n);
  return who.length === 1 ? t("forName", { text, name: nameOf(who[0]!) }) : text;
}

/** The label of a suggested round in the re-slot list. */
export function slotLabel(s: RoundSuggestion, nameOf: (id: string) => string, t: ModT = ENGLISH): string {
  return t("slot", { n: s.round, effect: slotEffect(s, nameOf, t), t: String(s.tables[0]), free: s.tables.length });
}

/** The answer of `POST /api/events/{id}/schedule` (docs/api.md); the optimiser's fields
 * are absent with the baseline scheduler. */
/** A scheduled meeting the schedule gives another round or table. */
export interface ScheduleMove {
  meeting_id: string;
  name: string;
  people: string[];
  from: { round: number; table: number };
  to: { round: number; table: number };
}

/** "Anna Berg (Cluster Nord) & Jonas Weber (Automotive BW): round 3 → 2, table 1". */
export function formatMove(m: ScheduleMove, t: ModT = ENGLISH): string {
  const round = m.from.round === m.to.round ? t("move_round", { n: m.to.round }) : t("move_rounds", { from: m.from.round, to: m.to.round });
  const table = m.from.table === m.to.table ? t("move_table", { n: m.to.table }) : t("move_tables", { from: m.from.table, to: m.to.table });
  return `${m.people.join(" & ")}: ${round}, ${table}`;
}

/** The first `shown` moves, one line each, and how many more. */
function moveLines(a: ScheduleAnswer, t: ModT, shown = 5): string[] {
  const moves = a.moves ?? [];
  const lines = moves.slice(0, shown).map((m) => formatMove(m, t));
  if (moves.length > shown) lines.push(t("andMore", { n: moves.length - shown }));
  return lines;
}

/** What a preview would store, to post back as `{"apply": plan}` (docs/api.md). */
export interface SchedulePlan {
  version: number;
  meetings: { meeting_id: string; round: number; table: number; was: string }[];
}

export interface ScheduleAnswer {
  ok: true;
  version: number | null;
  preview: boolean;
  method: "optimiser" | "baseline" | "plan";
  plan?: SchedulePlan;
  placed: number;
  moved: number;
  people_changed: number;
  moves?: ScheduleMove[];
  unplaced: { meeting_id: string; reason: string }[];
  breaks_before: number;
  breaks: number;
  optimal?: boolean;
  breaks_bound?: number;
  gap?: number;
  fairness_bound?: number | null;
  spread?: number;
  fairness_kept?: boolean;
  seconds?: number;
  notes?: string[];
}

/** Whether the answer is worth applying: it places a waiting request, or its moves close
 * idle gaps. Moves that leave as many gaps would only change agendas for nothing (the
 * optimiser moves as few as it can, but a run cut short by its time limit may still
 * propose some). */
export const scheduleChanges = (a: Pick<ScheduleAnswer, "placed" | "moved" | "breaks" | "breaks_before">): boolean =>
  a.placed > 0 || (a.moved > 0 && a.breaks < a.breaks_before);

/** "Idle gaps: 4 → 0 (the fewest possible)". */
function gapsLine(a: ScheduleAnswer, t: ModT): string {
  let line = t("gaps", { from: a.breaks_before, to: a.breaks });
  if (a.optimal === true) line += t("gapsBest");
  else if (a.breaks_bound !== undefined && a.breaks > a.breaks_bound) line += t("gapsBound", { n: a.breaks_bound });
  return line;
}

/** "2 requests still cannot be placed:" and the first `shown` reasons. */
function unplacedLines(a: ScheduleAnswer, t: ModT, shown = 3): string[] {
  const n = a.unplaced.length;
  if (n === 0) return [];
  const lines = [plural(t, "unplaced", n)];
  for (const u of a.unplaced.slice(0, shown)) lines.push(u.reason);
  if (n > shown) lines.push(t("andMore", { n: n - shown }));
  return lines;
}

/** A re-optimisation preview in words a moderator reads at a glance: what moves, whose
 * agenda changes, idle gaps before → after, what still cannot be placed. */
export function formatSchedulePreview(a: ScheduleAnswer, t: ModT = ENGLISH): string[] {
  const lines: string[] = [];
  if (!scheduleChanges(a)) {
    lines.push(t("alreadyBest"));
    if (a.breaks > 0) lines.push(t("gapsStay", { n: a.breaks }));
    if (a.moved > 0) lines.push(plural(t, "notWorth", a.moved));
  } else {
    const what = [a.moved > 0 ? plural(t, "moves", a.moved) : "", a.placed > 0 ? plural(t, "placesWaiting", a.placed) : ""].filter(Boolean);
    lines.push(plural(t, "changedAgendas", a.people_changed, { what: what.join(", ") }));
    lines.push(...moveLines(a, t));
    lines.push(gapsLine(a, t));
    lines.push(t("phonesUpdate"));
  }
  if (a.fairness_kept === false) lines.push(t("unfair", { n: a.spread ?? "?" }));
  return [...lines, ...unplacedLines(a, t)];
}

/** The notice after a re-optimisation ran: "Moved 3 meetings; idle gaps 4 → 0". */
export function formatScheduleResult(a: ScheduleAnswer, t: ModT = ENGLISH): string {
  if (a.placed === 0 && a.moved === 0) return t("nothingChanged"); // what was stored, worth it or not
  const did = [a.moved > 0 ? plural(t, "moved", a.moved) : "", a.placed > 0 ? plural(t, "placedReq", a.placed) : ""].filter(Boolean).join(", ");
  const rest = a.unplaced.length ? plural(t, "stillUnplaced", a.unplaced.length) : "";
  return t("result", { did: `${did.charAt(0).toUpperCase()}${did.slice(1)}`, from: a.breaks_before, to: a.breaks, rest });
}

/** The error text of a failed HTTP call from its status and (JSON) body, if any:
 * `{"ok": false, "error": {"code", "message"}}`, else the status. */
export function httpErrorText(status: number, body: unknown, t: ModT = ENGLISH): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.message === "string") return typeof error.code === "string" ? `${error.message} (${error.code})` : error.message;
  return t("serverAnswered", { status });
}

/** A span of round numbers as people write it: "3–5", "1, 4, 7–8". */
export function roundSpan(rounds: readonly number[]): string {
  const sorted = [...new Set(rounds)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && r === last[1] + 1) last[1] = r;
    else runs.push([r, r]);
  }
  return runs.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(", ");
}

/** What the organiser asked of a meeting's place, for the moderator before a move:
 * "Only in rounds 3–4", "After REQ-1 (round 2)", "Fixed by the organiser". */
export function constraintLines(m: Pick<MeetingRecord, "rounds" | "after" | "fixed">, meetingLabel: (id: string) => string, t: ModT = ENGLISH): string[] {
  const lines: string[] = [];
  if (m.rounds?.length) lines.push(plural(t, "onlyIn", m.rounds.length, { span: roundSpan(m.rounds) }));
  if (m.after?.length) lines.push(t("after", { list: m.after.map(meetingLabel).join(", ") }));
  if (m.fixed) lines.push(t("fixed"));
  return lines;
}
