/**
 * What one connection knows of an event, applied message by message (mirrors
 * server/client/client_state.py). Pure.
 *
 * A snapshot replaces the records; each update must be exactly the next version of the
 * same epoch, else OutOfSync: discard and reload without resume (docs/protocol.md).
 */
import type { AnyRecord, Kind, Position, RecordKinds, ServerMessage, SnapshotData, UpdateMessage } from "./protocol";

/** Snapshot list → record kind. */
export const LIST_KINDS = {
  tables: "table",
  rounds: "round",
  breaks: "break",
  participants: "participant",
  meetings: "meeting",
  announcements: "announcement",
  alerts: "alert",
  bells: "bell",
} as const satisfies Record<string, Kind>;
type ListName = keyof typeof LIST_KINDS;

/** One record each, stored under its kind as key. */
export const SINGLE_KINDS = ["event", "me", "clock"] as const;
type SingleKind = (typeof SINGLE_KINDS)[number];

const NUMBER_KEYED: Partial<Record<Kind, string>> = { table: "number", round: "index" }; // others: "id"

function isSingle(kind: string): kind is SingleKind {
  return (SINGLE_KINDS as readonly string[]).includes(kind);
}

export function recordKey(kind: string, record: AnyRecord): string {
  if (isSingle(kind)) return kind;
  return String((record as unknown as Record<string, unknown>)[NUMBER_KEYED[kind as Kind] ?? "id"]);
}

function compareKeys(kind: string): (a: string, b: string) => number {
  if (kind in NUMBER_KEYED) return (a, b) => Number(a) - Number(b); // tables, rounds by number
  return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/** A gap, duplicate or foreign epoch: discard the state and reconnect without resume. */
export class OutOfSync extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutOfSync";
  }
}

export class Store {
  epoch: string | null = null;
  version: number | null = null;
  role: string | null = null;
  participant: string | null = null;
  private records = new Map<string, Map<string, AnyRecord>>();
  private shape: string[] = []; // the keys of the last snapshot's data

  /** Forget the records and the position ("reload like at startup"). */
  reset(): void {
    this.epoch = null;
    this.version = null;
    this.records = new Map();
    this.shape = [];
  }

  position(): Position | null {
    if (this.epoch === null || this.version === null) return null;
    return { epoch: this.epoch, version: this.version };
  }

  /** Apply a server message; other types than welcome/snapshot/update are ignored.
   * Throws OutOfSync, leaving the state untouched, for an update that is not exactly the
   * next version of this epoch, or a resumed welcome of another epoch. */
  apply(message: ServerMessage): void {
    if (message.type === "welcome") {
      if (message.resumed && message.epoch !== this.epoch) {
        throw new OutOfSync(`resumed into epoch ${message.epoch}, have ${String(this.epoch)}`);
      }
      this.role = message.role;
      this.participant = message.participant ?? null;
    } else if (message.type === "snapshot") {
      this.load(message.data, message.epoch, message.version);
    } else if (message.type === "update") {
      this.checkNext(message);
      this.applyChanges(message);
      this.version = message.version;
    }
  }

  private load(data: SnapshotData, epoch: string, version: number): void {
    const records = new Map<string, Map<string, AnyRecord>>();
    for (const kind of Object.values(LIST_KINDS)) records.set(kind, new Map());
    const raw = data as Record<string, unknown>;
    for (const name of SINGLE_KINDS) {
      const one = new Map<string, AnyRecord>();
      const record = raw[name];
      if (record !== null && record !== undefined) one.set(name, record as AnyRecord);
      records.set(name, one);
    }
    for (const [name, kind] of Object.entries(LIST_KINDS)) {
      const list = raw[name];
      if (!Array.isArray(list)) continue;
      const map = records.get(kind)!;
      for (const record of list as AnyRecord[]) map.set(recordKey(kind, record), record);
    }
    this.records = records;
    this.shape = Object.keys(data);
    this.epoch = epoch;
    this.version = version;
  }

  private checkNext(message: UpdateMessage): void {
    const { epoch, version } = message;
    if (this.epoch === null || this.version === null) {
      throw new OutOfSync(`update ${version} before any snapshot`);
    }
    if (epoch !== this.epoch) throw new OutOfSync(`update of epoch ${epoch}, have ${this.epoch}`);
    if (!Number.isInteger(version) || version <= this.version) {
      throw new OutOfSync(`duplicate or stale update ${version}, have ${this.version}`);
    }
    if (version !== this.version + 1) throw new OutOfSync(`gap: update ${version} after ${this.version}`);
  }

  private applyChanges(message: UpdateMessage): void {
    const { upserts = [], deletes = [] } = message.changes ?? {};
    for (const [kind, key] of deletes) this.records.get(kind)?.delete(String(key));
    for (const [kind, record] of upserts) {
      let map = this.records.get(kind);
      if (map === undefined) this.records.set(kind, (map = new Map()));
      map.set(recordKey(kind, record), record);
    }
  }

  // -- Reading ----------------------------------------------------------------------------

  /** One record by kind and key (a table's key is its number, a round's its index). */
  get<K extends Kind>(kind: K, key: string | number): RecordKinds[K] | undefined {
    return this.records.get(kind)?.get(String(key)) as RecordKinds[K] | undefined;
  }

  /** The single record of `event`, `clock` or `me`. */
  single<K extends SingleKind>(kind: K): RecordKinds[K] | null {
    return (this.records.get(kind)?.get(kind) as RecordKinds[K] | undefined) ?? null;
  }

  /** Every record of a kind, sorted by key (tables and rounds by number). */
  list<K extends Kind>(kind: K): RecordKinds[K][] {
    const map = this.records.get(kind);
    if (map === undefined) return [];
    const keys = [...map.keys()].sort(compareKeys(kind));
    return keys.map((k) => map.get(k) as RecordKinds[K]);
  }

  count(kind: Kind): number {
    return this.records.get(kind)?.size ?? 0;
  }

  /** The records in the shape of a snapshot's `data`, every list sorted by key. */
  snapshotLike(): Record<string, unknown> {
    const plural = new Map<string, string>(Object.entries(LIST_KINDS).map(([name, kind]) => [kind, name]));
    const names = new Set(this.shape);
    for (const [kind, map] of this.records) if (map.size > 0) names.add(plural.get(kind) ?? kind);
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const kind = (LIST_KINDS as Record<string, string>)[name as ListName] ?? name;
      if (isSingle(kind)) out[name] = this.records.get(kind)?.get(kind) ?? null;
      else out[name] = this.list(kind as Kind);
    }
    return out;
  }
}
