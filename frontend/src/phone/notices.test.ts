import { describe, expect, it } from "vitest";
import { needsPartner as alert } from "../testing/records";
import type { AlertRecord, MeetingRecord, ParticipantRecord, RoundRecord, SnapshotData, TableRecord } from "../lib/protocol";
import { Store } from "../lib/store";
import { DICT, LANGS } from "./i18n";
import { noticeLine, type Say } from "./noticeText";
import { noticesOf, phoneStateOf, type Notice, type PhoneState } from "./notices";

// Times in UTC, shown in UTC: Round 3 is at 10:25.
const at = (h: number, m: number): number => Date.UTC(2026, 10, 25, h, m);
const EN: Say = { lang: "en", timeZone: "UTC" };
const DE: Say = { lang: "de", timeZone: "UTC" };

const round = (index: number, startsAtMs: number, label = ""): RoundRecord => ({
  index,
  day: 1,
  starts_at_ms: startsAtMs,
  meeting_s: 1200,
  changeover_s: 300,
  label,
  skipped: false,
});
const ROUNDS = [round(1, at(9, 0)), round(3, at(10, 25)), round(4, at(10, 50)), round(5, at(11, 15))];
const table = (number: number, label = ""): TableRecord => ({ number, label, zone: "", capacity: 2 });
const TABLES = [table(5), table(7), table(10), table(51), table(60, "Terrace 2")];
const person = (id: string, name: string, organisation: string, present: boolean | undefined = true): ParticipantRecord => ({
  id,
  name,
  organisation,
  country: "",
  title: "",
  tags: [],
  languages: [],
  ...(present === undefined ? {} : { present }),
});
const ANNA = person("anna", "Anna Berg", "Org");
const MARKUS = person("markus", "Markus Meyer", "Meyer GmbH");
const STEFANIE = person("stef", "Stefanie Wolf", "Cluster Nord");
const JONAS = person("jonas", "Jonas Weber", "");

function meeting(id: string, a: string[], b: string[], rnd: number, tbl: number | null, over: Partial<MeetingRecord> = {}): MeetingRecord {
  return { id, side_a: a, side_b: b, round: rnd, table: tbl, status: "scheduled", origin: "planned", external_id: "", ...over };
}

interface World {
  me?: ParticipantRecord;
  people?: ParticipantRecord[];
  meetings: MeetingRecord[];
  alerts?: AlertRecord[];
  rounds?: RoundRecord[];
}
function state(w: World): PhoneState {
  const store = new Store();
  const data: SnapshotData = {
    me: w.me ?? ANNA,
    participants: w.people ?? [MARKUS, STEFANIE, JONAS],
    rounds: w.rounds ?? ROUNDS,
    tables: TABLES,
    meetings: w.meetings,
    alerts: w.alerts ?? [],
  };
  store.apply({ type: "snapshot", epoch: "e", version: 1, server_ms: 0, data });
  return phoneStateOf(store)!;
}
const lines = (notices: Notice[], say: Say = EN): string[] => notices.map((n) => noticeLine(n, say));

const M3 = meeting("m3", ["anna"], ["markus"], 3, 10);
const M5 = meeting("m5", ["anna"], ["markus"], 5, 7);
const SUB = meeting("sub-3-anna-stef", ["anna"], ["stef"], 3, 10, { origin: "substitute" });
const NO_SHOW = { ...M3, status: "no_show" as const, absent: ["markus"] };

describe("phoneStateOf", () => {
  it("is null before the server said who I am, and holds only my placed meetings", () => {
    expect(phoneStateOf(new Store())).toBeNull();
    const s = state({ meetings: [M3, meeting("x", ["jonas"], ["stef"], 3, 5), meeting("u", ["anna"], ["jonas"], 1, null, { round: null })] });
    expect(s.meetings.map((m) => m.id)).toEqual(["m3"]);
    expect(s.meetings[0]).toMatchObject({ side: "a", table: { number: 10, label: "" }, round: { index: 3, startsAtMs: at(10, 25) } });
    expect(s.meetings[0]!.partners).toEqual([{ id: "markus", name: "Markus Meyer", organisation: "Meyer GmbH", present: true }]);
  });
  it("keeps only the needs_partner alerts I wait in", () => {
    const s = state({ meetings: [M3], alerts: [alert("m3"), alert("m9", { waiting: ["jonas"] }), alert("m8", { kind: "at_risk" })] });
    expect(s.waits.map((w) => w.meeting)).toEqual(["m3"]);
  });
});

describe("noticesOf", () => {
  it("says nothing when nothing changed", () => {
    expect(noticesOf(state({ meetings: [M3, M5] }), state({ meetings: [M3, M5] }))).toEqual([]);
  });

  it("tells a substitution as one notice: who did not come, who the new partner is", () => {
    const before = state({ meetings: [M3] });
    const after = state({ meetings: [{ ...NO_SHOW, replaced_by: SUB.id }, SUB] });
    const notices = noticesOf(before, after);
    expect(notices.map((n) => n.kind)).toEqual(["replaced"]);
    expect(lines(notices)).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner Markus Meyer could not come. Your new partner: Stefanie Wolf (Cluster Nord).",
    ]);
    expect(lines(notices, DE)).toEqual([
      "Runde 3 · 10:25 · Tisch 10 — Ihr Gegenüber Markus Meyer konnte nicht kommen. Ihr neues Gegenüber: Stefanie Wolf (Cluster Nord).",
    ]);
  });

  it("tells a substitute seated later the same way, naming who did not come", () => {
    const before = state({ meetings: [NO_SHOW], alerts: [alert("m3")] });
    const after = state({
      meetings: [{ ...NO_SHOW, replaced_by: SUB.id }, SUB],
      alerts: [alert("m3", { status: "resolved", resolution: "substituted" })],
    });
    expect(lines(noticesOf(before, after))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner Markus Meyer could not come. Your new partner: Stefanie Wolf (Cluster Nord).",
    ]);
  });

  it("tells the substitute they step in for someone whose partner did not come", () => {
    const me = STEFANIE;
    const people = [ANNA, MARKUS];
    const before = state({ me, people, meetings: [] });
    const after = state({ me, people, meetings: [SUB] });
    expect(lines(noticesOf(before, after))).toEqual([
      "Round 3 · 10:25 · Table 10 — New meeting with Anna Berg (Org): their partner could not come, so you are stepping in.",
    ]);
    expect(lines(noticesOf(before, after), DE)).toEqual([
      "Runde 3 · 10:25 · Tisch 10 — Neuer Termin mit Anna Berg (Org): Sie springen für ein Gegenüber ein, das nicht kommen konnte.",
    ]);
  });

  it("tells a substitute who was waiting too that their partner did not come and who is new", () => {
    const me = STEFANIE;
    const people = [ANNA, JONAS];
    const own = meeting("m7", ["stef"], ["jonas"], 3, 5);
    const before = state({ me, people, meetings: [own] });
    const after = state({ me, people, meetings: [{ ...own, status: "no_show", absent: ["jonas"] }, SUB] });
    expect(lines(noticesOf(before, after))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner Jonas Weber could not come. Your new partner: Anna Berg (Org).",
    ]);
  });

  it("tells a no-show while the organisers look for a new partner, or when nobody is free", () => {
    const before = state({ meetings: [M3] });
    const searching = state({ meetings: [NO_SHOW], alerts: [alert("m3")] });
    expect(lines(noticesOf(before, searching))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner Markus Meyer could not come. The organisers are finding you a new partner.",
    ]);
    const nobody = state({ meetings: [NO_SHOW], alerts: [alert("m3", { no_candidates: true })] });
    expect(lines(noticesOf(before, nobody), DE)).toEqual([
      "Runde 3 · 10:25 · Tisch 10 — Ihr Gegenüber Markus Meyer konnte nicht kommen. Im Moment ist sonst niemand frei.",
    ]);
    const noAlert = state({ meetings: [NO_SHOW] });
    expect(lines(noticesOf(before, noAlert))).toEqual(["Round 3 · 10:25 · Table 10 — Your partner Markus Meyer could not come."]);
  });

  it("tells a departure: this round's meeting is off, later ones are cancelled", () => {
    const before = state({ meetings: [M3, M5] });
    const gone = { ...MARKUS, present: false };
    const after = state({
      people: [gone, STEFANIE],
      meetings: [NO_SHOW, { ...M5, status: "cancelled", absent: ["markus"] }],
      alerts: [alert("m3")],
    });
    expect(lines(noticesOf(before, after))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner Markus Meyer has left the event. The organisers are finding you a new partner.",
      "Round 5 · 11:15 · Table 7 — Your partner Markus Meyer has left the event. This meeting is cancelled.",
    ]);
    expect(lines(noticesOf(before, after), DE)[1]).toBe(
      "Runde 5 · 11:15 · Tisch 7 — Ihr Gegenüber Markus Meyer hat die Veranstaltung verlassen. Dieser Termin entfällt.",
    );
  });

  it("tells a cancellation by the organisers, and a meeting that is gone", () => {
    const before = state({ meetings: [M3, M5] });
    const after = state({ meetings: [{ ...M5, status: "cancelled", absent: [] }] });
    expect(lines(noticesOf(before, after))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your meeting with Markus Meyer (Meyer GmbH) was cancelled by the organisers.",
      "Round 5 · 11:15 · Table 7 — Your meeting with Markus Meyer (Meyer GmbH) was cancelled by the organisers.",
    ]);
  });

  it("tells a no-show that does not say who (an older server)", () => {
    const after = state({ meetings: [{ ...M3, status: "no_show" }] });
    expect(lines(noticesOf(state({ meetings: [M3] }), after))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your meeting with Markus Meyer (Meyer GmbH) was marked as not taking place.",
    ]);
  });

  it("tells me when I was marked absent, and my departure once for all later meetings", () => {
    const before = state({ meetings: [M3, M5, meeting("m4", ["jonas"], ["anna"], 4, 5)] });
    const absent = state({ meetings: [{ ...M3, status: "no_show", absent: ["anna"] }, M5, meeting("m4", ["jonas"], ["anna"], 4, 5)] });
    expect(lines(noticesOf(before, absent))).toEqual([
      "Round 3 · 10:25 · Table 10 — You were marked as not here for this round. If you are here, please go to the help desk.",
    ]);
    const left = state({
      meetings: [
        { ...M3, status: "cancelled", absent: ["anna"] },
        { ...M5, status: "cancelled", absent: ["anna"] },
        meeting("m4", ["jonas"], ["anna"], 4, 5, { status: "cancelled", absent: ["anna"] }),
      ],
    });
    expect(lines(noticesOf(before, left))).toEqual([
      "Round 3 · 10:25 — You were marked as having left the event, so your 3 meetings from here on are cancelled. If you are still here, please go to the help desk.",
    ]);
  });

  it("tells a moved table with its round, not the current one", () => {
    const before = state({ meetings: [meeting("m1", ["anna"], ["jonas"], 1, 5), { ...M3, table: 51 }] });
    const after = state({ meetings: [meeting("m1", ["anna"], ["jonas"], 1, 5), { ...M3, table: 5 }] });
    expect(lines(noticesOf(before, after))).toEqual(["Round 3 · 10:25 — Your table changed from Table 51 to Table 5."]);
    expect(lines(noticesOf(before, after), DE)).toEqual(["Runde 3 · 10:25 — Ihr Platz hat sich geändert: jetzt Tisch 5 statt Tisch 51."]);
  });

  it("uses the organisers' labels for rounds and tables", () => {
    const rounds = [round(3, at(10, 25), "Speed round"), ...ROUNDS.filter((r) => r.index !== 3)];
    const before = state({ rounds, meetings: [M3] });
    const after = state({ rounds, meetings: [{ ...M3, table: 60 }] });
    expect(lines(noticesOf(before, after))).toEqual(["Speed round · 10:25 — Your table changed from Table 10 to Terrace 2."]);
  });

  it("tells a new time of one meeting, and a shifted schedule once", () => {
    const before = state({ meetings: [M3, M5] });
    const later = (mins: number, only?: number): RoundRecord[] =>
      ROUNDS.map((r) => (only === undefined || r.index === only ? { ...r, starts_at_ms: r.starts_at_ms + mins * 60_000 } : r));
    expect(lines(noticesOf(before, state({ meetings: [M3, M5], rounds: later(15, 3) })))).toEqual([
      "Round 3 · 10:40 · Table 10 — Your meeting with Markus Meyer (Meyer GmbH) now starts at 10:40 instead of 10:25.",
    ]);
    expect(lines(noticesOf(before, state({ meetings: [M3, M5], rounds: later(10) })))).toEqual([
      "Round 3 · 10:35 — Your 2 meetings from here on start 10 minutes later.",
    ]);
    expect(lines(noticesOf(before, state({ meetings: [M3, M5], rounds: later(-5) })), DE)).toEqual([
      "Runde 3 · 10:20 — Ihre 2 Termine ab hier beginnen 5 Minuten früher.",
    ]);
    // A pause of a few seconds moves the rounds, but no time anyone sees.
    const seconds = ROUNDS.map((r) => ({ ...r, starts_at_ms: r.starts_at_ms + 4_000 }));
    expect(noticesOf(before, state({ meetings: [M3, M5], rounds: seconds }))).toEqual([]);
  });

  it("tells a meeting moved to another round, and a new partner", () => {
    const before = state({ meetings: [M3] });
    expect(lines(noticesOf(before, state({ meetings: [{ ...M3, round: 4 }] })))).toEqual([
      "Round 4 · 10:50 · Table 10 — Your meeting with Markus Meyer (Meyer GmbH) moved here from Round 3 · 10:25.",
    ]);
    expect(lines(noticesOf(before, state({ meetings: [{ ...M3, side_b: ["stef"] }] })))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your partner changed: now Stefanie Wolf (Cluster Nord) instead of Markus Meyer (Meyer GmbH).",
    ]);
    expect(lines(noticesOf(before, state({ meetings: [{ ...M3, round: 4, table: 5 }] })))).toEqual([
      "Round 4 · 10:50 — Your meeting with Markus Meyer (Meyer GmbH) moved here from Round 3 · 10:25. Your table changed from Table 10 to Table 5.",
    ]);
  });

  it("tells an added meeting with whom", () => {
    expect(lines(noticesOf(state({ meetings: [] }), state({ meetings: [meeting("w1", ["jonas"], ["anna"], 4, 5, { origin: "walk_in" })] })))).toEqual([
      "Round 4 · 10:50 · Table 5 — New meeting with Jonas Weber.",
    ]);
  });

  it("tells a meeting that is on again, not as a new one", () => {
    expect(lines(noticesOf(state({ meetings: [NO_SHOW] }), state({ meetings: [M3] })))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your meeting with Markus Meyer (Meyer GmbH) takes place after all.",
    ]);
    expect(lines(noticesOf(state({ meetings: [NO_SHOW] }), state({ meetings: [M3] })), DE)).toEqual([
      "Runde 3 · 10:25 · Tisch 10 — Ihr Termin mit Markus Meyer (Meyer GmbH) findet doch statt.",
    ]);
    // A request that became a meeting is a new meeting.
    expect(noticesOf(state({ meetings: [{ ...M3, status: "requested" }] }), state({ meetings: [M3] })).map((n) => n.kind)).toEqual(["added"]);
  });

  it("tells when the organisers found nobody, unless that was said already", () => {
    const before = state({ meetings: [NO_SHOW], alerts: [alert("m3")] });
    const free = state({ meetings: [NO_SHOW], alerts: [alert("m3", { status: "resolved", resolution: "free" })] });
    expect(lines(noticesOf(before, free))).toEqual([
      "Round 3 · 10:25 · Table 10 — No new partner could be found for this round, so you are free for the rest of it.",
    ]);
    const nobody = state({ meetings: [NO_SHOW], alerts: [alert("m3", { no_candidates: true })] });
    expect(noticesOf(nobody, free)).toEqual([]);
    const expired = state({ meetings: [NO_SHOW], alerts: [alert("m3", { status: "expired", resolution: "no_show" })] });
    expect(noticesOf(before, expired)).toEqual([]); // the round is over: no news
  });

  it("puts the notices of one update in the order of the rounds", () => {
    const before = state({ meetings: [M5, M3] });
    const after = state({ meetings: [{ ...M5, table: 5 }, { ...M3, status: "cancelled" }] });
    expect(noticesOf(before, after).map((n) => n.where.round.index)).toEqual([3, 5]);
  });

  it("names several people with 'and', and copes with an unknown name", () => {
    const before = state({ meetings: [meeting("g", ["anna"], ["markus", "jonas"], 3, 10)] });
    const after = state({ meetings: [meeting("g", ["anna"], ["markus", "jonas"], 3, 10, { status: "no_show", absent: ["markus", "jonas"] })] });
    expect(lines(noticesOf(before, after))).toEqual(["Round 3 · 10:25 · Table 10 — Your partners Jonas Weber and Markus Meyer could not come."]);
    expect(lines(noticesOf(before, after), DE)).toEqual(["Runde 3 · 10:25 · Tisch 10 — Ihre Gegenüber Jonas Weber und Markus Meyer konnten nicht kommen."]);
    const stranger = state({ people: [], meetings: [{ ...M3, status: "cancelled" }] });
    expect(lines(noticesOf(state({ people: [], meetings: [M3] }), stranger))).toEqual([
      "Round 3 · 10:25 · Table 10 — Your meeting with (name unknown) was cancelled by the organisers.",
    ]);
  });
});

describe("notice words", () => {
  // One notice of every kind: every one is said in both languages, with no {placeholder} left.
  const where = { round: { index: 3, label: "", startsAtMs: at(10, 25) }, table: { number: 10, label: "" } };
  const p = { id: "markus", name: "Markus Meyer", organisation: "Meyer GmbH", present: false };
  const every: Notice[] = [
    { kind: "replaced", where, lost: [p], left: true, partners: [p] },
    { kind: "replaced", where, lost: [], left: false, partners: [p, p] },
    { kind: "stepping_in", where, partners: [p] },
    { kind: "partner_absent", where, lost: [p], left: false, search: "searching" },
    { kind: "partner_left", where, lost: [p] },
    { kind: "cancelled", where, partners: [p] },
    { kind: "not_held", where, partners: [] },
    { kind: "me_absent", where },
    { kind: "me_left", where, count: 1 },
    { kind: "changed", where, partners: [p], fromRound: where.round, fromTable: where.table, fromPartners: [p] },
    { kind: "changed", where, partners: [p], fromStartsAtMs: at(10, 0) },
    { kind: "shift", where, count: 2, deltaMs: 300_000 },
    { kind: "added", where, partners: [p] },
    { kind: "reinstated", where, partners: [p] },
    { kind: "no_substitute", where },
  ];
  it.each(LANGS)("are all there in %s", (lang) => {
    for (const n of every) {
      const line = noticeLine(n, { lang, timeZone: "UTC" });
      expect(line).toMatch(/^(Round|Runde) 3 · 10:25/);
      expect(line).not.toMatch(/\{\w+\}/);
      expect(line.length).toBeGreaterThan(30);
    }
  });
  it("has German words that differ from the English ones", () => {
    const same = Object.keys(DICT.en).filter((k) => k.startsWith("n_") && DICT.en[k as keyof typeof DICT.en] === DICT.de[k as keyof typeof DICT.en]);
    expect(same).toEqual([]);
  });
});
