"""`/metrics` against a real server and Redis, parsed with prometheus-client's own parser:
after a command over HTTP and WebSocket clients connecting, the right series moved."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from prometheus_client.parser import text_string_to_metric_families

from server.client.client_connect import hello_message, open_socket
from server.core.errors import Unavailable
from server.edge import faults, metrics, sockets
from server.edge.embedded import EmbeddedRedis
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding
from tests.test_sockets import EVENT, Live, closed_with, live_server, next_of

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Series:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(live: Live) -> Series:
    base = live.url.replace("ws://", "http://").removesuffix("/ws")
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def moved(before: Series, after: Series) -> Iterator[tuple[str, dict[str, str], float]]:
    for key, now in after.items():
        if now != before.get(key, 0.0) and not key[0].endswith("_created"):
            yield key[0], dict(key[1]), now - before.get(key, 0.0)


async def command(live: Live, name: str, **args: object) -> httpx.Response:
    base = live.url.replace("ws://", "http://").removesuffix("/ws")
    headers = {"authorization": f"Bearer {live.event.moderator_token}"}
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{base}/api/events/{EVENT}/commands",
            json={"name": name, "args": args},
            headers=headers,
        )


async def test_commands_connections_fan_out_and_resumes_move_their_series(
    redis: aioredis.Redis, redis_server: EmbeddedRedis
) -> None:
    async with live_server(redis, redis_server) as live:
        start = await scrape(live)
        here = {"pid": str(os.getpid()), "host": socket.gethostname()}
        assert value(start, "matchboard_process_info", **here) == 1

        # A hall screen and a phone connect: by role, each with a snapshot.
        hall = live.client(live.event.screen_key)
        phone = live.client(live.token("p0"))
        await hall.connect()
        await phone.connect()
        connected = await scrape(live)
        for role, delta in (("hall", 1), ("participant", 1), ("moderator", 0)):
            before = value(start, "matchboard_ws_connections", role=role)
            assert value(connected, "matchboard_ws_connections", role=role) - before == delta
        assert (
            value(connected, "matchboard_ws_attached_total", kind="snapshot")
            - value(start, "matchboard_ws_attached_total", kind="snapshot")
            == 2
        )

        # A command over HTTP: counted, timed, committed, and fanned out to both.
        response = await command(live, "move_meeting", meeting="m1", table=3)
        assert response.status_code == 200, response.text
        version = response.json()["version"]
        assert (await next_of(hall, "update"))["version"] == version
        assert (await next_of(phone, "update"))["version"] == version
        refused = await command(live, "move_meeting", meeting="nope", table=3)
        assert refused.status_code >= 400
        code = refused.json()["error"]["code"]
        after = await scrape(live)
        changes = {(name, tuple(sorted(labels.items()))): delta
                   for name, labels, delta in moved(start, after)}  # fmt: skip
        ok = (("command", "move_meeting"), ("outcome", "committed"))
        assert changes[("matchboard_commands_total", ok)] == 1
        assert changes[("matchboard_commands_total", (*ok[:1], ("outcome", code)))] == 1
        assert changes[("matchboard_command_seconds_count", (("command", "move_meeting"),))] == 2
        assert changes[("matchboard_commits_total", (("command", "move_meeting"),))] == 1
        assert changes[("matchboard_fanout_delay_seconds_count", ())] == 1
        assert ("matchboard_redis_errors_total", (("error", "ConnectionError"),)) not in changes

        # The phone comes back with its position: a resume, not a snapshot.
        await phone.close()
        welcome = await phone.connect(resume=True)
        assert welcome["resumed"] is True
        resumed = await scrape(live)
        assert (
            value(resumed, "matchboard_ws_attached_total", kind="resume")
            - value(after, "matchboard_ws_attached_total", kind="resume")
            == 1
        )
        await phone.close()
        await hall.close()


async def test_a_client_closed_for_backpressure_is_counted(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ASGI a connection may have QUEUE_MESSAGES waiting; with room for one, the
    welcome and the snapshot (queued at once) are already one too many: closed 4008."""
    monkeypatch.setattr(sockets, "QUEUE_MESSAGES", 1)
    async with live_server(redis, redis_server, ws_lean=False) as live:
        before = await scrape(live)
        ws = await open_socket(live.url, Encoding.JSON, None, None)
        hello = hello_message(EVENT, live.token("p0"), None)
        await ws.send(protocol.encode(hello, Encoding.JSON).decode())
        assert await closed_with(ws) == CloseCode.TOO_SLOW
        after = await scrape(live)
        assert (
            value(after, "matchboard_ws_closed_too_slow_total")
            - value(before, "matchboard_ws_closed_too_slow_total")
            == 1
        )


async def test_redis_errors_are_counted_by_type() -> None:
    def count(series: Series) -> float:
        return value(series, "matchboard_redis_errors_total", error="TimeoutError")

    before = parse(metrics.exposition()[0].decode())

    @faults.redis_call
    async def times_out() -> None:
        raise redis.exceptions.TimeoutError("no answer")

    with pytest.raises(Unavailable):
        await times_out()
    after = parse(metrics.exposition()[0].decode())
    assert count(after) - count(before) == 1
