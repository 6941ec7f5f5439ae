/** The rounds × tables grid: status colours, at-risk, origins; click a cell to select it. */
import { ownLabel } from "../lib/i18n";
import { phaseAt, type Phase } from "../lib/phases";
import type { MeetingRecord } from "../lib/protocol";
import { ACTIVE_STATUSES, formatClockTime, timelineOf } from "../lib/views";
import { byId, h } from "../ui/dom";
import { meetingStatusLabel, phaseLabel } from "../ui/labels";
import type { Ctx } from "./ctx";
import { cellClasses } from "./logic";

const GLYPH: Record<MeetingRecord["status"], string> = { requested: "?", scheduled: "•", held: "✓", no_show: "✗", cancelled: "–" };

export function gridPanel(ctx: Ctx): { render(): void; phasesKey(now: number): string } {
  const grid = byId<HTMLTableElement>("grid");
  const { store, conn, t } = ctx;
  const phasesKey = (now: number): string => {
    const tl = timelineOf(store);
    return tl.rounds.map((r) => phaseAt(r, now, tl.warningS, tl.clock)).join();
  };
  grid.addEventListener("click", (e) => {
    const td = (e.target as HTMLElement).closest<HTMLElement>("td[data-meeting]");
    if (td) ctx.select(td.dataset.meeting ?? null);
  });
  function render(): void {
    const tables = store.list("table");
    const rounds = store.list("round");
    const now = conn.serverNowMs();
    const { warningS, clock } = timelineOf(store);
    const cells = new Map<string, MeetingRecord>();
    for (const m of store.list("meeting")) {
      if (m.round === null || m.table === null) continue;
      const key = `${m.round}:${m.table}`;
      const had = cells.get(key);
      if (had === undefined || (!ACTIVE_STATUSES.has(had.status) && ACTIVE_STATUSES.has(m.status))) cells.set(key, m);
    }
    const alerted = new Set(store.list("alert").filter((a) => a.status === "open").map((a) => a.meeting));
    const present = (id: string): boolean | undefined => store.get("participant", id)?.present;
    const head = h("tr", {}, h("th", { text: t("gridRound"), attrs: { scope: "col" } }), ...tables.map((tb) => h("th", { text: String(tb.number), title: ownLabel("table", tb.label, tb.number) || tb.zone, attrs: { scope: "col" } })));
    const rows = rounds.map((r) => {
      const phase: Phase = phaseAt(r, now, warningS, clock);
      const current = phase === "seating" || phase === "running" || phase === "last_minutes";
      return h(
        "tr",
        { class: `phase-${phase}${current ? " current" : ""}` },
        h("th", { text: `${r.index} · ${formatClockTime(r.starts_at_ms, ctx.tz(), ctx.words.lang)}`, title: phaseLabel(phase, t), attrs: { scope: "row" } }),
        ...tables.map((tb) => {
          const m = cells.get(`${r.index}:${tb.number}`);
          if (m === undefined) return h("td", { class: "cell" });
          const alert = alerted.has(m.id);
          const cls = cellClasses(m, phase, present, alert);
          if (m.id === ctx.selected) cls.push("selected");
          const risk = cls.includes("at-risk");
          return h("td", {
            class: cls.join(" "),
            text: alert ? "!" : risk ? "⚠" : m.origin === "substitute" ? "S" : m.origin === "walk_in" ? "W" : GLYPH[m.status],
            title: `${ctx.people(m)} (${meetingStatusLabel(m.status, t)}${m.origin !== "planned" ? `, ${t(`or_${m.origin}`)}` : ""}${risk ? `, ${t("at_risk")}` : ""}, ${m.id})`,
            attrs: { "data-meeting": m.id },
          });
        }),
      );
    });
    grid.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }
  return { render, phasesKey };
}
