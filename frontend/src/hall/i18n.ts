/** The hall screen's words in English and German (lib/i18n.ts): every text it shows but
 * the event's data (names, organisations, announcements, break labels). */
import type { Dict } from "../lib/i18n";
import { COMMON_DE, COMMON_EN, type CommonKey } from "../ui/labels";

const en = {
  ...COMMON_EN,
  title: "Matchboard · Hall",
  link_missing: "This hall screen needs its link (…?key=…): open it once and the screen remembers it.",
  link_revoked: "This hall screen's key was replaced: open the new hall link on this screen.",
  link_invalid: "This hall screen's key is not valid (it may have been replaced): open the new hall link.",
  qrCaption: "Your agenda on your phone: scan, or open the link you received",
  qrLabel: "QR code of the participants' page",
  paused: "paused",
  sound: "Click to enable the bell",
  endedNext: "{Round} over · next seating in",
  until: "until {time}",
  next: "Next: {name} at {time}",
  meetingsStart: "Meetings start at {time}",
  lastRound: "The last {round}",
  findTable: "{name} · find your {table}",
  notCheckedIn: "not checked in yet",
  with: "with {names}",
} as const;

export type HallKey = keyof typeof en;

const de: Record<HallKey, string> = {
  ...COMMON_DE,
  title: "Matchboard · Saal",
  link_missing: "Dieser Saalbildschirm braucht seinen Link (…?key=…): einmal öffnen, dann merkt er ihn sich.",
  link_revoked: "Der Schlüssel dieses Saalbildschirms wurde ersetzt: bitte den neuen Saal-Link hier öffnen.",
  link_invalid: "Der Schlüssel dieses Saalbildschirms ist ungültig (vielleicht ersetzt): bitte den neuen Saal-Link öffnen.",
  qrCaption: "Ihre Termine auf dem Handy: scannen oder den erhaltenen Link öffnen",
  qrLabel: "QR-Code der Teilnehmerseite",
  paused: "angehalten",
  sound: "Klicken, um den Gong einzuschalten",
  endedNext: "{Round} beendet · Platznehmen in",
  until: "bis {time}",
  next: "Danach: {name} um {time}",
  meetingsStart: "Die Gespräche beginnen um {time}",
  lastRound: "Danach keine weiteren Gespräche",
  findTable: "{name} · {Table} finden",
  notCheckedIn: "noch nicht eingecheckt",
  with: "mit {names}",
};

export const HALL: Dict<HallKey> = { en, de };
export type { CommonKey };
