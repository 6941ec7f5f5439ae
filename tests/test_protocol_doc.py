"""docs/protocol.md and docs/api.md must describe every message type, close code and error
code in the code, and nothing that is not in the code."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import msgpack
import orjson
import pytest

import server.edge.app  # noqa: F401  (every module: each error class is defined by then)
from server.core import stats
from server.core.codec import record_from_plain
from server.core.commands import COMMANDS
from server.core.errors import (
    ErrorCode,
    InvalidSetting,
    MatchboardError,
    ProtocolError,
    error_classes,
    error_codes,
)
from server.core.state import EventState, state_from_records
from server.core.views import Audience, snapshot
from server.edge.http_errors import error_response
from server.wire import protocol
from server.wire.protocol import ClientType, CloseCode, Encoding, Role, ServerType

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text()
API = (ROOT / "docs" / "api.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def documented(word: str) -> bool:
    return f"`{word}`" in DOC or f'"{word}"' in DOC


@pytest.mark.parametrize("kind", [*ClientType, *ServerType])
def test_every_message_type_is_documented_with_a_heading(kind: str) -> None:
    assert re.search(rf"^#+ .*`{kind}`", DOC, re.MULTILINE), kind


@pytest.mark.parametrize("code", list(CloseCode))
def test_every_close_code_is_in_the_table(code: CloseCode) -> None:
    assert re.search(rf"^\| {int(code)} \|", DOC, re.MULTILINE), code


def test_reconnect_codes_are_the_ones_marked_yes() -> None:
    marked = {int(m) for m in re.findall(r"^\| (\d{4}) \|[^\n]*\| \*\*yes\*\*", DOC, re.MULTILINE)}
    assert marked == {int(c) for c in protocol.RECONNECT_CODES}


def table_after(doc: str, heading: str) -> list[list[str]]:
    """The cells of the first table under `heading`, without its header row and rule."""
    lines = doc.split(f"\n{heading}\n", 1)[1].splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_table_after_reads_every_row() -> None:
    doc = "\n# A\n\ntext\n\n| x | y |\n|---|---|\n| `a` | 1 |\n| `b` | 2 |\n\n| c | 3 |"
    assert table_after(doc, "# A") == [["`a`", "1"], ["`b`", "2"]]


def test_the_close_code_table_is_exactly_the_codes_of_the_code() -> None:
    """Both ways: the codes the server sends (CloseCode) and the ones a client reconnects
    after (1006, a lost connection, and 1013, sent by proxies, included)."""
    documented = {int(row[0]) for row in table_after(DOC, "## Close codes")}
    assert documented == {int(c) for c in CloseCode} | set(protocol.RECONNECT_CODES)


def test_the_error_table_is_exactly_the_protocol_errors_with_their_close_codes() -> None:
    rows = table_after(DOC, "## Errors: `error`")
    documented: dict[str, int | None] = {}
    for code, _when, then in rows:
        if code.startswith("`"):
            close = re.search(r"close (\d{4})", then)
            documented[code.strip("`")] = int(close.group(1)) if close else None
            assert close or "stays open" in then, (code, then)
    assert documented == {str(code): protocol.CLOSE_AFTER.get(code) for code in protocol.ErrorCode}
    assert any(row[0] == "command errors" for row in rows)  # and the codes of docs/api.md


def test_the_error_limit_is_stated_with_what_counts() -> None:
    counting = [str(c) for c in protocol.ErrorCode if c not in protocol.CLOSE_AFTER]
    rule = re.search(rf"After {protocol.MAX_CLIENT_ERRORS} ([^\n]+(\n[^\n]+)*)", DOC)
    assert rule, "the limit of errors is not stated"
    assert all(f"`{code}`" in rule.group(1) for code in counting), rule.group(1)


def test_the_api_error_table_is_exactly_the_error_codes_with_their_status() -> None:
    """Every error code a client can get over HTTP (and as a command's error over the
    WebSocket) is in docs/api.md's table with its status, and every code there exists."""
    documented: dict[str, int] = {}
    for codes, status, _meaning in table_after(API, "## The error shape"):
        for code in re.findall(r"`([a-z_]+)`", codes):
            assert code not in documented, f"{code} is in the table twice"
            documented[code] = int(status)
    assert documented == error_codes()


def raised(cls: type[MatchboardError]) -> list[MatchboardError]:
    """The errors of a class as the server raises them: a ProtocolError with each of
    ErrorCode's codes, any other with a message and details."""
    if cls is ProtocolError:
        return [ProtocolError(code, f"the {code} message") for code in ErrorCode]
    return [cls(f"the {cls.code} message", arg="x")]


ERRORS: list[MatchboardError] = [err for cls in error_classes() for err in raised(cls)]


@pytest.mark.parametrize("err", ERRORS, ids=lambda err: f"{type(err).__name__}-{err.code}")
def test_every_error_is_rendered_by_each_transport_in_its_documented_shape(
    err: MatchboardError,
) -> None:
    """docs/api.md's error shape over HTTP (and the error's status), docs/protocol.md's
    `error` message over the WebSocket (with a command's id and the position, or without),
    both from the error's `to_dict`, the same in JSON and msgpack."""
    shape: dict[str, object] = {"code": str(err.code), "message": err.message}
    if err.details:
        shape["details"] = err.details
    response = error_response(err)
    assert response.status_code == type(err).status
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.body) == {"ok": False, "error": shape}
    bare = protocol.error(err)
    placed = protocol.error(err, command_id=7, epoch="e1", version=3)
    assert bare == {"type": "error", **shape}
    assert placed == {"type": "error", **shape, "id": 7, "epoch": "e1", "version": 3}
    assert msgpack.unpackb(protocol.encode(placed, Encoding.MSGPACK)) == placed
    assert orjson.loads(protocol.encode(placed, Encoding.JSON)) == placed


@pytest.mark.parametrize("err", ERRORS, ids=lambda err: f"{type(err).__name__}-{err.code}")
def test_every_error_code_is_documented_where_clients_read_it(err: MatchboardError) -> None:
    """A protocol error's code in docs/protocol.md's error table; a setting's in
    docs/operations.md (no client gets one); any other in docs/api.md's table."""
    if isinstance(err, ProtocolError):
        table = table_after(DOC, "## Errors: `error`")
        assert f"`{err.code}`" in [row[0] for row in table]
    elif isinstance(err, InvalidSetting):
        assert "## Settings" in OPERATIONS and "exits with code 2" in OPERATIONS
    else:
        assert error_codes()[err.code] == type(err).status
        table = table_after(API, "## The error shape")
        assert any(f"`{err.code}`" in row[0] for row in table)


def test_the_event_state_example_is_exactly_what_the_endpoint_answers() -> None:
    """docs/api.md's example of `GET /api/events/{id}`, its records read as the server
    reads records and rendered as the endpoint renders them, comes back unchanged: no
    field is documented that the server does not send, none is sent that is not there."""
    section = API.split("### `GET /api/events/{event_id}` — moderator\n", 1)[1]
    example = orjson.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    records = [record_from_plain("event", example["event"]),
               record_from_plain("clock", example["clock"])]  # fmt: skip
    for key in ("tables", "rounds", "breaks", "bells", "participants", "meetings",
                "announcements", "alerts"):  # fmt: skip
        assert example[key], f"the example shows no {key}"
        records += [record_from_plain(key.removesuffix("s"), item) for item in example[key]]
    state = state_from_records(records, example["epoch"], example["version"])
    answer = snapshot(state, Audience(Role.MODERATOR))
    assert {"ok": True, "epoch": state.epoch, "version": state.version, **answer} == example


def test_the_commands_that_answer_with_data_are_the_documented_ones() -> None:
    said = re.search(r"`data` is present only for the commands that answer with data —([^—]+)", DOC)
    assert said, "protocol.md does not say which commands answer with data"
    documented = set(re.findall(r"`([a-z_]+)`", said.group(1)))
    assert documented == {c.name for c in COMMANDS.values() if c.query or c.answer}
    for name in documented:  # and api.md says what each one's data is
        assert "`data`" in command_entry(name) or "Answer: `{" in command_entry(name), name


def command_entry(name: str) -> str:
    return API.split(f"#### `{name}`\n", 1)[1].split("\n#", 1)[0]


def test_every_field_of_the_stats_answer_is_documented() -> None:
    data = stats.stats_to_plain(stats.live_stats(EventState(), 0))
    data["rounds"] = [dataclasses.asdict(stats.round_stats(EventState(), 1))]
    fields = set(data) | set(data["rounds"][0])
    missing = sorted(f for f in fields if f"`{f}`" not in command_entry("stats"))
    assert not missing, f"stats fields not in docs/api.md: {missing}"


def test_subprotocols_are_documented() -> None:
    for name in protocol.SUBPROTOCOLS:
        assert documented(name)
