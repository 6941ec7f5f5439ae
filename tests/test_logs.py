"""Structured logs (MATCHBOARD_LOG_FORMAT=json): a served event's log lines parse as JSON,
each carries the id of its request or connection, and none holds a secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.client.client import Client
from server.core.errors import InvalidSetting
from server.core.state import EventState
from server.edge import logs
from server.edge.app import uvicorn_options
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service
from server.edge.settings import Settings
from server.edge.store import Store
from tests.factory import event_and_rest, small_event_records
from tests.servers import free_port, server_process

# What `matchboard serve` prints for people (not log lines): its address, the warning
# about loopback links.
PRINTOUTS = ("Matchboard on ", "warning: ", "  ")


def create_event(url: str, event_id: str) -> EventState:
    import redis.asyncio as aioredis

    async def create() -> EventState:
        client = aioredis.from_url(url)
        try:
            event, rest = event_and_rest(small_event_records(event_id=event_id))
            return await Service(Store(client)).create_event(event, rest, actor="test")
        finally:
            await client.aclose()

    return asyncio.run(create())


def test_the_setting_is_checked_and_reaches_uvicorn() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert "log_config" not in uvicorn_options(Settings())
    settings = Settings.from_env({"MATCHBOARD_LOG_FORMAT": "JSON"})
    config = uvicorn_options(settings)["log_config"]
    assert set(config["loggers"]) >= {"uvicorn.access", "uvicorn.error", "matchboard"}
    with pytest.raises(InvalidSetting, match="MATCHBOARD_LOG_FORMAT must be text or json"):
        Settings.from_env({"MATCHBOARD_LOG_FORMAT": "xml"})


def test_the_formatter_writes_one_redacted_object_per_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("matchboard.test-json")
    logger.addHandler(handler)
    try:
        logger.warning("plain, outside any request")
        with logs.bound("c-1234abcd"):
            try:
                raise ValueError("GET /p/ev.s3cr3t failed")
            except ValueError:
                logger.exception("opening /moderate/ev?token=m0d went wrong")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["id"].startswith("p-") and first["level"] == "warning"
    assert first["logger"] == "matchboard.test-json"
    assert second["id"] == "c-1234abcd"
    assert second["message"] == "opening /moderate/ev?token=… went wrong"
    assert "ValueError: GET /p/… failed" in second["exc"]
    assert "s3cr3t" not in stream.getvalue() and "m0d" not in stream.getvalue()


def test_a_served_event_logs_json_lines_with_ids_and_no_secret(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    state = create_event(redis_server.url, "jsonlogs")
    assert state.event is not None
    secrets = [state.event.moderator_token, state.event.screen_key]
    secrets += [p.token for p in state.participants.values()]
    phone_token = next(iter(state.participants.values())).token
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"MATCHBOARD_LOG_LEVEL": "info", "MATCHBOARD_LOG_FORMAT": "json"}
    with server_process(redis_server.url, tmp_path, port=port, **env) as ws_url:
        for path in (
            f"/moderate/jsonlogs?token={state.event.moderator_token}",
            f"/hall/jsonlogs?key={state.event.screen_key}",
            f"/p/{phone_token}",
            f"/p/{phone_token}/agenda.ics",
        ):
            assert httpx.get(base + path).status_code == 200, path
        traced = httpx.get(base + "/metrics", headers={"x-request-id": "trace-42"})
        assert traced.status_code == 200

        async def phone() -> None:
            client = Client(ws_url, event="jsonlogs", token=phone_token)
            await client.connect()
            await client.close()

        asyncio.run(phone())
    (log,) = tmp_path.glob(f"server-{port}-*.log")
    text = log.read_text()
    lines: list[dict[str, Any]] = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
        else:
            assert not raw or raw.startswith(PRINTOUTS), raw  # nothing else is unstructured
    assert not [s for s in secrets if s in text]
    assert all(line["id"] and line["message"] and line["level"] for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert len(access) >= 5, text
    assert any(line["id"] == "trace-42" and "/metrics" in line["message"] for line in access)
    request_ids = [line["id"] for line in access if line["id"] != "trace-42"]
    assert all(i.startswith("r-") for i in request_ids), request_ids
    assert len(set(request_ids)) == len(request_ids)  # one id per request
    assert any('"GET /p/…/agenda.ics HTTP/1.1" 200' in line["message"] for line in access)
    connected = [line for line in lines if "connected to event jsonlogs" in line["message"]]
    assert len(connected) == 1 and connected[0]["id"].startswith("c-"), connected
    assert any(line["id"].startswith("p-") for line in lines)  # startup: the process's own
