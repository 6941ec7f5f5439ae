/** Words the hall screen and the console share (phases, statuses, connection states), in
 * English and German; each screen's table adds its own (hall/i18n.ts, moderate/i18n.ts). */
import type { Status, StatusDetail } from "../lib/connection";
import { ownLabel, say, type Dict } from "../lib/i18n";
import type { Phase } from "../lib/phases";
import type { MeetingOutcome, MeetingStatus, RoundRecord } from "../lib/protocol";

export const COMMON_EN = {
  round_n: "{Round}\u00a0{n}", // never "Gesprächsrunde" on one line and "1" on the next
  table_n: "{Table}\u00a0{n}",
  break: "Break",
  // What the countdown on a big screen counts down to.
  ph_upcoming: "Seating starts in",
  ph_seating: "Take your seats",
  ph_running: "Meetings running",
  ph_last_minutes: "Last minutes",
  ph_ended: "{Round} over",
  ph_skipped: "Skipped",
  ph_break: "Break",
  ph_idle: "No more rounds",
  st_requested: "requested",
  st_scheduled: "scheduled",
  st_held: "held",
  st_no_show: "no-show",
  st_cancelled: "cancelled",
  oc_held: "held",
  oc_no_show: "no-show",
  oc_substituted: "substituted",
  oc_cancelled: "cancelled",
  conn_live: "live",
  conn_connecting: "connecting…",
  conn_reconnecting: "reconnecting…",
  conn_offline: "offline",
  conn_offline_reason: "offline: {reason}",
  close_1000: "closed",
  close_1009: "message too big",
  close_4000: "protocol error",
  close_4001: "this link is not valid: ask for a new one",
  close_4004: "no such event",
  close_4005: "this link was revoked",
  language: "Language",
} as const;

export type CommonKey = keyof typeof COMMON_EN;

export const COMMON_DE: Record<CommonKey, string> = {
  round_n: "{Round}\u00a0{n}",
  table_n: "{Table}\u00a0{n}",
  break: "Pause",
  ph_upcoming: "Platznehmen beginnt in",
  ph_seating: "Bitte Platz nehmen",
  ph_running: "Gespräche laufen",
  ph_last_minutes: "Letzte Minuten",
  ph_ended: "{Round} beendet",
  ph_skipped: "Ausgelassen",
  ph_break: "Pause",
  ph_idle: "Keine weiteren Runden",
  st_requested: "angefragt",
  st_scheduled: "geplant",
  st_held: "stattgefunden",
  st_no_show: "nicht erschienen",
  st_cancelled: "abgesagt",
  oc_held: "stattgefunden",
  oc_no_show: "nicht erschienen",
  oc_substituted: "ersetzt",
  oc_cancelled: "abgesagt",
  conn_live: "live",
  conn_connecting: "verbinde…",
  conn_reconnecting: "verbinde erneut…",
  conn_offline: "offline",
  conn_offline_reason: "offline: {reason}",
  close_1000: "geschlossen",
  close_1009: "Nachricht zu groß",
  close_4000: "Protokollfehler",
  close_4001: "dieser Link ist ungültig: bitte neuen anfordern",
  close_4004: "Veranstaltung nicht gefunden",
  close_4005: "dieser Link wurde widerrufen",
  language: "Sprache",
};

export const COMMON: Dict<CommonKey> = { en: COMMON_EN, de: COMMON_DE };

/** A screen's translate function, as lib/i18n.ts Words.t gives it. */
export type Say = (key: CommonKey, vars?: Record<string, string | number>) => string;

const english: Say = (key, vars) => say(COMMON, "en", key, vars);

/** A round's own label, else "Round 3" in the screen's words. */
export function roundName(rnd: Pick<RoundRecord, "index" | "label">, t: Say = english): string {
  return ownLabel("round", rnd.label, rnd.index) || t("round_n", { n: rnd.index });
}

/** What the countdown on a big screen counts down to. */
export function phaseLabel(phase: Phase, t: Say = english): string {
  return t(`ph_${phase}`);
}

export function meetingStatusLabel(status: MeetingStatus, t: Say = english): string {
  return t(`st_${status}`);
}

export function outcomeLabel(outcome: MeetingOutcome, t: Say = english): string {
  return t(`oc_${outcome}`);
}

const CLOSE_CODES = new Set([1000, 1009, 4000, 4001, 4004, 4005]);

/** The connection indicator's text. */
export function statusText(status: Status, detail: StatusDetail, t: Say = english): string {
  switch (status) {
    case "live":
      return t("conn_live");
    case "connecting":
      return t("conn_connecting");
    case "reconnecting":
      return t("conn_reconnecting");
    case "stopped": {
      const code = detail.closeCode;
      const reason = detail.error?.message ?? (code !== undefined && CLOSE_CODES.has(code) ? t(`close_${code}` as CommonKey) : undefined);
      return reason ? t("conn_offline_reason", { reason }) : t("conn_offline");
    }
  }
}
