import { describe, expect, it } from "vitest";
import { clientStateVectors } from "../testing/vectors";
import { decode, encode, type Encoding, type ServerMessage, type SnapshotData, type SnapshotMessage } from "./protocol";
import { OutOfSync, Store } from "./store";

const EPOCH = "3f9c0a7be1d24c55";
const T0 = 1_780_000_000_000;

// -- The same messages, the same outcome as server/client/client_state.py -------------------------

describe.each<Encoding>(["json", "msgpack"])("Store agrees with server/client/client_state.py over %s", (encoding) => {
  // Through the wire encoding, as a client gets it.
  const wire = (message: ServerMessage): ServerMessage => decode(encode(message as never, encoding), encoding) as ServerMessage;

  it.each(clientStateVectors.cases.map((c) => [c.name, c] as const))("%s (tests/vectors/client_state.json)", (_name, c) => {
    const store = new Store();
    c.messages.forEach((message, i) => {
      const step = c.steps[i]!;
      const apply = (): void => store.apply(wire(message));
      if (step.out_of_sync === null) apply();
      else {
        expect(apply, `message ${i}`).toThrow(OutOfSync);
        expect(apply, `message ${i}`).toThrow(step.out_of_sync);
      }
      const position = store.position();
      expect(position === null ? null : [position.epoch, position.version], `position after message ${i}`).toEqual(step.position);
      expect([store.role, store.participant], `role after message ${i}`).toEqual([step.role, step.participant]);
      expect(store.snapshotLike(), `records after message ${i}`).toEqual(step.snapshot_like);
    });
  });
});

// -- What only the TypeScript store has: typed reading, and the result message -------------

// Records are checked for shape by the store only through their keys: partial ones do here.
type Loose = any;

function loaded(): Store {
  const data: SnapshotData = {
    event: { id: "ev", name: "Test" } as Loose,
    tables: [{ number: 10, label: "J" }, { number: 2, label: "B" }] as Loose,
    rounds: [{ index: 1, day: 1 }, { index: 2, day: 1 }] as Loose,
    breaks: [{ id: "b1", day: 1 }] as Loose,
    meetings: [{ id: "m1", side_a: ["p1"], side_b: ["p2"], round: 1, table: 2 }] as Loose,
    announcements: [],
  };
  const snapshot: SnapshotMessage = { type: "snapshot", epoch: EPOCH, version: 41, server_ms: T0, data };
  const store = new Store();
  store.apply(snapshot);
  return store;
}

describe("reading the store", () => {
  it("by kind and key, single records, sorted lists and counts", () => {
    const store = loaded();
    expect(store.single("event")).toEqual({ id: "ev", name: "Test" });
    expect(store.list("table").map((t) => t.number)).toEqual([2, 10]); // numbers sort as numbers
    expect(store.get("round", 2)?.index).toBe(2);
    expect(store.get("break", "b1")?.day).toBe(1);
    expect(store.get("meeting", "m1")?.table).toBe(2);
    expect(store.list("announcement")).toEqual([]);
    expect(store.list("alert")).toEqual([]);
    expect(store.count("table")).toBe(2);
    expect(store.single("me")).toBeNull();
    expect(store.single("clock")).toBeNull();
  });

  it("a result message does not touch the state", () => {
    const store = loaded();
    store.apply({ type: "result", id: "c-1", committed: 50, preview: {}, epoch: "x", version: 50 });
    expect(store.position()).toEqual({ epoch: EPOCH, version: 41 });
  });

  it("reset forgets records and position", () => {
    const store = loaded();
    store.reset();
    expect(store.position()).toBeNull();
    expect(store.list("meeting")).toEqual([]);
    expect(store.snapshotLike()).toEqual({});
  });
});
