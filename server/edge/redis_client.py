"""The one factory of Redis clients: a single Redis or a Redis Cluster, from a URL.

    redis://host:6379/0, rediss://..., unix:///path/redis.sock   one Redis (redis-py's own URLs)
    redis+cluster://host:port,host:port,...                      a Redis Cluster
    rediss+cluster://user:password@host:port,...                 the same over TLS

A cluster URL names one or more nodes to start from (any of them; the client learns
the others and which slots each master serves, and follows them through failovers
and resharding). Every component takes its client from `redis_client`: the server
(server/edge/app.py), the command line (server/edge/cli_events.py), the benchmarks.

Every key of one event carries the event's hash tag (server/edge/store.py), so what one
event needs (its commit script, its read scripts, its stream) runs on one shard.
"""

from __future__ import annotations

from typing import Final, TypeAlias
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from server.core.errors import InvalidSetting

# Either client: both speak the same commands; store.py hides what differs.
RedisClient: TypeAlias = aioredis.Redis | RedisCluster

CLUSTER_SCHEMES: Final = ("redis+cluster", "rediss+cluster")
# A call into Redis retries connection failures briefly (a blip, a fast restart) and then
# answers `unavailable` (server/edge/faults.py): a request waits well under a second for that,
# not the client library's default of several, while it holds the event's lock.
REDIS_RETRIES: Final = 3
REDIS_BACKOFF: Final = ExponentialWithJitterBackoff(cap=0.25, base=0.05)
# An unreachable host (no answer at all, not even a refusal) counts as down after this.
REDIS_CONNECT_TIMEOUT_S: Final = 2.0
# A read that has no answer after this fails. Well above the feeds' blocking read
# (server/edge/feed.py, FOLLOW_BLOCK_MS) and the commit's WAIT timeout.
CLUSTER_SOCKET_TIMEOUT_S: Final = 10.0
# Connections per Redis (per cluster node) and process. Each event followed by this process
# holds one while its feed waits for changes (one blocking XREAD per event), so this bounds
# the events one process can follow on one Redis or shard: redis-py's default since 6.x
# (100) refused the 101st event's feed and everything after it (MaxConnectionsError,
# answered as `unavailable`; scripts/bench_events.py follows 200 events per process).
MAX_CONNECTIONS: Final = 20_000


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def redis_client(url: str) -> RedisClient:
    """The client for `url`: a `RedisCluster` for a cluster URL, else a plain `Redis`."""
    if is_cluster_url(url):
        return _cluster_client(url)
    return aioredis.from_url(
        url,
        retry=Retry(REDIS_BACKOFF, REDIS_RETRIES),
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        max_connections=MAX_CONNECTIONS,
    )


def cluster_nodes(url: str) -> tuple[list[tuple[str, int]], str | None, str | None]:
    """The (host, port) pairs, user name and password of a cluster URL."""
    rest = url.split("://", 1)[1]
    username = password = None
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    nodes: list[tuple[str, int]] = []
    for part in rest.strip("/").split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidSetting(
                f"MATCHBOARD_REDIS_URL: a cluster URL lists host:port pairs separated by "
                f"commas (redis+cluster://host:port,host:port), not {part.strip()!r}"
            )
        nodes.append((host.strip("[]"), int(port)))
    return nodes, username, password


def _cluster_client(url: str) -> RedisCluster:
    nodes, username, password = cluster_nodes(url)
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in nodes],
        username=username,
        password=password,
        ssl=url.lower().startswith("rediss+"),
        retry=Retry(REDIS_BACKOFF, REDIS_RETRIES),
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        socket_timeout=CLUSTER_SOCKET_TIMEOUT_S,
        max_connections=MAX_CONNECTIONS,
        # A shard whose master is down answers nothing until its replica takes over;
        # the other shards' events go on meanwhile.
        require_full_coverage=False,
    )
