import { describe, expect, it } from "vitest";
import { decode, encode, type Changes, type Encoding, type SnapshotData, type SnapshotMessage, type UpdateMessage, type WelcomeMessage } from "./protocol";
import { OutOfSync, Store, recordKey } from "./store";

const EPOCH = "3f9c0a7be1d24c55";
const T0 = 1_780_000_000_000;

function snapshot(data: SnapshotData, version = 41, epoch = EPOCH): SnapshotMessage {
  return { type: "snapshot", epoch, version, server_ms: T0, data };
}

function update(version: number, changes: Partial<Changes> = {}, epoch = EPOCH): UpdateMessage {
  return { type: "update", epoch, version, at_ms: T0, changes: { upserts: [], deletes: [], ...changes } };
}

function welcome(resumed: boolean, epoch = EPOCH): WelcomeMessage {
  return { type: "welcome", role: "hall", event: "ev", participant: null, epoch, version: 44, server_ms: T0, resumed };
}

// Records are checked for shape by the store only through their keys: partial ones do here.
type Loose = any;

function hallData(): SnapshotData {
  return {
    event: { id: "ev", name: "Test" } as Loose,
    tables: [{ number: 2, label: "B" }, { number: 10, label: "J" }] as Loose,
    rounds: [{ index: 1, day: 1 }, { index: 2, day: 1 }] as Loose,
    breaks: [{ id: "b1", day: 1 }] as Loose,
    participants: [{ id: "p1", name: "Anna" }, { id: "p2", name: "Jonas" }] as Loose,
    meetings: [{ id: "m1", side_a: ["p1"], side_b: ["p2"], round: 1, table: 2 }] as Loose,
    announcements: [],
  };
}

function loaded(data: SnapshotData = hallData(), version = 41): Store {
  const store = new Store();
  store.apply(snapshot(data, version));
  return store;
}

describe("snapshot", () => {
  it("fills records by kind and key", () => {
    const store = loaded();
    expect(store.position()).toEqual({ epoch: EPOCH, version: 41 });
    expect(store.single("event")).toEqual({ id: "ev", name: "Test" });
    expect(store.list("table").map((t) => t.number)).toEqual([2, 10]); // numbers sort as numbers
    expect(store.get("round", 2)?.index).toBe(2);
    expect(store.get("break", "b1")?.day).toBe(1);
    expect(store.get("meeting", "m1")?.table).toBe(2);
    expect(store.list("announcement")).toEqual([]);
    expect(store.single("me")).toBeNull();
    expect(store.single("clock")).toBeNull();
    expect(store.snapshotLike()).toEqual(hallData());
  });

  it("keeps a participant's own record and role", () => {
    const data = { ...hallData(), me: { id: "p1", name: "Anna", email: "a@example.org" } as Loose };
    const store = new Store();
    store.apply({ ...welcome(false), role: "participant", participant: "p1" });
    store.apply(snapshot(data));
    expect([store.role, store.participant]).toEqual(["participant", "p1"]);
    expect(store.single("me")).toEqual(data.me);
    expect(store.snapshotLike()).toEqual(data);
  });

  it("replaces everything, even in another epoch", () => {
    const store = loaded();
    store.apply(update(42, { upserts: [["announcement", { id: "a1", text: "Hi" } as Loose]] }));
    const data = { ...hallData(), meetings: [], participants: [] };
    store.apply(snapshot(data, 3, "new-epoch"));
    expect(store.position()).toEqual({ epoch: "new-epoch", version: 3 });
    expect(store.snapshotLike()).toEqual(data);
    store.apply(update(4, {}, "new-epoch"));
    expect(store.version).toBe(4);
  });
});

describe("update", () => {
  it("applies deletes, then upserts, and moves on", () => {
    const store = loaded();
    store.apply(
      update(42, {
        upserts: [
          ["meeting", { id: "m1", side_a: ["p1"], side_b: ["p2"], table: 10 } as Loose],
          ["table", { number: 3, label: "C" } as Loose],
          ["announcement", { id: "a1", text: "Coffee" } as Loose],
          ["event", { id: "ev", name: "Renamed" } as Loose],
        ],
        deletes: [["meeting", "m1"], ["table", "2"], ["participant", "p2"], ["break", "zz"]],
      }),
    );
    expect(store.position()).toEqual({ epoch: EPOCH, version: 42 });
    expect(store.get("meeting", "m1")?.table).toBe(10); // deleted, then upserted
    expect(store.list("table").map((t) => t.number)).toEqual([3, 10]);
    expect(store.list("participant").map((p) => p.id)).toEqual(["p1"]);
    expect(store.single("event")?.name).toBe("Renamed");
    const shaped = store.snapshotLike();
    expect((shaped.tables as { number: number }[]).map((t) => t.number)).toEqual([3, 10]);
    expect(shaped.announcements).toEqual([{ id: "a1", text: "Coffee" }]);
  });

  it("an empty update moves the version only", () => {
    const store = loaded();
    const before = store.snapshotLike();
    store.apply(update(42));
    expect(store.version).toBe(42);
    expect(store.snapshotLike()).toEqual(before);
  });

  it("adds kinds the snapshot did not have (alerts, bells, clock)", () => {
    const store = loaded();
    store.apply(update(42, { upserts: [["clock", { paused_at_ms: T0 }], ["bell", { id: "1-start" } as Loose]] }));
    expect(store.single("clock")).toEqual({ paused_at_ms: T0 });
    const shaped = store.snapshotLike();
    expect(shaped.clock).toEqual({ paused_at_ms: T0 });
    expect(shaped.bells).toEqual([{ id: "1-start" }]);
  });

  it.each([
    ["gap", update(43)],
    ["gap", update(50)],
    ["duplicate", update(41)],
    ["duplicate", update(40)],
    ["epoch", update(42, {}, "another-epoch")],
  ])("out of order (%s): OutOfSync, nothing changes", (reason, message) => {
    const store = loaded();
    const before = store.snapshotLike();
    message.changes.deletes = [["meeting", "m1"]];
    expect(() => store.apply(message)).toThrow(OutOfSync);
    expect(() => store.apply(message)).toThrow(reason);
    expect(store.position()).toEqual({ epoch: EPOCH, version: 41 });
    expect(store.snapshotLike()).toEqual(before);
  });

  it("catches a duplicate of the last update", () => {
    const store = loaded();
    const message = update(42, { upserts: [["table", { number: 4 } as Loose]] });
    store.apply(message);
    expect(() => store.apply(message)).toThrow(/duplicate/);
  });

  it("before any snapshot is out of sync", () => {
    expect(() => new Store().apply(update(1))).toThrow(/before any snapshot/);
  });
});

describe("welcome, reset and other messages", () => {
  it("a resumed welcome keeps the position until the updates arrive", () => {
    const store = loaded();
    store.apply(welcome(true));
    expect(store.position()).toEqual({ epoch: EPOCH, version: 41 });
    expect(store.role).toBe("hall");
    for (const v of [42, 43, 44]) store.apply(update(v));
    expect(store.version).toBe(44);
  });

  it("a resumed welcome of another epoch is out of sync", () => {
    expect(() => loaded().apply(welcome(true, "other"))).toThrow(/epoch/);
    expect(() => new Store().apply(welcome(true))).toThrow(OutOfSync);
    loaded().apply(welcome(false, "other")); // a snapshot follows: fine
  });

  it("reset forgets records and position", () => {
    const store = loaded();
    store.reset();
    expect(store.position()).toBeNull();
    expect(store.list("meeting")).toEqual([]);
    expect(store.snapshotLike()).toEqual({});
  });

  it("pong, result and error do not touch the state", () => {
    const store = loaded();
    store.apply({ type: "pong", id: 1, client_ms: 5, server_ms: 9, epoch: "x", version: 999 });
    store.apply({ type: "error", code: "malformed", message: "nope", epoch: "x", version: 1 });
    store.apply({ type: "result", id: "c-1", committed: 50, preview: {}, epoch: "x", version: 50 });
    expect(store.position()).toEqual({ epoch: EPOCH, version: 41 });
  });

  it.each([
    ["table", { number: 14 }, "14"],
    ["round", { index: 4 }, "4"],
    ["meeting", { id: "m0012" }, "m0012"],
    ["break", { id: "b2" }, "b2"],
    ["event", { id: "icmc-2026" }, "event"],
    ["me", { id: "p017" }, "me"],
    ["clock", { paused_at_ms: null }, "clock"],
  ])("the key of a %s", (kind, record, key) => {
    expect(recordKey(kind, record as Loose)).toBe(key);
  });
});

// -- A sequence of updates leads where a fresh snapshot leads ------------------------------

/** A tiny stand-in for the server: records by kind and key, and the snapshot it would send
 * (lists sorted as the server sorts them: breaks and bells by time). */
class FakeServer {
  version = 1;
  records = new Map<string, Map<string, Loose>>();

  constructor(data: Record<string, Loose>) {
    for (const [kind, list] of Object.entries(data)) {
      const entries: [string, Loose][] = Array.isArray(list) ? list.map((r) => [recordKey(kind, r), r]) : Object.entries(list);
      this.records.set(kind, new Map(entries));
    }
  }

  change(changes: Changes): UpdateMessage {
    for (const [kind, key] of changes.deletes) this.records.get(kind)?.delete(key);
    for (const [kind, record] of changes.upserts) {
      if (!this.records.has(kind)) this.records.set(kind, new Map());
      this.records.get(kind)!.set(recordKey(kind, record), record);
    }
    this.version += 1;
    return update(this.version, changes);
  }

  snapshot(): SnapshotMessage {
    const list = (kind: string, by: (r: Loose) => number | string): Loose[] =>
      [...(this.records.get(kind)?.values() ?? [])].sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
    const one = (kind: string): Loose => this.records.get(kind)?.get(kind) ?? null;
    return snapshot(
      {
        event: one("event"),
        tables: list("table", (t) => t.number),
        rounds: list("round", (r) => r.index),
        breaks: list("break", (b) => b.starts_at_ms),
        clock: one("clock"),
        bells: list("bell", (b) => b.at_ms),
        participants: list("participant", (p) => p.id),
        meetings: list("meeting", (m) => m.id),
        announcements: list("announcement", (a) => a.id),
      },
      this.version,
    );
  }
}

function meeting(id: string, a: string, b: string, round: number, table: number): Loose {
  return { id, side_a: [a], side_b: [b], round, table, status: "scheduled", origin: "planned", external_id: "" };
}

function person(id: string, name: string): Loose {
  return { id, name, organisation: "", country: "", title: "", tags: [], languages: [], present: false };
}

const ROUND = (index: number, startsAt: number): Loose => ({
  index, day: 1, starts_at_ms: startsAt, meeting_s: 1200, changeover_s: 300, label: "", skipped: false,
});

function script(): Changes[] {
  const announcement = { id: "a1", text: "Coffee in the foyer", audience: "everyone", created_at_ms: T0, expires_at_ms: null };
  return [
    { upserts: [["meeting", meeting("m1", "p0", "p1", 1, 1)]], deletes: [] },
    { upserts: [["meeting", meeting("m2", "p0", "p2", 2, 1)], ["meeting", meeting("m3", "p2", "p3", 1, 2)]], deletes: [] },
    { upserts: [["meeting", { ...meeting("m1", "p0", "p1", 1, 1), table: 2 }]], deletes: [] },
    { upserts: [["participant", person("p9", "Jānis Bērziņš")]], deletes: [] },
    { upserts: [["announcement", announcement]], deletes: [] },
    { upserts: [["announcement", { ...announcement, audience: "hall" }]], deletes: [] },
    { upserts: [], deletes: [] }, // nothing that this screen sees
    { upserts: [["break", { id: "b0", day: 1, starts_at_ms: T0 - 1, ends_at_ms: T0, label: "Coffee" }]], deletes: [] },
    { upserts: [["round", ROUND(10, T0 + 86_400_000)], ["round", ROUND(9, T0 + 3_600_000)]], deletes: [] },
    { upserts: [["clock", { paused_at_ms: T0 + 5 }]], deletes: [] },
    { upserts: [["bell", { id: "1-start", round: 1, cue: "start", at_ms: T0, recorded_at_ms: T0 + 3 }]], deletes: [] },
    { upserts: [], deletes: [["round", "9"]] },
    { upserts: [["clock", { paused_at_ms: null }]], deletes: [["meeting", "m1"], ["announcement", "a1"]] },
    { upserts: [], deletes: [["participant", "p7"]] }, // not there: nothing happens
  ] as Changes[];
}

function initial(): Record<string, Loose> {
  return {
    event: { event: { id: "ev", name: "Test", timezone: "Europe/Berlin", venue: "", settings: { warning_s: 120 } } },
    table: [1, 2, 3, 10].map((n) => ({ number: n, label: "", zone: "", capacity: 2 })),
    round: [ROUND(1, T0), ROUND(2, T0 + 1_500_000)],
    break: [{ id: "lunch", day: 1, starts_at_ms: T0 + 3_000_000, ends_at_ms: T0 + 6_000_000, label: "Lunch" }],
    participant: ["p0", "p1", "p2", "p3"].map((id) => person(id, `Person ${id}`)),
    meeting: [],
    announcement: [],
    bell: [],
  };
}

function fresh(message: SnapshotMessage): Record<string, unknown> {
  const store = new Store();
  store.apply(message);
  return store.snapshotLike();
}

describe.each<Encoding>(["json", "msgpack"])("round trip over %s", (encoding) => {
  // Through the wire encoding, as a client gets it.
  const wire = <T>(message: T): T => {
    const data = encode(message as Loose, encoding);
    return decode(data, encoding) as T;
  };

  it("updates lead where a fresh snapshot leads, after every version", () => {
    const server = new FakeServer(initial());
    const store = new Store();
    store.apply(wire(server.snapshot()));
    for (const changes of script()) {
      store.apply(wire(server.change(changes)));
      expect(store.snapshotLike(), `after version ${server.version}`).toEqual(fresh(server.snapshot()));
    }
    expect(store.position()).toEqual({ epoch: EPOCH, version: server.version });
  });

  it("ends equal to a snapshot written by hand", () => {
    const server = new FakeServer(initial());
    const store = new Store();
    store.apply(wire(server.snapshot()));
    for (const changes of script()) store.apply(wire(server.change(changes)));
    const byHand = initial();
    expect(store.snapshotLike()).toEqual({
      event: byHand.event.event,
      tables: byHand.table,
      rounds: [ROUND(1, T0), ROUND(2, T0 + 1_500_000), ROUND(10, T0 + 86_400_000)],
      breaks: [{ id: "b0", day: 1, starts_at_ms: T0 - 1, ends_at_ms: T0, label: "Coffee" }, ...byHand.break],
      clock: { paused_at_ms: null },
      bells: [{ id: "1-start", round: 1, cue: "start", at_ms: T0, recorded_at_ms: T0 + 3 }],
      participants: [...byHand.participant, person("p9", "Jānis Bērziņš")],
      meetings: [meeting("m2", "p0", "p2", 2, 1), meeting("m3", "p2", "p3", 1, 2)],
      announcements: [],
    });
  });
});
