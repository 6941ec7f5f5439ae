"""The `/ws` Session (server/wire/session.py) on its own: no sockets, no Redis, no asyncio.

Inputs go in, outputs come out, the way websockets tests its own protocol.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest

from server.core.errors import EventNotFound, InternalError, InvalidArgument, Unavailable
from server.core.state import EventState, state_from_records
from server.core.views import Audience
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding, ErrorCode, Role
from server.wire.session import (
    Attach,
    Close,
    Load,
    Output,
    Phase,
    Ping,
    Run,
    Send,
    Session,
)
from tests.factory import small_event_records

EVENT = "test-event"
MOD_TOKEN, HALL_KEY, P0_TOKEN = "mod-secret", "hall-secret", f"{EVENT}.p0-secret"


def event_state() -> EventState:
    records: list[Any] = small_event_records(event_id=EVENT)
    records[0] = dataclasses.replace(records[0], moderator_token=MOD_TOKEN, screen_key=HALL_KEY)
    records = [
        dataclasses.replace(r, token=P0_TOKEN) if getattr(r, "id", None) == "p0" else r
        for r in records
    ]
    return state_from_records(records, epoch="ep", version=7)


def text(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def hello(token: str = MOD_TOKEN, **fields: Any) -> str:
    return text({"type": "hello", "event": EVENT, "token": token, **fields})


def sent(outputs: list[Output]) -> list[dict[str, Any]]:
    return [o.message for o in outputs if isinstance(o, Send)]


def closes(outputs: list[Output]) -> list[Close]:
    return [o for o in outputs if isinstance(o, Close)]


def refused_with(outputs: list[Output], code: str, close: int) -> None:
    """One error message with this code, then a close with the documented code."""
    assert len(outputs) == 2, outputs
    first, second = outputs
    assert isinstance(first, Send) and isinstance(second, Close)
    assert (first.message["type"], first.message["code"]) == ("error", code)
    assert first.message["message"]
    assert second.code == close == protocol.CLOSE_AFTER[ErrorCode(code)]


def open_session(encoding: Encoding = Encoding.JSON, token: str = MOD_TOKEN) -> Session:
    """A session past hello, loaded and attached."""
    session = Session(encoding)
    data: bytes | str = hello(token)
    if encoding is Encoding.MSGPACK:
        data = protocol.encode(orjson.loads(data), encoding)
    assert session.receive(data, now_ms=1) == [Load(EVENT)]
    [attach] = session.loaded(event_state(), "ep")
    assert isinstance(attach, Attach)
    assert session.attached(now_ms=2, version=7) == []
    assert session.phase is Phase.OPEN
    return session


# -- hello ------------------------------------------------------------------------------


def test_no_hello_in_time_is_refused_4002() -> None:
    session = Session(Encoding.JSON)
    refused_with(session.hello_timed_out(), "hello_timeout", CloseCode.HELLO_TIMEOUT)
    assert session.closed
    assert session.receive(hello(), now_ms=1) == []  # too late


def test_the_hello_timer_does_nothing_once_a_hello_came() -> None:
    session = Session(Encoding.JSON)
    assert session.receive(hello(), now_ms=1) == [Load(EVENT)]
    assert session.hello_timed_out() == []
    assert session.phase is Phase.LOADING


@pytest.mark.parametrize(
    ("first", "code"),
    [
        (text({"type": "ping", "id": 1}), "bad_request"),  # not a hello
        ("{not json", "bad_request"),  # malformed: a bad request as a first message
        (text({"type": "hello", "token": "x"}), "bad_request"),  # no event
        (text({"type": "hello", "event": 12, "token": "x"}), "bad_request"),
        (text({"type": "hello", "event": "Bad Id!", "token": "x"}), "bad_request"),
        (text({"type": "hello", "event": EVENT}), "unauthorized"),  # no token
        (text({"type": "hello", "event": EVENT, "token": None}), "unauthorized"),
        (b"\x80", "bad_request"),  # a binary frame on a JSON connection
    ],
)
def test_a_bad_first_message_gets_an_error_then_a_documented_close(
    first: str | bytes, code: str
) -> None:
    session = Session(Encoding.JSON)
    refused_with(session.receive(first, now_ms=1), code, protocol.CLOSE_AFTER[ErrorCode(code)])
    assert session.closed


def test_a_fragmented_first_message_is_a_bad_request() -> None:
    session = Session(Encoding.JSON)
    refused_with(session.fragmented(), "bad_request", CloseCode.BAD_REQUEST)


def test_a_msgpack_hello_loads_the_event() -> None:
    session = Session(Encoding.MSGPACK)
    data = msgpack.packb({"type": "hello", "event": EVENT, "token": MOD_TOKEN})
    assert session.receive(data, now_ms=1) == [Load(EVENT)]


@pytest.mark.parametrize(
    ("token", "audience"),
    [
        (MOD_TOKEN, Audience(Role.MODERATOR)),
        (HALL_KEY, Audience(Role.HALL)),
        (P0_TOKEN, Audience(Role.PARTICIPANT, "p0")),
    ],
)
def test_loaded_attaches_the_tokens_audience_with_the_resume_position(
    token: str, audience: Audience
) -> None:
    session = Session(Encoding.JSON)
    session.receive(hello(token, resume={"epoch": "ep", "version": 3}), now_ms=1)
    assert session.loaded(event_state(), "ep") == [Attach(audience, ("ep", 3))]
    assert session.phase is Phase.OPEN


@pytest.mark.parametrize("resume", [{"epoch": 1}, {"epoch": "e", "version": -1}, [1], "41",
                                    {"epoch": "e", "version": True}])  # fmt: skip
def test_a_malformed_resume_is_no_position(resume: Any) -> None:
    session = Session(Encoding.JSON)
    session.receive(hello(resume=resume), now_ms=1)
    assert session.loaded(event_state(), "ep") == [Attach(Audience(Role.MODERATOR), None)]


@pytest.mark.parametrize("token", ["wrong", "", "other-event.p0-secret"])
def test_a_token_not_of_the_event_is_refused_4001(token: str) -> None:
    session = Session(Encoding.JSON)
    assert session.receive(hello(token), now_ms=1) == [Load(EVENT)]
    refused_with(session.loaded(event_state(), "ep"), "unauthorized", CloseCode.UNAUTHORIZED)
    assert session.closed


@pytest.mark.parametrize(
    ("err", "code", "close"),
    [
        (EventNotFound("no event"), "event_not_found", CloseCode.EVENT_NOT_FOUND),
        (Unavailable("redis is loading"), "unavailable", CloseCode.TRY_AGAIN_LATER),
    ],
)
def test_an_event_that_cannot_load_is_refused_with_its_code(
    err: Exception, code: str, close: int
) -> None:
    session = Session(Encoding.JSON)
    session.receive(hello(), now_ms=1)
    assert isinstance(err, EventNotFound | Unavailable)
    refused_with(session.load_failed(err), code, close)
    assert session.loaded(event_state(), "ep") == []  # too late


def test_a_server_error_while_loading_closes_1011() -> None:
    session = Session(Encoding.JSON)
    session.receive(hello(), now_ms=1)
    assert session.load_failed(InternalError("boom")) == [
        Close(CloseCode.SERVER_ERROR, "server error")
    ]


def test_messages_while_loading_wait_and_are_handled_in_order_once_attached() -> None:
    session = Session(Encoding.JSON)
    assert session.receive(hello(), now_ms=1) == [Load(EVENT)]
    assert session.receive(text({"type": "ping", "id": "a", "client_ms": 5}), now_ms=2) == []
    assert session.receive("{", now_ms=3) == []
    assert session.fragmented() == []
    assert session.loaded(event_state(), "ep") == [Attach(Audience(Role.MODERATOR), None)]
    out = session.attached(now_ms=100, version=9)
    assert [(m["type"], m.get("id"), m.get("code")) for m in sent(out)] == [
        ("pong", "a", None),
        ("error", None, "malformed"),
        ("error", None, "bad_frame"),
    ]
    assert sent(out)[0]["server_ms"] == 100
    assert all((m["epoch"], m["version"]) == ("ep", 9) for m in sent(out))
    assert session.attached(now_ms=101, version=9) == []  # handled once


def test_a_connection_lost_while_loading_attaches_nothing() -> None:
    session = Session(Encoding.JSON)
    session.receive(hello(), now_ms=1)
    session.connection_lost()
    assert session.loaded(event_state(), "ep") == []


# -- after hello ------------------------------------------------------------------------


def test_ping_gets_a_pong_with_the_given_time_epoch_and_version() -> None:
    session = open_session()
    out = session.receive(text({"type": "ping", "id": 4, "client_ms": 11}), now_ms=1234,
                          version=8)  # fmt: skip
    assert sent(out) == [
        {"type": "pong", "id": 4, "client_ms": 11, "server_ms": 1234, "epoch": "ep", "version": 8}
    ]
    # The event was re-created meanwhile: the feed's new epoch.
    [pong] = sent(session.receive(text({"type": "ping"}), now_ms=5, version=2, epoch="ep2"))
    assert (pong["epoch"], pong["version"], pong["server_ms"]) == ("ep2", 2, 5)


def test_ping_on_a_msgpack_connection() -> None:
    session = open_session(Encoding.MSGPACK)
    data = protocol.encode({"type": "ping", "id": 1}, Encoding.MSGPACK)
    assert sent(session.receive(data, now_ms=3, version=7))[0]["type"] == "pong"
    [error] = sent(session.receive('{"type": "ping"}', now_ms=3, version=7))
    assert error["code"] == "bad_frame"  # text on a msgpack connection


@pytest.mark.parametrize(
    ("data", "code"),
    [(text({"type": "dance"}), "unknown_type"), (text({"type": "hello"}), "unknown_type"),
     ("{", "malformed"), ('["a list"]', "malformed"), (b"\x00", "bad_frame")],
)  # fmt: skip
def test_a_bad_message_after_hello_gets_an_error_and_the_connection_stays(
    data: str | bytes, code: str
) -> None:
    session = open_session()
    out = session.receive(data, now_ms=1, version=7)
    [error] = sent(out)
    assert {k: v for k, v in error.items() if k != "message"} == {
        "type": "error",
        "code": code,
        "epoch": "ep",
        "version": 7,
    }
    assert error["message"]
    assert not closes(out) and not session.closed and session.errors == 1


def test_a_fragmented_message_after_hello_is_a_bad_frame() -> None:
    session = open_session()
    [error] = sent(session.fragmented(version=7))
    assert (error["code"], error["version"]) == ("bad_frame", 7)
    assert session.errors == 1


def test_the_tenth_bad_message_closes_4000_and_a_commands_error_does_not_count() -> None:
    session = open_session()
    for n in range(protocol.MAX_CLIENT_ERRORS - 1):
        out = session.receive("{", now_ms=n, version=7)
        assert not closes(out)
        # A command's error in between is never counted.
        session.failed(f"c{n}", InvalidArgument("no", arg="x"), epoch="ep", version=7)
    out = session.receive('{"type": "dance"}', now_ms=99, version=7)
    assert sent(out)[0]["code"] == "unknown_type"
    assert closes(out) == [Close(CloseCode.BAD_REQUEST, "too many bad messages")]
    assert session.closed


def test_a_command_is_run_and_its_answer_carries_its_id() -> None:
    session = open_session()
    command = {"type": "command", "id": "c1", "name": "move_meeting", "args": {"table": 3}}
    [run] = session.receive(text(command), now_ms=1, version=7)
    assert run == Run(command) and run.command_id == "c1"

    @dataclass
    class Outcome:
        committed: int | None
        preview: dict[str, Any]
        data: dict[str, Any] | None = None

    [result] = sent(session.answered("c1", Outcome(8, {"people": []}), epoch="ep", version=8))
    assert result == {"type": "result", "id": "c1", "committed": 8, "preview": {"people": []},
                      "epoch": "ep", "version": 8}  # fmt: skip
    [query] = sent(session.answered("c2", Outcome(None, {}, {"n": 1}), epoch="ep", version=8))
    assert (query["committed"], query["data"]) == (None, {"n": 1})
    [error] = sent(session.failed("c3", InvalidArgument("bad", arg="t"), epoch="ep", version=8))
    assert (error["type"], error["id"], error["code"]) == ("error", "c3", "invalid_argument")
    assert error["details"] == {"arg": "t"}
    assert session.errors == 0


# -- heartbeat --------------------------------------------------------------------------


def test_heartbeat_pings_once_until_answered() -> None:
    session = open_session()
    assert session.heartbeat() == [Ping()]
    assert session.heartbeat() == []  # the ping is still unanswered
    session.heard_from_client()  # any frame answers it
    assert session.ping_overdue() == []  # answered: nothing is overdue
    assert session.heartbeat() == [Ping()]


def test_an_unanswered_ping_closes_1011_and_hangs_up() -> None:
    session = open_session()
    assert session.ping_overdue() == []  # no ping out
    session.heartbeat()
    assert session.ping_overdue() == [Close(CloseCode.SERVER_ERROR, "no answer to ping", True)]
    assert session.closed


# -- closed -----------------------------------------------------------------------------


def test_nothing_is_accepted_once_closed() -> None:
    session = open_session()
    for _ in range(protocol.MAX_CLIENT_ERRORS):
        session.receive("{", now_ms=1, version=7)
    assert session.closed
    assert session.receive(text({"type": "ping"}), now_ms=1, version=7) == []
    assert session.receive(text({"type": "command", "id": "x"}), now_ms=1, version=7) == []
    assert session.fragmented() == []
    assert session.heartbeat() == []
    assert session.hello_timed_out() == []
    assert session.failed("x", InvalidArgument("no"), epoch="ep", version=7) == []
    assert session.loaded(event_state(), "ep") == []


def test_a_message_over_the_size_limit_closes_1009() -> None:
    """The lean protocol's websockets refuses such a frame itself; through ASGI uvicorn
    reads up to a higher limit and the session refuses it."""
    limit = protocol.MAX_CLIENT_MESSAGE_BYTES
    session = open_session()
    assert not closes(session.receive(" " * limit, now_ms=1, version=7))  # malformed, at most
    out = session.receive("é" * (limit // 2 + 1), now_ms=1, version=7)  # over it in UTF-8
    assert out == [Close(CloseCode.MESSAGE_TOO_BIG, "message too big")]
    first = Session(Encoding.MSGPACK)
    assert first.receive(b"\x00" * (limit + 1), now_ms=1) == [
        Close(CloseCode.MESSAGE_TOO_BIG, "message too big")
    ]


def test_the_session_imports_no_io() -> None:
    """Pure: importing it loads no server module that does I/O, and no event loop,
    web framework or Redis client."""
    code = (
        "import sys, server.wire.session; "
        "print(' '.join(m for m in sys.modules if m.startswith(('server', 'asyncio', "
        "'starlette', 'uvicorn', 'redis', 'websockets.server', 'websockets.asyncio'))))"
    )
    root = Path(__file__).resolve().parent.parent
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    ).stdout.split()  # fmt: skip
    assert "server.wire.session" in loaded
    others = [
        m for m in loaded if m != "server" and not m.startswith(("server.core", "server.wire"))
    ]
    assert others == [], others  # nothing of the edge, no event loop, framework or Redis
