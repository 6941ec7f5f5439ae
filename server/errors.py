"""The few error types Matchboard raises on purpose.

Each carries a stable machine-readable `code` (documented in docs/api.md), a message for a
person that names the people, tables and rounds involved, and the HTTP status that fits.
They are rendered in exactly one place per transport (HTTP handler, WebSocket error).
`error_codes()` lists every code a client can get, for the test that holds docs/api.md
to it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final


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


class MethodNotAllowed(MatchboardError):
    code = "method_not_allowed"
    status = 405


class InternalError(MatchboardError):
    """A bug: the server log has the traceback; the client gets only this."""

    code = "internal_error"
    status = 500


# -- A refused WebSocket handshake (the HTTP answer to the upgrade request).


class ForbiddenOrigin(MatchboardError):
    code = "forbidden_origin"
    status = 403


class BadSubprotocol(MatchboardError):
    code = "bad_subprotocol"
    status = 400


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


# Bases that are never raised themselves: their codes reach no client.
_ABSTRACT: Final = frozenset({MatchboardError, RuleError, UnknownRecord})


def error_codes() -> dict[str, int]:
    """Every error code a client can receive, with its HTTP status: one per error class
    (subclasses defined elsewhere, such as server/audit.py's, once they are imported)."""
    codes: dict[str, int] = {}
    pending: list[type[MatchboardError]] = [MatchboardError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls not in _ABSTRACT:
            codes[cls.code] = cls.status
    return codes
