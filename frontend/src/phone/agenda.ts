/**
 * The phone's agenda, pure: my meetings as flat "slots", what changed between two agendas,
 * grouping by day in the event's time zone, and the offline copy's format.
 */

/** One meeting of mine, as the participant sees it. */
export interface Slot {
  id: string;
  active: boolean; // scheduled or held
  status: string;
  round: number | null;
  roundName: string;
  startsAtMs: number | null;
  table: string | null; // the table's label, else its number
  partnerIds: string[]; // sorted
  partners: string; // names, joined
}

export type ChangeKind = "table" | "time" | "round" | "partner" | "added" | "cancelled";

export interface SlotChange {
  kind: ChangeKind;
  meeting: string;
  before: Slot | null;
  after: Slot | null;
}

/** What changed for me from `before` to `after`: per meeting, a moved table, a new time
 * (or round at the same time), other partners, a new or a cancelled meeting. */
export function diffSlots(before: readonly Slot[], after: readonly Slot[]): SlotChange[] {
  const out: SlotChange[] = [];
  const was = new Map(before.map((s) => [s.id, s]));
  const now = new Map(after.map((s) => [s.id, s]));
  for (const s of after) {
    const b = was.get(s.id) ?? null;
    if (!s.active) {
      if (b?.active) out.push({ kind: "cancelled", meeting: s.id, before: b, after: s });
      continue;
    }
    if (b === null || !b.active) {
      out.push({ kind: "added", meeting: s.id, before: b, after: s });
      continue;
    }
    if (b.table !== s.table) out.push({ kind: "table", meeting: s.id, before: b, after: s });
    if (b.startsAtMs !== s.startsAtMs) out.push({ kind: "time", meeting: s.id, before: b, after: s });
    else if (b.round !== s.round) out.push({ kind: "round", meeting: s.id, before: b, after: s });
    if (b.partnerIds.join("\n") !== s.partnerIds.join("\n")) out.push({ kind: "partner", meeting: s.id, before: b, after: s });
  }
  for (const b of before) {
    if (b.active && !now.has(b.id)) out.push({ kind: "cancelled", meeting: b.id, before: b, after: null });
  }
  return out;
}

export interface Day<T> {
  key: string; // YYYY-MM-DD in the zone; "" for no time
  items: T[];
}

/** The calendar day of `ms` in `timeZone` as YYYY-MM-DD (the browser's zone if unknown). */
export function dayKey(ms: number, timeZone?: string): string {
  const opts: Intl.DateTimeFormatOptions = { year: "numeric", month: "2-digit", day: "2-digit" };
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", { ...opts, timeZone }).formatToParts(ms);
  } catch {
    parts = new Intl.DateTimeFormat("en-US", opts).formatToParts(ms);
  }
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Items grouped by their day in `timeZone`, days in order of first appearance. */
export function groupByDay<T>(items: readonly T[], timeOf: (item: T) => number | null, timeZone?: string): Day<T>[] {
  const days: Day<T>[] = [];
  const byKey = new Map<string, Day<T>>();
  for (const item of items) {
    const ms = timeOf(item);
    const key = ms === null ? "" : dayKey(ms, timeZone);
    let day = byKey.get(key);
    if (day === undefined) {
      day = { key, items: [] };
      byKey.set(key, day);
      days.push(day);
    }
    day.items.push(item);
  }
  return days;
}

/** "Wednesday, 25 November" (in `locale`) of a day in the zone. */
export function dayLabel(ms: number, timeZone: string | undefined, locale: string): string {
  const opts: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long" };
  try {
    return new Intl.DateTimeFormat(locale, { ...opts, timeZone }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(locale, opts).format(ms);
  }
}

// -- The offline copy -----------------------------------------------------------------------

export interface Saved {
  savedAtMs: number;
  data: Record<string, unknown>; // Store.snapshotLike()
}

export function cacheKey(token: string): string {
  return `mb-phone:${token}`;
}

/** The saved copy from its JSON, or null when missing or not ours. */
export function parseSaved(text: string | null): Saved | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<Saved>;
    if (typeof v.savedAtMs !== "number" || typeof v.data !== "object" || v.data === null) return null;
    return { savedAtMs: v.savedAtMs, data: v.data };
  } catch {
    return null;
  }
}
