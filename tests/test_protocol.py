"""Decoding client frames without a server: every bad frame is a ProtocolError."""

from __future__ import annotations

import pytest

from server.wire import protocol
from server.wire.protocol import Encoding, ProtocolError

BAD_MSGPACK = [
    pytest.param(b"\x81\x91\x01\x01", id="list-as-map-key"),
    pytest.param(b"\x81\x81\x01\x01\x01", id="map-as-map-key"),
    pytest.param(b"\x82\xa4type\xa4ping\x91\x01\x01", id="list-key-after-type"),
    pytest.param(b"\xc1", id="reserved-byte"),
    pytest.param(b"\x92\x01", id="truncated"),
    pytest.param(b"\xc7\x01\x05\x00", id="ext-type"),
    pytest.param(b"\xa4ping", id="not-a-map"),
]


@pytest.mark.parametrize("data", BAD_MSGPACK)
def test_bad_msgpack_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError) as raised:
        protocol.decode(data, Encoding.MSGPACK)
    assert raised.value.code == "malformed"


def test_a_good_frame_decodes() -> None:
    data = b"\x82\xa4type\xa4ping\xa2id\xa1x"
    assert protocol.decode(data, Encoding.MSGPACK) == {"type": "ping", "id": "x"}
