import { describe, expect, it } from "vitest";
import { dismissNotice, KEEP_MS, MAX_NOTICES, parseNotices, pushNotices, type Shown } from "./noticeList";
import { statusText } from "./noticeText";
import type { Notice } from "./notices";

const where = (index: number): Notice["where"] => ({ round: { index, label: "", startsAtMs: 1_000 * index }, table: null });
const notice = (index: number): Notice => ({ kind: "me_absent", where: where(index) });

describe("the notice list", () => {
  it("puts one update's notices on top, in their order, and keeps the last few", () => {
    let list: Shown[] = pushNotices([], [notice(1)], 100);
    list = pushNotices(list, [notice(3), notice(5)], 200);
    expect(list.map((s) => s.notice.where.round.index)).toEqual([3, 5, 1]);
    expect(new Set(list.map((s) => s.id)).size).toBe(3);
    list = pushNotices(list, [notice(7)], 300);
    expect(list).toHaveLength(MAX_NOTICES);
    expect(list.map((s) => s.notice.where.round.index)).toEqual([7, 3, 5]);
  });
  it("replaces the interim word about a partner search with the next word about it", () => {
    const absent: Notice = { kind: "partner_absent", where: where(3), lost: [], left: false, search: "searching" };
    const moved: Notice = { kind: "shift", where: where(5), count: 2, deltaMs: 60_000 };
    const replaced: Notice = { kind: "replaced", where: where(3), lost: [], left: false, partners: [] };
    const list = pushNotices(pushNotices([], [moved, absent], 100), [replaced], 200);
    expect(list.map((s) => s.notice.kind)).toEqual(["replaced", "shift"]);
    // Another round's search is another matter.
    const other = pushNotices(pushNotices([], [absent], 100), [{ ...replaced, where: where(4) }], 200);
    expect(other.map((s) => s.notice.kind)).toEqual(["replaced", "partner_absent"]);
  });
  it("dismisses one by id", () => {
    const list = pushNotices([], [notice(1), notice(2)], 100);
    expect(dismissNotice(list, list[0]!.id).map((s) => s.notice.where.round.index)).toEqual([2]);
    // Ids stay unique after a dismissal.
    const again = pushNotices(dismissNotice(list, list[0]!.id), [notice(4)], 200);
    expect(new Set(again.map((s) => s.id)).size).toBe(again.length);
  });
  it("reads back what was saved, dropping old news and junk", () => {
    const list = pushNotices([], [notice(1), notice(2)], 1_000);
    expect(parseNotices(JSON.stringify(list), 2_000)).toEqual(list);
    expect(parseNotices(JSON.stringify(list), 1_000 + KEEP_MS)).toEqual([]);
    expect(parseNotices(null, 0)).toEqual([]);
    expect(parseNotices("{", 0)).toEqual([]);
    expect(parseNotices('{"a":1}', 0)).toEqual([]);
    expect(parseNotices(JSON.stringify([{ id: 1, atMs: 0, notice: { kind: "nonsense", where: where(1) } }, list[0]]), 0)).toEqual([list[0]]);
  });
});

describe("statusText", () => {
  const say = { lang: "en" as const };
  it("says a no-show from my side", () => {
    expect(statusText({ status: "no_show", absent: ["p2"] }, "me", say)).toBe("partner did not come");
    expect(statusText({ status: "no_show", absent: ["me"] }, "me", say)).toBe("you were marked as not here");
    expect(statusText({ status: "cancelled", absent: ["p2"] }, "me", say)).toBe("partner left the event");
    expect(statusText({ status: "cancelled", absent: [] }, "me", say)).toBe("cancelled");
    expect(statusText({ status: "no_show" }, "me", { lang: "de" })).toBe("nicht erschienen");
  });
});
