/**
 * The moderator console: the clock's moment, the alerts (with the two answers to a missing
 * partner), and a rounds × tables grid coloured by meeting status.
 */
import "./styles/base.css";
import "./styles/moderate.css";
import { CommandError } from "./lib/connection";
import { formatCountdown, moment, phaseAt } from "./lib/phases";
import type { AlertRecord, MeetingRecord } from "./lib/protocol";
import { ACTIVE_STATUSES, formatClockTime, timelineOf } from "./lib/views";
import { bindStatus, boot } from "./ui/boot";
import { byId, h, setText } from "./ui/dom";
import { MEETING_STATUS_LABEL, PHASE_LABEL, roundName } from "./ui/labels";

const TICK_MS = 250;
const GLYPH: Record<MeetingRecord["status"], string> = { requested: "?", scheduled: "•", held: "✓", no_show: "✗", cancelled: "–" };

const page = boot("moderator");
if (page !== null) {
  const { conn } = page;
  const store = conn.store;
  const el = {
    eventName: byId("event-name"),
    moment: byId("moment"),
    alerts: byId("alerts"),
    alertCount: byId("alert-count"),
    notice: byId("notice"),
    grid: byId<HTMLTableElement>("grid"),
  };
  bindStatus(byId("conn"), conn);

  const nameOf = (id: string): string => store.get("participant", id)?.name ?? id;
  const tz = (): string | undefined => store.single("event")?.timezone;
  const people = (m: MeetingRecord): string => `${m.side_a.map(nameOf).join(", ")} – ${m.side_b.map(nameOf).join(", ")}`;

  conn.on("state", () => {
    setText(el.eventName, store.single("event")?.name ?? "Matchboard");
    renderAlerts();
    renderGrid();
    tick();
  });

  function tick(): void {
    const now = conn.serverNowMs();
    const m = moment(timelineOf(store), now);
    const what = m.phase === "break" ? m.break?.label || "Break" : m.round ? `${roundName(m.round)} · ${PHASE_LABEL[m.phase]}` : PHASE_LABEL[m.phase];
    const countdown = m.remainingMs === null ? "" : ` ${formatCountdown(m.remainingMs)}`;
    setText(el.moment, `${what}${countdown}${m.paused ? " · PAUSED" : ""}`);
    // The grid's rows are coloured by phase: redraw it when a round changes phase.
    const t = timelineOf(store);
    const phases = t.rounds.map((r) => phaseAt(r, now, t.warningS, t.clock)).join();
    if (phases !== gridPhases) renderGrid();
  }

  function renderAlerts(): void {
    const alerts = store.list("alert").sort((a, b) => Number(b.status === "open") - Number(a.status === "open") || b.since_ms - a.since_ms);
    const open = alerts.filter((a) => a.status === "open");
    setText(el.alertCount, open.length ? String(open.length) : "");
    el.alerts.replaceChildren(...alerts.slice(0, open.length + 10).map(alertItem));
    if (alerts.length === 0) el.alerts.append(h("li", { class: "empty", text: "No alerts." }));
  }

  function alertItem(alert: AlertRecord): HTMLLIElement {
    const kind = alert.kind === "missing_partner" ? "partner missing" : "someone not checked in";
    // For a missing partner the reporter is the one waiting; at risk, the first one absent.
    const who = alert.kind === "missing_partner" ? `reported by ${nameOf(alert.reporter)}` : `not here: ${nameOf(alert.reporter)}`;
    const where = `Round ${alert.round}${alert.table !== null ? ` · table ${alert.table}` : ""}`;
    const meeting = store.get("meeting", alert.meeting);
    const since = formatClockTime(alert.since_ms, tz());
    return h(
      "li",
      { class: `alert alert-${alert.status}` },
      h("div", { class: "alert-what", text: `${where}: ${kind}` }),
      h("div", { class: "alert-who", text: `${meeting ? people(meeting) : alert.meeting} · ${who} since ${since}` }),
      alert.status === "open"
        ? h(
            "div",
            { class: "alert-actions" },
            h("button", { text: "Keep waiting", attrs: { type: "button" }, on: { click: () => void run("keep_waiting", { alert: alert.id }) } }),
            h("button", { text: "Mark absent", attrs: { type: "button" }, on: { click: () => void run("mark_absent", { meeting: alert.meeting }) } }),
          )
        : h("div", { class: "alert-resolution", text: alert.resolution || "resolved" }),
    );
  }

  let gridPhases = "";
  function renderGrid(): void {
    const tables = store.list("table");
    const rounds = store.list("round");
    const now = conn.serverNowMs();
    const { warningS, clock } = timelineOf(store);
    gridPhases = rounds.map((r) => phaseAt(r, now, warningS, clock)).join();
    // One meeting per cell: the one that holds the table, else the latest cancelled/no-show.
    const cells = new Map<string, MeetingRecord>();
    for (const m of store.list("meeting")) {
      if (m.round === null || m.table === null) continue;
      const key = `${m.round}:${m.table}`;
      const had = cells.get(key);
      if (had === undefined || (!ACTIVE_STATUSES.has(had.status) && ACTIVE_STATUSES.has(m.status))) cells.set(key, m);
    }
    const alerted = new Set(store.list("alert").filter((a) => a.status === "open").map((a) => a.meeting));
    const head = h("tr", {}, h("th", { text: "Round" }), ...tables.map((t) => h("th", { text: String(t.number), title: t.label || t.zone })));
    const rows = rounds.map((r) => {
      const phase = phaseAt(r, now, warningS, clock);
      return h(
        "tr",
        { class: `phase-${phase}` },
        h("th", { text: `${r.index} · ${formatClockTime(r.starts_at_ms, tz())}`, title: PHASE_LABEL[phase] }),
        ...tables.map((t) => {
          const m = cells.get(`${r.index}:${t.number}`);
          if (m === undefined) return h("td", { class: "cell" });
          const alert = alerted.has(m.id);
          return h("td", {
            class: `cell st-${m.status}${alert ? " has-alert" : ""}`,
            text: alert ? "!" : GLYPH[m.status],
            title: `${people(m)} (${MEETING_STATUS_LABEL[m.status]}, ${m.id})`,
          });
        }),
      );
    });
    el.grid.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  async function run(name: string, args: Record<string, unknown>): Promise<void> {
    setText(el.notice, "…");
    try {
      await conn.command(name, args);
      setText(el.notice, `${name}: done`);
    } catch (err) {
      setText(el.notice, err instanceof CommandError ? `${name}: ${err.message}` : String(err));
    }
  }

  setInterval(tick, TICK_MS);
  tick();
  conn.start();
}
