"""The WebSocket endpoint against a real server and Redis, through the reference client."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import socket
import string
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.typing import Origin, Subprotocol
from websockets.uri import parse_uri

from server.client.client import Client, ClientError
from server.client.client_connect import open_feed
from server.core.errors import InvalidSetting
from server.core.model import Announcement, AnnouncementAudience, Event, Meeting
from server.core.state import Change, EventState
from server.edge import feed as feed_module
from server.edge import wsconn, wsserver
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.settings import Settings
from server.edge.store import Store
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding
from tests.factory import event_and_rest, meeting, small_event_records, upserting
from tests.servers import running_server, server_process

EVENT = "live-ev"
PLACED = [
    meeting("m1", "p0", "p1", 1, 1),
    meeting("m2", "p2", "p3", 1, 2),
    meeting("m3", "p0", "p2", 2, 1),
]


@dataclass
class Live:
    url: str
    service: Service
    state: EventState

    @property
    def event(self) -> Event:
        assert self.state.event is not None
        return self.state.event

    def token(self, pid: str) -> str:
        return self.state.participants[pid].token

    def client(self, token: str, encoding: Encoding = Encoding.MSGPACK, **kw: Any) -> Client:
        return Client(self.url, event=EVENT, token=token, encoding=encoding, **kw)

    async def commit(self, *records: Any, deletes: tuple[tuple[str, str], ...] = ()) -> int:
        rec = await self.service.execute(
            EVENT, "test", lambda _s: Change(upserts=records, deletes=deletes), actor="t"
        )
        assert rec is not None
        return rec.version

    async def announce(self, n: int, text: str = "", hall_only: bool = False) -> int:
        audience = AnnouncementAudience.HALL if hall_only else AnnouncementAudience.EVERYONE
        return await self.commit(Announcement(f"a{n}", text or f"note {n}", audience))


async def make_event(service: Service) -> EventState:
    # The server runs on the real clock: round 1 starts in an hour, so nothing is over.
    records = small_event_records(event_id=EVENT, t0_ms=wall_clock_ms() + 3_600_000)
    event = records[0]
    assert isinstance(event, Event)
    await service.create_event(event, [*records[1:], *PLACED], actor="test")
    return await service.state(EVENT)


@asynccontextmanager
async def live_server(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, **settings: Any
) -> AsyncIterator[Live]:
    """The test event and an in-process server with these settings."""
    service = Service(Store(redis))
    state = await make_event(service)
    async with running_server(redis_server.url, **settings) as url:
        yield Live(url, service, state)


@pytest.fixture(params=[True, False], ids=["lean", "asgi"])
async def live(
    request: pytest.FixtureRequest, redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> AsyncIterator[Live]:
    """A server with /ws served by the lean protocol (the default) or through ASGI."""
    async with live_server(redis, redis_server, ws_lean=request.param) as running:
        yield running


async def next_of(client: Client, kind: str, timeout: float = 5) -> dict[str, Any]:
    while True:
        message = await client.recv(timeout)
        if message["type"] == kind:
            return message


async def closed_with(ws: ClientConnection, timeout: float = 15) -> int | None:
    """Read until the server closes the connection; its close code."""
    async with asyncio.timeout(timeout):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed:
            return ws.close_code


# -- Authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hello", "error", "close"),
    [
        ({"type": "hello", "event": EVENT, "token": "wrong"}, "unauthorized", 4001),
        ({"type": "hello", "event": EVENT, "token": ""}, "unauthorized", 4001),
        ({"type": "hello", "event": "no-such-event", "token": "x"}, "event_not_found", 4004),
        ({"type": "hello", "event": "Bad Id!", "token": "x"}, "bad_request", 4000),
        ({"type": "ping", "id": 1}, "bad_request", 4000),
        ({"type": "hello", "token": "x"}, "bad_request", 4000),
        ({"type": "hello", "event": EVENT}, "unauthorized", 4001),
        ({"type": "hello", "event": EVENT, "token": 12}, "unauthorized", 4001),
        ({"type": "hello", "event": EVENT, "token": None}, "unauthorized", 4001),
    ],
)  # fmt: skip
async def test_bad_hello_gets_an_error_then_a_documented_close(
    live: Live, hello: dict[str, Any], error: str, close: int
) -> None:
    async with connect(live.url, subprotocols=[Subprotocol("matchboard.v1.json")]) as ws:
        await ws.send(orjson.dumps(hello).decode())
        message = orjson.loads(await ws.recv())
        assert message["type"] == "error"
        assert message["code"] == error
        assert message["message"]
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == close


@pytest.mark.parametrize(
    "resume",
    [{"epoch": 1}, {"version": 3}, {"epoch": "e", "version": -1}, {"epoch": "e", "version": "3"},
     {"epoch": "e", "version": 1.5}, {"epoch": "e", "version": True}, [1], "41"],
)  # fmt: skip
async def test_a_malformed_resume_gets_a_snapshot(live: Live, resume: Any) -> None:
    hello = {"type": "hello", "event": EVENT, "token": live.token("p0"), "resume": resume}
    async with connect(live.url, subprotocols=[Subprotocol("matchboard.v1.json")]) as ws:
        await ws.send(orjson.dumps(hello).decode())
        welcome = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (welcome["type"], welcome["resumed"]) == ("welcome", False)
        snapshot = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (snapshot["type"], snapshot["version"]) == ("snapshot", live.state.version)


async def test_a_token_of_another_event_is_refused(live: Live) -> None:
    records = small_event_records(event_id="other-ev")
    other = records[0]
    assert isinstance(other, Event)
    state = await live.service.create_event(other, records[1:], actor="t")
    assert state.event is not None
    for token in (state.event.moderator_token, state.participants["p0"].token):
        with pytest.raises(ClientError) as caught:
            await live.client(token).connect()
        assert (caught.value.code, caught.value.close_code) == ("unauthorized", 4001)


async def test_no_hello_in_time_closes_4002(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "HELLO_TIMEOUT_S", 0.2)
    async with connect(live.url, subprotocols=[Subprotocol("matchboard.v1.msgpack")]) as ws:
        message = protocol.decode(await asyncio.wait_for(ws.recv(), 5), Encoding.MSGPACK)
        assert message["code"] == "hello_timeout"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == CloseCode.HELLO_TIMEOUT


def raw_handshake(url: str, **headers: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """An upgrade request on a plain socket: the status line, every header line as sent
    (repeats included) and the body."""
    host, port = url.removeprefix("ws://").removesuffix("/ws").split(":")
    lines = ["GET /ws HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Version: 13", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = b""
        while chunk := sock.recv(65536):  # the server closes after a refusal
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    pairs = [(name.strip().lower(), value.strip()) for name, _, value in
             (f.partition(":") for f in fields)]  # fmt: skip
    return status, pairs, body


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Sec-WebSocket-Protocol": "chat"}, 400, "bad_subprotocol"),
        ({"Sec-WebSocket-Protocol": "matchboard.v1.json", "Origin": "http://evil.example"},
         403, "forbidden_origin"),
    ],
)  # fmt: skip
async def test_a_refused_handshake_has_one_content_type_and_the_error_shape(
    live: Live, headers: dict[str, str], status: int, code: str
) -> None:
    line, fields, body = await asyncio.to_thread(raw_handshake, live.url, **headers)
    assert line.split(" ")[1] == str(status)
    assert [v for k, v in fields if k == "content-type"] == ["application/json"]
    assert orjson.loads(body)["error"]["code"] == code


async def test_handshake_checks_subprotocol_and_origin(live: Live) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(live.url, subprotocols=[Subprotocol("chat")])
    assert caught.value.response.status_code == 400
    assert b'"code":"bad_subprotocol"' in caught.value.response.body
    with pytest.raises(InvalidStatus) as caught:
        await connect(
            live.url,
            subprotocols=[Subprotocol("matchboard.v1.json")],
            origin=Origin("http://evil.example"),
        )
    assert caught.value.response.status_code == 403
    host = live.url.removeprefix("ws://").removesuffix("/ws")
    ok = await connect(
        live.url, subprotocols=[Subprotocol("matchboard.v1.json")], origin=Origin(f"http://{host}")
    )
    await ok.close()


# -- Audiences --------------------------------------------------------------------------


async def test_each_role_sees_exactly_its_audience(live: Live) -> None:
    secrets = [live.event.moderator_token, live.event.screen_key]
    secrets += [p.token for p in live.state.participants.values()]
    emails = [p.email for p in live.state.participants.values()]

    moderator = live.client(live.event.moderator_token)
    welcome = await moderator.connect()
    assert welcome["role"] == "moderator"
    data = moderator.state.snapshot_like()
    assert {p["email"] for p in data["participants"]} == set(emails)
    await moderator.close()

    async with connect(live.url, subprotocols=[Subprotocol("matchboard.v1.json")]) as ws:
        await ws.send(
            orjson.dumps({"type": "hello", "event": EVENT, "token": live.event.screen_key}).decode()
        )
        welcome_raw, snapshot_raw = await ws.recv(), await ws.recv()
    assert orjson.loads(welcome_raw)["role"] == "hall"
    hall_data = orjson.loads(snapshot_raw)["data"]
    assert len(hall_data["participants"]) == 8
    assert len(hall_data["meetings"]) == 3
    assert set(hall_data["participants"][0]) == {
        "id",
        "name",
        "organisation",
        "country",
        "title",
        "tags",
        "languages",
        "present",
    }
    for secret in [*secrets, *emails]:
        assert secret not in str(snapshot_raw)

    async with connect(live.url, subprotocols=[Subprotocol("matchboard.v1.json")]) as ws:
        await ws.send(
            orjson.dumps({"type": "hello", "event": EVENT, "token": live.token("p1")}).decode()
        )
        welcome_raw, snapshot_raw = await ws.recv(), await ws.recv()
    assert orjson.loads(welcome_raw)["participant"] == "p1"
    mine = orjson.loads(snapshot_raw)["data"]
    assert [m["id"] for m in mine["meetings"]] == ["m1"]
    assert [p["id"] for p in mine["participants"]] == ["p0"]  # the partner's public profile
    assert mine["me"]["email"] == live.state.participants["p1"].email
    assert "token" not in mine["me"]
    others = [s for s in [*secrets, *emails] if s != live.state.participants["p1"].email]
    for secret in others:
        assert secret not in str(snapshot_raw)


async def test_participants_get_only_their_changes_and_hall_only_public_ones(live: Live) -> None:
    p1, p3 = live.client(live.token("p1")), live.client(live.token("p3"))
    hall = live.client(live.event.screen_key)
    for c in (p1, p3, hall):
        await c.connect()
    # m1 (p0-p1) moves to table 3; p1 sees it, p3 sees only the version move on.
    version = await live.commit(
        dataclasses.replace(live.state.meetings["m1"], table=3, note="secret note")
    )
    u1, u3, uh = [await next_of(c, "update") for c in (p1, p3, hall)]
    assert u1["version"] == u3["version"] == uh["version"] == version
    assert [(k, r["id"], r["table"]) for k, r in u1["changes"]["upserts"] if k == "meeting"] == [
        ("meeting", "m1", 3)
    ]
    assert u3["changes"] == {"upserts": [], "deletes": []}
    assert "secret note" not in str(uh)
    assert "secret note" not in str(u1)
    # A hall-only announcement never reaches phones.
    await live.announce(1, "Coffee is served", hall_only=True)
    assert (await next_of(hall, "update"))["changes"]["upserts"][0][1]["text"] == "Coffee is served"
    assert (await next_of(p1, "update"))["changes"]["upserts"] == []
    for c in (p1, p3, hall):
        await c.close()


# -- Order, resume, epochs ---------------------------------------------------------------


async def test_many_updates_arrive_in_order_without_gaps_and_match_a_fresh_snapshot(
    live: Live,
) -> None:
    clients = [
        live.client(live.event.moderator_token),
        live.client(live.event.screen_key, Encoding.JSON),
        live.client(live.token("p0")),
        live.client(live.token("p2"), Encoding.JSON),
    ]
    for c in clients:
        await c.connect()
    start = clients[0].state.version
    assert start is not None
    # Concurrent writers from two "processes" (own Redis connections, own replicas). They
    # race on purpose, and share this event loop with the server: with the ASGI path's
    # sends in it too, eight attempts (the default) sometimes lost every race.
    other = Service(Store(live.service.store.redis), max_attempts=32)
    live.service.max_attempts = 32

    async def writer(svc: Service, base: int) -> None:
        for n in range(25):
            await svc.execute(
                EVENT, "announce", upserting(Announcement(f"a{base + n}", "x")), actor="w"
            )

    moves = [dataclasses.replace(live.state.meetings["m3"], table=t) for t in (2, 3, 1, 2)]

    async def mover() -> None:
        for m in moves:
            await live.service.execute(EVENT, "move", upserting(m), actor="w")

    await asyncio.gather(writer(live.service, 0), writer(other, 100), mover())
    final = (await live.service.state(EVENT)).version
    assert final == start + 54
    for c in clients:
        versions = []
        while c.state.version != final:
            message = await next_of(c, "update")
            versions.append(message["version"])  # ClientState raises on any gap or repeat
        assert versions == list(range(start + 1, final + 1))
    # Incremental state equals a fresh snapshot, for every role.
    for c in clients:
        fresh = Client(live.url, event=EVENT, token=c.token, encoding=c.encoding)
        await fresh.connect()
        assert c.state.snapshot_like() == fresh.state.snapshot_like()
        await fresh.close()
        await c.close()


async def test_resume_gets_exactly_the_missed_updates(live: Live) -> None:
    phone = live.client(live.token("p0"))
    await phone.connect()
    position = phone.state.position()
    assert position is not None
    await phone.close()
    missed = [await live.announce(n) for n in range(5)]
    missed.append(await live.commit(dataclasses.replace(live.state.meetings["m1"], table=3)))
    welcome = await phone.connect(resume=True)
    assert welcome["resumed"] is True
    got = [(await next_of(phone, "update"))["version"] for _ in missed]
    assert got == missed
    assert phone.state.records["meeting"]["m1"]["table"] == 3
    with pytest.raises(TimeoutError):
        await phone.recv(0.3)  # nothing more, nothing twice
    await phone.close()


async def test_stale_epoch_or_too_old_position_gets_a_snapshot(
    live: Live, monkeypatch: pytest.MonkeyPatch, redis_server: EmbeddedRedis
) -> None:
    phone = live.client(live.token("p0"))
    await phone.connect()
    await phone.close()
    phone.state.epoch = "not-the-epoch"
    welcome = await phone.connect(resume=True)
    assert welcome["resumed"] is False
    assert phone.state.epoch == live.state.epoch
    await phone.close()

    monkeypatch.setattr(feed_module, "RESUME_WINDOW", 3)
    async with running_server(redis_server.url) as url:  # a process with a small window
        phone.url = url
        await phone.connect()
        await phone.close()
        # A hall screen on the same process: once it has the last change, so has the
        # process's feed, and the phone's position is surely out of its window.
        hall = Client(url, event=EVENT, token=live.event.screen_key)
        await hall.connect()
        for n in range(6):
            latest = await live.announce(n)
        async with asyncio.timeout(10):
            while hall.state.version != latest:
                await hall.recv()
        welcome = await phone.connect(resume=True)
        assert welcome["resumed"] is False
        assert phone.state.version == latest
        await phone.close()
        await hall.close()


async def test_recreated_event_sends_connected_clients_a_new_epoch(live: Live) -> None:
    hall = live.client(live.event.screen_key)
    await hall.connect()
    old_epoch = hall.state.epoch
    event, rest = event_and_rest(small_event_records(event_id=EVENT, tables=1))
    event = dataclasses.replace(event, screen_key=live.event.screen_key)
    await live.service.create_event(event, rest, actor="t", replace=True)
    snapshot = await next_of(hall, "snapshot", timeout=10)
    assert snapshot["epoch"] != old_epoch
    assert list(hall.state.records["table"]) == ["1"]
    await hall.close()


# -- Server time -------------------------------------------------------------------------


async def test_ping_pong_carries_server_time(live: Live) -> None:
    phone = live.client(live.token("p0"), Encoding.JSON)
    await phone.connect()
    offset = await phone.sync_clock(samples=3)
    assert abs(offset) < 1000  # same machine: the clocks agree
    sample = await phone.ping()
    assert sample.rtt_ms >= 0
    await phone.close()


# -- Slow clients, bad frames, revocation --------------------------------------------------


class SilentClient:
    """A client that reads every frame and answers none: websockets' sans-I/O protocol,
    whose output (its automatic pongs included) is never sent after the hello. It may
    still send messages of its own."""

    def __init__(self, url: str, token: str, *, deflate: bool = False) -> None:
        self.proto = ClientProtocol(
            parse_uri(url),
            subprotocols=[Subprotocol("matchboard.v1.json")],
            extensions=[ClientPerMessageDeflateFactory()] if deflate else None,
        )
        self.url, self.token = url, token
        self.events: deque[Any] = deque()
        self.pings = 0
        self.received = 0  # bytes read from the socket

    async def open(self, receive_buffer: int | None = None) -> None:
        """Connect (with that SO_RCVBUF, if given) and send the hello."""
        host, port = self.url.removeprefix("ws://").removesuffix("/ws").split(":")
        sock = socket.socket()
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        self.proto.send_request(self.proto.connect())
        self._send_output()
        while self.proto.state is State.CONNECTING:  # until the handshake's response
            self.proto.receive_data(await self.reader.read(65536))
        assert self.proto.state is State.OPEN, self.proto.handshake_exc
        self.message({"type": "hello", "event": EVENT, "token": self.token})

    def _send_output(self) -> None:
        self.writer.write(b"".join(self.proto.data_to_send()))

    def message(self, message: dict[str, Any]) -> None:
        self.proto.data_to_send()  # drop the pongs queued so far: they are never sent
        self.proto.send_text(orjson.dumps(message))
        self._send_output()

    async def next_frame(self) -> Frame | None:
        """The next data or control frame (pings counted), or None at the end of stream."""
        while True:
            self.events.extend(self.proto.events_received())
            while self.events:
                event = self.events.popleft()
                if isinstance(event, Frame):
                    self.pings += event.opcode is Opcode.PING
                    return event
            data = await self.reader.read(65536)
            if not data:
                return None
            self.received += len(data)
            self.proto.receive_data(data)

    async def close_code(self) -> int | None:
        """Read until the server's close frame: its code (None: no close frame came)."""
        while (frame := await self.next_frame()) is not None:
            if frame.opcode is Opcode.CLOSE:
                return Close.parse(frame.data).code
        return None

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


# Not through ASGI: it cannot see the kernel's send queue, so its limit counts queued
# messages, not bytes (docs/scaling.md).
@pytest.mark.parametrize("path", ["lean", "deflate"])
async def test_a_client_that_stops_reading_is_closed_4008_at_the_limit_and_others_keep_up(
    redis: aioredis.Redis,
    redis_server: EmbeddedRedis,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    """The limit counts what the server's kernel holds too: of what is sent after the
    snapshot, a stalled client gets at most the limit, plus the update that crossed it,
    plus what its own receive buffer took, before the 4008 close frame."""
    limit, size, count = 64 * 1024, 60_000, 100  # 6 MB of updates: past any kernel buffer
    # The close frame waits behind the backlog until the client reads again; the server
    # must not cut the connection (RST) before this test does.
    monkeypatch.setattr(wsconn, "ABORT_AFTER_S", 120.0)
    monkeypatch.setattr(wsserver, "ABORT_AFTER_S", 120.0)
    server = {"lean": {}, "asgi": {"ws_lean": False}, "deflate": {"ws_compression": True}}[path]
    rng = random.Random(9)  # text that does not compress much, for the deflate path
    texts = ["".join(rng.choices(string.ascii_letters, k=size)) for _ in range(count)]
    async with live_server(redis, redis_server, ws_send_buffer_bytes=limit, **server) as live:
        stalled = SilentClient(live.url, live.token("p0"), deflate=path == "deflate")
        await stalled.open(receive_buffer=4096)
        async with asyncio.timeout(10):
            while (frame := await stalled.next_frame()) is not None:
                if b'"snapshot"' in frame.data:
                    break
        start = stalled.received
        transport = stalled.writer.transport
        assert isinstance(transport, asyncio.Transport)  # a socket's: it reads as well
        transport.pause_reading()  # and its kernel's receive buffer fills
        receive_buffer = stalled.writer.get_extra_info("socket").getsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF
        )
        healthy = live.client(live.token("p1"))
        await healthy.connect()
        for n, text in enumerate(texts):
            version = await live.announce(n, text)
            while healthy.state.version != version:  # every update, in order (ClientState)
                await healthy.recv(5)
        transport.resume_reading()
        async with asyncio.timeout(30):  # bounds the wait only
            while (frame := await stalled.next_frame()) is not None:
                if frame.opcode is Opcode.CLOSE:
                    break
        assert frame is not None, "no close frame"
        assert Close.parse(frame.data).code == CloseCode.TOO_SLOW
        received = stalled.received - start  # bytes on the wire, frame headers included
        assert received <= limit + size + receive_buffer + 1024, received
        assert await healthy.ping()
        await healthy.close()
        await stalled.close()


async def test_malformed_oversized_and_unknown_frames(live: Live) -> None:
    bystander = live.client(live.token("p1"))
    await bystander.connect()
    ws, _ = await open_feed(live.url, event=EVENT, token=live.token("p0"), encoding=Encoding.JSON)
    await ws.recv()  # snapshot

    async def answer(frame: str | bytes) -> dict[str, Any]:
        await ws.send(frame)
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        return message

    assert (await answer("{not json"))["code"] == "malformed"
    assert (await answer('["a list"]'))["code"] == "malformed"
    assert (await answer('{"type": "dance"}'))["code"] == "unknown_type"
    assert (await answer(b"\x00binary"))["code"] == "bad_frame"
    pong = await answer('{"type": "ping", "id": "still-alive", "client_ms": 1}')
    assert pong["type"] == "pong"
    # A msgpack map with a list as a key (unhashable in Python) is malformed too, and the
    # connection carries on.
    packed, _ = await open_feed(live.url, event=EVENT, token=live.token("p3"))
    await packed.recv()  # snapshot
    await packed.send(b"\x81\x91\x01\x01")
    reply = msgpack.unpackb(await asyncio.wait_for(packed.recv(), 5))
    assert reply["code"] == "malformed"
    await packed.send(protocol.encode({"type": "ping", "id": "ok", "client_ms": 1},
                                      Encoding.MSGPACK))  # fmt: skip
    reply = msgpack.unpackb(await asyncio.wait_for(packed.recv(), 5))
    assert reply["type"] == "pong"
    await packed.close()
    # Too many errors: closed 4000.
    for _ in range(6):
        await ws.send("{")
    assert await closed_with(ws) == CloseCode.BAD_REQUEST
    # Oversized: 1009.
    big, _ = await open_feed(live.url, event=EVENT, token=live.token("p2"))
    await big.recv()
    await big.send(b"\x81" * (protocol.MAX_CLIENT_MESSAGE_BYTES + 10))
    assert await closed_with(big) == CloseCode.MESSAGE_TOO_BIG
    # Everyone else is still served.
    version = await live.announce(1)
    assert (await next_of(bystander, "update"))["version"] == version
    await bystander.close()


async def test_a_frame_far_too_big_still_gets_the_close_frame(live: Live) -> None:
    """The server refuses a frame from its header on, while the rest is still arriving:
    it must half-close and drain, not close outright (the kernel would answer the unread
    bytes with a reset, and the client would see 1006 instead of the 1009 close frame)."""
    codes = []
    for _ in range(3):
        big, _ = await open_feed(live.url, event=EVENT, token=live.token("p2"))
        await big.recv()
        with contextlib.suppress(ConnectionClosed):
            await big.send(b"\x81" * (protocol.MAX_CLIENT_MESSAGE_BYTES + 10))
            for _ in range(20):  # and the client goes on talking, unaware yet
                await big.send(protocol.encode({"type": "ping"}, Encoding.MSGPACK))
        codes.append(await closed_with(big))
    assert codes == [CloseCode.MESSAGE_TOO_BIG] * 3


async def test_revoking_a_token_closes_that_participants_connections(live: Live) -> None:
    phone, other = live.client(live.token("p0")), live.client(live.token("p1"))
    await phone.connect()
    await other.connect()
    await live.commit(dataclasses.replace(live.state.participants["p0"], token=f"{EVENT}.new"))
    with pytest.raises(ClientError) as caught:
        await next_of(phone, "never")
    assert caught.value.close_code == CloseCode.REVOKED
    # Nothing public changed for the partner: only the version moves on.
    assert (await next_of(other, "update"))["changes"] == {"upserts": [], "deletes": []}
    assert await other.ping()
    await other.close()


# -- Several server processes ------------------------------------------------------------


async def test_two_server_processes_both_deliver_in_order_and_clients_can_switch(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    service = Service(Store(redis))
    state = await make_event(service)
    assert state.event is not None
    with (
        server_process(redis_server.url, tmp_path) as url_a,
        server_process(redis_server.url, tmp_path) as url_b,
    ):
        a = Client(url_a, event=EVENT, token=state.event.screen_key)
        b = Client(url_b, event=EVENT, token=state.participants["p0"].token, encoding=Encoding.JSON)
        await a.connect()
        await b.connect()
        live = Live(url_a, service, state)
        versions = [await live.announce(n) for n in range(20)]
        for client in (a, b):
            got = [(await next_of(client, "update"))["version"] for _ in versions]
            assert got == versions
        # b moves to process A and resumes there with exactly what it missed.
        await b.close()
        missed = [await live.announce(100 + n) for n in range(3)]
        b.url = url_a
        welcome = await b.connect(resume=True)
        assert welcome["resumed"] is True
        assert [(await next_of(b, "update"))["version"] for _ in missed] == missed
        await a.close()
        await b.close()


async def test_meeting_kinds_roundtrip(live: Live) -> None:
    """A participant joining a meeting receives the new partner's public profile."""
    phone = live.client(live.token("p3"))
    await phone.connect()
    new = Meeting("m9", ("p3",), ("p4",), round=3, table=1, status=live.state.meetings["m1"].status)
    await live.commit(new)
    update = await next_of(phone, "update")
    kinds = sorted((k, r["id"]) for k, r in update["changes"]["upserts"])
    assert kinds == [("meeting", "m9"), ("participant", "p4")]
    assert "email" not in dict(update["changes"]["upserts"])["participant"]
    await phone.close()


async def test_permessage_deflate_when_enabled(
    redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> None:
    async with live_server(redis, redis_server, ws_compression=True) as live:
        packed = live.client(live.token("p0"), Encoding.JSON, compression="deflate")
        plain = live.client(live.token("p1"))
        await packed.connect()
        await plain.connect()
        versions = [await live.announce(n, "x" * 5000) for n in range(3)]
        for client in (packed, plain):
            assert [(await next_of(client, "update"))["version"] for _ in versions] == versions
        assert await packed.ping()
        await packed.close()
        await plain.close()


def feed_tasks() -> set[asyncio.Task[Any]]:
    """The running feed tasks of the test event (server/edge/feed.py names them)."""
    return {t for t in asyncio.all_tasks() if not t.done() and t.get_name() == f"feed:{EVENT}"}


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "asgi"])
async def test_a_feed_without_connections_stops_and_the_next_client_starts_another(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, lean: bool
) -> None:
    async with live_server(redis, redis_server, ws_lean=lean, feed_idle_s=0.2) as live:
        phone = live.client(live.token("p0"))
        await phone.connect()
        [first] = feed_tasks()
        await phone.close()
        _done, running = await asyncio.wait([first], timeout=10)  # bounds the wait only
        assert not running and not feed_tasks()
        assert (await phone.connect())["resumed"]  # the new feed refilled its window
        assert feed_tasks()
        version = await live.announce(1)
        assert (await next_of(phone, "update"))["version"] == version
        await phone.close()


def writer_tasks() -> set[asyncio.Task[Any]]:
    """The sending tasks of ASGI connections (QueueWriter) still running."""
    return {
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == "QueueWriter._drain"
    }


async def test_a_compressed_connection_takes_its_writer_task_with_it(
    redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> None:
    """Through ASGI (here with compression on) each connection sends from a task of its
    own; when the connection ends, whether the client closes it or the server does, the
    task ends too. (The lean protocol, compressed or not, has no such task.)"""
    async with live_server(redis, redis_server, ws_lean=False, ws_compression=True) as live:
        clients = [
            live.client(live.token(f"p{i}"), Encoding.JSON, compression="deflate") for i in range(4)
        ]
        for client in clients:
            await client.connect()
        rude, _ = await open_feed(
            live.url, event=EVENT, token=live.token("p5"), encoding=Encoding.JSON,
            compression="deflate",
        )  # fmt: skip
        await rude.recv()  # snapshot
        writers = writer_tasks()
        assert len(writers) == len(clients) + 1
        for client in clients:
            await client.close()
        for _ in range(protocol.MAX_CLIENT_ERRORS):
            await rude.send("{")
        assert await closed_with(rude) == CloseCode.BAD_REQUEST
        _done, running = await asyncio.wait(writers, timeout=10)  # bounds the wait only
        assert not running


# Not through ASGI: uvicorn's own keepalive pings there, and only a pong answers it.
@pytest.mark.parametrize("deflate", [False, True], ids=["lean", "deflate"])
async def test_a_connection_that_does_not_answer_pings_gets_a_close_frame(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, deflate: bool
) -> None:
    """A phone that vanished (no pong) is closed by the server's pings: a close frame
    with 1011 once the timeout after an unanswered ping has passed, then the end of the
    connection. A client that answers, or sends anything, stays."""
    timing = {"ws_ping_interval_s": 0.5, "ws_ping_timeout_s": 1.0}
    async with live_server(redis, redis_server, ws_compression=deflate, **timing) as live:
        silent = SilentClient(live.url, live.token("p0"), deflate=deflate)
        chatty = SilentClient(live.url, live.token("p2"), deflate=deflate)  # no pongs, but messages
        alive = live.client(live.token("p1"))  # the library answers pings itself
        await silent.open()
        await chatty.open()
        await alive.connect()

        async def silent_is_closed() -> None:
            assert await silent.close_code() == CloseCode.SERVER_ERROR
            assert silent.pings >= 1
            assert await silent.next_frame() is None  # and the server ended the connection

        async def chatty_stays() -> None:  # pinged again and again, never closed
            while chatty.pings < 6:
                frame = await chatty.next_frame()
                assert frame is not None and frame.opcode is not Opcode.CLOSE
                if frame.opcode is Opcode.PING:
                    chatty.message({"type": "ping", "id": chatty.pings, "client_ms": 0})

        async with asyncio.timeout(15):  # bounds the wait only
            await asyncio.gather(silent_is_closed(), chatty_stays())
        assert await alive.ping()  # answered every ping: still there
        await alive.close()
        await chatty.close()
        await silent.close()


async def test_through_asgi_a_client_that_answers_no_ping_gets_a_close_frame_too(
    redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> None:
    """The ASGI path's pings are uvicorn's keepalive: no pong in time, 1011 and the end
    of the connection; a client whose library answers pings stays."""
    timing = {"ws_ping_interval_s": 0.5, "ws_ping_timeout_s": 1.0}
    async with live_server(redis, redis_server, ws_lean=False, **timing) as live:
        silent = SilentClient(live.url, live.token("p0"))
        alive = live.client(live.token("p1"))
        await silent.open()
        await alive.connect()
        async with asyncio.timeout(15):  # bounds the wait only
            assert await silent.close_code() == CloseCode.SERVER_ERROR
            assert silent.pings >= 1
            assert await silent.next_frame() is None
        assert await alive.ping()
        await alive.close()
        await silent.close()


def test_heartbeat_times_are_positive_seconds_from_the_environment() -> None:
    env = {"MATCHBOARD_WS_PING_INTERVAL_S": "1.5", "MATCHBOARD_WS_PING_TIMEOUT_S": "3"}
    settings = Settings.from_env(env)
    assert (settings.ws_ping_interval_s, settings.ws_ping_timeout_s) == (1.5, 3.0)
    for wrong in ("0", "-2", "soon", "nan", "inf"):
        with pytest.raises(InvalidSetting, match="MATCHBOARD_WS_PING_TIMEOUT_S") as caught:
            Settings.from_env({"MATCHBOARD_WS_PING_TIMEOUT_S": wrong})
        assert repr(wrong) in caught.value.message


def test_the_feed_idle_time_is_positive_seconds_from_the_environment() -> None:
    assert Settings.from_env({}).feed_idle_s == 300.0
    assert Settings.from_env({"MATCHBOARD_FEED_IDLE_S": "0.5"}).feed_idle_s == 0.5
    with pytest.raises(InvalidSetting, match="MATCHBOARD_FEED_IDLE_S"):
        Settings.from_env({"MATCHBOARD_FEED_IDLE_S": "0"})


async def send_command(client: Client, command_id: str, name: str, **fields: Any) -> dict[str, Any]:
    await client.send_raw(
        protocol.encode(
            {"type": "command", "id": command_id, "name": name, **fields}, Encoding(client.encoding)
        )
        if client.encoding == Encoding.MSGPACK
        else orjson.dumps({"type": "command", "id": command_id, "name": name, **fields}).decode()
    )
    while True:
        message = await client.recv(5)
        if message["type"] in ("result", "error") and message.get("id") == command_id:
            return message


async def test_commands_over_the_websocket(live: Live) -> None:
    moderator = live.client(live.event.moderator_token, Encoding.JSON)
    phone = live.client(live.token("p0"))
    await moderator.connect()
    await phone.connect()
    before = moderator.state.version
    assert before is not None

    preview = await send_command(moderator, "c1", "move_meeting",
                                 args={"meeting": "m1", "table": 3}, dry_run=True)  # fmt: skip
    assert preview["type"] == "result"
    assert preview["committed"] is None
    assert {p["id"] for p in preview["preview"]["people"]} == {"p0", "p1"}
    odd = await send_command(moderator, "c1b", "move_meeting",
                             args={"meeting": "m1", "table": 3}, dry_run="false")  # fmt: skip
    assert (odd["type"], odd["code"], odd["details"]["arg"]) == ("error", "invalid_argument",
                                                                 "dry_run")  # fmt: skip

    result = await send_command(moderator, "c2", "move_meeting", args={"meeting": "m1", "table": 3})
    assert result["committed"] == before + 1
    update = await next_of(phone, "update")
    assert update["version"] == before + 1
    assert phone.state.records["meeting"]["m1"]["table"] == 3

    taken = await send_command(moderator, "c3", "move_meeting", args={"meeting": "m2", "table": 3})
    assert (taken["type"], taken["code"]) == ("error", "table_taken")
    assert "table 3" in taken["message"]
    forbidden = await send_command(phone, "c4", "announce", args={"text": "hi"})
    assert (forbidden["code"], forbidden["id"]) == ("forbidden", "c4")
    bad = await send_command(moderator, "c5", "move_meeting", args={"meeting": "m2"})
    assert (bad["code"], bad["details"]["arg"]) == ("invalid_argument", "table")
    assert await phone.ping()  # errors never close the connection
    await moderator.close()
    await phone.close()


async def test_the_no_show_story_reaches_both_phones_and_the_hall(live: Live) -> None:
    moderator = live.client(live.event.moderator_token)
    anna, ayse = live.client(live.token("p0")), live.client(live.token("p4"), Encoding.JSON)
    hall = live.client(live.event.screen_key)
    for c in (moderator, anna, ayse, hall):
        await c.connect()
    assert (await send_command(anna, "1", "check_in"))["type"] == "result"
    assert (await send_command(moderator, "2", "check_in", args={"participant": "p4"}))["committed"]
    # Anna's partner (p1) never came: she reports it; the moderators get the alert.
    report = await send_command(anna, "3", "report_missing_partner", args={"meeting": "m1"})
    version = report["committed"]
    while moderator.state.version != version:
        await moderator.recv(5)
    (alert,) = moderator.state.records["alert"].values()
    assert (alert["reporter"], alert["table"], alert["status"]) == ("p0", 1, "open")
    assert not hall.state.records.get("alert")  # only moderators see alerts
    await send_command(moderator, "4", "mark_absent", args={"meeting": "m1"})
    substitute = {"participant": "p0", "substitute": "p4", "round": 1}
    seated = await send_command(moderator, "5", "accept_substitute", args=substitute)
    final = seated["committed"]
    for c in (anna, ayse, hall, moderator):
        while c.state.version != final:
            await c.recv(5)
    new_id = "sub-1-p0-p4"
    for phone, partner in ((anna, "p4"), (ayse, "p0")):
        assert phone.state.records["meeting"][new_id]["table"] == 1
        assert phone.state.records["participant"][partner]["present"] is True
    assert hall.state.records["meeting"][new_id]["origin"] == "substitute"
    assert hall.state.records["meeting"]["m1"]["status"] == "no_show"
    assert moderator.state.records["alert"][alert["id"]]["status"] == "resolved"
    for c in (moderator, anna, ayse, hall):
        await c.close()


async def test_pause_freezes_and_resume_shifts_every_screen_alike(live: Live) -> None:
    moderator = live.client(live.event.moderator_token)
    screens = [live.client(live.event.screen_key), live.client(live.token("p0"), Encoding.JSON)]
    for c in (moderator, *screens):
        await c.connect()
    paused = await send_command(moderator, "p", "pause_clock")
    for c in screens:
        while c.state.version != paused["committed"]:
            await c.recv(5)
        assert c.state.records["clock"]["clock"]["paused_at_ms"] is not None
    before = screens[0].state.records["round"]["1"]["starts_at_ms"]
    resumed = await send_command(moderator, "r", "resume_clock")
    starts = []
    for c in screens:
        while c.state.version != resumed["committed"]:
            await c.recv(5)
        assert c.state.records["clock"]["clock"]["paused_at_ms"] is None
        starts.append(c.state.records["round"]["1"]["starts_at_ms"])
    assert starts[0] == starts[1] > before  # the same shifted plan on every screen
    again = await send_command(moderator, "x", "resume_clock")
    assert again["code"] == "not_paused"
    for c in (moderator, *screens):
        await c.close()
