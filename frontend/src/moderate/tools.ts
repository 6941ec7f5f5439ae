/** Clock controls (and the event-wide tools beside them), undo, walk-in, announcements, statistics and the audit list. */
import type { UpdateMessage } from "../lib/protocol";
import { phaseAt } from "../lib/phases";
import { activeAnnouncements, formatClockTime, timelineOf } from "../lib/views";
import { byId, h, setText } from "../ui/dom";
import type { Ctx } from "./ctx";
import { formatAge, pushAudit, searchPeople, throttle, type AuditEntry } from "./logic";

const btn = (text: string, click: () => void, cls = ""): HTMLButtonElement => h("button", { text, class: cls, attrs: { type: "button" }, on: { click } });

export function clockBar(ctx: Ctx, extra: HTMLElement[] = []): { render(): void } {
  const box = byId("clock-controls");
  const t = ctx.t;
  const pause = btn(t("pause"), () => void (ctx.store.single("clock")?.paused_at_ms ? ctx.run("resume_clock") : ctx.run("pause_clock")), "primary");
  box.replaceChildren(
    pause,
    btn("+1 min", () => void ctx.run("extend_round", { minutes: 1 })),
    btn("+5 min", () => void ctx.run("extend_round", { minutes: 5 })),
    btn(t("delayDay"), () => void ctx.confirm(t("delayDayTitle"), "delay_rounds", { minutes: 5 })),
    btn(t("endRound"), () => void ctx.confirm(t("endRoundTitle"), "end_round", {}), "danger"),
    btn(t("startNext"), () => void ctx.confirm(t("startNextTitle"), "start_next_round", {})),
    ...extra,
    // Undo is previewed like any other change: what it reverts and whom that affects.
    btn(t("undo"), () => void ctx.confirm(t("undoTitle"), "undo", {}), "undo"),
  );
  return {
    render() {
      const paused = Boolean(ctx.store.single("clock")?.paused_at_ms);
      setText(pause, paused ? t("resume") : t("pause"));
      pause.className = paused ? "primary paused" : "primary";
    },
  };
}

export function walkInPanel(ctx: Ctx): { render(): void } {
  const { store, t } = ctx;
  const mk = (label: string): { wrap: HTMLElement; sel: HTMLSelectElement; fill(): void } => {
    const input = h("input", { attrs: { type: "search", placeholder: t("typeName", { label }), "aria-label": t("typeName", { label }) } });
    const sel = h("select", { attrs: { "aria-label": label } });
    const fill = (): void => {
      const keep = sel.value;
      sel.replaceChildren(h("option", { text: t("choose", { label }), attrs: { value: "" } }), ...searchPeople(store.list("participant"), input.value).map((p) => h("option", { text: `${p.name}${p.organisation ? ` (${p.organisation})` : ""}${p.present === false ? ` – ${t("notHere")}` : ""}`, attrs: { value: p.id } })));
      sel.value = keep;
      if (sel.value === "" && input.value && sel.options.length === 2) sel.selectedIndex = 1;
    };
    input.addEventListener("input", fill);
    return { wrap: h("div", { class: "pick" }, input, sel), sel, fill };
  };
  const a = mk(t("personA"));
  const b = mk(t("personB"));
  const round = h("select", { attrs: { "aria-label": t("walkInRound") } });
  const go = btn(t("addWalkIn"), () => {
    if (!a.sel.value || !b.sel.value || !round.value) return ctx.notice(t("walkInMissing"), true);
    void ctx.confirm(t("walkInTitle", { a: ctx.nameOf(a.sel.value), b: ctx.nameOf(b.sel.value) }), "walk_in", { side_a: [a.sel.value], side_b: [b.sel.value], round: Number(round.value) });
  }, "primary");
  byId("walkin").replaceChildren(a.wrap, b.wrap, h("div", { class: "action-row" }, round, go));
  return {
    render() {
      a.fill();
      b.fill();
      const now = ctx.conn.serverNowMs();
      const tl = timelineOf(store);
      const keep = round.value;
      const open = store.list("round").filter((r) => !["ended", "skipped"].includes(phaseAt(r, now, tl.warningS, tl.clock)));
      round.replaceChildren(...open.map((r) => h("option", { text: `${t("round_n", { n: r.index })} · ${formatClockTime(r.starts_at_ms, ctx.tz(), ctx.words.lang)}`, attrs: { value: String(r.index) } })));
      if (keep) round.value = keep;
    },
  };
}

export function announcePanel(ctx: Ctx): { render(): void } {
  const t = ctx.t;
  const text = h("textarea", { attrs: { maxlength: "500", rows: "2", placeholder: t("annPlaceholder"), "aria-label": t("annText") } });
  const audience = h("select", { attrs: { "aria-label": t("annAudience") } }, h("option", { text: t("everyone"), attrs: { value: "everyone" } }), h("option", { text: t("hallOnly"), attrs: { value: "hall" } }));
  const expiry = h("input", { attrs: { type: "number", min: "1", max: "1440", placeholder: t("min"), value: "15", title: t("annExpiry"), "aria-label": t("annExpiry") } });
  const list = h("ul", { class: "ann-list" });
  const send = btn(t("announce"), () => {
    const said = text.value.trim();
    if (!said) return;
    const args: Record<string, unknown> = { text: said, audience: audience.value };
    if (expiry.value) args.expires_in_minutes = Number(expiry.value);
    void ctx.run("announce", args).then((r) => {
      if (r) text.value = "";
    });
  }, "primary");
  byId("announce").replaceChildren(text, h("div", { class: "action-row" }, audience, h("label", {}, expiry, ` ${t("min")}`), send), list);
  return {
    render() {
      const now = ctx.conn.serverNowMs();
      const items = activeAnnouncements(ctx.store.list("announcement"), now);
      list.replaceChildren(...items.map((a) => h("li", {}, h("span", { text: `${a.audience === "hall" ? t("hallTag") : ""}${a.text}`, title: a.expires_at_ms ? t("until", { time: formatClockTime(a.expires_at_ms, ctx.tz(), ctx.words.lang) }) : t("noExpiry") }), btn(t("remove"), () => void ctx.run("remove_announcement", { announcement: a.id }), "quiet"))));
    },
  };
}

interface Stats {
  participants?: number;
  checked_in?: number;
  departed?: number;
  kept_rate?: number | null;
  substitutions?: number;
  waiting?: number;
  substitute_wait_median_s?: number | null;
  substitute_wait_worst_s?: number | null;
  rounds?: Record<string, number | null>[];
}

const percent = (rate: number | null | undefined): string => (rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`);
const seconds = (s: number | null | undefined): string => (s === null || s === undefined ? "–" : s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

export function statsPanel(ctx: Ctx): { refresh(): void } {
  const box = byId("stats");
  const t = ctx.t;
  // Per round: the recorded outcomes (once the round has ended) and who is seated now.
  const cols: [key: string, label: string][] = [
    ["outcome_held", t("s_held")],
    ["outcome_no_show", t("s_no_show")],
    ["outcome_substituted", t("s_subst")],
    ["kept_rate", t("s_kept")],
    ["seated", t("s_seated")],
  ];
  const load = async (): Promise<void> => {
    if (ctx.conn.status !== "live") return;
    let s: Stats;
    try {
      s = ((await ctx.conn.command("stats")).data ?? {}) as Stats;
    } catch {
      return; // shown on the next refresh; the stats are not worth a notice
    }
    const kpis: [string, string][] = [
      [t("k_checked_in"), `${s.checked_in ?? "–"}/${s.participants ?? "–"}`],
      [t("k_kept"), percent(s.kept_rate)],
      [t("k_substitutes"), String(s.substitutions ?? "–")],
      [t("k_waiting"), String(s.waiting ?? "–")],
      [t("k_report_seated"), s.substitute_wait_median_s == null ? "–" : t("k_worst", { median: seconds(s.substitute_wait_median_s), worst: seconds(s.substitute_wait_worst_s) })],
      [t("k_departed"), String(s.departed ?? "–")],
    ];
    box.replaceChildren(
      h("div", { class: "kpis" }, ...kpis.map(([l, v]) => h("div", { class: "kpi" }, h("b", { text: v }), h("span", { text: l })))),
      h("table", { class: "stats-table" },
        h("thead", {}, h("tr", {}, h("th", { text: t("s_round"), attrs: { scope: "col" } }), ...cols.map(([, label]) => h("th", { text: label, attrs: { scope: "col" } })))),
        h("tbody", {}, ...(s.rounds ?? []).map((r) => h("tr", {}, h("th", { text: String(r.round), attrs: { scope: "row" } }), ...cols.map(([c]) => h("td", { text: c === "kept_rate" ? (r.kept_rate === null ? "" : percent(r.kept_rate)) : String(r[c] ?? "") }))))),
      ),
    );
  };
  return { refresh: throttle(() => void load(), 2000) };
}

export function auditPanel(ctx: Ctx): { add(msg: UpdateMessage): void; tick(): void } {
  const list = byId("audit");
  let entries: AuditEntry[] = [];
  const render = (): void => {
    const now = ctx.conn.serverNowMs();
    list.replaceChildren(...entries.map((e) => h("li", {}, h("b", { text: e.command }), ` · ${e.actor} · ${formatAge(e.atMs, now, ctx.t)} · v${e.version}`)));
    if (!entries.length) list.append(h("li", { class: "empty", text: ctx.t("noChanges") }));
  };
  render();
  return {
    add(msg) {
      if (!msg.meta) return;
      entries = pushAudit(entries, { version: msg.version, atMs: msg.at_ms, actor: msg.meta.actor, command: msg.meta.command });
      render();
    },
    tick: render,
  };
}
