/**
 * The participant's phone: the current (or next) meeting with table, partner and a live
 * countdown, check-in and "my partner is not here", what changed for me (notices above the
 * card, each naming its round), announcements, the next meetings and the agenda by day.
 * When my partner did not come the card stays on that round and says what happens now.
 * English or German. The last known state is kept in localStorage (per token) and shown at
 * once, marked with its time, until live again. `/p/<token>` becomes `/p/<event>` on first
 * load; the token stays on the phone (ui/boot.ts).
 */
import "./styles/base.css";
import "./styles/phone.css";
import type { Status, StatusDetail } from "./lib/connection";
import { CommandError } from "./lib/connection";
import { ACTIVE_PHASES, countdownTargetMs, effectiveNow, formatCountdown, phaseAt, type Phase } from "./lib/phases";
import type { SnapshotData } from "./lib/protocol";
import { Store } from "./lib/store";
import { activeAnnouncements, agendaOf, ACTIVE_STATUSES, formatClockTime, timelineOf, type AgendaItem } from "./lib/views";
import { boot } from "./ui/boot";
import { byId, h, setClass, setText, show } from "./ui/dom";
import { langButtons } from "./ui/lang";
import { cacheKey, dayLabel, groupByDay, parseSaved } from "./phone/agenda";
import { calendarLinks } from "./phone/calendarLink";
import { cardOf } from "./phone/card";
import { ownLabel, startLang, Words } from "./lib/i18n";
import { DICT, type Key } from "./phone/i18n";
import { dismissNotice, noticesKey, parseNotices, pushNotices, renderNotices, type Shown } from "./phone/noticeList";
import { noticesOf, phoneStateOf, type Notice, type PhoneState } from "./phone/notices";
import { cardMessage, statusText, type Say } from "./phone/noticeText";
import { cacheAssets, readStorage, removeStorage, writeStorage } from "./phone/offline";

const TICK_MS = 250;
const NEXT_COUNT = 3;
const PHASE_KEY: Partial<Record<Phase, Key>> = {
  upcoming: "upcoming",
  seating: "seating",
  running: "running",
  last_minutes: "last_minutes",
};
const KNOWN_ERRORS: ReadonlySet<string> = new Set(["err_not_connected", "err_invalid_argument", "err_round_over", "err_forbidden", "err_outcome_unknown"]);
const CLOSE_KEY: Record<number, Key> = { 4001: "conn_invalid", 4004: "conn_noevent", 4005: "conn_revoked" };

// The page's words: the language (lib/i18n.ts), the event's words for "round" and "table".
const words = new Words(DICT, startLang());
const t = words.t;

const page = boot("participant", {
  say: (problem) => t(`link_${problem}`),
  // A revoked link's offline agenda and notices go too: they belong to whoever held it.
  onForget: (token) => [cacheKey(token), noticesKey(token)].forEach(removeStorage),
});
if (page !== null) {
  const { conn, config } = page;
  const el = {
    eventName: byId("event-name"),
    conn: byId("conn"),
    stale: byId("stale"),
    hello: byId("hello"),
    card: byId("card"),
    round: byId("card-round"),
    table: byId("card-table"),
    partner: byId("card-partner"),
    warn: byId("partner-warn"),
    message: byId("card-message"),
    phase: byId("card-phase"),
    countdown: byId("card-countdown"),
    checkIn: byId<HTMLButtonElement>("check-in"),
    missing: byId<HTMLButtonElement>("missing"),
    notices: byId("notice"), // what changed for me, above the card
    feedback: byId("feedback"), // the answer to my last button press, in the card
    announcements: byId("announcements"),
    nextSection: byId("next-section"),
    nextTitle: byId("next-title"),
    next: byId("next"),
    agendaTitle: byId("agenda-title"),
    agenda: byId("agenda"),
    calendar: byId("calendar"),
    calendarSubscribe: byId<HTMLAnchorElement>("calendar-subscribe"),
    calendarFile: byId<HTMLAnchorElement>("calendar-file"),
  };
  // EN / DE: the choice is remembered; everything is said again, notices too (they are
  // data, said again in the new language).
  const lang = langButtons(words, () => {
    nextKey = "";
    renderStatic();
    tick();
  });
  const calendar = calendarLinks(config.token, location.href);
  if (calendar !== null) {
    el.calendarSubscribe.href = calendar.subscribe;
    el.calendarFile.href = calendar.file;
    el.calendar.hidden = false;
  }

  // -- The state shown: live, else the saved copy --------------------------------------------
  const storageKey = cacheKey(config.token);
  let store: Store = conn.store;
  let savedAtMs: number | null = null;
  const saved = parseSaved(readStorage(storageKey));
  if (saved !== null) {
    const offline = new Store();
    try {
      offline.apply({ type: "snapshot", epoch: "saved", version: 0, server_ms: saved.savedAtMs, data: saved.data as SnapshotData });
      store = offline;
      savedAtMs = saved.savedAtMs;
    } catch {
      store = conn.store;
    }
  }

  let agenda: AgendaItem[] = [];
  let views: PhoneState | null = null; // what notices compare with; null before any state
  const noticeKey = noticesKey(config.token);
  let shown: Shown[] = parseNotices(readStorage(noticeKey), Date.now());
  let current: AgendaItem | null = null; // the meeting the card shows (not while waiting)
  let currentPhase: Phase = "idle";
  let status: Status = conn.status;
  let statusDetail: StatusDetail = {};
  let busy = false;

  const tz = (): string | undefined => store.single("event")?.timezone;
  const say = (): Say => ({ lang: words.lang, timeZone: tz(), terms: words.terms });
  const nameOf = (id: string): string => store.get("participant", id)?.name ?? t("yourPartner");
  const roundLabel = (index: number | null): string => {
    const rnd = index === null ? undefined : store.get("round", index);
    return ownLabel("round", rnd?.label, index) || t("round", { n: index ?? "?" });
  };
  /** The table's label ("Table 9", "Terrace 2"), else "Table 9" in the page's language. */
  const tableLabel = (n: number | null): string | null => {
    if (n === null) return null;
    return ownLabel("table", store.get("table", n)?.label, n) || t("table", { n });
  };
  const clock = (ms: number | null): string => (ms === null ? "" : formatClockTime(ms, tz(), words.lang));

  /** Recompute the agenda from `store`; tell what changed since the last one. */
  function refresh(tellChanges: boolean): void {
    const me = store.single("me");
    agenda = me === null ? [] : agendaOf(me.id, store.list("meeting"), store.list("round"));
    const next = phoneStateOf(store);
    if (tellChanges && views !== null && next !== null) tell(noticesOf(views, next));
    if (tellChanges || savedAtMs !== null) views = next; // nothing known yet: not a baseline
    renderStatic();
    tick();
  }

  conn.on("state", () => {
    store = conn.store;
    savedAtMs = null;
    refresh(true); // the first live state is compared with the saved copy: what changed while away
    savedAtMs = Date.now();
    writeStorage(storageKey, JSON.stringify({ savedAtMs, data: store.snapshotLike() }));
  });

  conn.on("status", (s, detail) => {
    status = s;
    statusDetail = detail;
    renderStatus();
  });

  function renderStatus(): void {
    setClass(el.conn, `conn conn-${status}`);
    let text = t(`conn_${status}` as Key);
    if (status === "stopped") {
      const key = statusDetail.closeCode !== undefined ? CLOSE_KEY[statusDetail.closeCode] : undefined;
      if (key) text = t(key);
      else if (statusDetail.error?.message) text = `${text}: ${statusDetail.error.message}`;
    }
    setText(el.conn, text);
    el.conn.title = statusDetail.closeCode !== undefined ? `close code ${statusDetail.closeCode}` : "";
    const stale = status !== "live" && savedAtMs !== null;
    show(el.stale, stale);
    if (stale) setText(el.stale, t("lastUpdated", { time: formatClockTime(savedAtMs!, undefined, words.lang) }));
  }

  /** Everything that depends on the state or the language but not on the time. */
  function renderStatic(): void {
    words.setEvent(store.single("event")?.settings);
    lang.render();
    document.title = `Matchboard · ${t("title")}`;
    el.notices.setAttribute("aria-label", t("noticesLabel"));
    setText(el.checkIn, t("checkIn"));
    setText(el.missing, t("missing"));
    setText(el.nextTitle, t("next"));
    setText(el.agendaTitle, t("agenda"));
    setText(el.calendarFile, t("addToCalendar"));
    setText(el.calendarSubscribe, t("calendarSubscribe"));
    setText(el.eventName, store.single("event")?.name ?? "Matchboard");
    const me = store.single("me");
    setText(el.hello, me ? t("hello", { name: me.name }) : "");
    renderStatus();
    renderAgenda();
    drawNotices();
  }

  function row(item: AgendaItem): HTMLLIElement {
    const { meeting, round, partners } = item;
    const table = tableLabel(meeting.table);
    return h(
      "li",
      { class: `st-${meeting.status}` },
      h("span", { class: "ag-time", text: round ? clock(round.starts_at_ms) : "" }),
      h("span", { class: "ag-round", text: roundLabel(meeting.round) }),
      h("span", { class: "ag-table", text: table ?? "" }),
      h("span", { class: "ag-with", text: partners.map(nameOf).join(", ") }),
      ACTIVE_STATUSES.has(meeting.status) ? null : h("span", { class: "ag-status", text: statusText(meeting, store.single("me")?.id ?? "", say()) }),
    );
  }

  function renderAgenda(): void {
    const days = groupByDay(agenda, (i) => i.round?.starts_at_ms ?? null, tz());
    el.agenda.replaceChildren(
      ...days.map((day) => {
        const first = day.items[0]?.round?.starts_at_ms;
        return h(
          "section",
          { class: "day" },
          days.length > 1 || day.key !== "" ? h("h3", { class: "day-title", text: first !== undefined ? dayLabel(first, tz(), words.lang) : "" }) : null,
          h("ol", { class: "agenda" }, ...day.items.map(row)),
        );
      }),
    );
    if (agenda.length === 0) el.agenda.append(h("p", { class: "empty", text: t("noMeetings") }));
  }

  let nextKey = "";
  function renderNext(now: number): void {
    const upcoming = agenda.filter(
      (i) => i !== current && i.round !== null && ACTIVE_STATUSES.has(i.meeting.status) && i.round.starts_at_ms > now,
    );
    const list = upcoming.slice(0, NEXT_COUNT);
    const key = `${words.key}|${list.map((i) => `${i.meeting.id}:${i.meeting.table}:${i.round?.starts_at_ms}:${i.partners.join()}`).join("|")}`;
    if (key === nextKey) return;
    nextKey = key;
    show(el.nextSection, list.length > 0);
    el.next.replaceChildren(...list.map(row));
  }

  function tick(): void {
    const now = store === conn.store ? conn.serverNowMs() : Date.now();
    const timeline = timelineOf(store);
    renderAnnouncements(now);
    const me = store.single("me");
    const card = cardOf(me?.id ?? "", agenda, store.list("alert"), (r) => phaseAt(r, now, timeline.warningS, timeline.clock));
    current = card.mode === "meeting" ? card.item : null;
    const phase: Phase = card.mode === "none" ? "idle" : card.phase;
    currentPhase = phase;
    renderNext(effectiveNow(now, timeline.clock));
    setClass(el.card, `card phase-${phase} mode-${card.mode}`);
    show(el.checkIn, me !== null && me.checked_in_at_ms == null && me.departed_at_ms == null);
    show(el.missing, current !== null && ACTIVE_PHASES.has(phase));
    el.checkIn.disabled = busy;
    el.missing.disabled = busy;

    if (card.mode === "none") {
      setText(el.round, agenda.length > 0 ? t("noMore") : "");
      for (const e of [el.table, el.partner, el.message, el.phase, el.countdown]) setText(e, "");
      show(el.warn, false);
      return;
    }
    const { meeting, round, partners } = card.item;
    if (round === null) return; // cardOf only picks meetings with a round
    const table = meeting.table === null ? undefined : store.get("table", meeting.table);
    // Waiting with nobody to come: no table to go to. Marked absent: the meeting as planned.
    const free = card.mode === "waiting" && card.search === "free";
    const zone = table?.zone && !free ? ` · ${table.zone}` : "";
    setText(el.round, `${roundLabel(round.index)} · ${clock(round.starts_at_ms)}${zone}`);
    setText(el.table, free ? "" : (tableLabel(meeting.table) ?? ""));
    const tableRef = { number: meeting.table, label: table?.label ?? "" };
    setText(el.message, cardMessage(card, tableRef, say()));
    let absent = false;
    setText(
      el.partner,
      card.mode === "waiting"
        ? ""
        : partners
            .map((id) => {
              const p = store.get("participant", id);
              if (p === undefined) return nameOf(id);
              const org = p.organisation ? ` (${p.organisation})` : "";
              if (p.present === false) absent = true;
              const here = p.present === false && card.mode === "meeting" && ACTIVE_PHASES.has(phase) ? ` · ${t("notCheckedIn")}` : "";
              return `${p.name}${org}${here}`;
            })
            .join(", "),
    );
    // Before walking over: say so when the partner has not checked in.
    const warn = card.mode === "meeting" && absent && phase === "seating";
    show(el.warn, warn);
    if (warn) setText(el.warn, t("notArrived"));
    const paused = timeline.clock?.paused_at_ms != null;
    // Without a meeting to go to, "go to your table" would mislead: just the round's time.
    const label = card.mode === "meeting" ? PHASE_KEY[phase] : phase === "seating" ? "round_starts" : "round_ends";
    setText(el.phase, (label ? t(label) : "") + (paused ? ` ${t("paused")}` : ""));
    const target = countdownTargetMs(round, phase);
    setText(el.countdown, target === null ? "" : formatCountdown(target - effectiveNow(now, timeline.clock)));
  }

  /** Say what changed for me, on top of the notices, with a buzz. */
  function tell(notices: Notice[]): void {
    if (notices.length === 0) return;
    // What the last button press said ("the organisers were told…") is overtaken by news.
    if (!busy) note("", "ok");
    shown = pushNotices(shown, notices, Date.now());
    saveNotices();
    drawNotices();
    try {
      navigator.vibrate?.([200, 100, 200]);
    } catch {
      /* not allowed without a user gesture on some browsers */
    }
  }

  // Redrawn only when the list or the words change: each redraw is read out again.
  let noticesDrawn = "";
  function drawNotices(): void {
    const key = `${words.key}|${tz() ?? ""}|${shown.map((s) => s.id).join()}`;
    if (key === noticesDrawn) return;
    noticesDrawn = key;
    renderNotices(el.notices, shown, say(), (id) => {
      shown = dismissNotice(shown, id);
      saveNotices();
      drawNotices();
    });
  }

  function saveNotices(): void {
    writeStorage(noticeKey, JSON.stringify(shown));
  }

  /** The answer to a button press (checked in, sent, an error), next to the buttons. */
  function note(text: string, kind: "ok" | "error" | "busy"): void {
    setText(el.feedback, text);
    setClass(el.feedback, `feedback feedback-${kind}`);
  }

  let announcementKey = "";
  function renderAnnouncements(now: number): void {
    const list = activeAnnouncements(store.list("announcement"), now);
    const key = list.map((a) => `${a.id}:${a.text}`).join("|");
    if (announcementKey === key) return;
    announcementKey = key;
    el.announcements.replaceChildren(...list.map((a) => h("p", { class: "announcement", text: a.text })));
  }

  async function run(name: string, args: Record<string, unknown>, done: Key): Promise<void> {
    if (busy) return;
    busy = true;
    note(t("sending"), "busy");
    tick();
    try {
      await conn.command(name, args);
      note(t(done), "ok");
    } catch (err) {
      if (err instanceof CommandError) {
        const key = `err_${err.code}`;
        note(KNOWN_ERRORS.has(key) ? t(key as Key) : err.message, "error");
      } else note(String(err), "error");
    } finally {
      busy = false;
      tick();
    }
  }

  el.checkIn.addEventListener("click", () => void run("check_in", {}, "checkedIn"));
  el.missing.addEventListener("click", () => {
    if (current !== null && ACTIVE_PHASES.has(currentPhase)) void run("report_missing_partner", { meeting: current.meeting.id }, "reported");
  });

  refresh(false); // the saved copy, if any, at once
  setInterval(tick, TICK_MS);
  conn.start();
  cacheAssets();
}
