/**
 * The record types of protocol.ts know exactly the fields the server sends
 * (tests/vectors/records.json, from server/core/views.py). The types exist only at compile
 * time, so FIELDS lists each type's fields at run time, and the compiler checks FIELDS
 * against the types: a field missing from FIELDS, one too many, or a wrong "required" /
 * "optional" fails `npm run typecheck`; this test then compares FIELDS with the vectors.
 */
import { describe, expect, it } from "vitest";
import { recordsVectors } from "../testing/vectors";
import type { EventSettings, RecordKinds, TimeWindow } from "./protocol";

/** Each field of T: "required", or "optional" when T may leave it out. */
type Presence<T> = { [P in keyof T]-?: object extends Pick<T, P> ? "optional" : "required" };

const PARTICIPANT: Presence<RecordKinds["participant"]> = {
  id: "required", name: "required", organisation: "required", country: "required", title: "required",
  tags: "required", languages: "required", present: "optional", external_id: "optional", email: "optional",
  phone: "optional", token: "optional", unavailable_rounds: "optional", available_windows: "optional",
  check_in_code: "optional", checked_in_at_ms: "optional", departed_at_ms: "optional", home_table: "optional",
};

const FIELDS: { [K in keyof RecordKinds]: Presence<RecordKinds[K]> } & {
  "event.settings": Presence<EventSettings>;
  "participant.available_windows[]": Presence<TimeWindow>;
  "me.available_windows[]": Presence<TimeWindow>;
} = {
  event: {
    id: "required", name: "required", timezone: "required", venue: "required", settings: "required",
    moderator_token: "optional", screen_key: "optional",
  },
  "event.settings": {
    warning_s: "required", default_capacity: "required", auto_substitute: "required", substitute_grace_s: "required",
    round_label: "required", table_label: "required", round_label_de: "required", table_label_de: "required",
  },
  table: { number: "required", label: "required", zone: "required", capacity: "required" },
  participant: PARTICIPANT,
  "participant.available_windows[]": { starts_at_ms: "required", ends_at_ms: "required" },
  me: PARTICIPANT,
  "me.available_windows[]": { starts_at_ms: "required", ends_at_ms: "required" },
  round: {
    index: "required", day: "required", starts_at_ms: "required", meeting_s: "required", changeover_s: "required",
    label: "required", skipped: "required",
  },
  break: { id: "required", day: "required", starts_at_ms: "required", ends_at_ms: "required", label: "required" },
  meeting: {
    id: "required", side_a: "required", side_b: "required", round: "required", table: "required",
    status: "required", origin: "required", external_id: "required", note: "optional", absent: "optional",
    replaced_by: "optional", outcome: "optional", rounds: "optional", after: "optional", fixed: "optional",
  },
  announcement: {
    id: "required", text: "required", audience: "required", created_at_ms: "required", expires_at_ms: "required",
  },
  clock: { paused_at_ms: "required" },
  bell: { id: "required", round: "required", cue: "required", at_ms: "required", recorded_at_ms: "required" },
  alert: {
    id: "required", kind: "required", meeting: "required", round: "required", table: "required",
    reporter: "required", since_ms: "required", status: "required", resolution: "required", waiting: "optional",
    reported_at_ms: "optional", closed_at_ms: "optional", no_candidates: "optional",
  },
};
type Described = keyof typeof FIELDS;

const sent = recordsVectors.fields;
const fieldsOf = (kind: Described, presence?: "required"): string[] =>
  Object.entries(FIELDS[kind])
    .filter(([, p]) => presence === undefined || p === presence)
    .map(([name]) => name)
    .sort();

describe("the record types know exactly the fields the server sends (tests/vectors/records.json)", () => {
  const audiences = Object.entries(sent).flatMap(([audience, kinds]) =>
    Object.entries(kinds).map(([kind, fields]) => [audience, kind, fields] as const),
  );

  it.each(audiences)("%s: every %s field it gets is in the type, every required one is there", (_audience, kind, fields) => {
    expect(Object.keys(FIELDS), `a type for ${kind}`).toContain(kind);
    expect(fieldsOf(kind as Described)).toEqual(expect.arrayContaining(fields));
    expect(fields).toEqual(expect.arrayContaining(fieldsOf(kind as Described, "required")));
  });

  // `me` is a ParticipantRecord too: together with `participant` it must use every field.
  const typeOf = (kind: string): string => kind.replace(/^me\b/, "participant");
  const types = (Object.keys(FIELDS) as Described[]).filter((kind) => typeOf(kind) === kind);

  it.each(types)("every field of the %s type is sent to some audience", (kind) => {
    const union = new Set(
      Object.values(sent).flatMap((kinds) => Object.entries(kinds).flatMap(([k, fields]) => (typeOf(k) === kind ? fields : []))),
    );
    expect([...union].sort()).toEqual(fieldsOf(kind));
  });
});
