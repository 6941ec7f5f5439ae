"""The few error types Matchboard raises on purpose.

Each carries a stable machine-readable `code` (documented in docs/api.md), a message for a
person that names the people, tables and rounds involved, and the HTTP status that fits.
They are rendered in exactly one place per transport, both from `to_dict`:
server/edge/http_errors.py's `error_response` (HTTP) and server/wire/protocol.py's `error`
(a WebSocket `error` message). `error_codes()` lists every code a client can get over
HTTP or as a command's error, for the test that holds docs/api.md to it.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Final


class MatchboardError(Exception):
    # A class's code; only ProtocolError sets its own on each error.
    code: str = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The error as both transports send it (str: a ProtocolError's ErrorCode as the
        plain string)."""
        out: dict[str, Any] = {"code": str(self.code), "message": self.message}
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


class RoundNotAllowed(RuleError):
    code = "round_not_allowed"


class OutOfOrder(RuleError):
    code = "out_of_order"


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


# -- The event clock (server/core/clock_rules.py). Bad minutes raise `InvalidArgument` above.


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


# -- The WebSocket protocol itself (docs/protocol.md's error table, not docs/api.md's).


class ErrorCode(enum.StrEnum):
    """The codes of `error` messages about the protocol itself, not about a command (those
    are the codes of the classes above). docs/protocol.md has a row for each."""

    BAD_REQUEST = "bad_request"  # the first message is not a valid hello
    HELLO_TIMEOUT = "hello_timeout"
    UNAUTHORIZED = "unauthorized"  # the hello's token is missing or not valid for the event
    EVENT_NOT_FOUND = "event_not_found"
    MALFORMED = "malformed"
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    UNAVAILABLE = "unavailable"  # the hello's event could not be loaded: Redis down or loading


class ProtocolError(MatchboardError):
    """A message from a client that cannot be understood, or a refused hello: only ever a
    WebSocket `error` message, with one of ErrorCode's codes."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- Configuration: raised at startup, before any client could be answered.


class InvalidSetting(MatchboardError):
    """A MATCHBOARD_* environment variable with a value that cannot be used; the message
    names the variable. The command line prints it and exits non-zero."""

    code = "invalid_setting"
    status = 500


# Bases that are never raised themselves: their codes reach no client.
_ABSTRACT: Final = frozenset({MatchboardError, RuleError, UnknownRecord})
# Raised, but not with docs/api.md's codes: the protocol's errors (docs/protocol.md) and
# the configuration's (no client ever sees them).
_NOT_IN_API: Final = frozenset({ProtocolError, InvalidSetting})


def error_classes() -> list[type[MatchboardError]]:
    """Every error class the server raises (subclasses defined elsewhere, such as
    server/core/audit.py's, once they are imported)."""
    found: list[type[MatchboardError]] = []
    pending: list[type[MatchboardError]] = [MatchboardError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls not in _ABSTRACT:
            found.append(cls)
    return found


def error_codes() -> dict[str, int]:
    """Every error code a client can receive over HTTP or as a command's error, with its
    HTTP status: one per error class."""
    return {cls.code: cls.status for cls in error_classes() if cls not in _NOT_IN_API}
