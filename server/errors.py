"""The few error types Matchboard raises on purpose.

Each carries a stable machine-readable `code` (documented in docs/api.md), a message for a
person that names the people, tables and rounds involved, and the HTTP status that fits.
They are rendered in exactly one place per transport (HTTP handler, WebSocket error).
"""

from __future__ import annotations

from typing import Any, ClassVar


class MatchboardError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


# -- Rule violations: the command is wrong for the current state (409 / 404 / 422).


class RuleError(MatchboardError):
    code = "rule_violation"
    status = 409


class ParticipantBusy(RuleError):
    code = "participant_busy"


class TableTaken(RuleError):
    code = "table_taken"


class ParticipantUnavailable(RuleError):
    code = "participant_unavailable"


class TableTooSmall(RuleError):
    code = "table_too_small"


class InvalidMeeting(RuleError):
    code = "invalid_meeting"
    status = 422


class InUse(RuleError):
    code = "in_use"


class UnknownRecord(RuleError):
    status = 404


class UnknownParticipant(UnknownRecord):
    code = "unknown_participant"


class UnknownTable(UnknownRecord):
    code = "unknown_table"


class UnknownRound(UnknownRecord):
    code = "unknown_round"


class UnknownMeeting(UnknownRecord):
    code = "unknown_meeting"


# -- Everything else.


class EventNotFound(MatchboardError):
    code = "event_not_found"
    status = 404


class EventExists(MatchboardError):
    code = "event_exists"
    status = 409


class Conflict(MatchboardError):
    """Concurrent changes kept winning the race; the caller may try again."""

    code = "conflict"
    status = 409


class BadRequest(MatchboardError):
    code = "bad_request"
    status = 400


class Unauthorized(MatchboardError):
    code = "unauthorized"
    status = 401


class Forbidden(MatchboardError):
    code = "forbidden"
    status = 403


class NotFound(MatchboardError):
    code = "not_found"
    status = 404


class ImportFailed(MatchboardError):
    """Bad input rows; `details["errors"]` lists each with file, line, column, reason."""

    code = "import_failed"
    status = 422


class Unavailable(MatchboardError):
    code = "unavailable"
    status = 503


class InvalidArgument(MatchboardError):
    """A command's arguments are missing or of the wrong type; `details["arg"]` names it."""

    code = "invalid_argument"
    status = 422


class UnknownCommand(MatchboardError):
    code = "unknown_command"
    status = 404


class IdempotencyMismatch(MatchboardError):
    """A request id sent again with another command, other arguments or another token."""

    code = "idempotency_mismatch"
    status = 422


# -- The event clock (server/clock_rules.py). Bad minutes raise `InvalidArgument` above.


class ClockPaused(RuleError):
    """The command needs a running clock: resume it first."""

    code = "clock_paused"


class AlreadyPaused(RuleError):
    code = "already_paused"


class NotPaused(RuleError):
    code = "not_paused"


class NoCurrentRound(RuleError):
    """No round is running (or none is left to start)."""

    code = "no_current_round"


class RoundRunning(RuleError):
    """Another round is still running."""

    code = "round_running"


class RoundOver(RuleError):
    """The round has already started or ended."""

    code = "round_over"


class ScheduleConflict(RuleError):
    """Moving rounds would put one in the past or onto the round before it."""

    code = "schedule_conflict"


class PersonPresent(RuleError):
    """A no-show or a substitution would take a meeting away from someone who is here."""

    code = "person_present"
