"""Redis faults are ordinary outcomes (#9 item 4): while Redis is down or loading its data,
every endpoint answers 503 `unavailable` (with Retry-After), a WebSocket command gets an
`unavailable` error, a hello that needs Redis gets `unavailable` and close 1013; once
Redis is back, the same server carries on by itself. Against a real redis-server that the
test stops and starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis
import redis.exceptions

from server.client.client import Client, ClientError
from server.core.errors import Unavailable
from server.core.model import Event
from server.core.state import EventState
from server.edge import faults
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from server.wire.protocol import CloseCode, Encoding
from tests.factory import small_event_records
from tests.servers import server_process
from tests.test_sockets import next_of

UP, COLD = "up-ev", "cold-ev"  # followed by the server before Redis stops / never
CSV = (
    "external_id,first_name,last_name,organisation,country,email\n"
    "X-1,Ada,Lovelace,Engines,GB,ada@example.org\n"
)
WAIT_S = 30.0  # only bounds waiting


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
         "is loading its data"),
        (redis.exceptions.ConnectionError("Error 111 connecting to redis:6379"), "not reachable"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "not reachable"),
        (ConnectionRefusedError(111, "Connection refused"), "not reachable"),
        (TimeoutError(), "not reachable"),
    ],
)  # fmt: skip
async def test_connection_level_faults_become_unavailable(fault: Exception, words: str) -> None:
    @faults.redis_call
    async def call() -> None:
        raise fault

    with pytest.raises(Unavailable) as caught:
        await call()
    assert words in caught.value.message
    assert "try again in a few seconds" in caught.value.message
    assert caught.value.__cause__ is fault


async def test_other_redis_errors_are_not_unavailable() -> None:
    @faults.redis_call
    async def call() -> None:
        raise redis.exceptions.ResponseError("WRONGTYPE Operation against a key")

    with pytest.raises(redis.exceptions.ResponseError):
        await call()


async def test_a_connection_closed_under_a_call_inside_redis_py_is_unavailable() -> None:
    # What redis-py's cluster client does to a call in flight when another call met a dead
    # node: it closed every connection, so the writer this one sends on is gone.
    connection = aioredis.Connection()
    assert connection._writer is None  # never connected, as after a disconnect

    @faults.redis_call
    async def call() -> None:
        await connection._send_packed_command([b"PING"])

    with pytest.raises(Unavailable) as caught:
        await call()
    assert isinstance(caught.value.__cause__, AttributeError)
    assert "not reachable" in caught.value.message

    @faults.redis_call
    async def ours() -> None:  # an AttributeError of our own stays a bug
        raise AttributeError("'NoneType' object has no attribute 'version'")

    with pytest.raises(AttributeError):
        await ours()


async def create(url: str, event_id: str) -> EventState:
    client = aioredis.from_url(url)
    try:
        # The server runs on the real clock: round 1 starts in an hour, nothing is due.
        records = small_event_records(event_id=event_id, t0_ms=wall_clock_ms() + 3_600_000)
        event = records[0]
        assert isinstance(event, Event)
        return await Service(Store(client)).create_event(event, records[1:], actor="test")
    finally:
        await client.aclose()


def server_log(log_dir: Path) -> str:
    (log,) = log_dir.glob("server-*.log")
    return log.read_text()


def http_base(ws_url: str) -> str:
    return "http" + ws_url.removeprefix("ws").removesuffix("/ws")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "unavailable"
    assert "Redis" in body["error"]["message"]


async def answer_to(client: Client, command_id: str) -> dict[str, Any]:
    """Send an `announce` command and wait for the answer with its id."""
    command = {"type": "command", "id": command_id, "name": "announce", "args": {"text": "hi"}}
    await client.send_raw(orjson.dumps(command).decode())
    async with asyncio.timeout(WAIT_S):
        while True:
            message = await client.recv()
            if message["type"] in ("result", "error") and message.get("id") == command_id:
                return message


async def refusal(url: str, event: str, token: str) -> ClientError:
    with pytest.raises(ClientError) as caught:
        await Client(url, event=event, token=token).connect()
    return caught.value


@pytest.mark.parametrize("lean", ["1", "0"], ids=["lean", "asgi"])
async def test_redis_down_is_unavailable_everywhere_and_the_server_recovers_by_itself(
    own_redis: EmbeddedRedis, tmp_path: Path, lean: str
) -> None:
    up, cold = await create(own_redis.url, UP), await create(own_redis.url, COLD)
    assert up.event is not None and cold.event is not None
    moderator_token = up.event.moderator_token
    with server_process(own_redis.url, tmp_path, MATCHBOARD_WS_LEAN=lean) as url:
        moderator = Client(url, event=UP, token=moderator_token, encoding=Encoding.JSON)
        hall = Client(url, event=UP, token=up.event.screen_key)
        await moderator.connect()
        await hall.connect()
        headers = {"authorization": f"Bearer {moderator_token}"}
        async with httpx.AsyncClient(
            base_url=http_base(url), headers=headers, timeout=WAIT_S
        ) as http:
            own_redis.stop()
            requests = [
                http.post(f"/api/events/{UP}/commands", json={"name": "announce",
                                                             "args": {"text": "hi"}}),
                http.get(f"/api/events/{UP}"),
                http.get(f"/api/events/{COLD}"),
                http.get(f"/api/events/{UP}/export/schedule.csv"),
                http.get(f"/api/events/{UP}/audit"),
                http.post(f"/api/events/{UP}/import/participants", content=CSV),
                http.post(f"/api/events/{UP}/schedule"),
                http.get("/readyz"),
            ]  # fmt: skip
            responses, command, refused = await asyncio.gather(
                asyncio.gather(*requests),
                answer_to(moderator, "c1"),
                refusal(url, COLD, cold.event.screen_key),
            )
            for response in responses:
                assert_unavailable(response)
            assert (command["type"], command["code"]) == ("error", "unavailable")
            assert "Redis" in command["message"]
            assert (refused.code, refused.close_code) == ("unavailable", CloseCode.TRY_AGAIN_LATER)
            assert refused.reconnect  # the protocol says: come back later

            own_redis.start()
            done = await http.post(f"/api/events/{UP}/commands",
                                   json={"name": "announce", "args": {"text": "back"}})  # fmt: skip
            assert done.status_code == 200, done.text
            version = done.json()["version"]
            for client in (hall, moderator):  # the open connections carry on
                update = await next_of(client, "update", timeout=WAIT_S)
                assert update["version"] == version
            assert (await answer_to(moderator, "c2"))["committed"] == version + 1
            assert (await Client(url, event=COLD, token=cold.event.screen_key).connect())["role"]
            await moderator.close()
            await hall.close()
    text = server_log(tmp_path)
    assert "Traceback" not in text, text
    assert "internal_error" not in text, text
