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
  round_starts: "This round starts in",
  round_ends: "This round ends in",
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
  addToCalendar: "Add to calendar",
  calendarSubscribe: "subscribe (updates itself)",
  lastUpdated: "Offline · last updated {time}",
  st_requested: "requested",
  st_scheduled: "scheduled",
  st_held: "held",
  st_no_show: "no-show",
  st_cancelled: "cancelled",
  // Change notices (phone/noticeText.ts): {who} is "Name (Organisation)", several joined.
  and: "and",
  unknownName: "(name unknown)",
  dismiss: "Dismiss",
  noticesLabel: "What changed for you",
  why_noshow: "Your partner {who} could not come.",
  why_noshow_pl: "Your partners {who} could not come.",
  why_noshow_anon: "Your partner could not come.",
  why_left: "Your partner {who} has left the event.",
  why_left_pl: "Your partners {who} have left the event.",
  new_partner: "Your new partner: {who}.",
  new_partners: "Your new partners: {who}.",
  search_on: "The organisers are finding you a new partner.",
  search_none: "Nobody else is free this round.",
  mt_cancelled: "This meeting is cancelled.",
  n_stepping_in: "New meeting with {who}: their partner could not come, so you are stepping in.",
  n_cancelled: "Your meeting with {who} was cancelled by the organisers.",
  n_not_held: "Your meeting with {who} was marked as not taking place.",
  n_me_absent: "You were marked as not here for this round. If you are here, please go to the help desk.",
  n_me_left: "You were marked as having left the event, so this meeting is cancelled. If you are still here, please go to the help desk.",
  n_me_left_n: "You were marked as having left the event, so your {count} meetings from here on are cancelled. If you are still here, please go to the help desk.",
  n_table: "Your table changed from {from} to {to}.",
  n_time: "Your meeting with {who} now starts at {to} instead of {from}.",
  n_round: "Your meeting with {who} moved here from {from}.",
  n_partner: "Your partner changed: now {to} instead of {from}.",
  n_added: "New meeting with {who}.",
  n_reinstated: "Your meeting with {who} takes place after all.",
  n_later: "Your {count} meetings from here on start {min} minutes later.",
  n_earlier: "Your {count} meetings from here on start {min} minutes earlier.",
  n_no_substitute: "No new partner could be found for this round, so you are free for the rest of it.",
  // The card while my partner did not come (phone/card.ts).
  c_searching: "Your partner could not come. The organisers are finding you a new partner — please stay at {table}.",
  c_free: "Your partner could not come and nobody else is free this round. You are free until your next meeting ({next}) — or ask at the help desk.",
  c_free_last: "Your partner could not come and nobody else is free this round. You have no further meetings — ask at the help desk if you need anything.",
  st_partner_absent: "partner did not come",
  st_partner_left: "partner left the event",
  st_me_absent: "you were marked as not here",
  conn_live: "live",
  conn_connecting: "connecting…",
  conn_reconnecting: "reconnecting…",
  conn_stopped: "offline",
  conn_invalid: "offline: this link is not valid: ask for a new one",
  conn_revoked: "offline: this link was revoked",
  conn_noevent: "offline: no such event",
  link_missing: "Please open your personal link (from your e-mail or badge) once; this phone then remembers it.",
  link_revoked: "This link was revoked. Please ask the organisers for your new link.",
  link_invalid: "This link is not valid (it may have been replaced). Please ask the organisers for your new link.",
  err_not_connected: "Not connected. Please try again in a moment.",
  err_invalid_argument: "There is no meeting right now.",
  err_round_over: "This round is over.",
  err_forbidden: "Not allowed.",
  err_outcome_unknown: "No answer from the server. Please check whether it worked before trying again.",
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
  round_starts: "Diese Runde beginnt in",
  round_ends: "Diese Runde endet in",
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
  addToCalendar: "Zum Kalender hinzufügen",
  calendarSubscribe: "abonnieren (aktualisiert sich selbst)",
  lastUpdated: "Offline · zuletzt aktualisiert {time}",
  st_requested: "angefragt",
  st_scheduled: "geplant",
  st_held: "stattgefunden",
  st_no_show: "nicht erschienen",
  st_cancelled: "abgesagt",
  and: "und",
  unknownName: "(Name unbekannt)",
  dismiss: "Ausblenden",
  noticesLabel: "Was sich für Sie geändert hat",
  why_noshow: "Ihr Gegenüber {who} konnte nicht kommen.",
  why_noshow_pl: "Ihre Gegenüber {who} konnten nicht kommen.",
  why_noshow_anon: "Ihr Gegenüber konnte nicht kommen.",
  why_left: "Ihr Gegenüber {who} hat die Veranstaltung verlassen.",
  why_left_pl: "Ihre Gegenüber {who} haben die Veranstaltung verlassen.",
  new_partner: "Ihr neues Gegenüber: {who}.",
  new_partners: "Ihre neuen Gegenüber: {who}.",
  search_on: "Das Team sucht ein neues Gegenüber für Sie.",
  search_none: "In dieser Runde ist sonst niemand frei.",
  mt_cancelled: "Dieser Termin entfällt.",
  n_stepping_in: "Neuer Termin mit {who}: Sie springen für ein Gegenüber ein, das nicht kommen konnte.",
  n_cancelled: "Ihr Termin mit {who} wurde vom Veranstalter abgesagt.",
  n_not_held: "Ihr Termin mit {who} wurde als ausgefallen markiert.",
  n_me_absent: "Sie wurden für diese Runde als nicht anwesend gemeldet. Wenn Sie da sind, gehen Sie bitte zum Infostand.",
  n_me_left: "Sie wurden als abgereist gemeldet, daher entfällt dieser Termin. Wenn Sie noch da sind, gehen Sie bitte zum Infostand.",
  n_me_left_n: "Sie wurden als abgereist gemeldet, daher entfallen Ihre {count} Termine ab hier. Wenn Sie noch da sind, gehen Sie bitte zum Infostand.",
  n_table: "Ihr Tisch hat sich geändert: jetzt {to} statt {from}.",
  n_time: "Ihr Termin mit {who} beginnt jetzt um {to} statt um {from}.",
  n_round: "Ihr Termin mit {who} wurde hierher verschoben (vorher {from}).",
  n_partner: "Ihr Gegenüber hat sich geändert: jetzt {to} statt {from}.",
  n_added: "Neuer Termin mit {who}.",
  n_reinstated: "Ihr Termin mit {who} findet doch statt.",
  n_later: "Ihre {count} Termine ab hier beginnen {min} Minuten später.",
  n_earlier: "Ihre {count} Termine ab hier beginnen {min} Minuten früher.",
  n_no_substitute: "Für diese Runde wurde kein neues Gegenüber gefunden; Sie haben für den Rest der Runde frei.",
  c_searching: "Ihr Gegenüber konnte nicht kommen. Das Team sucht ein neues Gegenüber für Sie – bitte bleiben Sie hier: {table}.",
  c_free: "Ihr Gegenüber konnte nicht kommen, und in dieser Runde ist sonst niemand frei. Sie haben frei bis zu Ihrem nächsten Termin ({next}) – oder fragen Sie am Infostand.",
  c_free_last: "Ihr Gegenüber konnte nicht kommen, und in dieser Runde ist sonst niemand frei. Sie haben keine weiteren Termine – bei Fragen hilft Ihnen der Infostand.",
  st_partner_absent: "Gegenüber nicht erschienen",
  st_partner_left: "Gegenüber abgereist",
  st_me_absent: "Sie wurden als abwesend gemeldet",
  conn_live: "live",
  conn_connecting: "verbinde…",
  conn_reconnecting: "verbinde erneut…",
  conn_stopped: "offline",
  conn_invalid: "offline: dieser Link ist ungültig, bitte neuen anfordern",
  conn_revoked: "offline: dieser Link wurde widerrufen",
  conn_noevent: "offline: Veranstaltung nicht gefunden",
  link_missing: "Bitte öffnen Sie einmal Ihren persönlichen Link (aus Ihrer E-Mail oder vom Namensschild); dieses Telefon merkt ihn sich dann.",
  link_revoked: "Dieser Link wurde widerrufen. Bitte fragen Sie die Organisatoren nach Ihrem neuen Link.",
  link_invalid: "Dieser Link ist nicht gültig (vielleicht wurde er ersetzt). Bitte fragen Sie die Organisatoren nach Ihrem neuen Link.",
  err_not_connected: "Keine Verbindung. Bitte gleich noch einmal versuchen.",
  err_invalid_argument: "Gerade ist kein Termin.",
  err_round_over: "Diese Runde ist vorbei.",
  err_forbidden: "Nicht erlaubt.",
  err_outcome_unknown: "Keine Antwort vom Server. Bitte prüfen, ob es geklappt hat, bevor Sie es noch einmal versuchen.",
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
