/**
 * The Matchboard WebSocket protocol v1 (docs/protocol.md): message and record types, the
 * two subprotocols, encode/decode, close codes. Pure: no sockets here.
 */
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";

export const SUBPROTOCOL_MSGPACK = "matchboard.v1.msgpack";
export const SUBPROTOCOL_JSON = "matchboard.v1.json";
export const SUBPROTOCOLS = [SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON] as const;

/** msgpack travels in binary frames, JSON in text frames. */
export type Encoding = "msgpack" | "json";

export function subprotocolOf(encoding: Encoding): string {
  return encoding === "msgpack" ? SUBPROTOCOL_MSGPACK : SUBPROTOCOL_JSON;
}

/** The encoding of the subprotocol the server picked; null for anything else. */
export function encodingOf(subprotocol: string): Encoding | null {
  if (subprotocol === SUBPROTOCOL_MSGPACK) return "msgpack";
  if (subprotocol === SUBPROTOCOL_JSON) return "json";
  return null;
}

// -- Records (docs/api.md; all times are UTC ms on the server's clock) ---------------------

export type Role = "moderator" | "hall" | "participant";
export type MeetingStatus = "requested" | "scheduled" | "held" | "no_show" | "cancelled";
export type MeetingOrigin = "planned" | "substitute" | "walk_in";
/** What became of a meeting, recorded once when its round ends (a moderator may correct it). */
export type MeetingOutcome = "held" | "no_show" | "substituted" | "cancelled";
export type AlertKind = "at_risk" | "missing_partner" | "needs_partner";
export type AlertStatus = "open" | "resolved" | "expired";
export type Cue = "seating" | "start" | "warning" | "end";

export interface EventSettings {
  warning_s: number;
  default_capacity: number;
  auto_substitute: boolean;
  substitute_grace_s: number;
  /** The event's own words for "round" and "table" ("" = the screens' own), with German forms. */
  round_label: string;
  table_label: string;
  round_label_de: string;
  table_label_de: string;
}

export interface EventRecord {
  id: string;
  name: string;
  timezone: string;
  venue: string;
  settings: EventSettings;
  moderator_token?: string; // moderators only
  screen_key?: string; // moderators only
}

export interface TableRecord {
  number: number;
  label: string;
  zone: string;
  capacity: number;
}

export interface RoundRecord {
  index: number;
  day: number;
  starts_at_ms: number;
  meeting_s: number;
  changeover_s: number;
  label: string;
  skipped: boolean;
}

export interface BreakRecord {
  id: string;
  day: number;
  starts_at_ms: number;
  ends_at_ms: number;
  label: string;
}

export interface TimeWindow {
  starts_at_ms: number;
  ends_at_ms: number;
}

/** A public profile (hall, partners); moderators and `me` carry more fields. */
export interface ParticipantRecord {
  id: string;
  name: string;
  organisation: string;
  country: string;
  title: string;
  tags: string[];
  languages: string[];
  present?: boolean; // checked in and not departed: every audience gets it
  external_id?: string;
  email?: string;
  phone?: string;
  token?: string;
  unavailable_rounds?: number[];
  available_windows?: TimeWindow[];
  check_in_code?: string;
  checked_in_at_ms?: number | null;
  departed_at_ms?: number | null;
  home_table?: number | null; // moderators and `me`: the table they prefer to meet at ("your table: 12")
}

export interface MeetingRecord {
  id: string;
  side_a: string[];
  side_b: string[];
  round: number | null;
  table: number | null;
  status: MeetingStatus;
  origin: MeetingOrigin;
  external_id: string;
  note?: string; // moderators only
  absent?: string[]; // who did not come (no-show, departed): set with status no_show
  replaced_by?: string; // the substitute meeting that took this one's place
  outcome?: MeetingOutcome | null; // null until its round ends
  rounds?: number[]; // moderators only: the rounds it may be held in (empty: any)
  after?: string[]; // moderators only: meetings to be held strictly before it
  fixed?: boolean; // moderators only: schedulers keep its round and table
}

export interface AnnouncementRecord {
  id: string;
  text: string;
  audience: "everyone" | "hall";
  created_at_ms: number;
  expires_at_ms: number | null;
}

export interface ClockRecord {
  paused_at_ms: number | null;
}

export interface BellRecord {
  id: string;
  round: number;
  cue: Cue;
  at_ms: number;
  recorded_at_ms: number;
}

/** One alert per meeting ("alert-<meeting id>"). at_risk: at seating someone has not
 * checked in; missing_partner: a participant reported "my partner is not here";
 * needs_partner: the meeting was marked a no-show while `waiting` are here and need a new
 * partner. Moderators see every alert; a participant sees the needs_partner alerts they
 * wait in. */
export interface AlertRecord {
  id: string;
  kind: AlertKind;
  meeting: string;
  round: number;
  table: number | null;
  reporter: string; // who reported it ("" when raised by the timekeeper)
  since_ms: number; // raised (or last upgraded to a more urgent kind)
  status: AlertStatus;
  resolution: string; // arrived, waiting, absent, substituted, free, or the outcome when expired
  waiting?: string[]; // needs_partner: the people here who need a new partner
  reported_at_ms?: number | null; // first "not here" report or no-show: when waiting began
  closed_at_ms?: number | null;
  no_candidates?: boolean; // needs_partner: nobody was free to step in when it was raised
}

/** Record kind → record type. `event`, `clock` and `me` are single records. */
export interface RecordKinds {
  event: EventRecord;
  table: TableRecord;
  participant: ParticipantRecord;
  round: RoundRecord;
  break: BreakRecord;
  meeting: MeetingRecord;
  announcement: AnnouncementRecord;
  clock: ClockRecord;
  bell: BellRecord;
  alert: AlertRecord;
  me: ParticipantRecord;
}
export type Kind = keyof RecordKinds;
export type AnyRecord = RecordKinds[Kind];

/** A snapshot's `data`: which keys are present depends on the role. */
export interface SnapshotData {
  event?: EventRecord | null;
  tables?: TableRecord[];
  rounds?: RoundRecord[];
  breaks?: BreakRecord[];
  clock?: ClockRecord | null;
  bells?: BellRecord[];
  alerts?: AlertRecord[];
  participants?: ParticipantRecord[];
  meetings?: MeetingRecord[];
  announcements?: AnnouncementRecord[];
  me?: ParticipantRecord | null;
}

export interface Position {
  epoch: string;
  version: number;
}

// -- Client messages ----------------------------------------------------------------------

export interface HelloMessage {
  type: "hello";
  event: string;
  token: string;
  resume?: Position;
}

export interface PingMessage {
  type: "ping";
  id: number;
  client_ms: number;
}

export interface CommandMessage {
  type: "command";
  id: string;
  name: string;
  args: Record<string, unknown>;
  dry_run?: boolean;
  request_id?: string; // the same on a retry: the server applies the command once
}

export type ClientMessage = HelloMessage | PingMessage | CommandMessage;

// -- Server messages ----------------------------------------------------------------------

export interface WelcomeMessage {
  type: "welcome";
  role: Role;
  event: string;
  participant: string | null;
  epoch: string;
  version: number;
  server_ms: number;
  resumed: boolean;
}

export interface SnapshotMessage {
  type: "snapshot";
  epoch: string;
  version: number;
  server_ms: number;
  data: SnapshotData;
}

export type Upsert = { [K in Kind]: [K, RecordKinds[K]] }[Kind];

export interface Changes {
  upserts: Upsert[];
  deletes: [Kind, string][];
}

export interface UpdateMessage {
  type: "update";
  epoch: string;
  version: number;
  at_ms: number;
  changes: Changes;
  meta?: { actor: string; command: string }; // moderators only
}

export interface PongMessage {
  type: "pong";
  id: unknown;
  client_ms: unknown;
  server_ms: number;
  epoch: string;
  version: number;
}

export interface PreviewMeeting {
  meeting: string;
  before: { round: number | null; table: number | null; status: MeetingStatus } | null;
  after: { round: number | null; table: number | null; status: MeetingStatus } | null;
}

export interface Preview {
  meetings?: PreviewMeeting[];
  people?: { id: string; name: string }[];
  undone?: { version: number; command: string };
  [key: string]: unknown;
}

/** One round `suggest_rounds` offers for a meeting (they come best first). */
export interface RoundSuggestion {
  round: number;
  starts_at_ms: number;
  tables: number[];
  breaks_added: number; // idle breaks the move adds to its people in all; negative: fills gaps
  breaks_by_person: Record<string, number>; // participant id -> breaks added, non-zero only
}

export interface ResultMessage {
  type: "result";
  id: unknown;
  committed: number | null;
  preview: Preview;
  data?: Record<string, unknown>; // the answer of a question (suggest_rounds, stats, ...)
  epoch: string;
  version: number;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
  id?: unknown;
  details?: Record<string, unknown>;
  epoch?: string;
  version?: number;
}

export type ServerMessage =
  | WelcomeMessage
  | SnapshotMessage
  | UpdateMessage
  | PongMessage
  | ResultMessage
  | ErrorMessage;

// -- Close codes --------------------------------------------------------------------------

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006, // seen by clients: lost without a close frame
  MESSAGE_TOO_BIG: 1009,
  SERVER_ERROR: 1011,
  SERVER_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_REQUEST: 4000,
  UNAUTHORIZED: 4001,
  HELLO_TIMEOUT: 4002,
  EVENT_NOT_FOUND: 4004,
  REVOKED: 4005,
  TOO_SLOW: 4008,
} as const;

/** The close codes after which a client reconnects (with backoff) and resumes. */
export const RECONNECT_CODES: ReadonlySet<number> = new Set([
  CloseCode.GOING_AWAY,
  CloseCode.ABNORMAL,
  CloseCode.SERVER_ERROR,
  CloseCode.SERVER_RESTART,
  CloseCode.TRY_AGAIN_LATER,
  CloseCode.HELLO_TIMEOUT,
  CloseCode.TOO_SLOW,
]);

export function shouldReconnect(code: number): boolean {
  return RECONNECT_CODES.has(code);
}

// -- Encoding -----------------------------------------------------------------------------

export class ProtocolError extends Error {
  constructor(
    readonly code: "malformed" | "bad_frame",
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** One message as a frame: bytes (binary frame) for msgpack, a string (text frame) for JSON. */
export function encode(message: ClientMessage, encoding: Encoding): Uint8Array | string {
  return encoding === "msgpack" ? msgpackEncode(message) : JSON.stringify(message);
}

/** A server frame as a message: a map with a string `type`, else ProtocolError. */
export function decode(data: string | ArrayBuffer | ArrayBufferView, encoding: Encoding): ServerMessage {
  let message: unknown;
  if (encoding === "msgpack") {
    if (typeof data === "string") throw new ProtocolError("bad_frame", "a text frame on a msgpack connection");
    try {
      message = msgpackDecode(data);
    } catch (err) {
      throw new ProtocolError("malformed", `the message is not valid msgpack: ${String(err)}`);
    }
  } else {
    if (typeof data !== "string") throw new ProtocolError("bad_frame", "a binary frame on a JSON connection");
    try {
      message = JSON.parse(data);
    } catch (err) {
      throw new ProtocolError("malformed", `the message is not valid json: ${String(err)}`);
    }
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new ProtocolError("malformed", "a message must be a map with a string 'type'");
  }
  if (typeof (message as { type?: unknown }).type !== "string") {
    throw new ProtocolError("malformed", "a message must be a map with a string 'type'");
  }
  return message as ServerMessage;
}
