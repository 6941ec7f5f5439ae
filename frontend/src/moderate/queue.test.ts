import { describe, expect, it } from "vitest";
import type { AlertRecord, MeetingRecord } from "../lib/protocol";
import { countByKind, orderAlerts, presenceOf } from "./queue";

const A = (id: string, round: number, kind: AlertRecord["kind"], since: number, extra: Partial<AlertRecord> = {}): AlertRecord => ({
  id, kind, meeting: id.replace("alert-", ""), round, table: 1, reporter: "", since_ms: since, status: "open", resolution: "", ...extra,
});
const M = (side_a: string[], side_b: string[], extra: Partial<MeetingRecord> = {}): MeetingRecord => ({
  id: "m1", side_a, side_b, round: 5, table: 54, status: "scheduled", origin: "planned", external_id: "", ...extra,
});

describe("orderAlerts", () => {
  it("puts the current round first, then urgency, then the newest", () => {
    const alerts = [
      A("alert-old1", 1, "at_risk", 100),
      A("alert-a", 5, "at_risk", 900),
      A("alert-b", 5, "missing_partner", 500),
      A("alert-c", 5, "needs_partner", 300),
      A("alert-d", 5, "missing_partner", 800),
      A("alert-closed", 5, "needs_partner", 999, { status: "resolved" }),
      A("alert-e", 4, "needs_partner", 950),
    ];
    expect(orderAlerts(alerts, 5).map((a) => a.id)).toEqual(["alert-c", "alert-d", "alert-b", "alert-a", "alert-e", "alert-old1"]);
    expect(orderAlerts(alerts, null)[0]!.id).toBe("alert-c"); // no current round: latest round first
  });
  it("puts an at-risk meeting where someone sits alone before one where nobody came yet", () => {
    const alerts = [A("alert-x", 5, "at_risk", 900), A("alert-y", 5, "at_risk", 100)];
    expect(orderAlerts(alerts, 5, (a) => a.id === "alert-y").map((a) => a.id)).toEqual(["alert-y", "alert-x"]);
  });
});

describe("countByKind", () => {
  it("counts open alerts, most urgent kind first", () => {
    const alerts = [A("alert-1", 1, "at_risk", 1), A("alert-2", 1, "at_risk", 2), A("alert-3", 1, "needs_partner", 3), A("alert-4", 1, "missing_partner", 4, { status: "expired" })];
    expect(countByKind(alerts)).toEqual([["needs_partner", 1], ["at_risk", 2]]);
  });
});

describe("presenceOf", () => {
  // R5 · T54: Stefanie (a) has not checked in, Markus (b) has. The old console said
  // "Stefanie Wolf waits · Markus Meyer not here" because it read a field moderators lacked.
  const present = (id: string): boolean | undefined => ({ stefanie: false, markus: true, anna: true } as Record<string, boolean>)[id];
  it("names who is here and who is missing from `present`", () => {
    const p = presenceOf(A("alert-m1", 5, "at_risk", 1), M(["stefanie"], ["markus"]), present);
    expect(p).toEqual({ here: ["markus"], missing: ["stefanie"], waiting: "markus" });
  });
  it("takes the waiting person of a needs_partner alert, and counts the absent side as missing", () => {
    const m = M(["anna"], ["markus"], { status: "no_show", absent: ["markus"] });
    const p = presenceOf(A("alert-m1", 5, "needs_partner", 1, { waiting: ["anna"] }), m, present);
    expect(p).toEqual({ here: ["anna"], missing: ["markus"], waiting: "anna" });
  });
  it("has nobody waiting when nobody is here", () => {
    expect(presenceOf(A("alert-m1", 5, "at_risk", 1), M(["stefanie"], ["x"]), present).waiting).toBe("");
  });
  it("prefers the reporter when they are here", () => {
    const p = presenceOf(A("alert-m1", 5, "missing_partner", 1, { reporter: "anna" }), M(["markus"], ["anna"]), present);
    expect(p.waiting).toBe("anna");
  });
});
