/** Words the screens show for phases and connection states. */
import type { Status, StatusDetail } from "../lib/connection";
import type { Phase } from "../lib/phases";
import type { MeetingOutcome, MeetingStatus, RoundRecord } from "../lib/protocol";

export function roundName(rnd: Pick<RoundRecord, "index" | "label">): string {
  return rnd.label || `Round ${rnd.index}`;
}

/** What the countdown on a big screen counts down to. */
export const PHASE_LABEL: Record<Phase, string> = {
  upcoming: "Seating starts in",
  seating: "Take your seats",
  running: "Meetings running",
  last_minutes: "Last minutes",
  ended: "Round over",
  skipped: "Skipped",
  break: "Break",
  idle: "No more rounds",
};

export const MEETING_STATUS_LABEL: Record<MeetingStatus, string> = {
  requested: "requested",
  scheduled: "scheduled",
  held: "held",
  no_show: "no-show",
  cancelled: "cancelled",
};

export const OUTCOME_LABEL: Record<MeetingOutcome, string> = {
  held: "held",
  no_show: "no-show",
  substituted: "substituted",
  cancelled: "cancelled",
};

const CLOSE_REASONS: Record<number, string> = {
  1000: "closed",
  1009: "message too big",
  4000: "protocol error",
  4001: "this link is not valid: ask for a new one",
  4004: "no such event",
  4005: "this link was revoked",
};

/** The connection indicator's text. */
export function statusText(status: Status, detail: StatusDetail): string {
  switch (status) {
    case "live":
      return "live";
    case "connecting":
      return "connecting…";
    case "reconnecting":
      return "reconnecting…";
    case "stopped": {
      const reason = detail.error?.message ?? (detail.closeCode !== undefined ? CLOSE_REASONS[detail.closeCode] : undefined);
      return reason ? `offline: ${reason}` : "offline";
    }
  }
}
