/** The EN/DE buttons of a screen (#lang-en, #lang-de in its HTML): the choice is shown
 * (aria-pressed), said to the browser (<html lang>) and remembered (lib/i18n.ts). */
import { LANGS, saveLang, type Lang, type Words } from "../lib/i18n";
import { byId } from "./dom";

export function langButtons<K extends string>(words: Words<K>, changed: () => void): { render(): void } {
  const buttons = LANGS.map((l) => [l, byId<HTMLButtonElement>(`lang-${l}`)] as const);
  const render = (): void => {
    document.documentElement.lang = words.lang;
    for (const [l, b] of buttons) b.setAttribute("aria-pressed", String(l === words.lang));
  };
  const choose = (l: Lang): void => {
    saveLang(l);
    if (l === words.lang) return;
    words.setLang(l);
    render();
    changed();
  };
  for (const [l, b] of buttons) b.addEventListener("click", () => choose(l));
  render();
  return { render };
}

/** Say the page's fixed words again: `data-t="key"` is an element's text,
 * `data-t-label="key"` its aria-label. */
export function sayFixedWords(t: (key: never) => string, root: ParentNode = document): void {
  const say = t as (key: string) => string;
  for (const el of root.querySelectorAll<HTMLElement>("[data-t]")) el.textContent = say(el.dataset.t!);
  for (const el of root.querySelectorAll<HTMLElement>("[data-t-label]")) el.setAttribute("aria-label", say(el.dataset.tLabel!));
}
