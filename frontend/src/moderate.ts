/**
 * The moderator console: clock controls, alert queue, rounds × tables grid with actions on
 * the selected meeting (dry run → confirm), walk-ins, announcements, stats and audit.
 * The panels live in src/moderate/.
 */
import "./styles/base.css";
import "./styles/moderate.css";
import { formatCountdown, moment } from "./lib/phases";
import { timelineOf } from "./lib/views";
import { alertsPanel } from "./moderate/alerts";
import { makeCtx } from "./moderate/ctx";
import { gridPanel } from "./moderate/grid";
import { linksPanel } from "./moderate/links";
import { meetingPanel } from "./moderate/meeting";
import { printPanel } from "./moderate/print";
import { rescheduleButton, scheduleCall } from "./moderate/reschedule";
import { announcePanel, auditPanel, clockBar, statsPanel, walkInPanel } from "./moderate/tools";
import { bindStatus, boot } from "./ui/boot";
import { byId, setText } from "./ui/dom";
import { PHASE_LABEL, roundName } from "./ui/labels";

const TICK_MS = 250;

const page = boot("moderator", {
  say: (problem) =>
    ({
      missing: "Open the console with its link (…?token=…): this tab remembers it until it is closed.",
      revoked: "The moderator token was replaced: open the console with the new link.",
      invalid: "The moderator token is not valid (it may have been replaced): open the console with the new link.",
    })[problem],
});
if (page !== null) {
  const { conn, config } = page;
  const store = conn.store;
  const ctx = makeCtx(conn);
  const el = { eventName: byId("event-name"), moment: byId("moment") };
  bindStatus(byId("conn"), conn);

  const grid = gridPanel(ctx);
  const alerts = alertsPanel(ctx);
  const meeting = meetingPanel(ctx);
  const clock = clockBar(ctx, [rescheduleButton(ctx, scheduleCall(config.event, config.token))]);
  const walkIn = walkInPanel(ctx);
  const announce = announcePanel(ctx);
  const stats = statsPanel(ctx);
  const audit = auditPanel(ctx);
  const links = linksPanel(ctx);
  const printing = printPanel(ctx, config.event, config.token, () => moment(timelineOf(store), conn.serverNowMs()).round?.index ?? null);
  ctx.onSelect.push(grid.render);

  let gridPhases = "";
  conn.on("state", (msg) => {
    if (msg.type === "update") audit.add(msg);
    setText(el.eventName, store.single("event")?.name ?? "Matchboard");
    gridPhases = grid.phasesKey(conn.serverNowMs());
    grid.render();
    alerts.render();
    meeting.render();
    clock.render();
    walkIn.render();
    announce.render();
    links.render();
    printing.render();
    stats.refresh();
    tick();
  });
  conn.on("status", (s) => {
    if (s === "live") stats.refresh();
  });

  let lastSlow = 0;
  function tick(): void {
    const now = conn.serverNowMs();
    const m = moment(timelineOf(store), now);
    const what = m.phase === "break" ? m.break?.label || "Break" : m.round ? `${roundName(m.round)} · ${PHASE_LABEL[m.phase]}` : PHASE_LABEL[m.phase];
    const countdown = m.remainingMs === null ? "" : ` ${formatCountdown(m.remainingMs)}`;
    setText(el.moment, `${what}${countdown}${m.paused ? " · PAUSED" : ""}`);
    // Rows are coloured by phase: redraw when a round changes phase.
    const key = grid.phasesKey(now);
    if (key !== gridPhases) {
      gridPhases = key;
      grid.render();
      walkIn.render();
    }
    if (now - lastSlow > 15_000) {
      lastSlow = now;
      alerts.tick();
      audit.tick();
      announce.render();
    }
  }

  setInterval(tick, TICK_MS);
  tick();
  conn.start();
}
