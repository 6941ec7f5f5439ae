import { describe, expect, it } from "vitest";
import { dayKey, diffSlots, groupByDay, parseSaved, type Slot } from "./agenda";

const slot = (over: Partial<Slot> = {}): Slot => ({
  id: "m1",
  active: true,
  status: "scheduled",
  round: 1,
  roundName: "Round 1",
  startsAtMs: 1_000_000,
  table: "9",
  partnerIds: ["p2"],
  partners: "Jonas",
  ...over,
});

describe("diffSlots", () => {
  it("is empty when nothing changed", () => {
    expect(diffSlots([slot()], [slot()])).toEqual([]);
  });
  it("reports a moved table", () => {
    const c = diffSlots([slot()], [slot({ table: "14" })]);
    expect(c.map((x) => x.kind)).toEqual(["table"]);
    expect(c[0]?.before?.table).toBe("9");
    expect(c[0]?.after?.table).toBe("14");
  });
  it("reports a new time, or a new round at the same time", () => {
    expect(diffSlots([slot()], [slot({ round: 2, startsAtMs: 2_000_000 })]).map((x) => x.kind)).toEqual(["time"]);
    expect(diffSlots([slot()], [slot({ round: 2 })]).map((x) => x.kind)).toEqual(["round"]);
  });
  it("reports another partner by id, not by name", () => {
    expect(diffSlots([slot()], [slot({ partnerIds: ["p3"], partners: "Mia" })]).map((x) => x.kind)).toEqual(["partner"]);
    expect(diffSlots([slot({ partners: "your partner" })], [slot()])).toEqual([]);
  });
  it("reports several changes of one meeting", () => {
    expect(diffSlots([slot()], [slot({ table: "3", partnerIds: ["p4"] })]).map((x) => x.kind)).toEqual(["table", "partner"]);
  });
  it("reports added and cancelled meetings", () => {
    expect(diffSlots([], [slot()]).map((x) => x.kind)).toEqual(["added"]);
    expect(diffSlots([slot()], [slot({ active: false, status: "cancelled" })]).map((x) => x.kind)).toEqual(["cancelled"]);
    expect(diffSlots([slot()], []).map((x) => x.kind)).toEqual(["cancelled"]);
    expect(diffSlots([slot({ active: false })], [slot({ active: false })])).toEqual([]);
    expect(diffSlots([slot({ active: false })], [slot()]).map((x) => x.kind)).toEqual(["added"]);
  });
});

describe("days", () => {
  // 2026-11-25 23:30 UTC is already the 26th in Berlin.
  const late = Date.UTC(2026, 10, 25, 23, 30);
  it("computes the day in the event's zone", () => {
    expect(dayKey(late, "UTC")).toBe("2026-11-25");
    expect(dayKey(late, "Europe/Berlin")).toBe("2026-11-26");
    expect(dayKey(late, "Not/AZone")).toMatch(/^\d{4}-\d\d-\d\d$/);
  });
  it("groups in order", () => {
    const items = [Date.UTC(2026, 10, 25, 9), Date.UTC(2026, 10, 25, 10), late, Date.UTC(2026, 10, 26, 9)];
    const days = groupByDay(items, (x) => x, "Europe/Berlin");
    expect(days.map((d) => [d.key, d.items.length])).toEqual([
      ["2026-11-25", 2],
      ["2026-11-26", 2],
    ]);
    expect(groupByDay([1, 2], () => null).map((d) => d.key)).toEqual([""]);
  });
});

describe("parseSaved", () => {
  it("reads what was saved and rejects junk", () => {
    expect(parseSaved(JSON.stringify({ savedAtMs: 5, data: { me: null } }))).toEqual({ savedAtMs: 5, data: { me: null } });
    expect(parseSaved(null)).toBeNull();
    expect(parseSaved("{")).toBeNull();
    expect(parseSaved('{"savedAtMs":"x","data":{}}')).toBeNull();
  });
});
