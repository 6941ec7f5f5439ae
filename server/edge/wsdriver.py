"""Carrying out a `/ws` Session's outputs: the part both drivers share.

server/wire/session.py decides; this does: it sends the session's messages through the
connection's frame writer, gets the event's feed from the hub (`Load`), attaches the
connection to it (`Attach`), and runs commands (`Run`, the one command runner of both
drivers). A driver subclasses `SessionDriver` for what only it can do: the lean protocol
(server/edge/wsserver.py) pings and hangs up; the ASGI route (server/edge/sockets.py) has no
WebSocket pings of its own (uvicorn's keepalive does them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from server.core.commands import dry_run_flag
from server.core.errors import InternalError, MatchboardError, Unauthorized
from server.edge import logs
from server.edge.hub import Connection, Feed, Hub
from server.edge.runner import run_command
from server.edge.wsconn import FrameWriter
from server.wire import protocol
from server.wire.session import Attach, Close, Load, Output, Ping, Run, Send, Session

log = logging.getLogger("matchboard.ws")


class SessionDriver:
    """Feeds one connection's Session and carries out its outputs."""

    __slots__ = ("conn", "feed", "hub", "log_id", "session", "writer")

    def __init__(self, session: Session, hub: Hub, writer: FrameWriter) -> None:
        # The id on the log lines of this connection's tasks: the ASGI request's when it
        # came through ASGI (server/edge/logs.py), else its own.
        self.log_id = logs.LOG_ID.get("") or logs.new_id("c")
        self.session = session
        self.hub = hub
        self.writer = writer
        self.feed: Feed | None = None
        self.conn: Connection | None = None  # once attached

    # -- what a driver reports

    def receive(self, data: bytes | str) -> None:
        """A whole message from the client."""
        conn, feed = self.conn, self.feed
        self.execute(
            self.session.receive(
                data,
                now_ms=self.hub.service.clock(),
                version=conn.version if conn is not None else 0,
                epoch=feed.epoch if conn is not None and feed is not None else None,
            )
        )

    def fragmented(self) -> None:
        conn, feed = self.conn, self.feed
        self.execute(
            self.session.fragmented(
                version=conn.version if conn is not None else 0,
                epoch=feed.epoch if conn is not None and feed is not None else None,
            )
        )

    def end(self) -> None:
        """The connection is over: forget it (idempotent)."""
        self.session.connection_lost()
        if self.feed is not None and self.conn is not None:
            self.feed.detach(self.conn)

    # -- what only a driver can do (the lean one overrides these)

    def opened(self) -> None:
        """The connection was just attached to its feed."""

    def ping(self) -> None:
        """Send a WebSocket ping frame."""

    def hang_up(self) -> None:
        """End the connection now, after the close frame."""

    # -- carrying out outputs

    def execute(self, outputs: Iterable[Output]) -> None:
        for output in outputs:
            if isinstance(output, Send):
                self.writer.send(protocol.encode(output.message, self.session.encoding))
            elif isinstance(output, Close):
                self.writer.close(output.code, output.reason)
                if output.hang_up:
                    self.hang_up()
            elif isinstance(output, Load):
                self._load(output.event_id)
            elif isinstance(output, Attach):
                self._attach(output)
            elif isinstance(output, Run):
                self.hub.spawn(self.run(output))
            elif isinstance(output, Ping):
                self.ping()

    def _load(self, event_id: str) -> None:
        feed = self.hub.feeds.get(event_id)
        if feed is not None:  # running already: no task, no wait
            self._loaded(feed)
        else:  # the first client of this event in this process: start its feed
            self.hub.spawn(self._start_feed(event_id))

    async def _start_feed(self, event_id: str) -> None:
        logs.bind(self.log_id)
        try:
            feed = await self.hub.feed(event_id)
        except MatchboardError as exc:  # EventNotFound; Unavailable: Redis down or loading
            self.execute(self.session.load_failed(exc))
            return
        except Exception:
            log.exception("starting the feed of %s failed", event_id)
            self.execute(self.session.load_failed(InternalError("the event could not load")))
            return
        self._loaded(feed)  # no await since hub.feed: the feed is not stopped

    def _loaded(self, feed: Feed) -> None:
        self.feed = feed
        self.execute(self.session.loaded(feed.state, feed.epoch))

    def _attach(self, attach: Attach) -> None:
        assert self.feed is not None and self.conn is None
        conn = Connection(attach.audience, self.session.encoding, self.writer)
        self.conn = conn
        self.feed.attach(conn, attach.resume, attach.audience.participant_id)
        with logs.bound(self.log_id):
            log.info("%s connected to event %s", attach.audience.role, self.feed.event_id)
        self.opened()
        self.execute(self.session.attached(now_ms=self.hub.service.clock(), version=conn.version))

    async def run(self, run: Run) -> None:
        """Run one command of this connection and send its answer (both drivers' runner)."""
        logs.bind(self.log_id)
        conn, feed = self.conn, self.feed
        assert conn is not None and feed is not None  # commands come once attached
        # A change that revokes this connection's own token closes it only after this result.
        conn.commands_in_flight += 1
        try:
            self.execute(await self._answer(run, conn, feed))
        finally:
            conn.command_done()

    async def _answer(self, run: Run, conn: Connection, feed: Feed) -> list[Output]:
        message = run.message
        try:
            if conn.revoked:  # closing once its earlier commands are answered
                raise Unauthorized("the token was revoked")
            outcome = await run_command(
                self.hub.service,
                feed.event_id,
                message.get("name"),
                message.get("args"),
                conn.audience,
                self.hub.service.clock(),
                dry_run=dry_run_flag(message.get("dry_run")),
                request_id=message.get("request_id"),
            )
        except MatchboardError as exc:
            failed = exc
        except Exception:
            log.exception("command %r failed", message.get("name"))
            failed = InternalError("the command failed on the server")
        else:
            return self.session.answered(
                run.command_id, outcome, epoch=feed.epoch, version=conn.version
            )
        return self.session.failed(run.command_id, failed, epoch=feed.epoch, version=conn.version)
