import { describe, expect, it } from "vitest";
import { termsOf } from "../lib/i18n";
import { DICT, LANGS, pickLang, translate } from "./i18n";

describe("pickLang", () => {
  it("follows the browser's languages", () => {
    expect(pickLang(["de-DE", "en"])).toBe("de");
    expect(pickLang(["fr-FR", "de-AT"])).toBe("de");
    expect(pickLang(["en-GB", "de"])).toBe("en");
  });
  it("falls back to English", () => {
    expect(pickLang([])).toBe("en");
    expect(pickLang(["fr", "it"])).toBe("en");
  });
  it("prefers a stored choice, ignoring junk", () => {
    expect(pickLang(["de"], "en")).toBe("en");
    expect(pickLang(["en"], "de")).toBe("de");
    expect(pickLang(["de"], "xx")).toBe("de");
    expect(pickLang(["en"], null)).toBe("en");
  });
});

describe("dictionary", () => {
  it("has every key in every language, non-empty, with the same placeholders", () => {
    const keys = Object.keys(DICT.en).sort();
    for (const lang of LANGS) {
      expect(Object.keys(DICT[lang]).sort()).toEqual(keys);
      for (const key of keys) {
        const text = DICT[lang][key as keyof typeof DICT.en];
        expect(text.length).toBeGreaterThan(0);
        // The event's words ({Round}, {table}...) are said where the language needs them.
        const vars = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).filter((v) => !/^\{(round|table)\}$/i.test(v)).sort();
        expect(vars(text)).toEqual(vars(DICT.en[key as keyof typeof DICT.en]));
      }
    }
  });
  it("fills placeholders", () => {
    expect(translate("en", "n_table", { from: 9, to: 14 })).toBe("Your table changed from 9 to 14.");
    expect(translate("de", "hello", { name: "Anna" })).toBe("Hallo Anna");
  });
  it("says the event's words for round and table, the German form on a German phone", () => {
    expect(translate("en", "round", { n: 3 })).toBe("Round 3");
    expect(translate("de", "table", { n: 9 })).toBe("Tisch 9");
    const settings = { round_label: "Slot", table_label: "Booth", round_label_de: "Gesprächsrunde", table_label_de: "" };
    expect(translate("en", "round", { n: 3 }, termsOf(settings, "en"))).toBe("Slot 3");
    expect(translate("en", "round_starts", {}, termsOf(settings, "en"))).toBe("This slot starts in");
    expect(translate("de", "round", { n: 3 }, termsOf(settings, "de"))).toBe("Gesprächsrunde 3");
    expect(translate("de", "table", { n: 9 }, termsOf(settings, "de"))).toBe("Booth 9"); // no German form: as it is
    expect(translate("en", "n_table", { from: 9, to: 14 }, termsOf(settings, "en"))).toBe("Your booth changed from 9 to 14.");
  });
});
