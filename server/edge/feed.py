"""One event's feed in this process: follow its committed changes, deliver them in order.

A `Feed` reads the event's change stream from Redis (blocking XREAD, so a commit by any
process arrives at once), applies each change to this process's replica, and hands every
`Connection` the update for its audience. Each update is encoded once per audience and
encoding; a connection gets the same bytes as every other connection of its kind. Nothing
here waits for a client: writes are synchronous and bounded (server/edge/wsconn.py).

Positions: every connection knows the last version it was given. An update is delivered
only if it is exactly the next one; anything else gets a fresh snapshot, so a client never
sees a gap, a duplicate or an update out of order. Before each batch the feed checks that
Redis still holds its epoch and at least the version it delivered; if Redis went back in
time, the event gets a new epoch and every connection a snapshot (`_verify`).

A feed with no connections for `idle_s` stops (`on_idle`); server/edge/hub.py owns the feeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from server.core import views
from server.core.errors import Unavailable
from server.core.model import Event, Participant
from server.core.state import ChangeRecord, EventState
from server.core.views import Audience
from server.edge import metrics
from server.edge.faults import Outage
from server.edge.service import Service
from server.edge.store import EpochChanged
from server.edge.wsconn import FrameWriter
from server.wire import protocol
from server.wire.protocol import CloseCode, Encoding, Role

log = logging.getLogger("matchboard.hub")
# Changes kept in memory per event for resuming clients. At the reference event a
# thousand changes is most of a day; a client further behind gets a snapshot.
RESUME_WINDOW: Final = 1000
FOLLOW_BLOCK_MS: Final = 1000
RETRY_DELAY_S: Final = 0.5
REVOKED_REASON: Final = "the token was revoked"
# A feed with no connections this long stops (seconds): a few minutes, so that clients
# reconnecting after a blip still find their resume window.
FEED_IDLE_S: Final = 300.0


@dataclass(eq=False, slots=True)
class Connection:
    audience: Audience
    encoding: Encoding
    writer: FrameWriter
    version: int = 0
    commands_in_flight: int = 0  # sent, not yet answered (server/edge/sockets.py)
    revoked: bool = False
    # What the hot loop of `Feed.dispatch` needs, looked up once.
    participant: str | None = field(init=False)
    shared_key: tuple[Role, Encoding] = field(init=False)

    def __post_init__(self) -> None:
        self.participant = self.audience.participant_id
        self.shared_key = (self.audience.role, self.encoding)

    def send(self, message: dict[str, Any]) -> None:
        self.writer.send(protocol.encode(message, self.encoding))

    def close(self, code: int, reason: str) -> None:
        self.writer.close(code, reason)

    def revoke(self) -> None:
        """Its token no longer holds: close it (4005), but only after the results of its
        commands in flight, so a moderator who rotated their own token gets the new one."""
        self.revoked = True
        if not self.commands_in_flight:
            self.close(CloseCode.REVOKED, REVOKED_REASON)

    def command_done(self) -> None:
        self.commands_in_flight -= 1
        if self.revoked and not self.commands_in_flight:
            self.close(CloseCode.REVOKED, REVOKED_REASON)


@dataclass
class Feed:
    event_id: str
    service: Service
    epoch: str = ""
    version: int = 0  # the last version delivered to this feed's connections
    connections: set[Connection] = field(default_factory=set)
    recent: deque[ChangeRecord] = field(default_factory=lambda: deque(maxlen=RESUME_WINDOW))
    task: asyncio.Task[None] | None = None
    # The highest version a staff screen resumed from that this feed has not delivered:
    # checked against Redis by `_verify`, as a sign that Redis may have gone back in time.
    claimed: int = 0
    # (role, encoding) -> ((epoch, version), encoded snapshot), for the shared audiences.
    snapshots: dict[tuple[Role, Encoding], tuple[tuple[str, int], bytes]] = field(
        default_factory=dict
    )
    # Called once the feed has had no connections for idle_s (the hub stops it then).
    on_idle: Callable[[Feed], None] | None = None
    idle_s: float = FEED_IDLE_S
    stopped: bool = field(default=False, init=False)
    _idle_timer: asyncio.TimerHandle | None = field(default=None, init=False)

    @property
    def state(self) -> EventState:
        return self.service.replica(self.event_id)

    async def start(self) -> None:
        state = await self.service.state(self.event_id)
        await self._reset(state)
        self.task = asyncio.create_task(self._follow(), name=f"feed:{self.event_id}")
        self._watch_idle()  # it has no connection yet: one that never attaches lets it stop

    def stop(self) -> None:
        """End the task and the idle timer. Synchronous: the hub has dropped the feed in
        the same step, so no connection can attach to it afterwards."""
        self.stopped = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self.task is not None:
            self.task.cancel()

    def _watch_idle(self) -> None:
        if self.connections or self.stopped or self.on_idle is None or self._idle_timer:
            return
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.idle_s, self._idle)

    def _idle(self) -> None:
        self._idle_timer = None
        if not self.connections and self.on_idle is not None:
            self.on_idle(self)

    async def _reset(self, state: EventState) -> None:
        epoch, version = state.epoch, state.version
        earlier = await self.service.store.changes_since(
            self.event_id, max(0, version - RESUME_WINDOW)
        )
        # Only now, after the last await: a failed reset leaves the feed as it was.
        self.epoch, self.version, self.claimed = epoch, version, 0
        self.recent.clear()
        if earlier.epoch == epoch:
            self.recent.extend(r for r in earlier.records if r.version <= version)

    # -- Connections

    def attach(
        self, conn: Connection, resume: tuple[str, int] | None, participant: str | None
    ) -> None:
        """Welcome a connection and give it a snapshot or what it missed. Synchronous, so
        no update can slip in between the position it is given and its registration."""
        assert not self.stopped, "a connection attached to a stopped feed"
        state = self.state
        missed = self._missed(resume)
        metrics.attached(resumed=missed is not None)
        self._note_claim(resume, conn.audience)
        conn.version = self.version if missed is not None else state.version
        conn.send(
            protocol.welcome(
                role=conn.audience.role,
                event_id=self.event_id,
                epoch=self.epoch,
                version=conn.version,
                server_ms=self.service.clock(),
                participant_id=participant,
                resumed=missed is not None,
            )
        )
        if missed is None:
            self._send_snapshot(conn, state)
        else:
            for record in missed:
                projection = views.project(record, state)
                conn.send(
                    self._update(record, projection.for_audience(conn.audience), conn.audience)
                )
        self.connections.add(conn)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def detach(self, conn: Connection) -> None:
        """A connection ended. (The feed may have dropped it already, as too slow or
        revoked: every connection ends with a detach, so the idle timer starts here.)"""
        self.connections.discard(conn)
        self._watch_idle()

    def _missed(self, resume: tuple[str, int] | None) -> list[ChangeRecord] | None:
        if resume is None or resume[0] != self.epoch:
            return None
        version = resume[1]
        if version == self.version:
            return []
        if version > self.version or not self.recent or self.recent[0].version > version + 1:
            return None
        return [r for r in self.recent if r.version > version]

    def _note_claim(self, resume: tuple[str, int] | None, audience: Audience) -> None:
        """A resume ahead of this feed is ordinary (another process delivered more), unless
        Redis is behind it too: then Redis went back in time while this process was not
        looking (it restarted as well). Only staff screens' claims are checked: a claim
        that turns out true renews the epoch, and participants' tokens are in too many
        hands to let each of them send every screen a snapshot."""
        if resume is None or resume[0] != self.epoch or resume[1] <= self.version:
            return
        if audience.role is not Role.PARTICIPANT:
            self.claimed = max(self.claimed, resume[1])

    def _send_snapshot(self, conn: Connection, state: EventState) -> None:
        """The audience's whole state. Hall screens and moderators all see the same one,
        so it is built and encoded once per version and encoding (a hall snapshot of a
        large event is megabytes; building it per screen made connecting slow)."""
        audience = conn.audience
        shared = audience.participant_id is None
        key = (audience.role, conn.encoding)
        cached = self.snapshots.get(key) if shared else None
        if cached is not None and cached[0] == (state.epoch, state.version):
            payload = cached[1]
        else:
            message = protocol.snapshot(
                epoch=state.epoch,
                version=state.version,
                server_ms=self.service.clock(),
                data=views.snapshot(state, audience),
            )
            payload = protocol.encode(message, conn.encoding)
            if shared:
                self.snapshots[key] = ((state.epoch, state.version), payload)
        conn.writer.send(payload, snapshot=True)
        conn.version = state.version

    def _update(
        self, record: ChangeRecord, changes: views.Changes, audience: Audience
    ) -> dict[str, Any]:
        meta = None
        if audience.role is Role.MODERATOR:
            meta = {"actor": record.actor, "command": record.command}
        return protocol.update(
            epoch=self.epoch,
            version=record.version,
            at_ms=record.at_ms,
            changes=changes.to_plain(),
            meta=meta,
        )

    # -- Following Redis

    async def _follow(self) -> None:
        outage = Outage(log, f"event {self.event_id}: following its changes")
        verify_first = False
        # Not `while True`: Python 3.11's wait_for (inside redis-py) can swallow a cancel
        # that lands as a send completes, and a stopped feed must end all the same.
        while not self.stopped:
            try:
                await self._step(verify_first)
                verify_first = False
                outage.ok()
            except asyncio.CancelledError:
                raise
            except Unavailable as exc:  # Redis down or loading: no traceback, just wait
                outage.failed(exc)
                verify_first = True  # Redis may come back with less than it had
                await asyncio.sleep(RETRY_DELAY_S)
            except Exception:
                log.exception("following event %s failed; retrying", self.event_id)
                verify_first = True
                await asyncio.sleep(RETRY_DELAY_S)

    async def _step(self, verify_first: bool) -> None:
        """Read and deliver the next changes (waiting up to FOLLOW_BLOCK_MS for them), each
        batch only after checking that Redis still holds the history this feed delivered."""
        try:
            if verify_first:
                await self._verify()
            records = await self.service.store.read_changes(
                self.event_id, self.version, FOLLOW_BLOCK_MS
            )
            await self._verify()
        except EpochChanged:
            await self._resync_all()
            return
        for record in records:
            await self._on_record(record)

    async def _verify(self) -> None:
        """Raise EpochChanged if the event has another epoch in Redis now, or if Redis is
        behind what this feed delivered (or what a staff screen resumed from): Redis went
        back in time, and the event gets a new epoch first (Service.renew_epoch)."""
        claimed = self.claimed  # before the read: a claim is of a version committed earlier
        epoch, version = await self.service.store.position(self.event_id)
        if epoch != self.epoch:
            raise EpochChanged(epoch)
        seen = max(self.version, claimed)
        if version < seen:
            await self.service.renew_epoch(self.event_id, epoch, seen=seen, found=version)
            raise EpochChanged(epoch)
        if self.claimed == claimed:
            self.claimed = 0

    async def _on_record(self, record: ChangeRecord) -> None:
        if record.version != self.version + 1:
            return  # already delivered (cannot happen with XREAD from our version)
        if not self.service.absorb(self.event_id, record):
            # This process's replica missed something: rebuild it, then carry on.
            await self.service.state(self.event_id)
        self.recent.append(record)
        self.version = record.version
        self.dispatch(record)

    async def _resync_all(self) -> None:
        self.service.forget(self.event_id)
        state = await self.service.state(self.event_id)
        await self._reset(state)
        for conn in list(self.connections):
            self._send_snapshot(conn, state)

    def dispatch(self, record: ChangeRecord) -> None:
        # First, so that whoever held a revoked token sees nothing of the change (a new
        # badge code, the new moderator token in the moderators' event record).
        self._close_revoked(record)
        state = self.state
        projection = views.project(record, state)
        personal = projection.personal

        # (role or participant, encoding) -> (payload, whole frame): encoded once.
        encoded: dict[tuple[Any, Encoding], tuple[bytes, bytes]] = {}

        def pair_for(conn: Connection) -> tuple[bytes, bytes]:
            key = (
                conn.shared_key
                if conn.participant not in personal
                else (conn.participant, conn.encoding)
            )
            pair = encoded.get(key)
            if pair is None:
                audience = conn.audience
                message = self._update(record, projection.for_audience(audience), audience)
                payload = protocol.encode(message, conn.encoding)
                pair = encoded[key] = (payload, protocol.frame(payload, conn.encoding))
            return pair

        # The hot loop: for most connections, a dict lookup and one write.
        version = record.version
        previous = version - 1
        for conn in list(self.connections):
            if conn.version != previous:
                if conn.version < previous:
                    self._send_snapshot(conn, state)
                continue  # a snapshot newer than this change: skip it
            pair = encoded.get(conn.shared_key) if conn.participant not in personal else None
            if pair is None:
                pair = pair_for(conn)
            if conn.writer.send(*pair):
                conn.version = version
            else:
                self.connections.discard(conn)
        if self.connections:  # commit time -> written to every socket of this process
            metrics.fanned_out(self.service.clock() - record.at_ms)

    def _close_revoked(self, record: ChangeRecord) -> None:
        """Connections whose token a change revoked are closed (4005)."""
        revoked_roles: set[Role] = set()
        revoked_people: set[str] = set()
        for before, after in zip(record.before, record.change.upserts, strict=False):
            if isinstance(before, Participant) and isinstance(after, Participant):
                if before.token != after.token:
                    revoked_people.add(before.id)
            elif isinstance(before, Event) and isinstance(after, Event):
                if before.moderator_token != after.moderator_token:
                    revoked_roles.add(Role.MODERATOR)
                if before.screen_key != after.screen_key:
                    revoked_roles.add(Role.HALL)
        for kind, key in record.change.deletes:
            if kind == Participant.KIND:
                revoked_people.add(key)
        if not (revoked_roles or revoked_people):
            return
        for conn in list(self.connections):
            if (
                conn.audience.role in revoked_roles
                or conn.audience.participant_id in revoked_people
            ):
                self.connections.discard(conn)
                conn.revoke()
