/** The phone's words in English and German. Pure except `storedLang`/`saveLang`. */
export type Lang = "en" | "de";
export const LANGS: readonly Lang[] = ["en", "de"];
export const LANG_KEY = "mb-lang";

const en = {
  title: "My meetings",
  hello: "Hello {name}",
  yourPartner: "your partner",
  round: "Round {n}",
  table: "Table {n}",
  upcoming: "Seating starts in",
  seating: "Go to your table · starts in",
  running: "Meeting running · ends in",
  last_minutes: "Last minutes · ends in",
  paused: "(paused)",
  noMore: "No more meetings",
  noMeetings: "No meetings yet.",
  checkIn: "I'm here: check in",
  missing: "My partner is not here",
  checkedIn: "You are checked in.",
  reported: "The organisers were told; please wait at your table.",
  sending: "Sending…",
  notArrived: "Your partner has not arrived yet",
  notCheckedIn: "not checked in yet",
  next: "Next meetings",
  agenda: "My agenda",
  lastUpdated: "Offline · last updated {time}",
  st_requested: "requested",
  st_scheduled: "scheduled",
  st_held: "held",
  st_no_show: "no-show",
  st_cancelled: "cancelled",
  ch_table: "Your table changed: {from} → {to}",
  ch_time: "Your meeting time changed: {from} → {to}",
  ch_round: "Your meeting moved: {from} → {to}",
  ch_partner: "Your partner changed: {from} → {to}",
  ch_added: "New meeting: {to}",
  ch_cancelled: "Cancelled: your meeting {from}",
  conn_live: "live",
  conn_connecting: "connecting…",
  conn_reconnecting: "reconnecting…",
  conn_stopped: "offline",
  conn_invalid: "offline: this link is not valid: ask for a new one",
  conn_revoked: "offline: this link was revoked",
  conn_noevent: "offline: no such event",
  err_not_connected: "Not connected. Please try again in a moment.",
  err_invalid_argument: "There is no meeting right now.",
  err_round_over: "This round is over.",
  err_forbidden: "Not allowed.",
} as const;

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  title: "Meine Termine",
  hello: "Hallo {name}",
  yourPartner: "Ihr Gesprächspartner",
  round: "Runde {n}",
  table: "Tisch {n}",
  upcoming: "Platznehmen beginnt in",
  seating: "Bitte zum Tisch · Beginn in",
  running: "Gespräch läuft · endet in",
  last_minutes: "Letzte Minuten · endet in",
  paused: "(angehalten)",
  noMore: "Keine weiteren Termine",
  noMeetings: "Noch keine Termine.",
  checkIn: "Ich bin da: einchecken",
  missing: "Mein Partner ist nicht da",
  checkedIn: "Sie sind eingecheckt.",
  reported: "Das Team ist informiert; bitte warten Sie am Tisch.",
  sending: "Wird gesendet…",
  notArrived: "Ihr Gesprächspartner ist noch nicht eingetroffen",
  notCheckedIn: "noch nicht eingecheckt",
  next: "Nächste Termine",
  agenda: "Meine Agenda",
  lastUpdated: "Offline · zuletzt aktualisiert {time}",
  st_requested: "angefragt",
  st_scheduled: "geplant",
  st_held: "stattgefunden",
  st_no_show: "nicht erschienen",
  st_cancelled: "abgesagt",
  ch_table: "Ihr Tisch hat sich geändert: {from} → {to}",
  ch_time: "Ihre Gesprächszeit hat sich geändert: {from} → {to}",
  ch_round: "Ihr Termin wurde verschoben: {from} → {to}",
  ch_partner: "Ihr Gesprächspartner hat sich geändert: {from} → {to}",
  ch_added: "Neuer Termin: {to}",
  ch_cancelled: "Abgesagt: Ihr Termin {from}",
  conn_live: "live",
  conn_connecting: "verbinde…",
  conn_reconnecting: "verbinde erneut…",
  conn_stopped: "offline",
  conn_invalid: "offline: dieser Link ist ungültig, bitte neuen anfordern",
  conn_revoked: "offline: dieser Link wurde widerrufen",
  conn_noevent: "offline: Veranstaltung nicht gefunden",
  err_not_connected: "Keine Verbindung. Bitte gleich noch einmal versuchen.",
  err_invalid_argument: "Gerade ist kein Termin.",
  err_round_over: "Diese Runde ist vorbei.",
  err_forbidden: "Nicht erlaubt.",
};

export const DICT: Record<Lang, Record<Key, string>> = { en, de };

function isLang(x: unknown): x is Lang {
  return typeof x === "string" && (LANGS as readonly string[]).includes(x);
}

/** The stored choice if any, else the first of the browser's languages we have, else English. */
export function pickLang(languages: readonly string[], stored?: string | null): Lang {
  if (isLang(stored)) return stored;
  for (const l of languages) {
    const base = l.toLowerCase().split("-")[0];
    if (isLang(base)) return base;
  }
  return "en";
}

/** The text of `key` in `lang`, with {name} placeholders filled. */
export function translate(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  const text = DICT[lang][key] ?? DICT.en[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function storedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    /* private mode: not remembered */
  }
}
