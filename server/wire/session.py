"""One `/ws` connection's protocol (docs/protocol.md) as a Sans-I/O state machine.

Like websockets' own `protocol.py`, a `Session` does no I/O: a driver feeds it what
happened (a message arrived, the hello timer fired, the event's feed loaded, a command
finished, the heartbeat ticked) and carries out what each input returns: messages to
send, a close, the feed to load, the connection to attach, a command to run, a ping.
Time comes in as an argument; nothing here reads a clock, draws a random number or
touches a socket, Redis or the hub. Both drivers use it: the lean uvicorn protocol
(server/edge/wsserver.py) and the ASGI route (server/edge/sockets.py), through
server/edge/wsdriver.py.

    awaiting hello --hello--> loading --loaded--> open --close--> closed
          |                      |
          +-- refusal/timeout ---+-- refusal (unknown event, bad token, Redis away) --> closed

While loading (the driver fetches the event's feed), messages are kept and handled in
order once the connection is attached (`attached`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final, Protocol

from server.core.access import authenticate
from server.core.errors import MatchboardError, Unauthorized
from server.core.model import check_event_id
from server.core.state import EventState
from server.core.views import Audience
from server.wire import protocol
from server.wire.protocol import ClientType, CloseCode, Encoding, ErrorCode, ProtocolError

FRAGMENTED: Final = "fragmented messages are not supported"


class Phase(enum.Enum):
    AWAITING_HELLO = "awaiting hello"
    LOADING = "loading"  # the driver is getting the event's feed
    OPEN = "open"
    CLOSED = "closed"


# -- Outputs: what the driver must do, in order.


@dataclass(frozen=True, slots=True)
class Send:
    """Send this message (the driver encodes it with the session's encoding)."""

    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Close:
    """Close the connection with this code. `hang_up`: do not wait for the client's
    closing handshake either (it did not answer a ping: it will not answer this)."""

    code: int
    reason: str
    hang_up: bool = False


@dataclass(frozen=True, slots=True)
class Load:
    """Get the event's feed, then call `loaded` (or `load_failed`)."""

    event_id: str


@dataclass(frozen=True, slots=True)
class Attach:
    """Attach the connection to the feed for this audience (welcome, then a snapshot or
    the missed updates), then call `attached`."""

    audience: Audience
    resume: tuple[str, int] | None


@dataclass(frozen=True, slots=True)
class Run:
    """Run this command message, then call `answered` or `failed` with its id."""

    message: dict[str, Any]

    @property
    def command_id(self) -> Any:
        return self.message.get("id")


@dataclass(frozen=True, slots=True)
class Ping:
    """Send a WebSocket ping frame (the session times the answer: `ping_overdue`)."""


Output = Send | Close | Load | Attach | Run | Ping


class CommandOutcome(Protocol):
    """What a command's run gives back (server.edge.runner.Outcome)."""

    @property
    def committed(self) -> int | None: ...
    @property
    def preview(self) -> dict[str, Any]: ...
    @property
    def data(self) -> dict[str, Any] | None: ...


# -- The rules of the first message.


def hello_timeout() -> ProtocolError:
    return ProtocolError(
        ErrorCode.HELLO_TIMEOUT, f"no hello within {protocol.HELLO_TIMEOUT_S:.0f} s"
    )


def hello_refusal(err: ProtocolError) -> ProtocolError:
    """The error that ends a connection whose first message failed: a first message that
    is not a hello at all (malformed, a bad frame) is a bad request too, as nothing else
    may come first."""
    if err.code in protocol.CLOSE_AFTER:
        return err
    return ProtocolError(ErrorCode.BAD_REQUEST, err.message)


def hello_fields(hello: dict[str, Any]) -> tuple[str, str, tuple[str, int] | None]:
    """The event id, token and resume position of a first message, or ProtocolError:
    `bad_request` unless it is a hello with an event id (a valid one: check_event_id),
    `unauthorized` without a token string."""
    if hello.get("type") != ClientType.HELLO:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the first message must be a hello")
    event, token = hello.get("event"), hello.get("token")
    if not isinstance(event, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "hello needs an 'event' string")
    try:
        check_event_id(event)
    except MatchboardError as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, exc.message) from exc
    if not isinstance(token, str):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "hello needs a 'token' string")
    return event, token, resume_position(hello.get("resume"))


def resume_position(resume: Any) -> tuple[str, int] | None:
    """A hello's `resume` as (epoch, version); anything malformed counts as no position,
    so the client gets a snapshot (docs/protocol.md, Resume rules)."""
    if not isinstance(resume, dict):
        return None
    epoch, version = resume.get("epoch"), resume.get("version")
    if not isinstance(epoch, str) or type(version) is not int or version < 0:
        return None
    return epoch, version


def _too_big(data: bytes | str) -> bool:
    limit = protocol.MAX_CLIENT_MESSAGE_BYTES
    if isinstance(data, str):
        return len(data) > limit // 4 and len(data.encode()) > limit
    return len(data) > limit


class Session:
    """One connection's protocol state. Every input returns the outputs to carry out, in
    order; after a `Close` every input returns nothing."""

    __slots__ = ("_pending", "_resume", "_token", "encoding", "epoch", "errors", "event_id",
                 "phase", "ping_unanswered")  # fmt: skip

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.phase = Phase.AWAITING_HELLO
        self.event_id: str | None = None
        self.epoch: str | None = None  # once loaded: the feed's epoch
        self.errors = 0  # ProtocolErrors answered after hello
        self.ping_unanswered = False
        self._token = ""  # the hello's, until it is checked
        self._resume: tuple[str, int] | None = None
        # Messages (None: a fragmented one) that came while loading.
        self._pending: list[bytes | str | None] = []

    @property
    def closed(self) -> bool:
        return self.phase is Phase.CLOSED

    # -- Inputs: the client

    def receive(
        self, data: bytes | str, *, now_ms: int, version: int = 0, epoch: str | None = None
    ) -> list[Output]:
        """A whole message (bytes from a binary frame, str from a text frame). `version`:
        the connection's position now; `epoch`: the feed's epoch now, if known (it
        changes when the event is re-created)."""
        if _too_big(data) and not self.closed:  # uvicorn's limit is higher on ASGI
            return self._close(CloseCode.MESSAGE_TOO_BIG, "message too big")
        return self._input(data, now_ms, version, epoch)

    def fragmented(self, *, version: int = 0, epoch: str | None = None) -> list[Output]:
        """A message frame without FIN: not supported (`bad_frame`)."""
        return self._input(None, 0, version, epoch)

    def _input(
        self, data: bytes | str | None, now_ms: int, version: int, epoch: str | None
    ) -> list[Output]:
        if self.phase is Phase.AWAITING_HELLO:
            return self._hello(data)
        if self.phase is Phase.LOADING:
            self._pending.append(data)
            return []
        if self.phase is Phase.CLOSED:
            return []
        if epoch is not None:
            self.epoch = epoch
        out = self._drain(now_ms, version)
        return out + self._message(data, now_ms, version)

    def hello_timed_out(self) -> list[Output]:
        """HELLO_TIMEOUT_S since the handshake: closes unless a hello came."""
        if self.phase is not Phase.AWAITING_HELLO:
            return []
        return self._refuse(hello_timeout())

    def connection_lost(self) -> None:
        """The connection is gone: nothing more to do for it."""
        self.phase = Phase.CLOSED
        self._pending.clear()

    # -- Inputs: the driver's work

    def loaded(self, state: EventState, epoch: str) -> list[Output]:
        """The event's feed is there: check the hello's token against its state."""
        if self.phase is not Phase.LOADING:
            return []
        token, self._token = self._token, ""
        try:
            audience = authenticate(state, token)
        except Unauthorized as exc:
            return self._refuse(exc)
        self.phase, self.epoch = Phase.OPEN, epoch
        return [Attach(audience, self._resume)]

    def load_failed(self, err: MatchboardError) -> list[Output]:
        """The feed could not be had: an unknown event, Redis away (Unavailable), or
        anything else (a server error: 1011)."""
        if self.phase is not Phase.LOADING:
            return []
        if err.code in protocol.CLOSE_AFTER:
            return self._refuse(err)
        return self._close(CloseCode.SERVER_ERROR, "server error")

    def attached(self, *, now_ms: int, version: int) -> list[Output]:
        """The connection is attached (welcome sent): handle what came while loading."""
        return self._drain(now_ms, version)

    def answered(
        self, command_id: Any, outcome: CommandOutcome, *, epoch: str, version: int
    ) -> list[Output]:
        """A command of this connection ran: its `result`."""
        if self.closed:
            return []
        self.epoch = epoch
        message = protocol.result(
            command_id=command_id, committed=outcome.committed, preview=outcome.preview,
            data=outcome.data, epoch=epoch, version=version,
        )  # fmt: skip
        return [Send(message)]

    def failed(
        self, command_id: Any, err: MatchboardError, *, epoch: str, version: int
    ) -> list[Output]:
        """A command of this connection failed: its `error` (never counted as a bad
        message: MAX_CLIENT_ERRORS is about frames)."""
        if self.closed:
            return []
        self.epoch = epoch
        return [Send(protocol.error(err, command_id=command_id, epoch=epoch, version=version))]

    # -- Inputs: the heartbeat

    def heartbeat(self) -> list[Output]:
        """Time to ping: a ping, unless the last one is still unanswered."""
        if self.closed or self.ping_unanswered:
            return []
        self.ping_unanswered = True
        return [Ping()]

    def heard_from_client(self) -> None:
        """Any frame from the client (its pong or anything else) answers the ping."""
        self.ping_unanswered = False

    def ping_overdue(self) -> list[Output]:
        """The ping's answer did not come in time: close 1011 and hang up."""
        if self.closed or not self.ping_unanswered:
            return []
        self.ping_unanswered = False
        return self._close(CloseCode.SERVER_ERROR, "no answer to ping", hang_up=True)

    # -- Rules

    def _hello(self, data: bytes | str | None) -> list[Output]:
        try:
            if data is None:
                raise ProtocolError(ErrorCode.BAD_FRAME, FRAGMENTED)
            event_id, token, resume = hello_fields(protocol.decode(data, self.encoding))
        except ProtocolError as exc:
            return self._refuse(hello_refusal(exc))
        self.phase, self.event_id = Phase.LOADING, event_id
        self._token, self._resume = token, resume
        return [Load(event_id)]

    def _drain(self, now_ms: int, version: int) -> list[Output]:
        out: list[Output] = []
        while self._pending and self.phase is Phase.OPEN:
            out += self._message(self._pending.pop(0), now_ms, version)
        return out

    def _message(self, data: bytes | str | None, now_ms: int, version: int) -> list[Output]:
        """A message after hello."""
        try:
            if data is None:
                raise ProtocolError(ErrorCode.BAD_FRAME, FRAGMENTED)
            message = protocol.decode(data, self.encoding)
            kind = message["type"]
            if kind == ClientType.PING:
                assert self.epoch is not None  # open: loaded
                pong = protocol.pong(
                    ping_id=message.get("id"), client_ms=message.get("client_ms"),
                    server_ms=now_ms, epoch=self.epoch, version=version,
                )  # fmt: skip
                return [Send(pong)]
            if kind == ClientType.COMMAND:
                return [Run(message)]
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}")
        except ProtocolError as exc:
            self.errors += 1
            out: list[Output] = [Send(protocol.error(exc, epoch=self.epoch, version=version))]
            if self.errors >= protocol.MAX_CLIENT_ERRORS:
                out += self._close(CloseCode.BAD_REQUEST, "too many bad messages")
            return out

    def _refuse(self, err: MatchboardError) -> list[Output]:
        """An error that ends the connection: one of protocol.CLOSE_AFTER's codes."""
        code = protocol.CLOSE_AFTER[ErrorCode(err.code)]
        return [Send(protocol.error(err)), *self._close(code, err.message[:120])]

    def _close(self, code: int, reason: str, *, hang_up: bool = False) -> list[Output]:
        self.phase = Phase.CLOSED
        self._pending.clear()
        self._token = ""
        return [Close(code, reason, hang_up)]
