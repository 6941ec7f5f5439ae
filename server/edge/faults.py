"""Redis faults as ordinary outcomes.

Redis restarting, refusing connections, timing out or loading its data after a restart is
an operational event, not a bug: every call into Redis (server/edge/store.py) turns those
failures into `Unavailable` (503 over HTTP, an `unavailable` error over the WebSocket), and
loops that keep calling Redis log an outage once when it begins and once when it ends
instead of a traceback per retry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Final, ParamSpec, TypeVar

import redis.exceptions

from server.core.errors import Unavailable
from server.edge import metrics

P = ParamSpec("P")
T = TypeVar("T")

# Connection-level failures. BusyLoadingError is a ConnectionError; OSError covers what
# the client lets through from its socket, and TimeoutError (asyncio's too) is an OSError.
# On a Redis Cluster, a shard failing over answers CLUSTERDOWN / TRYAGAIN, leaves its slots
# uncovered, or redirects for longer than the client follows: the same passing state.
FAULTS: Final = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
    redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError,
    redis.exceptions.SlotNotCoveredError,
    redis.exceptions.AskError,
    redis.exceptions.ReadOnlyError,
)
LOADING: Final = "Redis is loading its data; try again in a few seconds"
NOT_REACHABLE: Final = "Redis is not reachable; try again in a few seconds"


def unavailable(fault: BaseException) -> Unavailable:
    """The error a client gets for a connection-level Redis failure."""
    loading = isinstance(fault, redis.exceptions.BusyLoadingError)
    return Unavailable(LOADING if loading else NOT_REACHABLE)


def closed_under_us(exc: AttributeError) -> bool:
    """Whether `exc` is a connection closed by another task, inside redis-py: its asyncio
    cluster client answers a dead node by closing every connection it holds, and a call
    that was using one at that instant fails in redis-py's own code with AttributeError
    ('NoneType' object has no attribute 'writelines'; seen in the failover test). An
    AttributeError raised anywhere else is a bug and stays one."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        last, tb = tb, tb.tb_next
    module = last.tb_frame.f_globals.get("__name__", "") if last is not None else ""
    return isinstance(module, str) and module.startswith("redis.")


def redis_call(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate a coroutine function that talks to Redis: faults raise `Unavailable`."""

    @functools.wraps(call)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(*args, **kwargs)
        except FAULTS as fault:
            metrics.redis_error(fault)
            raise unavailable(fault) from fault
        except AttributeError as fault:
            if not closed_under_us(fault):
                raise
            metrics.redis_error(fault)
            raise Unavailable(NOT_REACHABLE) from fault

    return guarded


def cause(exc: Unavailable) -> str:
    """What the Redis client said, for the log (clients only get the message)."""
    fault = exc.__cause__
    return f"{type(fault).__name__}: {fault}" if fault else exc.message


class Outage:
    """One warning when a loop's calls into Redis start failing, one line when they work
    again; nothing for the retries in between."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.down = False

    def failed(self, exc: Unavailable) -> None:
        if not self.down:
            self.down = True
            self.log.warning(
                "%s: Redis is unavailable (%s); retrying until it answers", self.what, cause(exc)
            )

    def ok(self) -> None:
        if self.down:
            self.down = False
            self.log.warning("%s: Redis answers again", self.what)
