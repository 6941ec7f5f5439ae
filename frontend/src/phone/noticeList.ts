/**
 * The change notices the phone shows above the card: newest first, the last few, each
 * dismissable. The list is data (pure functions, kept across reloads in localStorage);
 * `renderNotices` draws it in the page's language.
 */
import { h } from "../ui/dom";
import { translate } from "./i18n";
import { noticeText, type Say } from "./noticeText";
import type { Notice, NoticeKind } from "./notices";

export const MAX_NOTICES = 3;
/** Kept across a reload for this long: yesterday's news is not news. */
export const KEEP_MS = 6 * 3600_000;

export interface Shown {
  id: number;
  atMs: number; // when it was told
  notice: Notice;
}

/** Notices that are only true until the next word about the same round's partner search
 * ("the organisers are finding you a new partner"): a newer one about that round replaces them. */
const INTERIM: ReadonlySet<NoticeKind> = new Set<NoticeKind>(["partner_absent", "no_substitute"]);
const SEARCH_NEWS: ReadonlySet<NoticeKind> = new Set<NoticeKind>(["replaced", "stepping_in", "partner_absent", "no_substitute", "me_absent"]);

function outdated(older: Notice, fresh: readonly Notice[]): boolean {
  return (
    INTERIM.has(older.kind) &&
    fresh.some((n) => SEARCH_NEWS.has(n.kind) && n.where.round.index === older.where.round.index)
  );
}

/** `fresh` (one update's notices, in round order) on top of `list`, at most `max` kept;
 * an interim word about a partner search gives way to the next word about it. */
export function pushNotices(list: readonly Shown[], fresh: readonly Notice[], atMs: number, max = MAX_NOTICES): Shown[] {
  let id = list.reduce((m, s) => Math.max(m, s.id), 0);
  const added = fresh.map((notice) => ({ id: ++id, atMs, notice }));
  return [...added, ...list.filter((s) => !outdated(s.notice, fresh))].slice(0, max);
}

export function dismissNotice(list: readonly Shown[], id: number): Shown[] {
  return list.filter((s) => s.id !== id);
}

export function noticesKey(token: string): string {
  return `mb-phone-notices:${token}`;
}

const KINDS: ReadonlySet<NoticeKind> = new Set<NoticeKind>([
  "replaced",
  "stepping_in",
  "partner_absent",
  "partner_left",
  "cancelled",
  "not_held",
  "me_absent",
  "me_left",
  "changed",
  "shift",
  "added",
  "reinstated",
  "no_substitute",
]);

function looksShown(x: unknown): x is Shown {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Partial<Shown>;
  const n = s.notice as { kind?: unknown; where?: { round?: unknown } } | undefined;
  return (
    typeof s.id === "number" &&
    typeof s.atMs === "number" &&
    typeof n === "object" &&
    n !== null &&
    KINDS.has(n.kind as NoticeKind) &&
    typeof n.where?.round === "object" &&
    n.where.round !== null
  );
}

/** The saved notices not older than KEEP_MS at `nowMs`; [] for junk. */
export function parseNotices(text: string | null, nowMs: number): Shown[] {
  if (text === null) return [];
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return [];
    return v.filter(looksShown).filter((s) => nowMs - s.atMs < KEEP_MS).slice(0, MAX_NOTICES);
  } catch {
    return [];
  }
}

/** Draw `list` into `el` (empty when there is nothing to tell). */
export function renderNotices(el: HTMLElement, list: readonly Shown[], say: Say, onDismiss: (id: number) => void): void {
  const items: HTMLElement[] = [];
  const latest = list.reduce((m, s) => Math.max(m, s.atMs), 0); // the last update's notices stand out
  for (const s of list) {
    let words;
    try {
      words = noticeText(s.notice, say);
    } catch {
      continue; // a saved notice this version cannot read
    }
    items.push(
      h(
        "div",
        { class: `change-notice cn-${s.notice.kind}${s.atMs === latest ? " cn-latest" : ""}`, attrs: { "data-kind": s.notice.kind } },
        h("p", { class: "cn-body" }, h("strong", { class: "cn-where", text: words.where }), " ", h("span", { class: "cn-text", text: words.text })),
        h("button", {
          class: "cn-dismiss",
          text: "×",
          attrs: { type: "button", "aria-label": translate(say.lang, "dismiss") },
          on: { click: () => onDismiss(s.id) },
        }),
      ),
    );
  }
  el.replaceChildren(...items);
}
