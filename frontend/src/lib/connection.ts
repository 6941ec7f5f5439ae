/**
 * One live connection to `ws(s)://<host>/ws` (docs/protocol.md): hello with resume, the
 * state store fed by snapshot/update, the server clock from pings, commands, and staying
 * alive: reconnect with exponential backoff and full jitter, resume where possible, reload
 * from scratch when out of sync. The WebSocket class, clocks and randomness are injectable.
 *
 * Every command carries a fresh `request_id`. When the connection drops before its answer,
 * the command stays pending and is sent again, with the same request_id, once reconnected:
 * the server applies it once and answers a repeat with the first result. Without an answer
 * within `commandTimeoutMs` it fails with `outcome_unknown`.
 */
import { ClockOffset } from "./clock";
import {
  encode,
  decode,
  encodingOf,
  shouldReconnect,
  subprotocolOf,
  CloseCode,
  ProtocolError,
  type ClientMessage,
  type CommandMessage,
  type Encoding,
  type ErrorMessage,
  type ResultMessage,
  type ServerMessage,
  type SnapshotMessage,
  type UpdateMessage,
} from "./protocol";
import { OutOfSync, Store } from "./store";

export type Status = "connecting" | "live" | "reconnecting" | "stopped";

/** The part of the browser's WebSocket this module uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketClass = new (url: string, protocols: string[]) => WebSocketLike;

export interface ConnectionOptions {
  url: string; // ws:// or wss:// (see config.ts: wsUrlFor)
  event: string;
  token: string;
  encodings?: Encoding[]; // offered, preferred first
  WebSocket?: WebSocketClass;
  store?: Store;
  clock?: ClockOffset;
  now?: () => number; // the client's wall clock, ms
  monotonic?: () => number; // a clock that never jumps, to notice wall-clock jumps
  random?: () => number; // in [0, 1)
  pingEveryMs?: number;
  pingsOnConnect?: number;
  pongTimeoutMs?: number; // no answer to a ping this long: the connection is dead
  welcomeTimeoutMs?: number; // from the socket's creation to the welcome
  commandTimeoutMs?: number; // a command's answer, across reconnects: then outcome_unknown
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface StatusDetail {
  closeCode?: number; // the close that led here
  error?: ErrorMessage | null; // the server's error before that close, if any
  retryInMs?: number; // when reconnecting: the backoff drawn
}

type Listeners = {
  status: (status: Status, detail: StatusDetail) => void;
  message: (message: ServerMessage) => void; // every server message, after it was applied
  state: (message: SnapshotMessage | UpdateMessage, store: Store) => void; // the store changed
  clock: (clock: ClockOffset) => void; // a new clock sample
};
type EventName = keyof Listeners;

/** A command's `error` answer, or a local failure: `not_connected` (nothing was sent) or
 * `outcome_unknown` (sent, but no answer came: it may or may not have been applied). */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelayMs(attempt: number, random: () => number, baseMs = 250, capMs = 10_000): number {
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
}

/** A fresh request id, a random UUID: `crypto.randomUUID` exists only in secure contexts
 * (https, localhost), so a phone on the venue's plain-http network uses getRandomValues. */
export function newRequestId(source: Pick<Crypto, "getRandomValues"> & Partial<Pick<Crypto, "randomUUID">> = globalThis.crypto): string {
  if (typeof source.randomUUID === "function") return source.randomUUID();
  const bytes = source.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // the RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CLOCK_JUMP_MS = 1_000;

type TimerName = "retry" | "welcome" | "ping" | "pong";

interface Pending {
  message: CommandMessage; // sent again, unchanged, after a reconnect
  sentOn: WebSocketLike | null; // the socket it was last sent on
  resolve: (result: ResultMessage) => void;
  reject: (error: CommandError) => void;
  timer: ReturnType<typeof setTimeout>;
}

function outcomeUnknown(message: CommandMessage): CommandError {
  const text = message.dry_run
    ? `no answer to ${message.name} from the server (a check only: nothing was changed)`
    : `no answer to ${message.name} from the server: it may or may not have been applied; check before trying again`;
  return new CommandError("outcome_unknown", text);
}

export class Connection {
  readonly store: Store;
  readonly clock: ClockOffset;
  status: Status = "connecting";
  encoding: Encoding | null = null;
  /** Successful connects (welcomes), for tests and monitoring. */
  connections = 0;
  lastError: ErrorMessage | null = null;

  private readonly opts: Required<Omit<ConnectionOptions, "store" | "clock">>;
  private ws: WebSocketLike | null = null;
  private welcomed = false; // on the current socket
  private failures = 0; // consecutive connects that got no welcome
  private stopped = true;
  private roughOffsetMs: number | null = null; // from welcome.server_ms, until a pong
  private lastSkewMs: number | null = null; // wall - monotonic at the last sample
  private pingId = 0;
  private pings = new Map<number, number>(); // id → client time sent
  private burstLeft = 0;
  private commandId = 0;
  private pending = new Map<string, Pending>();
  private timers: Record<TimerName, ReturnType<typeof setTimeout> | null> = {
    retry: null,
    welcome: null,
    ping: null,
    pong: null,
  };
  private listeners: { [E in EventName]: Set<Listeners[E]> } = {
    status: new Set(),
    message: new Set(),
    state: new Set(),
    clock: new Set(),
  };

  constructor(options: ConnectionOptions) {
    this.store = options.store ?? new Store();
    this.clock = options.clock ?? new ClockOffset(8);
    const WS = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketClass | undefined);
    if (WS === undefined) throw new Error("no WebSocket implementation");
    this.opts = {
      url: options.url,
      event: options.event,
      token: options.token,
      encodings: options.encodings ?? ["msgpack", "json"],
      WebSocket: WS,
      now: options.now ?? (() => Date.now()),
      monotonic: options.monotonic ?? (() => performance.now()),
      random: options.random ?? Math.random,
      pingEveryMs: options.pingEveryMs ?? 20_000,
      pingsOnConnect: options.pingsOnConnect ?? 3,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      welcomeTimeoutMs: options.welcomeTimeoutMs ?? 10_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 250,
      backoffCapMs: options.backoffCapMs ?? 10_000,
    };
  }

  // -- Public API -------------------------------------------------------------------------

  on<E extends EventName>(event: E, listener: Listeners[E]): () => void {
    const set = this.listeners[event] as Set<Listeners[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.detach(CloseCode.NORMAL);
    this.clearTimer("retry");
    this.giveUpCommands();
    this.setStatus("stopped", {});
  }

  /** While waiting to reconnect, try now (e.g. the browser went online or became visible). */
  reconnectNow(): void {
    if (this.status === "reconnecting" && this.ws === null && this.timers.retry !== null) {
      this.clearTimer("retry");
      this.open();
    }
  }

  /** The server clock now: from the best ping sample, else the welcome, else the client's. */
  serverNowMs(clientNowMs: number = this.opts.now()): number {
    const offset = this.clock.offsetMs ?? this.roughOffsetMs ?? 0;
    return clientNowMs + offset;
  }

  /** Run a command; resolves with the `result`, rejects with a CommandError. A lost
   * connection does not fail it: it is sent again (same request_id) once reconnected. */
  command(name: string, args: Record<string, unknown> = {}, options: { dryRun?: boolean } = {}): Promise<ResultMessage> {
    if (this.status !== "live" || this.ws === null) {
      return Promise.reject(new CommandError("not_connected", "not connected to the server"));
    }
    const id = `c-${++this.commandId}`;
    const message: CommandMessage = { type: "command", id, name, args, request_id: newRequestId() };
    if (options.dryRun) message.dry_run = true;
    return new Promise<ResultMessage>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, (p) => p.reject(outcomeUnknown(p.message))), this.opts.commandTimeoutMs);
      const pending: Pending = { message, sentOn: null, resolve, reject, timer };
      this.pending.set(id, pending);
      this.sendCommand(pending);
    });
  }

  // -- The socket -------------------------------------------------------------------------

  private open(): void {
    this.clearTimer("retry");
    if (this.status !== "reconnecting") this.setStatus("connecting", {});
    const protocols = this.opts.encodings.map(subprotocolOf);
    let ws: WebSocketLike;
    try {
      ws = new this.opts.WebSocket(this.opts.url, protocols);
    } catch {
      this.closed(CloseCode.ABNORMAL); // e.g. a bad URL: retried with backoff like a drop
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.welcomed = false;
    this.encoding = null;
    this.lastError = null;
    ws.onopen = () => this.ws === ws && this.opened(ws);
    ws.onmessage = (ev) => this.ws === ws && this.received(ev.data);
    ws.onclose = (ev) => this.ws === ws && this.closed(ev.code);
    ws.onerror = () => undefined; // a close event follows
    this.timers.welcome = setTimeout(() => this.drop(), this.opts.welcomeTimeoutMs);
  }

  private opened(ws: WebSocketLike): void {
    const encoding = encodingOf(ws.protocol);
    if (encoding === null) {
      // The server accepted neither subprotocol: this client cannot talk to it.
      this.lastError = { type: "error", code: "bad_subprotocol", message: `the server chose ${JSON.stringify(ws.protocol)}` };
      this.detach(CloseCode.NORMAL);
      this.stopped = true;
      this.setStatus("stopped", { error: this.lastError });
      return;
    }
    this.encoding = encoding;
    const resume = this.store.position();
    this.send({ type: "hello", event: this.opts.event, token: this.opts.token, ...(resume ? { resume } : {}) });
  }

  private received(data: unknown): void {
    if (this.encoding === null) return;
    let message: ServerMessage;
    try {
      message = decode(data as string | ArrayBuffer, this.encoding);
    } catch (err) {
      if (err instanceof ProtocolError) return; // nothing to do about a frame we can't read
      throw err;
    }
    try {
      this.handle(message);
    } catch (err) {
      if (!(err instanceof OutOfSync)) throw err;
      this.resync();
      return;
    }
    for (const listener of this.listeners.message) listener(message);
  }

  private handle(message: ServerMessage): void {
    const at = this.opts.now();
    switch (message.type) {
      case "welcome":
        this.store.apply(message); // OutOfSync: resumed into another epoch
        this.clearTimer("welcome");
        this.welcomed = true;
        this.failures = 0;
        this.connections += 1;
        if (this.clock.offsetMs === null) this.roughOffsetMs = message.server_ms - at;
        this.burstLeft = this.opts.pingsOnConnect;
        this.ping();
        this.clearTimer("ping");
        this.timers.ping = setInterval(() => this.ping(true), this.opts.pingEveryMs);
        if (message.resumed) this.goLive();
        break;
      case "snapshot":
        this.store.apply(message);
        this.goLive();
        this.emitState(message);
        break;
      case "update":
        this.store.apply(message);
        this.emitState(message);
        break;
      case "pong":
        this.ponged(message.id, message.server_ms, at);
        break;
      case "result":
        this.settle(message.id, (p) => p.resolve(message));
        break;
      case "error":
        if (!this.settle(message.id, (p) => p.reject(new CommandError(message.code, message.message, message.details)))) {
          this.lastError = message; // the close that follows says what to do
        }
        break;
    }
  }

  private closed(code: number, closeSocket = false): void {
    const wasWelcomed = this.welcomed;
    this.detach(closeSocket ? CloseCode.NORMAL : null);
    if (this.stopped) return;
    if (!wasWelcomed) this.failures += 1;
    const error = this.lastError;
    if (!shouldReconnect(code)) {
      this.stopped = true;
      this.giveUpCommands();
      this.setStatus("stopped", { closeCode: code, error });
      return;
    }
    this.scheduleReconnect({ closeCode: code, error });
  }

  /** The connection is dead or useless: drop it as if it was lost (1006) and reconnect. */
  private drop(): void {
    if (this.ws !== null) this.closed(CloseCode.ABNORMAL, true);
  }

  /** Out of sync: forget everything and reload like at startup (no resume). */
  private resync(): void {
    this.store.reset();
    this.detach(CloseCode.NORMAL);
    if (!this.stopped) this.scheduleReconnect({});
  }

  private scheduleReconnect(detail: StatusDetail): void {
    const delay = backoffDelayMs(this.failures, this.opts.random, this.opts.backoffBaseMs, this.opts.backoffCapMs);
    this.setStatus("reconnecting", { ...detail, retryInMs: delay });
    this.clearTimer("retry");
    this.timers.retry = setTimeout(() => {
      this.timers.retry = null;
      this.open();
    }, delay);
  }

  /** Forget the current socket (closing it with `code` unless null), its timers and pings.
   * Pending commands stay: they are sent again once reconnected. */
  private detach(code: number | null): void {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    this.clearTimer("welcome");
    this.clearTimer("ping");
    this.clearTimer("pong");
    this.pings.clear();
    this.burstLeft = 0;
    if (ws !== null) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (code !== null) {
        try {
          ws.close(code);
        } catch {
          // already closed
        }
      }
    }
  }

  /** Commands still waiting for an answer fail: whether they were applied is unknown. */
  private giveUpCommands(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(outcomeUnknown(p.message)));
  }

  // -- Clock ------------------------------------------------------------------------------

  private ping(watch = false): void {
    if (this.ws === null) return;
    const id = ++this.pingId;
    const sent = this.opts.now();
    this.pings.set(id, sent);
    this.send({ type: "ping", id, client_ms: sent });
    if (watch && this.timers.pong === null) {
      this.timers.pong = setTimeout(() => this.drop(), this.opts.pongTimeoutMs);
    }
  }

  private ponged(id: unknown, serverMs: number, at: number): void {
    const sent = typeof id === "number" ? this.pings.get(id) : undefined;
    if (sent === undefined || typeof serverMs !== "number") return;
    this.pings.delete(id as number);
    this.clearTimer("pong");
    const skew = at - this.opts.monotonic();
    if (this.lastSkewMs !== null && Math.abs(skew - this.lastSkewMs) > CLOCK_JUMP_MS) {
      this.clock.clear(); // the wall clock jumped (or the device slept): old samples are wrong
    }
    this.lastSkewMs = skew;
    this.clock.add({ sentMs: sent, receivedMs: at, serverMs });
    for (const listener of this.listeners.clock) listener(this.clock);
    if (this.burstLeft > 0) {
      this.burstLeft -= 1;
      if (this.burstLeft > 0) this.ping();
    }
  }

  // -- Helpers ----------------------------------------------------------------------------

  private goLive(): void {
    this.setStatus("live", {});
    // Commands whose answer was lost with the last connection: ask again, same request_id.
    for (const p of this.pending.values()) if (p.sentOn !== this.ws) this.sendCommand(p);
  }

  private sendCommand(p: Pending): void {
    p.sentOn = this.ws;
    this.send(p.message);
  }

  private emitState(message: SnapshotMessage | UpdateMessage): void {
    for (const listener of this.listeners.state) listener(message, this.store);
  }

  private settle(id: unknown, how: (p: Pending) => void): boolean {
    if (typeof id !== "string") return false;
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    how(p);
    return true;
  }

  private send(message: ClientMessage): void {
    if (this.ws === null || this.encoding === null) return;
    try {
      this.ws.send(encode(message, this.encoding));
    } catch {
      this.drop(); // the socket is closing: treat as lost
    }
  }

  private setStatus(status: Status, detail: StatusDetail): void {
    const changed = status !== this.status;
    this.status = status;
    if (changed || Object.keys(detail).length > 0) {
      for (const listener of this.listeners.status) listener(status, detail);
    }
  }

  private clearTimer(name: TimerName): void {
    const timer = this.timers[name];
    if (timer === null) return;
    clearTimeout(timer);
    clearInterval(timer);
    this.timers[name] = null;
  }
}
