"""docs/protocol.md must describe every message type, close code and error code in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import protocol
from server.protocol import ClientType, CloseCode, ServerType

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text()


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


def error_codes_in_code() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "server").glob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r'ProtocolError\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'_refuse\([^)]*?CloseCode\.\w+,\s*"([a-z_]+)"', text, re.S))
        if path.name == "sockets.py":
            codes |= set(re.findall(r'error_response\(\s*\d+,\s*"([a-z_]+)"', text))
    return codes


def test_every_error_code_is_documented() -> None:
    codes = error_codes_in_code()
    assert {"malformed", "unknown_type", "bad_frame", "hello_timeout"} <= codes
    missing = sorted(c for c in codes | {"unauthorized", "event_not_found"} if not documented(c))
    assert not missing, f"undocumented error codes: {missing}"


def test_subprotocols_are_documented() -> None:
    for name in protocol.SUBPROTOCOLS:
        assert documented(name)
