/**
 * The shared test vectors (tests/vectors/*.json; see tests/vectors/__init__.py): inputs and
 * the outputs the Python implementation gives, which the TypeScript mirrors must give too.
 * Regenerate them with `python -m tests.vectors`. Imported by *.test.ts only: never bundled.
 */
import clientStateJson from "../../../tests/vectors/client_state.json";
import clocksyncJson from "../../../tests/vectors/clocksync.json";
import phasesJson from "../../../tests/vectors/phases.json";
import recordsJson from "../../../tests/vectors/records.json";
import type { BreakRecord, ClockRecord, RoundRecord, ServerMessage } from "../lib/protocol";

export interface PhasesVectors {
  rounds: Record<string, RoundRecord>;
  phase_cases: {
    round: string;
    warning_s: number;
    clock: ClockRecord | null;
    now_ms: number;
    phase: string;
    target_ms: number | null;
  }[];
  timelines: Record<string, { rounds: RoundRecord[]; breaks: BreakRecord[]; clock: ClockRecord; warning_s: number }>;
  moment_cases: {
    timeline: string;
    now_ms: number;
    phase: string;
    round: number | null;
    next_round: number | null;
    break: string | null;
    target_ms: number | null;
    paused: boolean;
    remaining_ms: number | null;
  }[];
}

export interface ClocksyncVectors {
  cases: {
    name: string;
    window: number | null;
    samples: { sent_ms: number; received_ms: number; server_ms: number }[];
    after_each: { kept: number[]; best: number | null; offset_ms: number | null; rtt_ms: number | null }[];
    server_now: { client_ms: number; server_ms: number }[];
  }[];
}

export interface ClientStateVectors {
  cases: {
    name: string;
    messages: ServerMessage[];
    steps: {
      out_of_sync: string | null;
      position: [string, number] | null;
      role: string | null;
      participant: string | null;
      snapshot_like: Record<string, unknown>;
    }[];
  }[];
}

export interface RecordsVectors {
  /** audience → record kind (or "kind.nested") → the field names the server sends. */
  fields: Record<string, Record<string, string[]>>;
}

export const phasesVectors = phasesJson as unknown as PhasesVectors;
export const clocksyncVectors = clocksyncJson as unknown as ClocksyncVectors;
export const clientStateVectors = clientStateJson as unknown as ClientStateVectors;
export const recordsVectors = recordsJson as unknown as RecordsVectors;
