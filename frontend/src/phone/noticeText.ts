/**
 * The words of a notice and of the card's "waiting for a partner" message, in the page's
 * language. Pure: the notice holds data (round, table, people), so it can be said again in
 * the other language when the language is switched.
 */
import type { MeetingRecord } from "../lib/protocol";
import { formatClockTime } from "../lib/views";
import type { CardState } from "./card";
import { ownLabel } from "../lib/i18n";
import { translate, type Key, type Lang, type Terms } from "./i18n";
import type { Notice, Person, RoundRef, TableRef, Where } from "./notices";

export interface Words {
  where: string; // "Round 3 · 10:25 · Table 10"
  text: string; // what happened and why
}

/** How times are shown: the event's zone (undefined: the browser's). */
export interface Say {
  lang: Lang;
  timeZone?: string | undefined;
  /** The event's words for "round" and "table" in `lang` (lib/i18n.ts termsOf). */
  terms?: Terms | undefined;
}

const t = (s: Say, key: Key, vars?: Record<string, string | number>): string => translate(s.lang, key, vars, s.terms);

export function roundText(r: RoundRef, s: Say): string {
  return ownLabel("round", r.label, r.index) || t(s, "round", { n: r.index ?? "?" });
}

export function tableText(table: TableRef | null, s: Say): string {
  if (table === null || table.number === null) return "";
  return ownLabel("table", table.label, table.number) || t(s, "table", { n: table.number });
}

export function timeText(ms: number | null, s: Say): string {
  return ms === null ? "" : formatClockTime(ms, s.timeZone, s.lang);
}

/** "Round 3 · 10:25 · Table 10": what a notice is about. */
export function whereText(w: Where, s: Say, withTable = true): string {
  return [roundText(w.round, s), timeText(w.round.startsAtMs, s), withTable ? tableText(w.table, s) : ""].filter(Boolean).join(" · ");
}

/** "Stefanie Wolf (Cluster Nord)". */
export function personText(p: Person, s: Say): string {
  const name = p.name || t(s, "unknownName");
  return p.organisation ? `${name} (${p.organisation})` : name;
}

/** "A", "A and B", "A, B and C" (with organisations unless `names` only); "your partner"
 * for nobody known. */
export function peopleText(people: readonly Person[], s: Say, namesOnly = false): string {
  const names = people.map((p) => (namesOnly ? p.name || t(s, "unknownName") : personText(p, s)));
  if (names.length === 0) return t(s, "yourPartner");
  if (names.length === 1) return names[0]!;
  return `${names.slice(0, -1).join(", ")} ${t(s, "and")} ${names[names.length - 1]!}`;
}

/** Why my meeting is off: who did not come, or who left. */
function whyText(lost: readonly Person[], left: boolean, s: Say): string {
  if (lost.length === 0 || lost.every((p) => p.name === "")) return t(s, "why_noshow_anon");
  const plural = lost.length > 1;
  const key: Key = left ? (plural ? "why_left_pl" : "why_left") : plural ? "why_noshow_pl" : "why_noshow";
  return t(s, key, { who: peopleText(lost, s, true) }); // who they are was said when the meeting was planned
}

export function noticeText(n: Notice, s: Say): Words {
  const at = (withTable = true): string => whereText(n.where, s, withTable);
  const who = (people: readonly Person[]): string => peopleText(people, s);
  const words = (...parts: string[]): string => parts.filter(Boolean).join(" ");
  switch (n.kind) {
    case "replaced":
      return {
        where: at(),
        text: words(whyText(n.lost, n.left, s), t(s, n.partners.length > 1 ? "new_partners" : "new_partner", { who: who(n.partners) })),
      };
    case "stepping_in":
      return { where: at(), text: t(s, "n_stepping_in", { who: who(n.partners) }) };
    case "partner_absent": {
      const search = n.search === "searching" ? t(s, "search_on") : n.search === "nobody" ? t(s, "search_none") : "";
      return { where: at(), text: words(whyText(n.lost, n.left, s), search) };
    }
    case "partner_left":
      return { where: at(), text: words(whyText(n.lost, true, s), t(s, "mt_cancelled")) };
    case "cancelled":
      return { where: at(), text: t(s, "n_cancelled", { who: who(n.partners) }) };
    case "not_held":
      return { where: at(), text: t(s, "n_not_held", { who: who(n.partners) }) };
    case "me_absent":
      return { where: at(), text: t(s, "n_me_absent") };
    case "me_left":
      return { where: at(n.count === 1), text: n.count > 1 ? t(s, "n_me_left_n", { count: n.count }) : t(s, "n_me_left") };
    case "changed": {
      const parts: string[] = [];
      if (n.fromRound !== undefined) {
        const from = [roundText(n.fromRound, s), timeText(n.fromRound.startsAtMs, s)].filter(Boolean).join(" · ");
        parts.push(t(s, "n_round", { who: who(n.partners), from }));
      } else if (n.fromStartsAtMs !== undefined) {
        parts.push(t(s, "n_time", { who: who(n.partners), from: timeText(n.fromStartsAtMs, s), to: timeText(n.where.round.startsAtMs, s) }));
      }
      if (n.fromTable !== undefined) parts.push(t(s, "n_table", { from: tableText(n.fromTable, s) || "–", to: tableText(n.where.table, s) || "–" }));
      if (n.fromPartners !== undefined) parts.push(t(s, "n_partner", { from: who(n.fromPartners), to: who(n.partners) }));
      // A moved table is named in the sentence, so the heading leaves it out.
      return { where: at(n.fromTable === undefined), text: words(...parts) };
    }
    case "shift": {
      const min = Math.round(Math.abs(n.deltaMs) / 60_000);
      return { where: at(false), text: t(s, n.deltaMs > 0 ? "n_later" : "n_earlier", { count: n.count, min }) };
    }
    case "added":
      return { where: at(), text: t(s, "n_added", { who: who(n.partners) }) };
    case "reinstated":
      return { where: at(), text: t(s, "n_reinstated", { who: who(n.partners) }) };
    case "no_substitute":
      return { where: at(), text: t(s, "n_no_substitute") };
  }
}

/** A notice as one line: "Round 3 · 10:25 · Table 10 — Your partner …". */
export function noticeLine(n: Notice, s: Say): string {
  const { where, text } = noticeText(n, s);
  return where ? `${where} — ${text}` : text;
}

/** What the card says besides the meeting itself: why I have no partner and what happens
 * now, or that I was marked as not here; "" for a normal meeting. `table` is where I wait. */
export function cardMessage(card: CardState, table: TableRef | null, s: Say): string {
  if (card.mode === "absent") return t(s, "n_me_absent");
  if (card.mode !== "waiting") return "";
  if (card.search === "searching") return t(s, "c_searching", { where: tableText(table, s) || t(s, "table", { n: "?" }) });
  const next = card.next?.round;
  if (next === null || next === undefined) return t(s, "c_free_last");
  const ref: RoundRef = { index: next.index, label: next.label, startsAtMs: next.starts_at_ms };
  return t(s, "c_free", { next: [roundText(ref, s), timeText(ref.startsAtMs, s)].join(" · ") });
}

/** A meeting's status in my agenda, from my side: "partner did not come" rather than a
 * bare "no-show" when it was not me who was missing. */
export function statusText(m: Pick<MeetingRecord, "status" | "absent">, me: string, s: Say): string {
  const absent = m.absent ?? [];
  if (m.status === "no_show" && absent.includes(me)) return t(s, "st_me_absent");
  if (m.status === "no_show" && absent.length > 0) return t(s, "st_partner_absent");
  if (m.status === "cancelled" && absent.length > 0 && !absent.includes(me)) return t(s, "st_partner_left");
  return t(s, `st_${m.status}`);
}
