/**
 * The participant's phone: the current (or next) meeting with table, partner and a live
 * countdown, check-in and "my partner is not here", announcements, and the agenda.
 */
import "./styles/base.css";
import "./styles/phone.css";
import { CommandError } from "./lib/connection";
import { ACTIVE_PHASES, countdownTargetMs, effectiveNow, formatCountdown, phaseAt, type Phase } from "./lib/phases";
import {
  activeAnnouncements,
  agendaChanges,
  agendaOf,
  ACTIVE_STATUSES,
  formatClockTime,
  placements,
  timelineOf,
  type AgendaChange,
  type AgendaItem,
  type Placement,
} from "./lib/views";
import { bindStatus, boot } from "./ui/boot";
import { byId, h, setClass, setText, show } from "./ui/dom";
import { MEETING_STATUS_LABEL, roundName } from "./ui/labels";

const TICK_MS = 250;

const PHONE_PHASE: Partial<Record<Phase, string>> = {
  upcoming: "Seating starts in",
  seating: "Go to your table · starts in",
  running: "Meeting running · ends in",
  last_minutes: "Last minutes · ends in",
};

const page = boot("participant");
if (page !== null) {
  const { conn } = page;
  const store = conn.store;
  const el = {
    eventName: byId("event-name"),
    hello: byId("hello"),
    card: byId("card"),
    round: byId("card-round"),
    table: byId("card-table"),
    partner: byId("card-partner"),
    phase: byId("card-phase"),
    countdown: byId("card-countdown"),
    checkIn: byId<HTMLButtonElement>("check-in"),
    missing: byId<HTMLButtonElement>("missing"),
    notice: byId("notice"),
    announcements: byId("announcements"),
    agenda: byId("agenda"),
  };
  bindStatus(byId("conn"), conn);

  let agenda: AgendaItem[] = [];
  let current: AgendaItem | null = null;

  const nameOf = (id: string): string => store.get("participant", id)?.name ?? "your partner";
  const tz = (): string | undefined => store.single("event")?.timezone;

  let known: Map<string, Placement> | null = null; // where my meetings were: null before the first state

  conn.on("state", () => {
    const me = store.single("me");
    agenda = me === null ? [] : agendaOf(me.id, store.list("meeting"), store.list("round"));
    if (known !== null) tell(agendaChanges(known, agenda));
    known = placements(agenda);
    setText(el.eventName, store.single("event")?.name ?? "Matchboard");
    setText(el.hello, me ? `Hello ${me.name}` : "");
    renderAgenda();
    tick();
  });

  function renderAgenda(): void {
    el.agenda.replaceChildren(
      ...agenda.map(({ meeting, round, partners }) =>
        h(
          "li",
          { class: `st-${meeting.status}` },
          h("span", { class: "ag-time", text: round ? formatClockTime(round.starts_at_ms, tz()) : "" }),
          h("span", { class: "ag-round", text: round ? roundName(round) : `Round ${meeting.round}` }),
          h("span", { class: "ag-table", text: meeting.table !== null ? `Table ${meeting.table}` : "" }),
          h("span", { class: "ag-with", text: partners.map(nameOf).join(", ") }),
          ACTIVE_STATUSES.has(meeting.status) ? null : h("span", { class: "ag-status", text: MEETING_STATUS_LABEL[meeting.status] }),
        ),
      ),
    );
    if (agenda.length === 0) el.agenda.append(h("li", { class: "empty", text: "No meetings yet." }));
  }

  function tick(): void {
    const now = conn.serverNowMs();
    const timeline = timelineOf(store);
    renderAnnouncements(now);
    // The first meeting still on: being seated, running, or the next to come.
    current = null;
    let phase: Phase = "idle";
    for (const item of agenda) {
      if (item.round === null || !ACTIVE_STATUSES.has(item.meeting.status)) continue;
      const p = phaseAt(item.round, now, timeline.warningS, timeline.clock);
      if (p === "ended" || p === "skipped") continue;
      current = item;
      phase = p;
      break;
    }
    setClass(el.card, `card phase-${phase}`);
    const me = store.single("me");
    show(el.checkIn, me !== null && me.checked_in_at_ms == null && me.departed_at_ms == null);
    show(el.missing, current !== null && ACTIVE_PHASES.has(phase));

    if (current === null || current.round === null) {
      setText(el.round, agenda.length > 0 ? "No more meetings" : "");
      setText(el.table, "");
      setText(el.partner, "");
      setText(el.phase, "");
      setText(el.countdown, "");
      return;
    }
    const { meeting, round, partners } = current;
    const table = meeting.table === null ? undefined : store.get("table", meeting.table);
    const zone = table?.zone ? ` · ${table.zone}` : "";
    setText(el.round, `${roundName(round)} · ${formatClockTime(round.starts_at_ms, tz())}${zone}`);
    setText(el.table, table?.label || `Table ${meeting.table}`);
    setText(
      el.partner,
      partners
        .map((id) => {
          const p = store.get("participant", id);
          if (p === undefined) return nameOf(id);
          const org = p.organisation ? ` (${p.organisation})` : "";
          const here = p.present === false && ACTIVE_PHASES.has(phase) ? " · not checked in yet" : "";
          return `${p.name}${org}${here}`;
        })
        .join(", "),
    );
    const paused = timeline.clock?.paused_at_ms != null;
    setText(el.phase, (PHONE_PHASE[phase] ?? "") + (paused ? " (paused)" : ""));
    const target = countdownTargetMs(round, phase);
    setText(el.countdown, target === null ? "" : formatCountdown(target - effectiveNow(now, timeline.clock)));
  }

  /** Say what changed in my agenda (a moved table, a cancellation, a new partner). */
  function tell(changes: AgendaChange[]): void {
    if (changes.length === 0) return;
    const where = (p: Placement | null): string => {
      if (p === null) return "";
      const rnd = p.round === null ? undefined : store.get("round", p.round);
      return `${rnd ? roundName(rnd) : `Round ${p.round}`}${p.table !== null ? `, Table ${p.table}` : ""}`;
    };
    const lines = changes.map((c) => {
      switch (c.kind) {
        case "moved":
          return `Changed: your meeting is now in ${where(c.after)} (was ${where(c.before)}).`;
        case "added":
          return `New meeting: ${where(c.after)}.`;
        case "cancelled":
        case "removed":
          return `Cancelled: your meeting in ${where(c.before)}.`;
      }
    });
    setText(el.notice, lines.join(" "));
    navigator.vibrate?.(200);
  }

  function renderAnnouncements(now: number): void {
    const list = activeAnnouncements(store.list("announcement"), now);
    const key = list.map((a) => `${a.id}:${a.text}`).join("|");
    if (el.announcements.dataset.key === key) return;
    el.announcements.dataset.key = key;
    el.announcements.replaceChildren(...list.map((a) => h("p", { class: "announcement", text: a.text })));
  }

  async function run(name: string, args: Record<string, unknown>, done: string): Promise<void> {
    setText(el.notice, "…");
    try {
      await conn.command(name, args);
      setText(el.notice, done);
    } catch (err) {
      setText(el.notice, err instanceof CommandError ? err.message : String(err));
    }
  }

  el.checkIn.addEventListener("click", () => void run("check_in", {}, "You are checked in."));
  el.missing.addEventListener("click", () => {
    if (current !== null) void run("report_missing_partner", { meeting: current.meeting.id }, "The organisers were told; please wait at your table.");
  });

  setInterval(tick, TICK_MS);
  tick();
  conn.start();
}
