"""The reference client's copy of the protocol (server/client/wire.py) equals the server's
(server/wire/protocol.py): the client package imports nothing of the server, so this test
is what keeps the two in step."""

from __future__ import annotations

import pytest

from server.client import wire
from server.wire import protocol

MESSAGES = [
    {"type": "pong", "id": "x", "server_ms": 1_780_000_000_123, "epoch": "e", "version": 3},
    {"type": "update", "changes": [{"kind": "meeting", "key": "m1", "deleted": True}],
     "text": "Łódź – Øresund – İzmir", "bin": b"\x00\x01", "n": None},
]  # fmt: skip


def test_constants_are_the_servers() -> None:
    assert set(wire.ENCODINGS) == {str(e) for e in protocol.Encoding}
    assert {wire.SUBPROTOCOL[str(e)] for e in protocol.Encoding} == set(protocol.SUBPROTOCOLS)
    for encoding in protocol.Encoding:
        name = wire.SUBPROTOCOL[str(encoding)]
        assert protocol.Encoding.for_subprotocol(name) is encoding
    assert {str(t) for t in wire.ServerType} == {str(t) for t in protocol.ServerType}
    assert {str(t) for t in wire.ClientType} == {str(t) for t in protocol.ClientType}
    assert {int(c) for c in protocol.RECONNECT_CODES} == wire.RECONNECT_CODES


@pytest.mark.parametrize("encoding", list(protocol.Encoding))
@pytest.mark.parametrize("message", MESSAGES)
def test_encodings_agree_both_ways(encoding: protocol.Encoding, message: dict[str, object]) -> None:
    if encoding is protocol.Encoding.JSON and "bin" in message:
        message = {k: v for k, v in message.items() if k != "bin"}  # JSON has no bytes
    assert wire.encode(message, str(encoding)) == protocol.encode(message, encoding)
    sent = protocol.encode(message, encoding)
    data: bytes | str = sent if encoding is protocol.Encoding.MSGPACK else sent.decode()
    assert wire.decode(data, str(encoding)) == message
    from_client = wire.encode(message, str(encoding))
    received = from_client if isinstance(data, bytes) else from_client.decode()
    assert protocol.decode(received, encoding) == message


def test_the_client_refuses_what_is_not_a_message() -> None:
    with pytest.raises(wire.Malformed):
        wire.decode("[1, 2]", wire.JSON)
    with pytest.raises(wire.Malformed):
        wire.decode(b"\xc1", wire.MSGPACK)
    with pytest.raises(ValueError, match="encoding"):
        wire.check_encoding("xml")
