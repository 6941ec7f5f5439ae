"""Seeded fuzzing of the two doors a stranger can knock on: /ws and the HTTP API.

A server process (as in production) serves a small event. Thousands of generated WebSocket
frames — garbage bytes, msgpack and JSON of every shape, hellos and commands with mutated
fields, wrong frame kinds, oversized frames — arrive before and after authentication, and
thousands of HTTP requests hit every route with random methods, tokens, queries and bodies.
Throughout, a hall screen stays connected and must receive every marker announcement the
test commits. Afterwards: no traceback in the server's log, no 5xx, and only the error codes
and close codes that docs/protocol.md and docs/api.md document.

The seed is fixed so that a failure can be replayed; MATCHBOARD_FUZZ_SEED picks another.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import string
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgpack
import orjson
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from server.client.client import Client
from server.core.commands import COMMANDS
from server.core.model import Announcement, AnnouncementAudience
from server.core.state import Change, EventState
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service
from server.edge.store import Store
from server.wire import protocol
from server.wire.protocol import Encoding
from tests.servers import server_process
from tests.test_sockets import EVENT, make_event

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("MATCHBOARD_FUZZ_SEED", "20261129"))
FRAMES_BEFORE_AUTH = 2000
FRAMES_AFTER_AUTH = 2000
HTTP_REQUESTS = 2200
MARK_EVERY = 250  # commit a marker announcement the hall screen must receive
CONCURRENCY = 16
WAIT_S = 15.0  # bounds every single wait; the whole test is bounded below
TEST_BOUND_S = 420.0
# Rotating a token closes its connections by design (4005); the bystander must stay.
NOT_FUZZED = frozenset({"rotate_token"})


# -- What the docs promise --------------------------------------------------------------


def documented_close_codes() -> set[int]:
    doc = (ROOT / "docs" / "protocol.md").read_text()
    return {int(c) for c in re.findall(r"^\| (\d{4}) \|", doc, re.MULTILINE)}


def documented_error_codes() -> set[str]:
    codes: set[str] = set()
    for name in ("protocol.md", "api.md"):
        doc = (ROOT / "docs" / name).read_text()
        for first_cell in re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", doc, re.MULTILINE):
            codes |= set(re.findall(r"`([a-z_]+)`", first_cell))
    return codes


# -- Generators ---------------------------------------------------------------------------


def weird_text(rng: random.Random) -> str:
    pools = [
        string.printable,
        "äöüßŁğőșėØİ中文🙂\u200b\u202e\x00\ud7ff\ufeff",
        "<>&\"'%{}[]\\/..;",
    ]
    pool = rng.choice(pools)
    return "".join(rng.choice(pool) for _ in range(rng.choice([0, 1, 3, 12, 70, 600])))


def any_value(rng: random.Random, depth: int = 0, *, hashable: bool = False) -> Any:
    """A random msgpack-able value; maps may have keys of any kind (lists too)."""
    leaves: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.choice([0, -1, 1, 2, 7, 2**31, -(2**63), 2**64 - 1]),
        lambda: rng.uniform(-1e9, 1e9),
        lambda: rng.choice([float("nan"), float("inf"), -0.0]),
        lambda: weird_text(rng),
        lambda: rng.randbytes(rng.choice([0, 1, 9, 40])),
    ]
    if hashable or depth > 3 or rng.random() < 0.55:
        return rng.choice(leaves)()
    if rng.random() < 0.5:
        return [any_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    keys: list[Any] = [
        weird_text(rng),
        rng.randrange(-5, 5),
        rng.choice(["type", "id", "name", "args", "event", "token", "resume", "dry_run"]),
    ]
    if rng.random() < 0.2:
        keys.append(("tuple", "key"))  # packs as a list: an unhashable key when decoded
    return {rng.choice(keys): any_value(rng, depth + 1) for _ in range(rng.randrange(5))}


@dataclass
class Secrets:
    moderator: str
    hall: str
    participants: list[str]
    meetings: list[str]
    people: list[str]

    def token(self, rng: random.Random) -> Any:
        return rng.choice(
            [
                self.moderator,
                self.hall,
                rng.choice(self.participants),
                "",
                None,
                7,
                [self.moderator],
                f"{EVENT}.{weird_text(rng)}",
                self.moderator[:-1],
                weird_text(rng),
            ]
        )


def plausible_args(rng: random.Random, s: Secrets) -> Any:
    if rng.random() < 0.15:
        return any_value(rng)
    pool: dict[str, Callable[[], Any]] = {
        "meeting": lambda: rng.choice([*s.meetings, "nope", 3, None]),
        "meeting_a": lambda: rng.choice([*s.meetings, "nope"]),
        "meeting_b": lambda: rng.choice([*s.meetings, {"x": 1}]),
        "participant": lambda: rng.choice([*s.people, "ghost", 0, ["p1"]]),
        "substitute": lambda: rng.choice([*s.people, "ghost"]),
        "side_a": lambda: rng.choice([[rng.choice(s.people)], rng.choice(s.people), [], [1]]),
        "side_b": lambda: rng.choice([[rng.choice(s.people)], "p2", None]),
        "round": lambda: rng.choice([1, 2, 3, 4, 0, -1, 99, "1", 1.5, None, True]),
        "table": lambda: rng.choice([1, 2, 3, 0, -4, 1000, "2", None]),
        "minutes": lambda: rng.choice([1, 5, 0, -5, 10_000, 2.5, "3", None, float("nan")]),
        "text": lambda: weird_text(rng),
        "audience": lambda: rng.choice(["everyone", "hall", "nobody", 1]),
        "id": lambda: rng.choice([weird_text(rng), "a-fuzz", 5]),
        "code": lambda: rng.choice([weird_text(rng), "ABCDE12345", None]),
        "outcome": lambda: rng.choice(["held", "no_show", "substituted", "cancelled", "x"]),
        "on": lambda: rng.choice([True, False, "yes", None]),
        "grace_minutes": lambda: rng.choice([0, 3, -1, "x"]),
        "hall": lambda: rng.choice([True, False, "yes"]),
    }
    names = rng.sample(sorted(pool), rng.randrange(0, 5))
    return {name: pool[name]() for name in names}


def message(rng: random.Random, s: Secrets, *, authenticated: bool) -> Any:
    """One client message as a value (encoded by the caller), or raw bytes/str. After
    authentication most are commands, so that the commands' argument checks get fuzzed
    rather than the ten-bad-messages rule."""
    r = rng.random()
    if r < 0.04:
        return rng.randbytes(rng.randrange(0, 64))  # garbage, whatever the encoding
    if r < 0.07:
        return weird_text(rng)
    if r < 0.15:
        return any_value(rng)
    if authenticated:
        kind = rng.choice(["command"] * 8 + ["ping", "hello", "welcome", weird_text(rng)])
    else:
        kind = rng.choice(["hello"] * 5 + ["ping", "command", weird_text(rng)])
    msg: dict[Any, Any] = {"type": kind if rng.random() > 0.03 else any_value(rng)}
    if kind == "hello":
        msg.update(
            event=rng.choice([EVENT, EVENT, EVENT, "no-such-event", "Bad Id!", "", None, 3]),
            token=s.token(rng),
        )
        if rng.random() < 0.4:
            msg["resume"] = rng.choice(
                [
                    {"epoch": weird_text(rng), "version": rng.randrange(-3, 10**6)},
                    {"epoch": 1, "version": "x"},
                    [1, 2],
                    None,
                    any_value(rng),
                ]
            )
    elif kind == "ping":
        msg.update(id=any_value(rng, hashable=True), client_ms=any_value(rng, hashable=True))
    elif kind == "command":
        names = [n for n in COMMANDS if n not in NOT_FUZZED]
        msg.update(
            id=any_value(rng, hashable=True),
            name=rng.choice([*names, *names, *names, weird_text(rng), None, 5]),
            args=plausible_args(rng, s),
        )
        if rng.random() < 0.3:
            msg["dry_run"] = rng.choice([True, False, "false", 1, None])
        if rng.random() < 0.2:
            msg["request_id"] = rng.choice([weird_text(rng), f"r-{rng.randrange(5)}", 5, None])
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        msg[weird_text(rng)] = any_value(rng)
    return msg


def as_json(value: Any) -> bytes:
    """JSON for a generated value: bytes as hex; a value JSON cannot hold as its repr."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=_plain)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(repr(value)[:200])


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError


def encoded(value: Any, encoding: Encoding, rng: random.Random) -> bytes | str:
    """The frame for `value` on a connection of `encoding`, sometimes of the wrong kind."""
    if isinstance(value, bytes | str) and not isinstance(value, dict):
        return value
    if encoding is Encoding.MSGPACK or rng.random() < 0.05:
        data: bytes = msgpack.packb(value, use_bin_type=True)
        return data
    text = as_json(value).decode()
    return text if rng.random() > 0.05 else text.encode()


# -- What the server answered ---------------------------------------------------------------


@dataclass
class Seen:
    close_codes: Counter[int] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    bad_http: list[str] = field(default_factory=list)
    frames: int = 0
    requests: int = 0

    def note_ws(self, data: bytes | str, encoding: Encoding) -> None:
        decoded = msgpack.unpackb(data) if isinstance(data, bytes) else orjson.loads(data)
        assert isinstance(decoded, dict), decoded
        if decoded.get("type") == "error":
            self.error_codes[decoded["code"]] += 1


async def drain(ws: ClientConnection, seen: Seen, encoding: Encoding) -> None:
    """Read until the server closes; note every error and the close code."""
    try:
        async with asyncio.timeout(WAIT_S):
            async for data in ws:
                seen.note_ws(data, encoding)
    except ConnectionClosed:
        pass
    if ws.close_code is not None:
        seen.close_codes[ws.close_code] += 1


async def open_ws(url: str, encoding: Encoding) -> ClientConnection:
    name = (
        protocol.SUBPROTOCOL_MSGPACK if encoding is Encoding.MSGPACK else protocol.SUBPROTOCOL_JSON
    )
    return await connect(url, subprotocols=[Subprotocol(name)], max_size=None, open_timeout=WAIT_S)


async def send_message(ws: ClientConnection, msg: dict[str, Any], encoding: Encoding) -> None:
    data = protocol.encode(msg, encoding)
    await ws.send(data if encoding is Encoding.MSGPACK else data.decode())


async def first_frame(url: str, frame: bytes | str, encoding: Encoding, seen: Seen) -> None:
    """A new connection whose first frame is `frame`; then hang up after the answer."""
    ws = await open_ws(url, encoding)
    try:
        await ws.send(frame)
        seen.frames += 1
        async with asyncio.timeout(WAIT_S):
            data = await ws.recv()
            seen.note_ws(data, encoding)
            if (orjson.loads(data) if isinstance(data, str) else msgpack.unpackb(data)).get(
                "type"
            ) == "welcome":
                return  # a valid hello by chance: authenticated; hang up
        await drain(ws, seen, encoding)
    except ConnectionClosed:
        if ws.close_code is not None:
            seen.close_codes[ws.close_code] += 1
    finally:
        await ws.close()


async def authenticated_stream(
    url: str, s: Secrets, rng: random.Random, count: int, seen: Seen
) -> None:
    """`count` frames over authenticated connections, reconnecting when one is closed."""
    sent = 0
    while sent < count:
        encoding = rng.choice(list(Encoding))
        token = rng.choice([s.moderator, s.moderator, s.hall, *s.participants[:3]])
        ws = await open_ws(url, encoding)
        hello = {"type": "hello", "event": EVENT, "token": token}
        await send_message(ws, hello, encoding)
        reader = asyncio.create_task(drain(ws, seen, encoding))
        try:
            for _ in range(rng.randrange(20, 120)):
                if sent >= count:
                    break
                frame = encoded(message(rng, s, authenticated=True), encoding, rng)
                if rng.random() < 0.004:
                    frame = b"\x91" + b"\x00" * (protocol.MAX_CLIENT_MESSAGE_BYTES + 10)
                try:
                    await ws.send(frame)
                except ConnectionClosed:
                    break
                sent += 1
                seen.frames += 1
            # A last ping: its pong comes after the answers to everything before it
            # (commands run on their own, so a few answers may still come after it).
            await send_message(ws, {"type": "ping", "id": "last"}, encoding)
        except ConnectionClosed:
            pass
        finally:
            await ws.close()
            await reader


# -- HTTP ----------------------------------------------------------------------------------


def http_request(rng: random.Random, s: Secrets) -> dict[str, Any]:
    event = rng.choice([EVENT] * 6 + ["no-such-event", "Bad%20Id", "x" * 300, "%00"])
    what = rng.choice(["schedule", "participants", "event", "badges", "audit", "x", ""])
    fmt = rng.choice(["csv", "json", "pdf", ""])
    kind = rng.choice(["participants", "meetings", "json", "x"])
    method, path = rng.choice(
        [
            ("GET", f"/api/events/{event}"),
            *[("POST", f"/api/events/{event}/commands")] * 8,
            ("GET", f"/api/events/{event}/export/{what}.{fmt}"),
            ("POST", f"/api/events/{event}/import/{kind}"),
            ("GET", f"/api/events/{event}/audit"),
            ("POST", f"/api/events/{event}/schedule"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", f"/p/{rng.choice(s.participants)}"),
            ("GET", f"/p/{weird_text(rng)[:30]}"),
            ("GET", "/hall"),
            ("GET", "/moderate"),
            ("GET", "/" + weird_text(rng)[:40]),
            ("GET", "/api/events/"),
            ("GET", "/api/../../etc/passwd"),
        ]
    )
    if rng.random() < 0.1:
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"])
    headers: dict[str, str] = {}
    token = s.token(rng)
    if isinstance(token, str) and token.isascii() and token.isprintable() and rng.random() < 0.9:
        value = (rng.choice(["Bearer "] * 6 + ["bearer ", "Basic ", ""]) + token).strip()
        if value:
            headers["authorization"] = value
    if rng.random() < 0.3:
        headers["idempotency-key"] = rng.choice(["k-1", "k-2", "", "x" * 200, "a b"])
    if rng.random() < 0.1:
        headers["content-type"] = rng.choice(["text/csv", "application/json", "x/y"])
    params: dict[str, str] = {}
    if rng.random() < 0.1:
        params["token"] = rng.choice([s.moderator, s.hall, "x"])
    if rng.random() < 0.2:
        params["filename"] = weird_text(rng)[:40]
    body: bytes | None = None
    r = rng.random()
    if path.endswith("/commands") and r < 0.85:
        command = {
            "name": rng.choice([*[n for n in COMMANDS if n not in NOT_FUZZED], "x", None]),
            "args": plausible_args(rng, s),
        }
        if rng.random() < 0.3:
            command["dry_run"] = rng.choice([True, "false", 0])
        if rng.random() < 0.2:
            command["request_id"] = rng.choice([f"r-{rng.randrange(5)}", 5, ""])
        sent = command if rng.random() < 0.9 else any_value(rng)
        body = as_json(sent) if rng.random() < 0.95 else b"{"
    elif r < 0.5:
        body = rng.randbytes(rng.randrange(0, 300))
    elif r < 0.8:
        body = (weird_text(rng) + "\nid,name\n1,Anna\n").encode("utf-8", "surrogatepass")
    return {"method": method, "url": path, "headers": headers, "params": params, "content": body}


async def fire(http: httpx.AsyncClient, request: dict[str, Any], seen: Seen) -> None:
    try:
        response = await http.request(**request)
    except (httpx.InvalidURL, httpx.LocalProtocolError):
        return  # httpx refused to send it; nothing reached the server
    seen.requests += 1
    seen.statuses[response.status_code] += 1
    where = f"{request['method']} {request['url']}"
    if response.status_code >= 500:
        seen.bad_http.append(f"{where} → {response.status_code}: {response.text[:200]}")
    elif response.status_code >= 400 and request["method"] != "HEAD":
        if not response.headers.get("content-type", "").startswith("application/json"):
            if request["url"].startswith("/api/"):
                seen.bad_http.append(f"{where} → {response.status_code} is not JSON")
            return
        error = orjson.loads(response.content).get("error") or {}
        if not (isinstance(error.get("message"), str) and error.get("message")):
            seen.bad_http.append(f"{where} → an error without a message: {response.text[:200]}")
        seen.error_codes[str(error.get("code"))] += 1


# -- The run ---------------------------------------------------------------------------------


@dataclass
class Bystander:
    """A hall screen that must receive every marker the test commits."""

    client: Client
    service: Service
    markers: int = 0

    async def mark(self) -> None:
        self.markers += 1
        marker = Announcement(
            f"fuzz-marker-{self.markers}", "still here", AnnouncementAudience.HALL
        )
        record = await self.service.execute(
            EVENT, "test", lambda _s: Change(upserts=(marker,)), actor="test"
        )
        assert record is not None
        async with asyncio.timeout(WAIT_S):
            while marker.id not in self.client.state.records.get("announcement", {}):
                await self.client.recv()


@pytest.fixture(params=["1", "0"], ids=["lean", "asgi"])
async def fuzz_server(
    request: pytest.FixtureRequest,
    redis: aioredis.Redis,
    redis_server: EmbeddedRedis,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, Path, Service, EventState]]:
    """A server process with /ws served by the lean protocol (the default) or by ASGI."""
    service = Service(Store(redis))
    state = await make_event(service)
    with server_process(redis_server.url, tmp_path, MATCHBOARD_WS_LEAN=request.param) as url:
        yield url, tmp_path, service, state


async def test_fuzzed_frames_and_requests_get_only_documented_answers(
    fuzz_server: tuple[str, Path, Service, EventState],
) -> None:
    url, log_dir, service, state = fuzz_server
    assert state.event is not None
    s = Secrets(
        moderator=state.event.moderator_token,
        hall=state.event.screen_key,
        participants=[p.token for p in state.participants.values()],
        meetings=sorted(state.meetings),
        people=sorted(state.participants),
    )
    rng = random.Random(SEED)
    seen = Seen()
    hall = Client(url, event=EVENT, token=s.hall, encoding=Encoding.JSON)
    await hall.connect()
    bystander = Bystander(hall, service)
    base = url.removeprefix("ws://").removesuffix("/ws")

    async with asyncio.timeout(TEST_BOUND_S):
        # Before authentication: every frame opens its own connection.
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(frame: bytes | str, encoding: Encoding) -> None:
            async with limit:
                await first_frame(url, frame, encoding, seen)

        for start in range(0, FRAMES_BEFORE_AUTH, MARK_EVERY):
            batch = []
            for _ in range(min(MARK_EVERY, FRAMES_BEFORE_AUTH - start)):
                encoding = rng.choice(list(Encoding))
                frame = encoded(message(rng, s, authenticated=False), encoding, rng)
                batch.append(one(frame, encoding))
            await asyncio.gather(*batch)
            await bystander.mark()

        # After authentication: streams of frames on moderator, hall and phone connections.
        for start in range(0, FRAMES_AFTER_AUTH, MARK_EVERY):
            await authenticated_stream(
                url, s, rng, min(MARK_EVERY, FRAMES_AFTER_AUTH - start), seen
            )
            await bystander.mark()

        # HTTP.
        async with httpx.AsyncClient(base_url=f"http://{base}", timeout=WAIT_S) as http:
            for start in range(0, HTTP_REQUESTS, MARK_EVERY):
                n = min(MARK_EVERY, HTTP_REQUESTS - start)
                requests = [http_request(rng, s) for _ in range(n)]
                for i in range(0, n, CONCURRENCY):
                    await asyncio.gather(
                        *(fire(http, r, seen) for r in requests[i : i + CONCURRENCY])
                    )
                await bystander.mark()

    await hall.close()
    print(f"fuzz seed {SEED}: {seen.frames} frames, {seen.requests} requests; "
          f"close codes {dict(seen.close_codes)}; errors {dict(seen.error_codes)}; "
          f"HTTP {dict(seen.statuses)}")  # fmt: skip
    log = "\n".join(p.read_text(errors="replace") for p in log_dir.glob("server-*.log"))
    assert seen.frames >= FRAMES_BEFORE_AUTH + FRAMES_AFTER_AUTH - 50, seen.frames
    assert seen.requests >= 2000, seen.requests
    assert "Traceback" not in log, log[-4000:]
    assert not seen.bad_http, seen.bad_http[:10]
    # 1006 is documented as what a client sees when a connection drops without a close
    # frame: the server must always send one.
    assert 1006 not in seen.close_codes, seen.close_codes
    assert set(seen.close_codes) <= documented_close_codes(), seen.close_codes
    assert set(seen.error_codes) <= documented_error_codes(), seen.error_codes
    # The fuzzing reached the interesting answers, not just one kind of refusal.
    assert {"malformed", "bad_request", "unauthorized"} <= set(seen.error_codes), seen.error_codes
    assert {4000, 4001} <= set(seen.close_codes), seen.close_codes
    assert bystander.markers >= 10 and hall.close_code in (None, 1000)
