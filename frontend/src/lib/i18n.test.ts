import { afterEach, describe, expect, it, vi } from "vitest";
import { HALL } from "../hall/i18n";
import { count, ENGLISH, MODERATE } from "../moderate/i18n";
import { DICT as PHONE } from "../phone/i18n";
import { COMMON } from "../ui/labels";
import { fill, LANGS, ownLabel, pickLang, say, startLang, termsOf, termVars, Words, type Dict } from "./i18n";

const TABLES: Record<string, Dict<string>> = { phone: PHONE, hall: HALL, console: MODERATE, common: COMMON };
const SETTINGS = { round_label: "Session", round_label_de: "Gesprächsrunde", table_label: "Booth", table_label_de: "" };

describe("the string tables of the three screens", () => {
  for (const [screen, dict] of Object.entries(TABLES)) {
    it(`${screen}: every key in both languages, non-empty, with the same placeholders`, () => {
      const keys = Object.keys(dict.en).sort();
      // The event's words ({Round}, {table}) are said where each language needs them.
      const vars = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).filter((v) => !/^\{(round|table)\}$/i.test(v)).sort();
      for (const lang of LANGS) {
        expect(Object.keys(dict[lang]).sort()).toEqual(keys);
        for (const key of keys) {
          const text = dict[lang][key]!;
          expect(text.trim().length, `${screen} ${lang} ${key}`).toBeGreaterThan(0);
          expect(vars(text), `${screen} ${lang} ${key}`).toEqual(vars(dict.en[key]!));
        }
      }
    });
  }
  it("German is German: no English word left where the tables differ", () => {
    for (const dict of Object.values(TABLES)) {
      const same = Object.keys(dict.en).filter((k) => dict.en[k] === dict.de[k] && /[a-z]{4,}/.test(dict.en[k]!.replace(/\{\w+\}/g, "")));
      expect(same.filter((k) => !["conn_live", "conn_stopped", "conn_offline", "conn_offline_reason", "personA", "personB", "person"].includes(k))).toEqual([]);
    }
  });
});

describe("the event's words for round and table", () => {
  it("replace the built-in words, the German form on German screens, else the label as it is", () => {
    expect(termsOf(SETTINGS, "en")).toEqual({ round: "Session", table: "Booth" });
    expect(termsOf(SETTINGS, "de")).toEqual({ round: "Gesprächsrunde", table: "Booth" });
    expect(termsOf({ round_label: "", round_label_de: "Slot" }, "en")).toEqual({ round: "", table: "" });
    expect(termsOf(undefined, "de")).toEqual({ round: "", table: "" });
    const en = new Words(HALL, "en");
    expect(en.t("round_n", { n: 3 })).toBe("Round\u00a03"); // a no-break space: never split
    
    en.setEvent(SETTINGS);
    expect(en.t("round_n", { n: 3 })).toBe("Session\u00a03");
    expect(en.t("findTable", { name: "Session 3" })).toBe("Session 3 · find your booth");
    en.setLang("de");
    expect(en.t("round_n", { n: 3 })).toBe("Gesprächsrunde\u00a03");
    expect(en.t("findTable", { name: "Gesprächsrunde 3" })).toBe("Gesprächsrunde 3 · Booth finden");
    expect(say(MODERATE, "de", "moveTitle", { id: "m1", n: 4 })).toBe("m1 an Tisch 4 verlegen");
    expect(say(MODERATE, "de", "moveTitle", { id: "m1", n: 4 }, termsOf(SETTINGS, "de"))).toBe("m1 an Booth 4 verlegen");
    expect(say(PHONE, "en", "round_ends", {}, termsOf(SETTINGS, "en"))).toBe("This session ends in");
  });
  it("are lower-cased inside English sentences only when they read as one plain word", () => {
    expect(termVars("en", { round: "Slot", table: "B2B table" })).toMatchObject({ Round: "Slot", round: "slot", table: "B2B table" });
    expect(termVars("de", { round: "Slot", table: "" })).toMatchObject({ Round: "Slot", round: "Slot", Table: "Tisch", table: "Tisch" });
  });
  it("a round's or table's own label counts unless it only repeats the built-in word and its number", () => {
    expect(ownLabel("table", "Table 1", 1)).toBe("");
    expect(ownLabel("table", "tisch 7", 7)).toBe("");
    expect(ownLabel("table", "Table 1", 2)).toBe("Table 1");
    expect(ownLabel("table", "Terrace 2", 2)).toBe("Terrace 2");
    expect(ownLabel("round", "Round 3", 3)).toBe("");
    expect(ownLabel("round", "Keynote", 3)).toBe("Keynote");
    expect(ownLabel("round", undefined, 3)).toBe("");
  });
});

describe("choosing the language", () => {
  afterEach(() => vi.unstubAllGlobals());
  it("the asked-for language, else the stored choice, else the browser's", () => {
    expect(pickLang(["de-AT"], null)).toBe("de");
    expect(pickLang(["de-AT"], "en")).toBe("en");
    vi.stubGlobal("navigator", { languages: ["de-DE", "en"], language: "de-DE" });
    vi.stubGlobal("localStorage", { getItem: () => null, setItem: () => undefined });
    expect(startLang()).toBe("de");
    expect(startLang("en")).toBe("en");
    expect(startLang("xx")).toBe("de");
    vi.stubGlobal("localStorage", { getItem: () => "en", setItem: () => undefined });
    expect(startLang()).toBe("en");
    expect(startLang("de")).toBe("de");
  });
  it("fills placeholders and plurals", () => {
    expect(fill("{a} and {b}", { a: 1 })).toBe("1 and {b}");
    expect(count(ENGLISH, "moves", 1)).toBe("1 meeting moves");
    expect(count(ENGLISH, "moves", 3)).toBe("3 meetings move");
  });
});
