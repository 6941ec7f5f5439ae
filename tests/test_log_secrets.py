"""No secret from a personal link, the console's link or a hall screen's link reaches the
server's log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx

from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from server.edge.log_secrets import RedactSecrets, redact
from server.edge.service import Service
from server.edge.store import Store
from tests.factory import event_and_rest, small_event_records
from tests.servers import free_port, server_process


def test_redact_hides_each_kind_of_secret() -> None:
    assert redact("GET /p/ev.AbC-123_x HTTP/1.1") == "GET /p/… HTTP/1.1"
    assert redact("/moderate/ev?token=s3cr3t&x=1") == "/moderate/ev?token=…&x=1"
    assert redact("/hall/ev?sound=1&key=K3y") == "/hall/ev?sound=1&key=…"
    assert redact("/api/events/ev/audit") == "/api/events/ev/audit"


def test_the_filter_rewrites_uvicorn_access_records() -> None:
    # uvicorn.access: (client address, method, path with query, HTTP version, status)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET",
                               "/p/ev.tok", "1.1", 200), None)  # fmt: skip
    assert RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /p/… HTTP/1.1" 200'


def test_a_served_event_logs_no_secret(redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    import redis as sync_redis
    import redis.asyncio as aioredis

    sync_redis.Redis.from_url(redis_server.url).flushall()

    async def create() -> EventState:
        client = aioredis.from_url(redis_server.url)
        try:
            event, rest = event_and_rest(small_event_records(event_id="logs"))
            service = Service(Store(client))
            return await service.create_event(event, rest, actor="test")
        finally:
            await client.aclose()

    state = asyncio.run(create())
    assert state.event is not None
    secrets = [state.event.moderator_token, state.event.screen_key]
    secrets += [p.token for p in state.participants.values()]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server_process(redis_server.url, tmp_path, port=port, MATCHBOARD_LOG_LEVEL="info"):
        for path in (
            f"/moderate/logs?token={state.event.moderator_token}",
            f"/hall/logs?key={state.event.screen_key}",
            *(f"/p/{p.token}" for p in state.participants.values()),
        ):
            assert httpx.get(base + path).status_code == 200, path
    (log,) = tmp_path.glob(f"server-{port}-*.log")
    text = log.read_text()
    assert '"GET /p/… HTTP/1.1" 200' in text  # the requests were logged ...
    assert not [s for s in secrets if s in text]  # ... without their secrets
