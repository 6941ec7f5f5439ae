/**
 * The hall screen: the current round, its phase and a countdown computed locally from the
 * server clock, the next round, "find your table" pages, announcements, a QR code to the
 * participant page, and the connection state. `?sound=1` beeps on bells; `?page_s=N`
 * keeps a directory page up at most N s instead of 10 (a list still comes round within a
 * minute: lib/directory.ts).
 */
import QRCode from "qrcode";
import "./styles/base.css";
import "./styles/hall.css";
import { participantPageUrl } from "./lib/config";
import { DirectoryView } from "./hall/directory";
import { DEFAULT_LIMITS, directoryRound, type PagerLimits } from "./lib/directory";
import { ACTIVE_PHASES, endsAtMs, formatCountdown, moment, type Moment, type Phase } from "./lib/phases";
import type { BellRecord, RoundRecord, UpdateMessage } from "./lib/protocol";
import { activeAnnouncements, formatClockTime, timelineOf } from "./lib/views";
import { Bell } from "./ui/bell";
import { bindStatus, boot } from "./ui/boot";
import { byId, setClass, setText, show } from "./ui/dom";
import { PHASE_LABEL, roundName } from "./ui/labels";

const TICK_MS = 250;
const BANNER_EVERY_MS = 8_000;
const ENDED_SHOWN_MS = 60_000; // "round over" stays this long when nothing follows at once
const BELL_FRESH_MS = 15_000; // older bells (missed while offline) do not ring

const page = boot("hall", {
  say: (problem) =>
    ({
      missing: "This hall screen needs its link (…?key=…): open it once and the screen remembers it.",
      revoked: "This hall screen's key was replaced: open the new hall link on this screen.",
      invalid: "This hall screen's key is not valid (it may have been replaced): open the new hall link.",
    })[problem],
});
if (page !== null) {
  const { config, conn } = page;
  const store = conn.store;
  const el = {
    eventName: byId("event-name"),
    now: byId("now"),
    roundTitle: byId("round-title"),
    phaseLabel: byId("phase-label"),
    countdown: byId("countdown"),
    paused: byId("paused"),
    nextRound: byId("next-round"),
    banner: byId("banner"),
    sound: byId<HTMLButtonElement>("sound"),
  };
  bindStatus(byId("conn"), conn);
  void QRCode.toString(participantPageUrl(location.href, config.event, config.publicUrl), { type: "svg", margin: 1, errorCorrectionLevel: "M" }).then(
    (svg) => (byId("qr").innerHTML = svg),
  );

  let timeline = timelineOf(store);
  const directory = new DirectoryView(
    { panel: byId("directory"), title: byId("dir-title"), range: byId("dir-range"), page: byId("dir-page"), list: byId("dir-list") },
    store,
    pagerLimits(new URLSearchParams(location.search)),
  );
  let shownPhase: Phase = "idle"; // hall.html starts with class phase-idle

  const bell = new URLSearchParams(location.search).get("sound") === "1" ? new Bell() : null;
  el.sound.addEventListener("click", () => {
    bell?.unlock();
    show(el.sound, false);
  });

  conn.on("state", (message) => {
    timeline = timelineOf(store);
    directory.stale();
    if (message.type === "update") ringBells(message);
    tick();
  });

  function ringBells(message: UpdateMessage): void {
    const now = conn.serverNowMs();
    const bells = message.changes.upserts
      .filter(([kind]) => kind === "bell")
      .map(([, record]) => record as BellRecord)
      .filter((b) => Math.abs(now - b.at_ms) < BELL_FRESH_MS);
    if (bells.length === 0) return;
    document.body.classList.remove("bell-flash");
    void document.body.offsetWidth; // restart the animation
    document.body.classList.add("bell-flash");
    if (bell !== null) {
      bell.ring(bells[bells.length - 1]!.cue);
      show(el.sound, bell.blocked);
    }
  }

  /** The round that just ended, while no other round is on and for a minute at most. */
  function justEnded(m: Moment, now: number): RoundRecord | null {
    if (m.phase !== "upcoming" && m.phase !== "idle" && m.phase !== "break") return null;
    if (m.paused) return null;
    let last: RoundRecord | null = null;
    for (const r of timeline.rounds) {
      const end = endsAtMs(r);
      if (!r.skipped && end <= now && now < end + ENDED_SHOWN_MS && (last === null || end > endsAtMs(last))) last = r;
    }
    return last;
  }

  function tick(): void {
    const now = conn.serverNowMs();
    const event = store.single("event");
    const tz = event?.timezone;
    const m = moment(timeline, now);
    const ended = justEnded(m, now);
    const phase: Phase = ended !== null ? "ended" : m.phase;
    const loaded = store.position() !== null;

    setText(el.eventName, event?.name ?? "Matchboard");
    setText(el.now, formatClockTime(now, tz));
    if (phase !== shownPhase) {
      document.body.classList.replace(`phase-${shownPhase}`, `phase-${phase}`);
      shownPhase = phase;
    }

    if (ended !== null) {
      setText(el.roundTitle, roundName(ended));
      setText(el.phaseLabel, m.phase === "upcoming" ? `${PHASE_LABEL.ended} · next seating in` : PHASE_LABEL.ended);
    } else if (m.phase === "break") {
      setText(el.roundTitle, m.break?.label || "Break");
      setText(el.phaseLabel, `until ${formatClockTime(m.break!.ends_at_ms, tz)}`);
    } else {
      setText(el.roundTitle, m.round ? roundName(m.round) : "");
      setText(el.phaseLabel, loaded ? PHASE_LABEL[m.phase] : "");
    }
    const countdown = m.remainingMs === null ? "" : formatCountdown(m.remainingMs);
    setText(el.countdown, countdown);
    setClass(el.countdown, countdown.length > 5 ? "countdown long" : "countdown");
    show(el.paused, m.paused);

    setText(el.nextRound, nextLine(m, ended, tz));

    directory.render(directoryRound(timeline, now), performance.now());
    renderBanner(now);
  }

  function nextLine(m: Moment, ended: RoundRecord | null, tz: string | undefined): string {
    const at = (r: RoundRecord): string => formatClockTime(r.starts_at_ms, tz);
    if (m.phase === "upcoming" && m.round !== null) {
      return ended !== null ? `Next: ${roundName(m.round)} at ${at(m.round)}` : `Meetings start at ${at(m.round)}`;
    }
    if (m.phase === "idle") return "";
    if (m.nextRound !== null) return `Next: ${roundName(m.nextRound)} at ${at(m.nextRound)}`;
    return ACTIVE_PHASES.has(m.phase) ? "The last round" : "";
  }

  let bannerIndex = 0;
  let bannerFlip = 0;
  function renderBanner(now: number): void {
    const list = activeAnnouncements(store.list("announcement"), now);
    if (Date.now() - bannerFlip >= BANNER_EVERY_MS) {
      bannerIndex += 1;
      bannerFlip = Date.now();
    }
    const current = list.length > 0 ? list[bannerIndex % list.length]! : null;
    show(el.banner, current !== null);
    setText(el.banner, current?.text ?? "");
  }

  /** `?page_s=N`: pages up N s at most (tests, or a hall that wants faster pages). */
  function pagerLimits(query: URLSearchParams): PagerLimits {
    const s = Number(query.get("page_s"));
    return Number.isFinite(s) && s > 0 ? { ...DEFAULT_LIMITS, maxPageMs: s * 1000 } : DEFAULT_LIMITS;
  }

  setInterval(tick, TICK_MS);
  tick();
  conn.start();
}
