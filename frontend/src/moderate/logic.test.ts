import { describe, expect, it } from "vitest";
import type { MeetingRecord, TableRecord } from "../lib/protocol";
import { cellClasses, constraintLines, roundSpan, formatAge, formatPreview, formatSchedulePreview, formatScheduleResult, freeTables, httpErrorText, meetingChange, newLinkOf, pushAudit, scheduleChanges, searchPeople, slotEffect, slotLabel, swapCandidates, throttle, type ScheduleAnswer } from "./logic";

const T = (number: number, capacity = 2): TableRecord => ({ number, label: "", zone: "", capacity });
const M = (id: string, round: number | null, table: number | null, status: MeetingRecord["status"] = "scheduled", extra: Partial<MeetingRecord> = {}): MeetingRecord => ({
  id, side_a: ["a" + id], side_b: ["b" + id], round, table, status, origin: "planned", external_id: "", ...extra,
});

describe("freeTables", () => {
  const tables = [T(3), T(1), T(2), T(4, 4)];
  it("skips tables held by active meetings of that round only", () => {
    const ms = [M("m1", 4, 1), M("m2", 4, 2, "cancelled"), M("m3", 5, 3), M("m4", 4, 3, "held")];
    expect(freeTables(ms, tables, 4).map((t) => t.number)).toEqual([2, 4]);
  });
  it("respects capacity", () => {
    expect(freeTables([], tables, 1, 3).map((t) => t.number)).toEqual([4]);
  });
});

describe("swapCandidates", () => {
  it("same round, placed, active, not itself", () => {
    const me = M("m1", 4, 1);
    const ms = [me, M("m2", 4, 5), M("m3", 4, 2, "no_show"), M("m4", 5, 2), M("m5", 4, 3)];
    expect(swapCandidates(ms, me).map((m) => m.id)).toEqual(["m5", "m2"]);
  });
});

describe("cellClasses", () => {
  it("flags at risk only while live and someone is absent", () => {
    const m = M("m1", 4, 1);
    const absent = (id: string) => id !== "am1";
    expect(cellClasses(m, "seating", absent, false)).toContain("at-risk");
    expect(cellClasses(m, "upcoming", absent, false)).not.toContain("at-risk");
    expect(cellClasses(m, "running", () => true, false)).not.toContain("at-risk");
    expect(cellClasses(m, "running", () => undefined, false)).not.toContain("at-risk");
  });
  it("marks origin and alerts", () => {
    expect(cellClasses(M("m", 1, 1, "scheduled", { origin: "walk_in" }), "ended", () => true, true)).toEqual(["cell", "st-scheduled", "or-walk_in", "has-alert"]);
  });
});

describe("formatAge", () => {
  it("reads like a person", () => {
    expect(formatAge(0, 30_000)).toBe("just now");
    expect(formatAge(0, 3 * 60_000 + 5)).toBe("3 min");
    expect(formatAge(0, 65 * 60_000)).toBe("1 h 05 min");
    expect(formatAge(1000, 0)).toBe("just now");
  });
});

describe("formatPreview", () => {
  it("names people and the table change", () => {
    const lines = formatPreview({
      meetings: [{ meeting: "m12", before: { round: 4, table: 9, status: "scheduled" }, after: { round: 4, table: 14, status: "scheduled" } }],
      people: [{ id: "p1", name: "Anna Berg" }, { id: "p2", name: "Jonas Weber" }],
    });
    expect(lines).toEqual(["Affects: Anna Berg, Jonas Weber", "m12: round 4 table 9 → table 14"]);
  });
  it("round moves, cancellations, new meetings", () => {
    expect(meetingChange({ meeting: "m1", before: { round: 4, table: 9, status: "scheduled" }, after: { round: 6, table: 3, status: "scheduled" } })).toBe("m1: round 4 table 9 → round 6 table 3");
    expect(meetingChange({ meeting: "m1", before: { round: 4, table: 9, status: "scheduled" }, after: { round: 4, table: 9, status: "cancelled" } })).toBe("m1: round 4 table 9 → cancelled");
    expect(meetingChange({ meeting: "m9", before: null, after: { round: 2, table: 5, status: "scheduled" } })).toBe("m9: new at round 2 table 5");
    expect(formatPreview(undefined)).toEqual(["Affects: nobody directly"]);
  });
});

describe("searchPeople", () => {
  const p = (id: string, name: string, organisation = "", departed: number | null = null) => ({ id, name, organisation, country: "", title: "", tags: [], languages: [], departed_at_ms: departed });
  it("matches every word of name or organisation, skips departed", () => {
    const people = [p("1", "Anna Berg", "Cluster Nord"), p("2", "Jonas Weber", "Automotive BW"), p("3", "Anna Gone", "", 5)];
    expect(searchPeople(people, "anna").map((x) => x.id)).toEqual(["1"]);
    expect(searchPeople(people, "weber auto").map((x) => x.id)).toEqual(["2"]);
    expect(searchPeople(people, "").length).toBe(2);
  });
});

describe("throttle", () => {
  it("runs at once, then once at the end of the window", () => {
    let t = 0;
    let calls = 0;
    const timers: (() => void)[] = [];
    const f = throttle(() => calls++, 2000, () => t, (fn) => timers.push(fn));
    f();
    expect(calls).toBe(1);
    t = 500;
    f();
    f();
    expect(calls).toBe(1);
    expect(timers.length).toBe(1);
    t = 2000;
    timers[0]!();
    expect(calls).toBe(2);
  });
});

describe("pushAudit", () => {
  it("keeps the newest ten", () => {
    let list: ReturnType<typeof pushAudit> = [];
    for (let v = 1; v <= 12; v++) list = pushAudit(list, { version: v, atMs: v, actor: "moderator", command: "x" });
    expect(list.length).toBe(10);
    expect(list[0]!.version).toBe(12);
  });
});

describe("newLinkOf", () => {
  const origin = "https://match.example.org";
  it("makes the answer's path a whole link, with the new badge code if any", () => {
    expect(newLinkOf({ target: "participant", token: "ev.t", link: "/p/ev.t" }, origin)).toEqual({ url: "https://match.example.org/p/ev.t", code: null });
    expect(newLinkOf({ link: "/p/ev.t", check_in_code: "7C1F0A93DE" }, origin)?.code).toBe("7C1F0A93DE");
    expect(newLinkOf({ target: "hall", token: "K", link: "/hall/ev?key=K" }, origin)?.url).toBe("https://match.example.org/hall/ev?key=K");
  });
  it("is null for anything else", () => {
    expect(newLinkOf(undefined, origin)).toBeNull();
    expect(newLinkOf({}, origin)).toBeNull();
    expect(newLinkOf({ link: "https://elsewhere.example.org/p/x" }, origin)).toBeNull();
  });
});

describe("slotEffect / slotLabel", () => {
  const names: Record<string, string> = { p0: "Anna Berg", p1: "Jonas Weber" };
  const nameOf = (id: string): string => names[id] ?? id;
  const S = (breaks_added: number, breaks_by_person: Record<string, number> = {}) => ({ round: 5, starts_at_ms: 0, tables: [3, 7], breaks_added, breaks_by_person });
  it("says in words what the move does to idle gaps", () => {
    expect(slotEffect(S(0), nameOf)).toBe("no new gaps");
    expect(slotEffect(S(-1, { p0: -1 }), nameOf)).toBe("fills a gap for Anna Berg");
    expect(slotEffect(S(-2, { p0: -1, p1: -1 }), nameOf)).toBe("fills 2 gaps");
    expect(slotEffect(S(1, { p1: 1 }), nameOf)).toBe("+1 idle gap for Jonas Weber");
    expect(slotEffect(S(2, { p0: 1, p1: 1 }), nameOf)).toBe("+2 idle gaps");
    expect(slotEffect(S(1, { p0: 2, p1: -1 }), nameOf)).toBe("+1 idle gap");
  });
  it("labels a suggestion with round, effect and first free table", () => {
    expect(slotLabel(S(0), nameOf)).toBe("round 5 · no new gaps · table 3 (2 free)");
  });
});

const answer = (extra: Partial<ScheduleAnswer> = {}): ScheduleAnswer => ({
  ok: true, version: null, preview: true, method: "optimiser", placed: 0, moved: 3, people_changed: 6, unplaced: [],
  breaks_before: 4, breaks: 0, optimal: true, breaks_bound: 0, gap: 0, fairness_bound: 2, spread: 0, fairness_kept: true, seconds: 0.4, notes: [], ...extra,
});

describe("formatSchedulePreview", () => {
  it("says what moves, whose agenda changes and the idle gaps before → after", () => {
    const lines = formatSchedulePreview(answer());
    expect(lines[0]).toBe("3 meetings move: 6 participants get a changed agenda");
    expect(lines[1]).toBe("Idle gaps: 4 → 0 (the fewest possible)");
    expect(lines.join("\n")).not.toContain("cannot be placed");
  });
  it("names who moves where, the first five, then how many more", () => {
    const move = (i: number) => ({ meeting_id: `m${i}`, name: `REQ-${i}`, people: ["Anna Berg (Cluster Nord)", `P${i}`], from: { round: 3, table: 1 }, to: { round: 2, table: i === 0 ? 1 : 4 } });
    const lines = formatSchedulePreview(answer({ moves: [0, 1, 2, 3, 4, 5, 6].map(move), moved: 7 }));
    expect(lines[1]).toBe("Anna Berg (Cluster Nord) & P0: round 3 → 2, table 1");
    expect(lines[2]).toBe("Anna Berg (Cluster Nord) & P1: round 3 → 2, table 1 → 4");
    expect(lines[6]).toBe("…and 2 more");
    expect(lines[7]).toBe("Idle gaps: 4 → 0 (the fewest possible)");
  });
  it("counts in the singular and names placed requests", () => {
    expect(formatSchedulePreview(answer({ moved: 1, placed: 1, people_changed: 1 }))[0]).toBe("1 meeting moves, 1 waiting request gets a round and table: 1 participant gets a changed agenda");
    expect(formatSchedulePreview(answer({ moved: 0, placed: 2 }))[0]).toBe("2 waiting requests get a round and table: 6 participants get a changed agenda");
  });
  it("says when the optimiser could not prove the fewest gaps", () => {
    expect(formatSchedulePreview(answer({ optimal: false, breaks: 3, breaks_bound: 1, gap: 2 }))[1]).toBe("Idle gaps: 4 → 3 (at least 1 needed)");
    expect(formatSchedulePreview(answer({ method: "baseline", optimal: undefined, breaks_bound: undefined }))[1]).toBe("Idle gaps: 4 → 0");
  });
  it("lists the first reasons of what still cannot be placed", () => {
    const unplaced = ["a", "b", "c", "d", "e"].map((x) => ({ meeting_id: x, reason: `reason ${x}` }));
    const lines = formatSchedulePreview(answer({ unplaced }));
    expect(lines.slice(-5)).toEqual(["5 requests still cannot be placed:", "reason a", "reason b", "reason c", "…and 2 more"]);
    expect(formatSchedulePreview(answer({ unplaced: unplaced.slice(0, 1) })).slice(-2)).toEqual(["1 request still cannot be placed:", "reason a"]);
  });
  it("nothing to change: says so first (the dialog then offers no confirm)", () => {
    const same = answer({ moved: 0, placed: 0, people_changed: 0, breaks_before: 2, breaks: 2, unplaced: [{ meeting_id: "m9", reason: "no free round" }] });
    expect(scheduleChanges(same)).toBe(false);
    expect(formatSchedulePreview(same)).toEqual(["The schedule is already the best: nothing to move", "Idle gaps stay at 2", "1 request still cannot be placed:", "no free round"]);
    expect(formatSchedulePreview(answer({ moved: 0, placed: 0, breaks_before: 0, breaks: 0 }))).toEqual(["The schedule is already the best: nothing to move"]);
  });
  it("moves that close no gap are not worth it: nothing to confirm", () => {
    const churn = answer({ moved: 4, people_changed: 6, breaks_before: 0, breaks: 0 });
    expect(scheduleChanges(churn)).toBe(false);
    expect(formatSchedulePreview(churn)).toEqual(["The schedule is already the best: nothing to move", "(Moving 4 meetings would leave as many idle gaps: not worth changing agendas.)"]);
    expect(scheduleChanges(answer({ moved: 4, placed: 1, breaks_before: 0, breaks: 0 }))).toBe(true);
  });
  it("warns when the fairness bound was not kept", () => {
    expect(formatSchedulePreview(answer({ fairness_kept: false, spread: 3 }))).toContain("Some people keep more idle gaps than others (up to 3 apart)");
  });
});

describe("formatScheduleResult", () => {
  it("is one short line", () => {
    expect(formatScheduleResult(answer({ preview: false, version: 9 }))).toBe("Moved 3 meetings; idle gaps 4 → 0");
    expect(formatScheduleResult(answer({ moved: 1, placed: 2 }))).toBe("Moved 1 meeting, placed 2 requests; idle gaps 4 → 0");
    expect(formatScheduleResult(answer({ moved: 0, placed: 1 }))).toBe("Placed 1 request; idle gaps 4 → 0");
    expect(formatScheduleResult(answer({ unplaced: [{ meeting_id: "m", reason: "r" }] }))).toBe("Moved 3 meetings; idle gaps 4 → 0; 1 request still cannot be placed");
    expect(formatScheduleResult(answer({ moved: 0, placed: 0 }))).toBe("Nothing changed: the schedule is already the best");
    expect(formatScheduleResult(answer({ moved: 2, breaks_before: 0, breaks: 0 }))).toBe("Moved 2 meetings; idle gaps 0 → 0"); // says what was stored
  });
});

describe("httpErrorText", () => {
  it("the server's message and code, else the status", () => {
    expect(httpErrorText(409, { ok: false, error: { code: "conflict", message: "the event changed" } })).toBe("the event changed (conflict)");
    expect(httpErrorText(502, null)).toBe("the server answered 502");
    expect(httpErrorText(500, { ok: false })).toBe("the server answered 500");
  });
});

describe("constraintLines", () => {
  const label = (id: string): string => ({ m1: "REQ-1 (round 2)" })[id] ?? id;
  it("says the rounds, the meetings before it and whether it is fixed", () => {
    expect(constraintLines({ rounds: [4, 3], after: ["m1"], fixed: true }, label)).toEqual([
      "Only in rounds 3–4", "After REQ-1 (round 2)", "Fixed by the organiser: the schedulers keep its round and table",
    ]);
    expect(constraintLines({ rounds: [7] }, label)).toEqual(["Only in round 7"]);
    expect(constraintLines({}, label)).toEqual([]);
  });
  it("writes round spans as people do", () => {
    expect(roundSpan([1, 4, 8, 7, 2])).toBe("1–2, 4, 7–8");
    expect(roundSpan([])).toBe("");
  });
});
