/**
 * The alert queue: one card per meeting with a problem, the current round's first and the
 * most urgent on top, with the fix in the card itself. "Mark absent" turns the card into
 * "needs a partner" and lists the ranked substitutes at once; one more click seats one.
 */
import { moment } from "../lib/phases";
import type { AlertRecord, ResultMessage } from "../lib/protocol";
import { timelineOf } from "../lib/views";
import { byId, h, setText } from "../ui/dom";
import type { Ctx } from "./ctx";
import { formatAge } from "./logic";
import { countByKind, orderAlerts, presenceOf } from "./queue";

interface Candidate {
  participant: string;
  name: string;
  organisation?: string;
  score?: number;
  reasons?: string[];
}

interface Found {
  list: Candidate[] | "loading";
  atMs: number;
}

const REFIND_EMPTY_MS = 15_000; // nobody was free: look again this often

export function alertsPanel(ctx: Ctx): { render(): void; tick(): void } {
  const list = byId("alerts");
  const count = byId("alert-count");
  const kinds = byId("alert-kinds");
  const found = new Map<string, Found>(); // alert id → substitutes found for whoever waits
  const { store, conn, t } = ctx;
  const kindLabel = (kind: AlertRecord["kind"]): string => t(`kind_${kind}`);

  const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });
  const present = (id: string): boolean | undefined => store.get("participant", id)?.present;
  const names = (ids: readonly string[]): string => ids.map(ctx.nameOf).join(", ");

  async function findSubs(a: AlertRecord, waiting: string): Promise<void> {
    found.set(a.id, { list: "loading", atMs: conn.serverNowMs() });
    render();
    const data = await ctx.ask("suggest_substitutes", { participant: waiting, round: a.round, limit: 5 });
    found.set(a.id, { list: (data?.candidates as Candidate[] | undefined) ?? [], atMs: conn.serverNowMs() });
    render();
  }

  /** Mark absent; its answer already holds the substitutes for whoever is left waiting. */
  async function markAbsent(a: AlertRecord, w: { waiting: string; missing: string[] }): Promise<void> {
    const done = t("markedAbsent", { names: names(w.missing), name: ctx.nameOf(w.waiting) });
    const res: ResultMessage | null = await ctx.run("mark_absent", { meeting: a.meeting }, done);
    const candidates = res?.data?.candidates as Candidate[] | undefined;
    if (candidates !== undefined) found.set(a.id, { list: candidates, atMs: conn.serverNowMs() });
    render();
  }

  function who(a: AlertRecord): { text: string; waiting: string; missing: string[] } {
    const m = store.get("meeting", a.meeting);
    const p = presenceOf(a, m, present);
    const parts: string[] = [];
    if (p.waiting) parts.push(t(a.kind === "at_risk" ? "isHere" : "isHereWaits", { name: ctx.nameOf(p.waiting) }));
    const others = p.here.filter((id) => id !== p.waiting);
    if (others.length) parts.push(t("isHere", { name: names(others) }));
    if (!p.here.length) parts.push(t("nobodyHere", { names: names(p.missing) }));
    else if (p.missing.length) parts.push(t(a.kind === "needs_partner" ? "didNotCome" : "notHereNames", { names: names(p.missing) }));
    else parts.push(t("allCheckedIn"));
    return { text: parts.join(" · "), waiting: p.waiting, missing: p.missing };
  }

  function substitutes(a: AlertRecord, waiting: string): HTMLElement {
    const f = found.get(a.id);
    if (f === undefined || f.list === "loading") return h("div", { class: "subs", text: t("lookingSubs") });
    if (f.list.length === 0) {
      return h("div", { class: "subs subs-none", text: t("noSubs", { name: ctx.nameOf(waiting) }) });
    }
    const seat = (c: Candidate): void => {
      const done = a.table !== null ? t("nowMeetsAt", { a: ctx.nameOf(waiting), b: c.name, n: a.table }) : t("nowMeets", { a: ctx.nameOf(waiting), b: c.name });
      void ctx.run("accept_substitute", { participant: waiting, substitute: c.participant, round: a.round }, done).then(() => found.delete(a.id));
    };
    return h(
      "ul",
      { class: "subs" },
      ...f.list.map((c) =>
        h("li", {}, btn(t("seat", { name: c.name }), () => seat(c), "primary"), h("span", { class: "reasons", text: [c.organisation, ...(c.reasons ?? [])].filter(Boolean).join(" · ") })),
      ),
    );
  }

  function item(a: AlertRecord): HTMLLIElement {
    const now = conn.serverNowMs();
    const w = who(a);
    const where = a.table !== null ? t("alertWhereTable", { r: a.round, n: a.table }) : t("alertWhere", { r: a.round });
    const since = a.reported_at_ms ?? a.since_ms;
    const actions: HTMLElement[] = [];
    if (a.kind === "needs_partner") {
      actions.push(btn(t("freeRound"), () => void ctx.run("keep_waiting", { alert: a.id }, t("isFree", { name: ctx.nameOf(w.waiting) }))));
      actions.push(btn(t("findAgain"), () => void findSubs(a, w.waiting), "quiet"));
    } else {
      if (w.missing.length && w.waiting) actions.push(btn(t("markAbsent"), () => void markAbsent(a, w), "danger"));
      else if (w.missing.length) actions.push(btn(t("markNoShow"), () => void ctx.run("mark_absent", { meeting: a.meeting }, t("noShowDone", { names: names(w.missing) }))));
      actions.push(btn(t("keepWaiting"), () => void ctx.run("keep_waiting", { alert: a.id })));
    }
    actions.push(btn(t("show"), () => ctx.select(a.meeting), "quiet"));
    return h(
      "li",
      { class: `alert alert-${a.kind}`, attrs: { "data-alert": a.id, "data-meeting": a.meeting } },
      h("div", { class: "alert-what" }, h("b", { text: where }), ` · ${kindLabel(a.kind)} · `, h("span", { class: "age", text: formatAge(since, now, t), attrs: { "data-since": String(since) } })),
      h("div", { class: "alert-who", text: w.text }),
      h("div", { class: "alert-actions" }, ...actions),
      a.kind === "needs_partner" && w.waiting ? substitutes(a, w.waiting) : null,
    );
  }

  function currentRound(): number | null {
    const m = moment(timelineOf(store), conn.serverNowMs());
    return m.phase === "seating" || m.phase === "running" || m.phase === "last_minutes" ? (m.round?.index ?? null) : null;
  }

  function render(): void {
    const someoneHere = (a: AlertRecord): boolean => presenceOf(a, store.get("meeting", a.meeting), present).here.length > 0;
    const open = orderAlerts(store.list("alert"), currentRound(), someoneHere);
    for (const id of found.keys()) if (!open.some((a) => a.id === id)) found.delete(id);
    for (const a of open) {
      if (a.kind !== "needs_partner" || found.has(a.id)) continue;
      const waiting = presenceOf(a, store.get("meeting", a.meeting), present).waiting;
      if (waiting) void findSubs(a, waiting);
    }
    setText(count, open.length ? String(open.length) : "");
    kinds.replaceChildren(...countByKind(open).map(([kind, n]) => h("span", { class: `kind kind-${kind}`, text: t("kindCount", { n, kind: ctx.words.lang === "en" ? kindLabel(kind).toLowerCase() : kindLabel(kind) }) })));
    list.replaceChildren(...open.map(item));
    if (open.length === 0) list.append(h("li", { class: "empty", text: t("noAlerts") }));
  }

  function tick(): void {
    const now = conn.serverNowMs();
    for (const el of list.querySelectorAll<HTMLElement>(".age")) setText(el, formatAge(Number(el.dataset.since), now, t));
    for (const a of store.list("alert")) {
      const f = found.get(a.id);
      if (a.status !== "open" || f === undefined || f.list === "loading" || f.list.length > 0 || now - f.atMs < REFIND_EMPTY_MS) continue;
      const waiting = presenceOf(a, store.get("meeting", a.meeting), present).waiting;
      if (waiting) void findSubs(a, waiting);
    }
  }
  return { render, tick };
}
