/**
 * What changed for me, told the way a person would tell it. Pure.
 *
 * The phone keeps a language-neutral view of my meetings (`PhoneState`); between two of
 * them `noticesOf` finds what is news and says it as structured notices: which round and
 * table, who, and why. Related changes of one round become one notice: my partner did not
 * come and a substitute was seated arrive as a no-show plus a new meeting, but are one
 * piece of news ("X could not come; your new partner: Y"). The words are added later
 * (noticeText.ts), so a notice can be shown again in the other language.
 */
import type { AlertStatus, MeetingOrigin, MeetingStatus } from "../lib/protocol";
import type { Store } from "../lib/store";
import { ACTIVE_STATUSES } from "../lib/views";
import { diffSlots, type Slot } from "./agenda";

export interface Person {
  id: string;
  name: string; // "" when the profile is unknown
  organisation: string;
  present: boolean | null; // checked in and not departed; null when not told
}

/** A round as shown: its label ("" → "Round n" in the page's language) and start. */
export interface RoundRef {
  index: number | null;
  label: string;
  startsAtMs: number | null;
}

export interface TableRef {
  number: number | null;
  label: string; // "" → "Table n" in the page's language
}

/** One meeting of mine, with everything a notice may need to name. */
export interface MeetingView {
  id: string;
  status: MeetingStatus;
  origin: MeetingOrigin;
  round: RoundRef;
  table: TableRef;
  partners: Person[]; // the other side, by id
  absent: string[]; // who did not come (me, or partners)
  replacedBy: string;
  side: "a" | "b"; // a substitute meeting seats the one who waited on side a
}

/** A needs_partner alert I wait in. */
export interface WaitView {
  id: string;
  meeting: string;
  status: AlertStatus;
  resolution: string;
  noCandidates: boolean;
}

export interface PhoneState {
  me: string;
  meetings: MeetingView[];
  waits: WaitView[];
}

export interface Where {
  round: RoundRef;
  table: TableRef | null;
}

/** Whether the organisers are looking for a new partner ("unknown": no open alert). */
export type Search = "searching" | "nobody" | "unknown";

export type Notice =
  /** My partner did not come (or left); someone else sits with me now. */
  | { kind: "replaced"; where: Where; lost: Person[]; left: boolean; partners: Person[] }
  /** I was seated with someone whose partner did not come. */
  | { kind: "stepping_in"; where: Where; partners: Person[] }
  /** My partner did not come (or left) and nobody is seated with me yet. */
  | { kind: "partner_absent"; where: Where; lost: Person[]; left: boolean; search: Search }
  /** A later meeting is cancelled because the partner left the event. */
  | { kind: "partner_left"; where: Where; lost: Person[] }
  | { kind: "cancelled"; where: Where; partners: Person[] } // by the organisers
  | { kind: "not_held"; where: Where; partners: Person[] } // a no-show, who is not said
  | { kind: "me_absent"; where: Where } // I was marked as not here
  | { kind: "me_left"; where: Where; count: number } // I was marked as departed
  /** A meeting moved (round, time, table) or got another partner; `from*` say what it was. */
  | {
      kind: "changed";
      where: Where;
      partners: Person[];
      fromRound?: RoundRef;
      fromStartsAtMs?: number;
      fromTable?: TableRef;
      fromPartners?: Person[];
    }
  /** Several meetings moved by the same time (a delay, a pause): one notice, not many. */
  | { kind: "shift"; where: Where; count: number; deltaMs: number }
  | { kind: "added"; where: Where; partners: Person[] }
  /** A meeting that was off (a no-show, cancelled) is on again, e.g. a no-show undone. */
  | { kind: "reinstated"; where: Where; partners: Person[] }
  /** The organisers closed the search without a new partner. */
  | { kind: "no_substitute"; where: Where };

export type NoticeKind = Notice["kind"];

const MINUTE_MS = 60_000;

const isActive = (m: MeetingView): boolean => ACTIVE_STATUSES.has(m.status);

// -- The view of the store -----------------------------------------------------------------

/** My meetings (placed in a round) and the alerts I wait in, from the store; null before
 * the server said who I am. */
export function phoneStateOf(store: Store): PhoneState | null {
  const me = store.single("me");
  if (me === null) return null;
  const person = (id: string): Person => {
    const p = store.get("participant", id);
    return { id, name: p?.name ?? "", organisation: p?.organisation ?? "", present: p?.present ?? null };
  };
  const meetings: MeetingView[] = [];
  for (const m of store.list("meeting")) {
    const side = m.side_a.includes(me.id) ? "a" : m.side_b.includes(me.id) ? "b" : null;
    if (side === null || m.round === null) continue;
    const rnd = store.get("round", m.round);
    const table = m.table === null ? undefined : store.get("table", m.table);
    meetings.push({
      id: m.id,
      status: m.status,
      origin: m.origin ?? "planned",
      round: { index: m.round, label: rnd?.label ?? "", startsAtMs: rnd?.starts_at_ms ?? null },
      table: { number: m.table, label: table?.label ?? "" },
      partners: [...(side === "a" ? m.side_b : m.side_a)].sort().map(person),
      absent: [...(m.absent ?? [])],
      replacedBy: m.replaced_by ?? "",
      side,
    });
  }
  const waits: WaitView[] = store
    .list("alert")
    .filter((a) => a.kind === "needs_partner" && (a.waiting === undefined || a.waiting.includes(me.id)))
    .map((a) => ({ id: a.id, meeting: a.meeting, status: a.status, resolution: a.resolution, noCandidates: a.no_candidates === true }));
  return { me: me.id, meetings, waits };
}

// -- What is news ----------------------------------------------------------------------------

function toSlot(v: MeetingView): Slot {
  return {
    id: v.id,
    active: isActive(v),
    status: v.status,
    round: v.round.index,
    roundName: v.round.label,
    startsAtMs: v.round.startsAtMs,
    table: v.table.number === null ? null : String(v.table.number), // a new label is no move
    partnerIds: v.partners.map((p) => p.id),
    partners: "",
  };
}

const where = (m: MeetingView, withTable = true): Where => ({ round: m.round, table: withTable ? m.table : null });
const sameMinute = (a: number | null, b: number | null): boolean =>
  a !== null && b !== null && Math.floor(a / MINUTE_MS) === Math.floor(b / MINUTE_MS);

interface Lost {
  before: MeetingView;
  after: MeetingView | null; // null: the meeting is gone
}

/** What to tell me about the change from `before` to `after`, in the order of the rounds. */
export function noticesOf(before: PhoneState, after: PhoneState): Notice[] {
  const me = after.me;
  const wasById = new Map(before.meetings.map((m) => [m.id, m]));
  const nowById = new Map(after.meetings.map((m) => [m.id, m]));
  // Did a person leave? They were here before and are not now.
  const presentBefore = new Map<string, boolean | null>();
  for (const m of before.meetings) for (const p of m.partners) presentBefore.set(p.id, p.present);
  const leftNow = (people: Person[]): boolean =>
    people.length > 0 && people.every((p) => presentBefore.get(p.id) === true && p.present === false);

  const out: Notice[] = [];
  const lost: Lost[] = [];
  const added: MeetingView[] = [];
  const changed = new Map<string, { b: MeetingView; a: MeetingView; kinds: Set<string> }>();
  for (const c of diffSlots(before.meetings.map(toSlot), after.meetings.map(toSlot))) {
    const b = wasById.get(c.meeting);
    const a = nowById.get(c.meeting);
    if (c.kind === "cancelled" && b !== undefined) lost.push({ before: b, after: a ?? null });
    else if (c.kind === "added" && a !== undefined && b !== undefined && b.status !== "requested") out.push({ kind: "reinstated", where: where(a), partners: a.partners });
    else if (c.kind === "added" && a !== undefined) added.push(a);
    else if (a !== undefined && b !== undefined) {
      const entry = changed.get(a.id) ?? { b, a, kinds: new Set<string>() };
      entry.kinds.add(c.kind);
      changed.set(a.id, entry);
    }
  }

  const roundOf = (l: Lost): number | null => (l.after ?? l.before).round.index;
  const rounds = [...new Set([...lost.map(roundOf), ...added.map((m) => m.round.index)])];
  for (const r of rounds) {
    const gone = lost.filter((l) => roundOf(l) === r);
    const fresh = added.filter((m) => m.round.index === r);
    // My partner(s) did not come: the people in `absent` other than me.
    let missing: Person[] = [];
    let left = false;
    let missingFrom: MeetingView | null = null;
    for (const l of gone) {
      const m = l.after;
      if (m === null) {
        out.push({ kind: "cancelled", where: where(l.before), partners: l.before.partners });
      } else if (m.absent.includes(me)) {
        out.push(m.status === "no_show" ? { kind: "me_absent", where: where(m) } : { kind: "me_left", where: where(m), count: 1 });
      } else if (m.absent.length > 0) {
        const who = m.partners.filter((p) => m.absent.includes(p.id));
        if (fresh.length > 0) {
          missing = missing.concat(who);
          left ||= m.status === "cancelled" || leftNow(who);
          missingFrom ??= m;
        } else if (m.status === "cancelled") {
          out.push({ kind: "partner_left", where: where(m), lost: who });
        } else {
          out.push({ kind: "partner_absent", where: where(m), lost: who, left: leftNow(who), search: searchOf(after, m.id) });
        }
      } else {
        out.push({ kind: m.status === "no_show" ? "not_held" : "cancelled", where: where(m), partners: m.partners });
      }
    }
    // A substitute seated later than the no-show: the no-show is in `after` already.
    if (missingFrom === null && fresh.length > 0) {
      missingFrom =
        after.meetings.find((m) => m.round.index === r && m.status === "no_show" && !m.absent.includes(me) && m.absent.length > 0) ?? null;
      if (missingFrom !== null) {
        const absent = missingFrom.absent;
        missing = missingFrom.partners.filter((p) => absent.includes(p.id));
        left = false; // that happened in an earlier update: whether they left is not known now
      }
    }
    fresh.forEach((m, i) => {
      if (i === 0 && (missingFrom !== null || (m.origin === "substitute" && m.side === "a"))) {
        out.push({ kind: "replaced", where: where(m), lost: missing, left, partners: m.partners });
      } else if (m.origin === "substitute") {
        out.push({ kind: "stepping_in", where: where(m), partners: m.partners });
      } else {
        out.push({ kind: "added", where: where(m), partners: m.partners });
      }
    });
  }

  out.push(...movesOf([...changed.values()]));

  for (const w of after.waits) {
    const was = before.waits.find((x) => x.id === w.id);
    const m = nowById.get(w.meeting);
    if (was === undefined || m === undefined || was.status !== "open" || was.noCandidates) continue;
    // Closed without a substitute; when nobody was free the first notice said so already.
    if (w.status === "resolved" && w.resolution === "free") out.push({ kind: "no_substitute", where: where(m) });
  }
  return inRoundOrder(mergeDepartures(out));
}

function searchOf(state: PhoneState, meeting: string): Search {
  const w = state.waits.find((x) => x.meeting === meeting);
  if (w === undefined || w.status !== "open") return "unknown";
  return w.noCandidates ? "nobody" : "searching";
}

/** Moves and partner changes, one notice per meeting; a schedule shifted by the same time
 * for several meetings is one notice; a shift within the same minute is no news. */
function movesOf(changes: { b: MeetingView; a: MeetingView; kinds: Set<string> }[]): Notice[] {
  const out: Notice[] = [];
  const shifts: { a: MeetingView; delta: number }[] = [];
  for (const { b, a, kinds } of changes) {
    const roundMoved = b.round.index !== a.round.index;
    const timeMoved = !roundMoved && kinds.has("time") && !sameMinute(b.round.startsAtMs, a.round.startsAtMs);
    const tableMoved = kinds.has("table");
    const partnersChanged = kinds.has("partner");
    if (timeMoved && !tableMoved && !partnersChanged) {
      shifts.push({ a, delta: (a.round.startsAtMs ?? 0) - (b.round.startsAtMs ?? 0) });
      continue;
    }
    if (!roundMoved && !timeMoved && !tableMoved && !partnersChanged) continue;
    out.push({
      kind: "changed",
      where: where(a), // the new table; the words leave it out of the heading when it moved
      partners: a.partners,
      ...(roundMoved ? { fromRound: b.round } : {}),
      ...(timeMoved && b.round.startsAtMs !== null ? { fromStartsAtMs: b.round.startsAtMs } : {}),
      ...(tableMoved ? { fromTable: b.table } : {}),
      ...(partnersChanged ? { fromPartners: b.partners } : {}),
    });
  }
  const byDelta = new Map<number, MeetingView[]>();
  for (const s of shifts) byDelta.set(s.delta, [...(byDelta.get(s.delta) ?? []), s.a]);
  for (const [delta, ms] of byDelta) {
    const first = inRoundOrderOf(ms, (m) => m.round)[0]!;
    if (ms.length === 1) {
      const fromMs = (first.round.startsAtMs ?? 0) - delta;
      out.push({ kind: "changed", where: where(first), partners: first.partners, fromStartsAtMs: fromMs });
    } else {
      out.push({ kind: "shift", where: where(first, false), count: ms.length, deltaMs: delta });
    }
  }
  return out;
}

/** My departure cancels all my later meetings: one notice, at the first of them. */
function mergeDepartures(notices: Notice[]): Notice[] {
  const mine = notices.filter((n): n is Extract<Notice, { kind: "me_left" }> => n.kind === "me_left");
  if (mine.length < 2) return notices;
  const first = inRoundOrderOf(mine, (n) => n.where.round)[0]!;
  const merged: Notice = { kind: "me_left", where: { round: first.where.round, table: null }, count: mine.length };
  return [...notices.filter((n) => n.kind !== "me_left"), merged];
}

function inRoundOrderOf<T>(items: readonly T[], roundOf: (x: T) => RoundRef): T[] {
  const key = (r: RoundRef): [number, number] => [r.startsAtMs ?? Number.MAX_SAFE_INTEGER, r.index ?? Number.MAX_SAFE_INTEGER];
  return [...items].sort((x, y) => {
    const [a1, a2] = key(roundOf(x));
    const [b1, b2] = key(roundOf(y));
    return a1 - b1 || a2 - b2;
  });
}

function inRoundOrder(notices: Notice[]): Notice[] {
  return inRoundOrderOf(notices, (n) => n.where.round); // stable: a round's notices keep their order
}
