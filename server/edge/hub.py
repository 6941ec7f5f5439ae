"""Per-process fan-out: the feeds of this process (server/edge/feed.py) and every task they start.

One `Feed` per event that has connections in this process; `Hub.feed` starts it on first
use, so concurrent callers share one start. A feed with no connections for `idle_s` stops:
its task ends, and this process forgets the event's replica and resume window. The next
connection starts a new feed. The hub also pings the lean WebSocket connections
(`start_heartbeat`) and cancels every task it owns on shutdown (`stop`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from server.edge.feed import FEED_IDLE_S, Connection, Feed
from server.edge.service import Service
from server.edge.tasks import stop_tasks

# Connection and Feed are imported from here by the transports (server/edge/sockets.py,
# server/edge/wsserver.py): the hub is where a socket meets its event's feed.
__all__ = ["Beating", "Connection", "Feed", "Hub"]

log = logging.getLogger("matchboard.hub")


class Beating(Protocol):
    def beat(self) -> None:
        """Ping the client, unless a ping of it is still unanswered."""


class Hub:
    """Owns the feeds of this process and every task they start."""

    def __init__(self, service: Service, *, idle_s: float = FEED_IDLE_S) -> None:
        self.service = service
        self.idle_s = idle_s
        self.feeds: dict[str, Feed] = {}
        self._starting: dict[str, asyncio.Future[Feed]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Connections that rely on the hub for WebSocket pings (server/edge/wsserver.py).
        self.heartbeats: set[Beating] = set()

    def start_heartbeat(self, interval_s: float) -> None:
        """Ping every connection in `heartbeats` every interval_s (each one times its
        own answer: server/edge/wsserver.py)."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval_s)
                for conn in list(self.heartbeats):
                    conn.beat()

        self.spawn(beat())

    async def feed(self, event_id: str) -> Feed:
        """The event's running feed, started if need be. Never a stopped one: the caller
        attaches to it without awaiting anything in between (server/edge/sockets.py)."""
        while True:
            feed = await self._running_or_new(event_id)
            if not feed.stopped:
                return feed
            # It went idle while this caller waited for its start: start another.

    async def _running_or_new(self, event_id: str) -> Feed:
        feed = self.feeds.get(event_id)
        if feed is not None:
            return feed
        pending = self._starting.get(event_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Feed] = asyncio.get_running_loop().create_future()
        self._starting[event_id] = future
        try:
            feed = Feed(event_id, self.service, on_idle=self._retire, idle_s=self.idle_s)
            await feed.start()
            self.feeds[event_id] = feed
            future.set_result(feed)
            return feed
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._starting[event_id]

    def _retire(self, feed: Feed) -> None:
        """Stop a feed that has had no connections for idle_s, and forget the event's
        replica unless a new feed took the event over by then."""
        if self.feeds.get(feed.event_id) is feed:
            del self.feeds[feed.event_id]
        feed.stop()
        if feed.task is not None:
            self._own(feed.task)  # cancelled; still the hub's until it has ended
        event_id = feed.event_id
        self.spawn(self.service.release(event_id, lambda: self._follows(event_id)))
        log.info("event %s: no connections for %g s; its feed stopped", event_id, feed.idle_s)

    def _follows(self, event_id: str) -> bool:
        return event_id in self.feeds or event_id in self._starting

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a short task (closing a socket) that the hub cancels on shutdown."""
        self._own(asyncio.create_task(coro))

    def _own(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        tasks = [f.task for f in self.feeds.values() if f.task] + list(self._tasks)
        for feed in self.feeds.values():
            feed.stop()  # its idle timer too
        await stop_tasks(tasks, "hub")
        self.feeds.clear()
