/**
 * What the screens show, derived from the store. Pure (times are arguments), so the pages
 * stay thin: the hall's "find your table" directory, paging, live announcements, a
 * participant's agenda, times in the event's time zone.
 */
import { DEFAULT_WARNING_S, type Timeline } from "./phases";
import type { AnnouncementRecord, MeetingRecord, MeetingStatus, ParticipantRecord, RoundRecord, TableRecord } from "./protocol";
import type { Store } from "./store";

/** Statuses in which a meeting holds its table and people (server/core/model.py). */
export const ACTIVE_STATUSES: ReadonlySet<MeetingStatus> = new Set(["scheduled", "held"]);

/** The rounds, breaks, clock and warning time of the store, for phases.ts. */
export function timelineOf(store: Store): Timeline {
  return {
    rounds: store.list("round"),
    breaks: store.list("break"),
    clock: store.single("clock"),
    warningS: store.single("event")?.settings?.warning_s ?? DEFAULT_WARNING_S,
  };
}

/** The last word of a name, as the server sorts people (Participant.surname). */
export function surnameOf(name: string): string {
  const words = name.trim().split(/\s+/);
  return words[words.length - 1] ?? "";
}

export interface DirectoryRow {
  participant: string; // id
  name: string;
  surname: string;
  table: number;
  tableLabel: string; // the table's label, else its number
  partners: string; // the other side's names, joined
  present?: boolean; // checked in and not departed, as the server says (unknown: undefined)
}

type Named = Pick<ParticipantRecord, "id" | "name" | "present">;

/** Everyone seated in `round`, one row per person, alphabetical by surname, then name
 * (in `locale`'s order; the browser's by default). */
export function tableDirectory(
  meetings: readonly MeetingRecord[],
  people: ReadonlyMap<string, Named> | readonly Named[],
  tables: readonly TableRecord[],
  round: number,
  locale?: string,
): DirectoryRow[] {
  const collator = new Intl.Collator(locale, { sensitivity: "base", numeric: true });
  const byId = Array.isArray(people) ? new Map(people.map((p) => [p.id, p])) : (people as ReadonlyMap<string, Named>);
  const labels = new Map(tables.map((t) => [t.number, t.label || String(t.number)]));
  const nameOf = (id: string): string => byId.get(id)?.name ?? id;
  const rows: DirectoryRow[] = [];
  for (const m of meetings) {
    if (m.round !== round || m.table === null || !ACTIVE_STATUSES.has(m.status)) continue;
    const table = m.table;
    const add = (side: readonly string[], other: readonly string[]): void => {
      const partners = other.map(nameOf).join(", ");
      for (const id of side) {
        const name = nameOf(id);
        const present = byId.get(id)?.present;
        rows.push({ participant: id, name, surname: surnameOf(name), table, tableLabel: labels.get(table) ?? String(table), partners, ...(present === undefined ? {} : { present }) });
      }
    };
    add(m.side_a, m.side_b);
    add(m.side_b, m.side_a);
  }
  return rows.sort(
    (a, b) => collator.compare(a.surname, b.surname) || collator.compare(a.name, b.name) || a.table - b.table,
  );
}

export interface Page<T> {
  items: T[];
  page: number; // 0-based, wrapped into range
  pages: number; // at least 1
}

/** Page `page` (wrapping around) of `items`, `perPage` at a time. */
export function paginate<T>(items: readonly T[], perPage: number, page: number): Page<T> {
  const size = Math.max(1, Math.floor(perPage));
  const pages = Math.max(1, Math.ceil(items.length / size));
  const index = ((Math.floor(page) % pages) + pages) % pages;
  return { items: items.slice(index * size, (index + 1) * size), page: index, pages };
}

/** The announcements not expired at `nowMs`, newest first. */
export function activeAnnouncements(list: readonly AnnouncementRecord[], nowMs: number): AnnouncementRecord[] {
  return list
    .filter((a) => a.expires_at_ms === null || a.expires_at_ms === undefined || nowMs < a.expires_at_ms)
    .sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? -1 : 1));
}

export interface AgendaItem {
  meeting: MeetingRecord;
  round: RoundRecord | null;
  partners: string[]; // participant ids of the other side
}

/** A participant's placed meetings (any status), in round order. */
export function agendaOf(pid: string, meetings: readonly MeetingRecord[], rounds: readonly RoundRecord[]): AgendaItem[] {
  const byIndex = new Map(rounds.map((r) => [r.index, r]));
  const items: AgendaItem[] = [];
  for (const meeting of meetings) {
    const partners = meeting.side_a.includes(pid) ? meeting.side_b : meeting.side_b.includes(pid) ? meeting.side_a : null;
    if (partners === null || meeting.round === null) continue;
    items.push({ meeting, round: byIndex.get(meeting.round) ?? null, partners: [...partners] });
  }
  const order = (i: AgendaItem): number => i.round?.starts_at_ms ?? Number.MAX_SAFE_INTEGER;
  return items.sort((a, b) => order(a) - order(b) || (a.meeting.round ?? 0) - (b.meeting.round ?? 0));
}

/** "09:05" in the event's time zone (the browser's when the zone is unknown). */
export function formatClockTime(ms: number, timeZone?: string, locale?: string): string {
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(ms); // an unknown zone
  }
}

/** Where a meeting is, to notice what changed between two states. */
export interface Placement {
  round: number | null;
  table: number | null;
  status: MeetingStatus;
}

export interface AgendaChange {
  kind: "moved" | "cancelled" | "added" | "removed";
  meeting: string;
  before: Placement | null;
  after: Placement | null;
}

export function placements(agenda: readonly AgendaItem[]): Map<string, Placement> {
  return new Map(agenda.map(({ meeting: m }) => [m.id, { round: m.round, table: m.table, status: m.status }]));
}

/** What a participant should be told about: a meeting of theirs moved (round or table),
 * was cancelled (or marked a no-show), was added, or disappeared. Status moves between
 * scheduled and held are not news. */
export function agendaChanges(before: ReadonlyMap<string, Placement>, agenda: readonly AgendaItem[]): AgendaChange[] {
  const out: AgendaChange[] = [];
  const after = placements(agenda);
  for (const [id, now] of after) {
    const was = before.get(id) ?? null;
    const active = ACTIVE_STATUSES.has(now.status);
    if (was === null) {
      if (active) out.push({ kind: "added", meeting: id, before: null, after: now });
    } else if (ACTIVE_STATUSES.has(was.status) && !active) {
      out.push({ kind: "cancelled", meeting: id, before: was, after: now });
    } else if (active && (was.round !== now.round || was.table !== now.table || !ACTIVE_STATUSES.has(was.status))) {
      out.push({ kind: "moved", meeting: id, before: was, after: now });
    }
  }
  for (const [id, was] of before) {
    if (!after.has(id) && ACTIVE_STATUSES.has(was.status)) out.push({ kind: "removed", meeting: id, before: was, after: null });
  }
  return out;
}
