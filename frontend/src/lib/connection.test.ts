import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommandError, Connection, backoffDelayMs, newRequestId, type ConnectionOptions, type Status, type StatusDetail, type WebSocketLike } from "./connection";
import type { ClientMessage, CommandMessage, PingMessage, ServerMessage, SnapshotData } from "./protocol";

const EPOCH = "3f9c0a7be1d24c55";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const URL = "ws://example.test/ws";

/** A WebSocket stand-in: records what the client sends; the test plays the server. */
class FakeSocket implements WebSocketLike {
  binaryType = "blob";
  protocol = "";
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: (string | Uint8Array)[] = [];
  closedWith: number | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    sockets.push(this);
  }

  send(data: string | Uint8Array): void {
    if (this.closedWith !== null) throw new Error("closed");
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
  }

  // -- The server's side --

  accept(protocol = this.protocols[0]!): void {
    this.protocol = protocol;
    this.onopen?.({});
  }

  deliver(message: ServerMessage): void {
    if (this.protocol === "matchboard.v1.json") {
      this.onmessage?.({ data: JSON.stringify(message) });
    } else {
      const bytes = msgpackEncode(message);
      this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    }
  }

  lose(code = 1006): void {
    this.onclose?.({ code, reason: "" });
  }

  messages(): ClientMessage[] {
    return this.sent.map((d) => (typeof d === "string" ? JSON.parse(d) : msgpackDecode(d)) as ClientMessage);
  }

  last<T extends ClientMessage["type"]>(type: T): Extract<ClientMessage, { type: T }> {
    const found = this.messages().filter((m) => m.type === type);
    if (found.length === 0) throw new Error(`no ${type} sent`);
    return found[found.length - 1] as Extract<ClientMessage, { type: T }>;
  }

  /** Answer every ping not answered yet, the server clock reading `offset` ahead. */
  pongAll(offsetMs: number, answered = new Set<number>()): void {
    for (const m of this.messages()) {
      if (m.type !== "ping" || answered.has(m.id)) continue;
      answered.add(m.id);
      this.deliver(pong(m, Date.now() + offsetMs));
    }
  }
}

let sockets: FakeSocket[] = [];
const latest = (): FakeSocket => sockets[sockets.length - 1]!;

function data(): SnapshotData {
  return { event: null, tables: [], rounds: [], breaks: [], meetings: [], participants: [], announcements: [] };
}

function welcome(version: number, resumed: boolean, epoch = EPOCH): ServerMessage {
  return { type: "welcome", role: "hall", event: "ev", participant: null, epoch, version, server_ms: Date.now(), resumed };
}

function snapshot(version: number, epoch = EPOCH): ServerMessage {
  return { type: "snapshot", epoch, version, server_ms: Date.now(), data: data() };
}

function update(version: number, epoch = EPOCH): ServerMessage {
  const table = { number: version, label: "", zone: "", capacity: 2 };
  return { type: "update", epoch, version, at_ms: Date.now(), changes: { upserts: [["table", table]], deletes: [] } };
}

function pong(ping: PingMessage, serverMs: number): ServerMessage {
  return { type: "pong", id: ping.id, client_ms: ping.client_ms, server_ms: serverMs, epoch: EPOCH, version: 1 };
}

interface Harness {
  conn: Connection;
  statuses: [Status, StatusDetail][];
}

function connect(options: Partial<ConnectionOptions> = {}): Harness {
  const conn = new Connection({
    url: URL,
    event: "ev",
    token: "screen-key",
    WebSocket: FakeSocket,
    random: () => 0.5,
    monotonic: () => Date.now(), // no wall-clock jumps unless a test makes one
    ...options,
  });
  const statuses: [Status, StatusDetail][] = [];
  conn.on("status", (status, detail) => statuses.push([status, detail]));
  conn.start();
  return { conn, statuses };
}

/** Connect and go live at `version` with a fresh snapshot. */
function live(version = 41, options: Partial<ConnectionOptions> = {}): Harness {
  const h = connect(options);
  latest().accept();
  latest().deliver(welcome(version, false));
  latest().deliver(snapshot(version));
  return h;
}

beforeEach(() => {
  sockets = [];
  vi.useFakeTimers({ now: 1_780_000_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("connecting", () => {
  it("offers both subprotocols, says hello without resume, and goes live on the snapshot", () => {
    const { conn, statuses } = connect();
    expect(conn.status).toBe("connecting");
    const ws = latest();
    expect(ws.url).toBe(URL);
    expect(ws.protocols).toEqual(["matchboard.v1.msgpack", "matchboard.v1.json"]);
    expect(ws.binaryType).toBe("arraybuffer");
    ws.accept();
    expect(ws.sent[0]).toBeInstanceOf(Uint8Array); // msgpack: binary frames
    expect(ws.messages()[0]).toEqual({ type: "hello", event: "ev", token: "screen-key" });
    ws.deliver(welcome(41, false));
    expect(conn.status).toBe("connecting"); // the snapshot follows
    ws.deliver(snapshot(41));
    expect(conn.status).toBe("live");
    expect(conn.store.position()).toEqual({ epoch: EPOCH, version: 41 });
    expect(statuses.map(([s]) => s)).toEqual(["live"]);
  });

  it("speaks JSON in text frames when the server picks it", () => {
    connect();
    const ws = latest();
    ws.accept("matchboard.v1.json");
    expect(typeof ws.sent[0]).toBe("string");
    ws.deliver(welcome(41, false));
    ws.deliver(snapshot(41));
    ws.deliver(update(42));
    expect(ws.last("hello").token).toBe("screen-key");
  });

  it("stops when the server picks no known subprotocol", () => {
    const { conn } = connect();
    latest().accept("");
    expect(conn.status).toBe("stopped");
    expect(conn.lastError?.code).toBe("bad_subprotocol");
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("notifies state listeners after the store changed", () => {
    const { conn } = connect();
    const seen: [string, number | null][] = [];
    conn.on("state", (message, store) => seen.push([message.type, store.version]));
    latest().accept();
    latest().deliver(welcome(41, false));
    latest().deliver(snapshot(41));
    latest().deliver(update(42));
    expect(seen).toEqual([["snapshot", 41], ["update", 42]]);
  });
});

describe("reconnecting", () => {
  it("resumes from the store's position after a drop", () => {
    const { conn, statuses } = live(41);
    latest().deliver(update(42));
    latest().lose(1006);
    expect(conn.status).toBe("reconnecting");
    const delay = statuses[statuses.length - 1]![1].retryInMs!;
    expect(delay).toBe(0.5 * 250); // attempt 0 after a live connection: [0, 250 ms]
    vi.advanceTimersByTime(delay - 1);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    latest().accept();
    expect(latest().last("hello")).toEqual({ type: "hello", event: "ev", token: "screen-key", resume: { epoch: EPOCH, version: 42 } });
    latest().deliver(welcome(44, true));
    expect(conn.status).toBe("live");
    latest().deliver(update(43));
    latest().deliver(update(44));
    expect(conn.store.version).toBe(44);
    expect(conn.connections).toBe(2);
  });

  it.each([1001, 1006, 1011, 1012, 1013, 4002, 4008])("reconnects after close %i", (code) => {
    const { conn } = live();
    latest().lose(code);
    expect(conn.status).toBe("reconnecting");
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(2);
  });

  it.each([1000, 1009, 4000, 4001, 4004, 4005])("stops after close %i", (code) => {
    const { conn } = live();
    latest().lose(code);
    expect(conn.status).toBe("stopped");
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("stops on a wrong token, keeping the server's error", () => {
    const { conn, statuses } = connect();
    latest().accept();
    latest().deliver({ type: "error", code: "unauthorized", message: "the token is not valid for event 'ev'" });
    latest().lose(4001);
    expect(conn.status).toBe("stopped");
    expect(statuses[statuses.length - 1]).toEqual(["stopped", { closeCode: 4001, error: expect.objectContaining({ code: "unauthorized" }) }]);
  });

  it("backs off exponentially while connects fail, up to 10 s, and starts over once through", () => {
    const { statuses } = connect({ random: () => 0.999 });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      latest().lose(1006); // the handshake failed: no welcome
      const delay = statuses[statuses.length - 1]![1].retryInMs!;
      delays.push(Math.round(delay / 0.999));
      vi.advanceTimersByTime(delay);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
    latest().accept();
    latest().deliver(welcome(1, false));
    latest().deliver(snapshot(1));
    latest().lose(1012);
    expect(Math.round(statuses[statuses.length - 1]![1].retryInMs! / 0.999)).toBe(250);
  });

  it("reconnectNow skips the wait", () => {
    const { conn } = connect({ random: () => 0.999 });
    for (let i = 0; i < 6; i++) {
      latest().lose(1006);
      vi.advanceTimersByTime(10_000);
    }
    latest().lose(1006); // now waiting up to 10 s
    expect(sockets).toHaveLength(7);
    conn.reconnectNow();
    expect(sockets).toHaveLength(8);
    conn.reconnectNow(); // connecting already: nothing more
    expect(sockets).toHaveLength(8);
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(8); // the skipped timer does not fire
  });

  it("gives up on a connection that never says welcome", () => {
    const { conn } = connect({ welcomeTimeoutMs: 10_000 });
    latest().accept();
    vi.advanceTimersByTime(9_999);
    expect(conn.status).toBe("connecting");
    vi.advanceTimersByTime(1);
    expect(conn.status).toBe("reconnecting");
    expect(sockets[0]!.closedWith).toBe(1000);
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
  });

  it("drops a connection whose pings go unanswered", () => {
    const { conn } = live(41, { pingEveryMs: 20_000, pongTimeoutMs: 10_000 });
    const ws = latest();
    ws.pongAll(0);
    vi.advanceTimersByTime(20_000); // the periodic ping goes out
    expect(ws.messages().filter((m) => m.type === "ping").length).toBeGreaterThanOrEqual(2);
    vi.advanceTimersByTime(9_999);
    expect(conn.status).toBe("live");
    vi.advanceTimersByTime(1);
    expect(conn.status).toBe("reconnecting");
    expect(ws.closedWith).toBe(1000);
  });

  it("keeps a connection whose pings are answered", () => {
    const { conn } = live();
    const answered = new Set<number>();
    for (let i = 0; i < 10; i++) {
      latest().pongAll(0, answered);
      vi.advanceTimersByTime(20_000);
      latest().pongAll(0, answered);
    }
    expect(conn.status).toBe("live");
    expect(sockets).toHaveLength(1);
  });

  it("stop() closes and stays closed", () => {
    const { conn } = live();
    conn.stop();
    expect(conn.status).toBe("stopped");
    expect(latest().closedWith).toBe(1000);
    latest().lose(1006); // a late close event changes nothing
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});

describe("out of sync", () => {
  it("on a gap: forgets the state and reconnects without resume", () => {
    const { conn } = live(41);
    const first = latest();
    first.deliver(update(42));
    first.deliver(update(44)); // 43 is missing
    expect(conn.store.position()).toBeNull();
    expect(first.closedWith).toBe(1000);
    expect(conn.status).toBe("reconnecting");
    vi.advanceTimersByTime(250);
    const second = latest();
    expect(second).not.toBe(first);
    second.accept();
    expect(second.last("hello").resume).toBeUndefined();
    second.deliver(welcome(44, false));
    second.deliver(snapshot(44));
    expect(conn.status).toBe("live");
    expect(conn.store.version).toBe(44);
  });

  it("on a foreign epoch or a duplicate", () => {
    const { conn } = live(41);
    latest().deliver(update(42, "another"));
    expect(conn.store.position()).toBeNull();
    vi.advanceTimersByTime(250);
    latest().accept();
    latest().deliver(welcome(50, false));
    latest().deliver(snapshot(50));
    latest().deliver(update(50)); // duplicate
    expect(conn.store.position()).toBeNull();
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(3);
  });

  it("on a resumed welcome of another epoch", () => {
    const { conn } = live(41);
    latest().lose(1012);
    vi.advanceTimersByTime(250);
    latest().accept();
    expect(latest().last("hello").resume).toEqual({ epoch: EPOCH, version: 41 });
    latest().deliver(welcome(3, true, "re-imported"));
    expect(conn.store.position()).toBeNull();
    vi.advanceTimersByTime(250);
    latest().accept();
    expect(latest().last("hello").resume).toBeUndefined();
  });
});

describe("clock", () => {
  it("pings three times on connect, then every 20 s", () => {
    live(41, { pingEveryMs: 20_000, pingsOnConnect: 3 });
    const ws = latest();
    const pings = (): PingMessage[] => ws.messages().filter((m): m is PingMessage => m.type === "ping");
    expect(pings()).toHaveLength(1);
    const answered = new Set<number>();
    for (let i = 0; i < 4; i++) ws.pongAll(0, answered);
    expect(pings()).toHaveLength(3); // the burst ends after the third pong
    vi.advanceTimersByTime(20_000);
    expect(pings()).toHaveLength(4);
    ws.pongAll(0, answered);
    vi.advanceTimersByTime(20_000);
    expect(pings()).toHaveLength(5);
    expect(pings().map((p) => p.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("estimates the server clock of a client 3 s behind", () => {
    const { conn } = live();
    const ws = latest();
    expect(conn.serverNowMs()).toBeCloseTo(Date.now(), -2); // rough, from the welcome
    const answered = new Set<number>();
    for (const rtt of [80, 20, 200]) {
      const ping = ws.messages().filter((m): m is PingMessage => m.type === "ping" && !answered.has(m.id))[0]!;
      answered.add(ping.id);
      vi.advanceTimersByTime(rtt / 2);
      const serverMs = Date.now() + 3_000;
      vi.advanceTimersByTime(rtt / 2);
      ws.deliver(pong(ping, serverMs));
    }
    expect(conn.clock.samples).toHaveLength(3);
    expect(conn.clock.rttMs).toBe(20);
    expect(conn.clock.offsetMs).toBe(3_000);
    expect(conn.serverNowMs(1_000)).toBe(4_000);
  });

  it("forgets old samples when the wall clock jumps", () => {
    let jump = 0;
    const { conn } = live(41, { monotonic: () => Date.now() - jump });
    const ws = latest();
    const answered = new Set<number>();
    for (let i = 0; i < 3; i++) ws.pongAll(500, answered);
    expect(conn.clock.samples).toHaveLength(3);
    expect(conn.clock.offsetMs).toBe(500);
    jump = 60_000; // the client's clock stepped one minute ahead
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(20_000); // the next ping, after the jump
    ws.pongAll(500 - 60_000, answered);
    expect(conn.clock.samples).toHaveLength(1);
    expect(conn.clock.offsetMs).toBe(500 - 60_000);
  });

  it("ignores pongs it did not ask for", () => {
    const { conn } = live();
    latest().deliver({ type: "pong", id: 999, client_ms: 0, server_ms: 5, epoch: EPOCH, version: 41 });
    expect(conn.clock.samples).toHaveLength(0);
  });
});

describe("commands", () => {
  it("resolve with the result of the same id", async () => {
    const { conn } = live();
    const promise = conn.command("move_meeting", { meeting: "m0012", table: 14 }, { dryRun: true });
    const sent = latest().last("command") as CommandMessage;
    expect(sent).toEqual({ type: "command", id: sent.id, name: "move_meeting", args: { meeting: "m0012", table: 14 }, dry_run: true, request_id: sent.request_id });
    expect(sent.request_id).toMatch(UUID);
    latest().deliver({ type: "result", id: "other", committed: null, preview: {}, epoch: EPOCH, version: 41 });
    latest().deliver({ type: "result", id: sent.id, committed: null, preview: { meetings: [] }, epoch: EPOCH, version: 41 });
    await expect(promise).resolves.toMatchObject({ type: "result", id: sent.id, committed: null });
  });

  it("reject with the error of the same id; the connection stays", async () => {
    const { conn } = live();
    const promise = conn.command("move_meeting", { meeting: "m1", table: 3 });
    const sent = latest().last("command") as CommandMessage;
    expect(sent.dry_run).toBeUndefined();
    latest().deliver({ type: "error", id: sent.id, code: "table_taken", message: "table 3 is taken", details: { table: 3 } });
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: "table_taken", message: "table 3 is taken", details: { table: 3 } });
    expect(conn.status).toBe("live");
    expect(conn.lastError).toBeNull();
  });

  it("get distinct ids and request ids", () => {
    const { conn } = live();
    void conn.command("announce", { text: "a" }).catch(() => undefined);
    void conn.command("announce", { text: "b" }).catch(() => undefined);
    const sent = latest().messages().filter((m): m is CommandMessage => m.type === "command");
    expect(new Set(sent.map((m) => m.id)).size).toBe(2);
    expect(new Set(sent.map((m) => m.request_id)).size).toBe(2);
  });

  it("reject when not connected, and with outcome_unknown when no answer comes in time", async () => {
    const { conn } = connect();
    await expect(conn.command("undo")).rejects.toMatchObject({ code: "not_connected" });
    latest().accept();
    latest().deliver(welcome(1, false));
    latest().deliver(snapshot(1));
    const slow = conn.command("delay_rounds", { minutes: 5 });
    vi.advanceTimersByTime(59_999);
    latest().deliver(update(2)); // the connection is alive; the answer just does not come
    vi.advanceTimersByTime(1);
    const error = await slow.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "outcome_unknown" });
    expect((error as CommandError).message).toContain("may or may not have been applied");
  });
});

/** What a command answered with on `ws`: the last `command` it carries, answered. */
function answer(ws: FakeSocket, committed: number | null): CommandMessage {
  const sent = ws.last("command");
  ws.deliver({ type: "result", id: sent.id, committed, preview: {}, epoch: EPOCH, version: 2 });
  return sent;
}

describe("commands across a lost connection", () => {
  it("stay pending and are sent again with the same request_id once resumed", async () => {
    const { conn } = live();
    const first = latest();
    let settled = false;
    const promise = conn.command("delay_rounds", { minutes: 5 }).finally(() => (settled = true));
    const sent = first.last("command");
    first.lose(1006); // the commit happened, its answer is lost
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(conn.status).toBe("reconnecting");
    vi.advanceTimersByTime(250);
    const second = latest();
    expect(second).not.toBe(first);
    second.accept();
    expect(second.messages().filter((m) => m.type === "command")).toEqual([]); // not before the welcome
    second.deliver(welcome(41, true));
    expect(second.last("command")).toEqual(sent); // same id, same request_id, same args
    answer(second, 42);
    await expect(promise).resolves.toMatchObject({ committed: 42 });
  });

  it("are sent again after a reload from a snapshot, once each", async () => {
    const { conn } = live();
    const promise = conn.command("walk_in", { side_a: ["p4"], side_b: ["p5"], round: 2 });
    const sent = latest().last("command");
    latest().lose(1012);
    vi.advanceTimersByTime(250);
    const second = latest();
    second.accept();
    second.deliver(welcome(5, false, "another-epoch"));
    second.deliver(snapshot(5, "another-epoch"));
    second.deliver(snapshot(5, "another-epoch")); // e.g. the event re-created meanwhile
    const again = second.messages().filter((m): m is CommandMessage => m.type === "command");
    expect(again).toEqual([sent]);
    answer(second, 3);
    await expect(promise).resolves.toMatchObject({ committed: 3 });
  });

  it("give up with outcome_unknown when no connection comes back in time", async () => {
    const { conn } = live(41, { commandTimeoutMs: 30_000 });
    const promise = conn.command("announce", { text: "Lunch" });
    const caught = promise.catch((e: unknown) => e);
    latest().lose(1006);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(2_000);
      latest().lose(1006); // every attempt fails
    }
    expect(await caught).toMatchObject({ code: "outcome_unknown" });
  });

  it("give up with outcome_unknown when the connection ends for good or is stopped", async () => {
    const { conn } = live();
    const revoked = conn.command("check_in").catch((e: unknown) => e);
    latest().lose(4005);
    expect(await revoked).toMatchObject({ code: "outcome_unknown" });
    const other = live();
    const stopped = other.conn.command("check_in").catch((e: unknown) => e);
    other.conn.stop();
    expect(await stopped).toMatchObject({ code: "outcome_unknown" });
  });
});

describe("newRequestId", () => {
  it("is crypto.randomUUID where there is one", () => {
    expect(newRequestId({ randomUUID: () => "1b4e28ba-2fa1-41d2-883f-0016d3cca427", getRandomValues: (a) => a })).toBe("1b4e28ba-2fa1-41d2-883f-0016d3cca427");
    expect(newRequestId()).toMatch(UUID);
  });

  it("is a version 4 UUID from getRandomValues without it (plain http)", () => {
    const bytes = { getRandomValues: <T extends ArrayBufferView | null>(a: T): T => (new Uint8Array(a!.buffer).fill(0xff), a) };
    expect(newRequestId(bytes)).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    const ids = new Set(Array.from({ length: 100 }, () => newRequestId({ getRandomValues: (a) => crypto.getRandomValues(a) })));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(UUID);
  });
});

describe("backoffDelayMs", () => {
  it("is full jitter under an exponential cap", () => {
    for (const [attempt, cap] of [[0, 250], [1, 500], [2, 1_000], [5, 8_000], [6, 10_000], [60, 10_000]] as const) {
      const delays = Array.from({ length: 300 }, () => backoffDelayMs(attempt, Math.random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(cap);
      expect(Math.max(...delays)).toBeGreaterThan(cap * 0.9);
      expect(Math.min(...delays)).toBeLessThan(cap * 0.1);
    }
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.5)).toBe(1_000);
  });
});
