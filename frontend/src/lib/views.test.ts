import { describe, expect, it } from "vitest";
import type { AnnouncementRecord, MeetingRecord, RoundRecord, TableRecord } from "./protocol";
import { Store } from "./store";
import { activeAnnouncements, agendaChanges, agendaOf, formatClockTime, paginate, placements, surnameOf, tableDirectory, timelineOf } from "./views";

function meeting(id: string, a: string[], b: string[], round: number | null, table: number | null, status: MeetingRecord["status"] = "scheduled"): MeetingRecord {
  return { id, side_a: a, side_b: b, round, table, status, origin: "planned", external_id: "" };
}

const PEOPLE = [
  { id: "p1", name: "Anna Berg" },
  { id: "p2", name: "Jonas Weber" },
  { id: "p3", name: "Jānis Bērziņš" },
  { id: "p4", name: "Émile Zola" },
  { id: "p5", name: "Lena Adler" },
  { id: "p6", name: "Olaf Åberg" },
];
const TABLES: TableRecord[] = [
  { number: 3, label: "", zone: "", capacity: 2 },
  { number: 14, label: "A14", zone: "Hall A", capacity: 4 },
];

describe("surnameOf", () => {
  it.each([
    ["Anna Berg", "Berg"],
    ["Jānis Bērziņš", "Bērziņš"],
    ["  Cher ", "Cher"],
    ["Ludwig van Beethoven", "Beethoven"],
  ])("%s: %s", (name, surname) => {
    expect(surnameOf(name)).toBe(surname);
  });
});

describe("tableDirectory", () => {
  const meetings = [
    meeting("m1", ["p1"], ["p2"], 1, 14),
    meeting("m2", ["p3", "p4"], ["p5"], 1, 3),
    meeting("m3", ["p6"], ["p1"], 2, 3), // another round
    meeting("m4", ["p6"], ["p2"], 1, null, "requested"), // not placed
    meeting("m5", ["p6"], ["p5"], 1, 9, "cancelled"), // frees its table
    meeting("m6", ["p6"], ["p9"], 1, 7, "held"), // p9 unknown: shown by id
  ];

  it("lists everyone seated in the round by surname, with table and partners", () => {
    const rows = tableDirectory(meetings, PEOPLE, TABLES, 1, "en");
    expect(rows.map((r) => [r.surname, r.tableLabel, r.partners])).toEqual([
      ["Åberg", "7", "p9"],
      ["Adler", "3", "Jānis Bērziņš, Émile Zola"],
      ["Berg", "A14", "Jonas Weber"],
      ["Bērziņš", "3", "Lena Adler"],
      ["p9", "7", "Olaf Åberg"],
      ["Weber", "A14", "Anna Berg"],
      ["Zola", "3", "Lena Adler"],
    ]);
    expect(rows[2]).toEqual({ participant: "p1", name: "Anna Berg", surname: "Berg", table: 14, tableLabel: "A14", partners: "Jonas Weber" });
  });

  it("carries whether each person is here, as the server says", () => {
    const people = [{ id: "p1", name: "Anna Berg", present: true }, { id: "p2", name: "Jonas Weber", present: false }];
    const rows = tableDirectory([meeting("m1", ["p1"], ["p2"], 1, 14)], people, TABLES, 1, "en");
    expect(rows.map((r) => [r.participant, r.present])).toEqual([["p1", true], ["p2", false]]);
  });

  it("sorts in the given locale's order", () => {
    const rows = tableDirectory([meeting("m", ["p6"], ["p4"], 1, 3)], PEOPLE, TABLES, 1, "sv");
    expect(rows.map((r) => r.surname)).toEqual(["Zola", "Åberg"]); // Å after Z in Swedish
  });

  it("accepts people as a map, and is empty for a round without meetings", () => {
    const byId = new Map(PEOPLE.map((p) => [p.id, p]));
    expect(tableDirectory(meetings, byId, TABLES, 2, "en").map((r) => r.name)).toEqual(["Olaf Åberg", "Anna Berg"]);
    expect(tableDirectory(meetings, byId, TABLES, 5)).toEqual([]);
  });
});

describe("paginate", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);

  it.each([
    [0, 0, 24, 3],
    [1, 24, 24, 3],
    [2, 48, 2, 3],
    [3, 0, 24, 3], // wraps around
    [-1, 48, 2, 3],
  ])("page %i starts at %i with %i items of %i pages", (page, first, count, pages) => {
    const p = paginate(items, 24, page);
    expect([p.items[0], p.items.length, p.pages]).toEqual([first, count, pages]);
  });

  it("has one empty page for no items", () => {
    expect(paginate([], 24, 5)).toEqual({ items: [], page: 0, pages: 1 });
  });
});

describe("activeAnnouncements", () => {
  const a = (id: string, created: number, expires: number | null): AnnouncementRecord => ({
    id, text: id, audience: "everyone", created_at_ms: created, expires_at_ms: expires,
  });

  it("keeps those not expired, newest first", () => {
    const list = [a("old", 1, null), a("gone", 5, 100), a("new", 9, 1_000), a("edge", 3, 500)];
    expect(activeAnnouncements(list, 500).map((x) => x.id)).toEqual(["new", "old"]);
    expect(activeAnnouncements(list, 99).map((x) => x.id)).toEqual(["new", "gone", "edge", "old"]);
  });
});

describe("agendaOf", () => {
  const round = (index: number, startsAt: number): RoundRecord => ({
    index, day: 1, starts_at_ms: startsAt, meeting_s: 1200, changeover_s: 300, label: "", skipped: false,
  });

  it("lists my placed meetings in time order with the other side", () => {
    const rounds = [round(1, 1_000), round(2, 2_000), round(3, 3_000)];
    const meetings = [
      meeting("m3", ["p1"], ["p4"], 3, 2, "cancelled"),
      meeting("m1", ["p2"], ["p1"], 1, 14),
      meeting("m0", ["p1"], ["p5"], null, null, "requested"),
      meeting("mx", ["p2"], ["p3"], 2, 3), // not mine
    ];
    const agenda = agendaOf("p1", meetings, rounds);
    expect(agenda.map((i) => [i.meeting.id, i.round?.index, i.partners])).toEqual([
      ["m1", 1, ["p2"]],
      ["m3", 3, ["p4"]],
    ]);
  });
});

describe("timelineOf", () => {
  it("takes the warning time from the event settings", () => {
    const store = new Store();
    store.apply({
      type: "snapshot", epoch: "e", version: 1, server_ms: 0,
      data: {
        event: { id: "ev", name: "Ev", timezone: "UTC", venue: "", settings: { warning_s: 60, default_capacity: 2, auto_substitute: false, substitute_grace_s: 300, round_label: "", table_label: "", round_label_de: "", table_label_de: "" } },
        rounds: [{ index: 2, day: 1, starts_at_ms: 5, meeting_s: 1, changeover_s: 0, label: "", skipped: false }],
        breaks: [], clock: { paused_at_ms: 7 },
      },
    });
    const t = timelineOf(store);
    expect([t.warningS, t.rounds.length, t.clock]).toEqual([60, 1, { paused_at_ms: 7 }]);
    expect(timelineOf(new Store()).warningS).toBe(120);
  });
});

describe("formatClockTime", () => {
  it("shows the time in the event's zone", () => {
    const ms = Date.UTC(2026, 5, 10, 7, 5); // 09:05 in Berlin (CEST)
    expect(formatClockTime(ms, "Europe/Berlin", "en-GB")).toBe("09:05");
    expect(formatClockTime(ms, "UTC", "en-GB")).toBe("07:05");
    expect(formatClockTime(ms, "Not/AZone", "en-GB")).toMatch(/^\d\d:\d\d$/);
  });
});

describe("agendaChanges", () => {
  const rounds: RoundRecord[] = [1, 2, 3].map((index) => ({
    index, day: 1, starts_at_ms: index * 1_000, meeting_s: 1200, changeover_s: 300, label: "", skipped: false,
  }));
  const agenda = (...meetings: MeetingRecord[]) => agendaOf("p1", meetings, rounds);
  const before = placements(agenda(
    meeting("m1", ["p1"], ["p2"], 1, 1),
    meeting("m2", ["p1"], ["p3"], 2, 5),
    meeting("m3", ["p4"], ["p1"], 3, 7),
    meeting("m4", ["p1"], ["p5"], 3, 8, "cancelled"),
  ));

  it("is empty when nothing of mine changed, or only scheduled → held", () => {
    expect(agendaChanges(before, agenda(
      { ...meeting("m1", ["p1"], ["p2"], 1, 1), status: "held" },
      meeting("m2", ["p1"], ["p3"], 2, 5),
      meeting("m3", ["p4"], ["p1"], 3, 7),
      meeting("m4", ["p1"], ["p5"], 3, 8, "cancelled"),
    ))).toEqual([]);
  });

  it("tells moves, cancellations, new and vanished meetings", () => {
    const changes = agendaChanges(before, agenda(
      meeting("m1", ["p1"], ["p2"], 1, 3), // another table
      meeting("m2", ["p1"], ["p3"], 2, 5, "no_show"),
      meeting("m5", ["p1"], ["p6"], 2, 9, "scheduled"), // new, e.g. a substitute
      meeting("m4", ["p1"], ["p5"], 3, 8, "scheduled"), // back from cancelled
      // m3 is gone (the partner changed it away)
    ));
    expect(changes.map((c) => [c.kind, c.meeting, c.after?.table ?? null])).toEqual([
      ["moved", "m1", 3],
      ["cancelled", "m2", 5],
      ["added", "m5", 9],
      ["moved", "m4", 8],
      ["removed", "m3", null],
    ]);
  });
});
