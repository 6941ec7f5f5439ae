"""Exactly-once retries against a real server (#9 item 6): the answer to a command is lost
after its commit (a relay swallows what the server sends, then cuts the connection: the
client sees 1006), the client retries with the same request_id and gets the first result;
the command is applied once. Over the WebSocket, with the reference client, and over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from server.client.client import Client, ClientError
from server.core import audit
from server.core.model import MeetingOrigin
from server.edge.embedded import EmbeddedRedis
from server.wire.protocol import Encoding
from tests.test_client_live import Relay
from tests.test_sockets import EVENT, Live, live_server, send_command

DELAY = {"minutes": 5}
WALK_IN = {"side_a": ["p4"], "side_b": ["p5"], "round": 2}  # no id: the server makes one


@pytest.fixture(params=[True, False], ids=["lean", "asgi"])
async def live(
    request: pytest.FixtureRequest, redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> AsyncIterator[Live]:
    """The test event of test_sockets, served by either /ws implementation."""
    async with live_server(redis, redis_server, ws_lean=request.param) as running:
        yield running


@asynccontextmanager
async def relayed(live: Live) -> AsyncIterator[tuple[Relay, str]]:
    relay = Relay(int(live.url.split(":")[2].split("/")[0]))
    async with relay.running() as url:
        yield relay, url


async def version(live: Live) -> int:
    return (await live.service.state(EVENT)).version


@asynccontextmanager
async def watching(live: Live) -> AsyncIterator[Client]:
    """A moderator connected directly, not through the relay: it sees each commit."""
    watcher = live.client(live.event.moderator_token)
    await watcher.connect()
    try:
        yield watcher
    finally:
        await watcher.close()


async def committed(watcher: Client, target: int) -> None:
    """Wait (bounded) for the update of version `target`: the command was committed."""
    async with asyncio.timeout(10):
        while (watcher.state.version or 0) < target:
            await watcher.recv()


async def entries_of(live: Live, request_id: str) -> list[dict[str, Any]]:
    entries = [audit.entry(r) for r in await live.service.recent_changes(EVENT)]
    return [e for e in entries if e["request_id"] == request_id]


@pytest.mark.parametrize(("name", "args"), [("delay_rounds", DELAY), ("walk_in", WALK_IN)])
async def test_a_command_whose_answer_was_lost_is_retried_and_applied_once(
    live: Live, name: str, args: dict[str, Any]
) -> None:
    token = live.event.moderator_token
    rounds = {r.index: r.starts_at_ms for r in live.state.rounds.values()}
    async with relayed(live) as (relay, url), watching(live) as watcher:
        moderator = Client(url, event=EVENT, token=token, encoding=Encoding.JSON)
        await moderator.connect()
        before = await version(live)
        relay.swallow = True
        command = {"type": "command", "id": "c1", "name": name, "args": args}
        await moderator.send_raw(orjson.dumps(command | {"request_id": "retry-1"}).decode())
        await committed(watcher, before + 1)
        relay.cut()  # the answer never arrived
        relay.swallow = False
        with pytest.raises(ClientError) as lost:
            await moderator.recv(5)
        assert lost.value.close_code == 1006

        again = Client(url, event=EVENT, token=token, encoding=Encoding.JSON)
        await again.connect()
        result = await send_command(again, "c2", name, args=args, request_id="retry-1")
        assert (result["type"], result["committed"]) == ("result", before + 1)
        assert await version(live) == before + 1
        # And once more, from the first connection, resumed.
        await moderator.connect()
        repeat = await send_command(moderator, "c3", name, args=args, request_id="retry-1")
        assert (repeat["committed"], repeat["preview"]) == (before + 1, result["preview"])
        await again.close()
        await moderator.close()

    assert await version(live) == before + 1
    (entry,) = await entries_of(live, "retry-1")
    assert (entry["version"], entry["command"]) == (before + 1, name)
    state = await live.service.state(EVENT)
    if name == "delay_rounds":
        assert {r.index: r.starts_at_ms - rounds[r.index] for r in state.rounds.values()} == {
            i: 5 * 60_000 for i in rounds
        }
    else:
        walk_ins = [m for m in state.meetings.values() if m.origin is MeetingOrigin.WALK_IN]
        assert len(walk_ins) == 1


async def quick_moderator(url: str, live: Live) -> Client:
    """A connected moderator client that reconnects without the usual backoff."""
    moderator = Client(url, event=EVENT, token=live.event.moderator_token)
    moderator.backoff_base_s = 0.02
    await moderator.connect()
    return moderator


async def test_the_reference_client_retries_with_the_same_request_id(live: Live) -> None:
    async with relayed(live) as (relay, url), watching(live) as watcher:
        moderator = await quick_moderator(url, live)
        before = await version(live)
        relay.swallow = True
        task = asyncio.create_task(moderator.command("delay_rounds", DELAY))
        await committed(watcher, before + 1)
        relay.cut()
        relay.swallow = False
        async with asyncio.timeout(30):
            result = await task
        assert result["committed"] == before + 1
        assert moderator.connections == 2  # it reconnected to ask again
        assert await version(live) == before + 1
        (entry,) = [
            audit.entry(r) for r in await live.service.recent_changes(EVENT) if r.version > before
        ]
        assert entry["request_id"]  # the client sent one, and the same one twice
        await moderator.close()


async def test_the_reference_client_says_when_the_outcome_is_unknown(live: Live) -> None:
    async with relayed(live) as (relay, url), watching(live) as watcher:
        moderator = await quick_moderator(url, live)
        before = await version(live)
        relay.swallow = True
        task = asyncio.create_task(
            moderator.command("delay_rounds", DELAY, request_id="gone-1", give_up_after_s=1)
        )
        await committed(watcher, before + 1)
        relay.refuse = True  # and the network stays down
        relay.cut()
        with pytest.raises(ClientError) as unknown:
            async with asyncio.timeout(30):
                await task
        assert unknown.value.code == "outcome_unknown"
        assert "gone-1" in unknown.value.message


async def test_a_reused_request_id_is_refused_over_the_websocket(live: Live) -> None:
    moderator = live.client(live.event.moderator_token)
    await moderator.connect()
    first = await send_command(moderator, "c1", "announce", args={"text": "a"}, request_id="n-1")
    assert first["type"] == "result"
    other = await send_command(moderator, "c2", "announce", args={"text": "b"}, request_id="n-1")
    assert (other["type"], other["code"], other["id"]) == ("error", "idempotency_mismatch", "c2")
    bad = await send_command(moderator, "c3", "announce", args={"text": "b"}, request_id="a b")
    assert (bad["code"], bad["details"]["arg"]) == ("invalid_argument", "request_id")
    assert await moderator.ping()  # errors never close the connection
    await moderator.close()


# -- HTTP


def http_url(live: Live) -> str:
    return live.url.replace("ws://", "http://").removesuffix("/ws")


async def test_http_with_an_idempotency_key_commits_once(live: Live) -> None:
    headers = {"authorization": f"Bearer {live.event.moderator_token}"}
    path = f"/api/events/{EVENT}/commands"
    body = {"name": "walk_in", "args": WALK_IN}
    async with httpx.AsyncClient(base_url=http_url(live), headers=headers) as http:
        before = await version(live)
        key = {"idempotency-key": "http-1"}
        answers = [await http.post(path, json=body, headers=key) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()
        assert answers[0].json()["version"] == before + 1
        # The same id in the body is the same request; in both, it must be the same id.
        in_body = await http.post(path, json=body | {"request_id": "http-1"})
        assert in_body.json() == answers[0].json()
        both = await http.post(path, json=body | {"request_id": "http-1"}, headers=key)
        assert both.json() == answers[0].json()
        differ = await http.post(path, json=body | {"request_id": "http-2"}, headers=key)
        assert (differ.status_code, differ.json()["error"]["code"]) == (400, "bad_request")
        reused = await http.post(
            path, json={"name": "announce", "args": {"text": "x"}}, headers=key
        )
        assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_mismatch")
        bad = await http.post(path, json=body, headers={"idempotency-key": "x" * 65})
        assert (bad.status_code, bad.json()["error"]["details"]) == (
            422,
            {"arg": "Idempotency-Key"},
        )
        assert await version(live) == before + 1
    assert len(await entries_of(live, "http-1")) == 1
