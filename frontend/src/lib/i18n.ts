/**
 * The one way the three screens speak English or German. Each screen has its own string
 * table (phone/i18n.ts, hall/i18n.ts, moderate/i18n.ts), the same keys in both languages;
 * this module picks the language (the user's choice, remembered in localStorage, else the
 * browser's) and fills a text's placeholders. Pure except `storedLang`/`saveLang`.
 *
 * The event's own words for "round" and "table" (event.settings.round_label, ...): texts
 * say `{Round}`/`{Table}` where the word stands as a noun ("{Round} {n}", German nouns
 * always), `{round}`/`{table}` inside an English sentence ("This {round} starts in"); both
 * are filled with the event's word in the language shown, else the built-in one.
 */
import type { EventSettings } from "./protocol";

export type Lang = "en" | "de";
export const LANGS: readonly Lang[] = ["en", "de"];
export const LANG_KEY = "mb-lang";

export type Dict<K extends string> = Record<Lang, Record<K, string>>;

/** The event's words in one language; "" = the built-in word. */
export interface Terms {
  round: string;
  table: string;
}

const BUILT_IN: Record<Lang, Terms> = { en: { round: "Round", table: "Table" }, de: { round: "Runde", table: "Tisch" } };
export const NO_TERMS: Terms = { round: "", table: "" };

export function isLang(x: unknown): x is Lang {
  return typeof x === "string" && (LANGS as readonly string[]).includes(x);
}

/** The stored (or asked-for) choice if any, else the first of the browser's languages we
 * have, else English. */
export function pickLang(languages: readonly string[], stored?: string | null): Lang {
  if (isLang(stored)) return stored;
  for (const l of languages) {
    const base = l.toLowerCase().split("-")[0];
    if (isLang(base)) return base;
  }
  return "en";
}

/** The event's words for `lang`: the German form on a German screen, else the label as it is. */
export function termsOf(settings: Partial<EventSettings> | undefined | null, lang: Lang): Terms {
  const s = settings ?? {};
  const pick = (plain: string | undefined, de: string | undefined): string => ((lang === "de" ? de?.trim() || plain : plain) ?? "").trim();
  return { round: pick(s.round_label, s.round_label_de), table: pick(s.table_label, s.table_label_de) };
}

// A label that only says the built-in word and its own number ("Table 9", "Runde 3").
const GENERIC: Record<keyof Terms, RegExp> = { round: /^(round|runde)\s*(\d+)$/i, table: /^(table|tisch)\s*(\d+)$/i };

/** A round's or a table's own label ("Terrace 2", "A14"), or "" when it only says "Table 9"
 * of table 9 (imports often write that): the screen then says it in its own language,
 * with the event's word. */
export function ownLabel(kind: keyof Terms, label: string | undefined, n: number | null | undefined): string {
  const generic = (label ?? "").trim().match(GENERIC[kind]);
  return generic !== null && Number(generic[2]) === n ? "" : (label ?? "");
}

/** "Slot" inside an English sentence is "slot"; "B2B slot" or "VIP-Tisch" stay as they are. */
function inSentence(word: string, lang: Lang): string {
  if (lang !== "en") return word;
  return /^\p{Lu}\p{Ll}/u.test(word) ? word[0]!.toLowerCase() + word.slice(1) : word;
}

/** The placeholders for the event's words in `lang`. */
export function termVars(lang: Lang, terms: Terms = NO_TERMS): Record<string, string> {
  const round = terms.round || BUILT_IN[lang].round;
  const table = terms.table || BUILT_IN[lang].table;
  return { Round: round, Table: table, round: inSentence(round, lang), table: inSentence(table, lang) };
}

/** `text` with its {name} placeholders filled; unknown ones stay as they are. */
export function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** The text of `key` in `lang` from `dict`, with the event's words and `vars` filled. */
export function say<K extends string>(dict: Dict<K>, lang: Lang, key: K, vars: Record<string, string | number> = {}, terms: Terms = NO_TERMS): string {
  const text = dict[lang][key] ?? dict.en[key];
  return fill(text, { ...termVars(lang, terms), ...vars });
}

/** A screen's words: its table, the language shown and the event's words. */
export class Words<K extends string> {
  terms: Terms = NO_TERMS;
  private settings: Partial<EventSettings> | null = null;
  constructor(
    readonly dict: Dict<K>,
    public lang: Lang,
  ) {}

  t = (key: K, vars?: Record<string, string | number>): string => say(this.dict, this.lang, key, vars, this.terms);

  /** Follow the event's settings (call on every state). */
  setEvent(settings: Partial<EventSettings> | null | undefined): void {
    this.settings = settings ?? null;
    this.terms = termsOf(this.settings, this.lang);
  }

  setLang(lang: Lang): void {
    this.lang = lang;
    this.terms = termsOf(this.settings, lang);
  }

  /** A key of the words the event's settings and the language make, to redraw on change. */
  get key(): string {
    return `${this.lang}|${this.terms.round}|${this.terms.table}`;
  }
}

/** The language a page starts in: `asked` (e.g. a hall's `?lang=de`), else the stored
 * choice, else the browser's. */
export function startLang(asked?: string | null): Lang {
  const langs = typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]);
  return pickLang(langs, isLang(asked) ? asked : storedLang());
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
