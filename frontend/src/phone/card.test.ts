import { describe, expect, it } from "vitest";
import { needsPartner } from "../testing/records";
import { phaseAt } from "../lib/phases";
import type { AlertRecord, MeetingRecord, RoundRecord } from "../lib/protocol";
import { agendaOf } from "../lib/views";
import { cardOf, type CardState } from "./card";
import { cardMessage, type Say } from "./noticeText";

const at = (h: number, m: number): number => Date.UTC(2026, 10, 25, h, m);
const round = (index: number, startsAtMs: number): RoundRecord => ({
  index,
  day: 1,
  starts_at_ms: startsAtMs,
  meeting_s: 1200,
  changeover_s: 300,
  label: "",
  skipped: false,
});
// Round 3 at 10:25 (seating from 10:20, ends 10:45), Round 4 at 10:50.
const ROUNDS = [round(3, at(10, 25)), round(4, at(10, 50))];
const meeting = (id: string, b: string, rnd: number, over: Partial<MeetingRecord> = {}): MeetingRecord => ({
  id,
  side_a: ["anna"],
  side_b: [b],
  round: rnd,
  table: 10,
  status: "scheduled",
  origin: "planned",
  external_id: "",
  ...over,
});
const alert = (over: Partial<AlertRecord> = {}): AlertRecord => needsPartner("m3", over);
const M3 = meeting("m3", "markus", 3);
const M4 = meeting("m4", "jonas", 4, { table: 5 });
const NO_SHOW = { ...M3, status: "no_show" as const, absent: ["markus"] };

function card(meetings: MeetingRecord[], alerts: AlertRecord[] = [], now = at(10, 30)): CardState {
  return cardOf("anna", agendaOf("anna", meetings, ROUNDS), alerts, (r) => phaseAt(r, now, 120));
}
const EN: Say = { lang: "en", timeZone: "UTC" };
const DE: Say = { lang: "de", timeZone: "UTC" };
const TABLE10 = { number: 10, label: "" };

describe("cardOf", () => {
  it("shows the first meeting not over", () => {
    const c = card([M3, M4]);
    expect(c.mode === "meeting" && c.item.meeting.id).toBe("m3");
    expect(c.mode === "meeting" && c.phase).toBe("running");
    const later = card([M3, M4], [], at(10, 46));
    expect(later.mode === "meeting" && later.item.meeting.id).toBe("m4");
    expect(card([M3], [], at(11, 0))).toEqual({ mode: "none" });
  });

  it("stays on the round when my partner did not come, while the organisers search", () => {
    const c = card([NO_SHOW, M4], [alert()]);
    expect(c.mode).toBe("waiting");
    expect(c.mode === "waiting" && [c.item.meeting.id, c.search, c.next?.meeting.id]).toEqual(["m3", "searching", "m4"]);
    expect(cardMessage(c, TABLE10, EN)).toBe(
      "Your partner could not come. The organisers are finding you a new partner — please stay at Table 10.",
    );
    expect(cardMessage(c, TABLE10, DE)).toBe(
      "Ihr Gegenüber konnte nicht kommen. Das Team sucht ein neues Gegenüber für Sie – bitte bleiben Sie hier: Tisch 10.",
    );
  });

  it("says I am free until my next meeting when nobody can step in", () => {
    const expected = "Your partner could not come and nobody else is free this round. You are free until your next meeting (Round 4 · 10:50) — or ask at the help desk.";
    for (const alerts of [
      [alert({ no_candidates: true })],
      [alert({ status: "resolved", resolution: "free" })],
      [alert({ status: "expired" })],
      [],
    ]) {
      const c = card([NO_SHOW, M4], alerts);
      expect(c.mode === "waiting" && c.search).toBe("free");
      expect(cardMessage(c, TABLE10, EN)).toBe(expected);
    }
    expect(cardMessage(card([NO_SHOW, M4]), TABLE10, DE)).toBe(
      "Ihr Gegenüber konnte nicht kommen, und im Moment ist sonst niemand frei. Sie haben frei bis zu Ihrem nächsten Termin (Runde 4 · 10:50) – oder fragen Sie am Infostand.",
    );
  });

  it("says so when there is no next meeting", () => {
    const c = card([NO_SHOW, { ...M4, status: "cancelled" }]);
    expect(c.mode === "waiting" && c.next).toBeNull();
    expect(cardMessage(c, TABLE10, EN)).toBe(
      "Your partner could not come and nobody else is free this round. You have no further meetings — ask at the help desk if you need anything.",
    );
  });

  it("shows the substitute meeting like any meeting as soon as it is there", () => {
    const sub = meeting("sub-3-anna-stef", "stef", 3, { origin: "substitute" });
    for (const order of [
      [{ ...NO_SHOW, replaced_by: sub.id }, sub, M4],
      [sub, { ...NO_SHOW, replaced_by: sub.id }, M4],
    ]) {
      const c = card(order, [alert({ status: "resolved", resolution: "substituted" })]);
      expect(c.mode === "meeting" && c.item.meeting.id).toBe(sub.id);
      expect(cardMessage(c, TABLE10, EN)).toBe("");
    }
  });

  it("tells me when I was the one marked absent", () => {
    const c = card([{ ...M3, status: "no_show", absent: ["anna"] }, M4]);
    expect(c.mode).toBe("absent");
    expect(cardMessage(c, TABLE10, EN)).toBe("You were marked as not here for this round. If you are here, please go to the help desk.");
    expect(cardMessage(c, TABLE10, DE)).toBe(
      "Sie wurden gerade als nicht anwesend gemeldet. Wenn Sie da sind, gehen Sie bitte zum Infostand.",
    );
  });

  it("holds the card only while that round is under way", () => {
    // Before seating (10:20) the no-show is not news for the card: the next meeting is.
    const early = card([NO_SHOW, M4], [alert()], at(10, 0));
    expect(early.mode === "meeting" && early.item.meeting.id).toBe("m4");
    const after = card([NO_SHOW, M4], [alert()], at(10, 46));
    expect(after.mode === "meeting" && after.item.meeting.id).toBe("m4");
    // A meeting cancelled by the organisers does not hold the card either.
    const cancelled = card([{ ...M3, status: "cancelled" }, M4]);
    expect(cancelled.mode === "meeting" && cancelled.item.meeting.id).toBe("m4");
  });

  it("ignores alerts about other meetings", () => {
    const c = card([NO_SHOW, M4], [alert({ meeting: "m9", id: "alert-m9" })]);
    expect(c.mode === "waiting" && c.search).toBe("free");
  });
});
