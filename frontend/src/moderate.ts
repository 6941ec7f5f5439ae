/**
 * The moderator console: clock controls, alert queue, rounds × tables grid with actions on
 * the selected meeting (dry run → confirm), walk-ins, announcements, stats and audit.
 * The panels live in src/moderate/. English or German (EN/DE buttons, remembered), with
 * the event's own words for "round" and "table" (moderate/i18n.ts).
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
import { startLang, Words } from "./lib/i18n";
import { MODERATE } from "./moderate/i18n";
import { phaseLabel, roundName } from "./ui/labels";
import { langButtons, sayFixedWords } from "./ui/lang";

const TICK_MS = 250;

const words = new Words(MODERATE, startLang());
const t = words.t;
document.documentElement.lang = words.lang;

const page = boot("moderator", { say: (problem) => t(`link_${problem}`) });
if (page !== null) {
  const { conn, config } = page;
  const store = conn.store;
  const ctx = makeCtx(conn, words);
  const el = { eventName: byId("event-name"), moment: byId("moment") };
  const status = bindStatus(byId("conn"), conn, t);

  const grid = gridPanel(ctx);
  const alerts = alertsPanel(ctx);
  const meeting = meetingPanel(ctx);
  // The panels built once with their words are built again when the words change.
  const built = () => ({
    clock: clockBar(ctx, [rescheduleButton(ctx, scheduleCall(config.event, config.token, t))]),
    walkIn: walkInPanel(ctx),
    announce: announcePanel(ctx),
    stats: statsPanel(ctx),
    links: linksPanel(ctx),
    printing: printPanel(ctx, config.event, config.token, () => moment(timelineOf(store), conn.serverNowMs()).round?.index ?? null),
  });
  let { clock, walkIn, announce, stats, links, printing } = built();
  const audit = auditPanel(ctx);
  ctx.onSelect.push(grid.render);

  /** Everything again in the current words (another language, or the event's words changed). */
  function relabel(): void {
    document.title = t("title");
    sayFixedWords(t);
    status();
    ({ clock, walkIn, announce, stats, links, printing } = built());
    for (const panel of [grid, alerts, meeting, clock, walkIn, announce, links, printing]) panel.render();
    audit.tick();
    stats.refresh();
    tick();
  }
  const lang = langButtons(words, relabel);

  let gridPhases = "";
  conn.on("state", (msg) => {
    if (msg.type === "update") audit.add(msg);
    const before = words.key;
    words.setEvent(store.single("event")?.settings);
    if (words.key !== before) {
      lang.render();
      relabel();
    }
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
    const what = m.phase === "break" ? m.break?.label || t("break") : m.round ? `${roundName(m.round, t)} · ${phaseLabel(m.phase, t)}` : phaseLabel(m.phase, t);
    const countdown = m.remainingMs === null ? "" : ` ${formatCountdown(m.remainingMs)}`;
    setText(el.moment, `${what}${countdown}${m.paused ? ` · ${t("pausedTag")}` : ""}`);
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

  document.title = t("title");
  sayFixedWords(t);
  setInterval(tick, TICK_MS);
  tick();
  conn.start();
}
