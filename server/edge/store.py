"""Every Redis key and script of Matchboard, and the only code that writes event state.

Layout of one event (all keys share the hash tag `{event_id}`, so one event's atomic
commit runs on a single Redis Cluster shard):

    mb:{ev}:meta           hash   epoch, version, created_at_ms
    mb:{ev}:r:<kind>       hash   record key -> msgpack record, one hash per record kind
    mb:{ev}:changes        stream one entry per commit, id "<version>-0", field r = record
    mb:{ev}:req:<epoch>:<request id>
                           string a committed request's receipt (msgpack), kept 24 h;
                           written by the commit that applied the request
    mb:events              set    ids of all events (outside any tag; maintained best effort)

On a Redis Cluster (server/edge/redis_client.py) an event's keys sit on one shard, so its
commit script and its read scripts (a snapshot, the changes after a version: atomic reads,
as scripts rather than MULTI/EXEC) stay within one slot; `mb:events` is one key on
one shard of its own choosing, written by a command of its own after the event's script,
never in a script or transaction with an event's keys. Stream following is one blocking
XREAD per event (server/edge/feed.py), which the cluster client sends to the event's shard.

With `wait_replicas` > 0 a commit is acknowledged only once that many replicas have it
(WAIT, on the connection that ran the script); otherwise it raises `Unavailable`, never a
success that a failover could take back.

Every call that talks to Redis is a `redis_call`: Redis down, timing out or loading its
data raises `Unavailable` (server/edge/faults.py), never the client library's own errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from redis.asyncio.cluster import ClusterNode, RedisCluster

from server.core import codec
from server.core.errors import EventNotFound, Unavailable
from server.core.idempotency import RECEIPT_TTL_S, Receipt

# check_event_id and EVENT_ID_RE live in server/core/model.py (pure); named here for store's users.
from server.core.model import EVENT_ID_RE as EVENT_ID_RE
from server.core.model import KINDS, Record
from server.core.model import check_event_id as check_event_id
from server.core.state import Change, ChangeRecord, EventState
from server.edge.faults import redis_call
from server.edge.redis_client import RedisClient, redis_client
from server.edge.settings import Settings

EVENTS_KEY: Final = "mb:events"
# Change records kept for resume and the audit log. An event of the reference size makes
# a few thousand changes; 100k keeps every change of even a large event while bounding
# memory should something loop.
STREAM_MAXLEN: Final = 100_000
_KIND_INDEX: Final = {kind: i for i, kind in enumerate(KINDS, start=1)}


class VersionConflict(Exception):
    """The event moved on since the caller read it; reload and try again."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"event is at version {current_version}")
        self.current_version = current_version


class EpochChanged(Exception):
    """The event was re-created; everything the caller holds about it is stale."""


class Duplicate(Exception):
    """The request was committed before (by an earlier run); nothing was written."""

    def __init__(self, receipt: Receipt) -> None:
        super().__init__(f"request {receipt.request.id!r} was committed as {receipt.version}")
        self.receipt = receipt


def _tag(event_id: str) -> str:
    return f"mb:{{{event_id}}}"


def meta_key(event_id: str) -> str:
    return f"{_tag(event_id)}:meta"


def changes_key(event_id: str) -> str:
    return f"{_tag(event_id)}:changes"


def records_key(event_id: str, kind: str) -> str:
    return f"{_tag(event_id)}:r:{kind}"


def receipt_key(event_id: str, epoch: str, request_id: str) -> str:
    """Under the epoch: a re-created event starts with no requests. A request id has no
    braces (server/core/idempotency.py), so the key keeps the event's hash tag."""
    return f"{_tag(event_id)}:req:{epoch}:{request_id}"


def _event_keys(event_id: str) -> list[str]:
    return [meta_key(event_id), changes_key(event_id)] + [
        records_key(event_id, kind) for kind in KINDS
    ]


def _script(name: str) -> str:
    return resources.files("server.edge").joinpath("lua", f"{name}.lua").read_text()


def store_for(settings: Settings, url: str) -> Store:
    """The store on the client for `url` (one Redis or a cluster), with the settings' WAIT."""
    return Store(
        redis_client(url),
        wait_replicas=settings.redis_wait_replicas,
        wait_timeout_ms=settings.redis_wait_timeout_ms,
    )


class Store:
    def __init__(
        self, client: RedisClient, *, wait_replicas: int = 0, wait_timeout_ms: int = 1000
    ) -> None:
        self.redis = client
        # A commit is acknowledged once this many replicas have it (0: when the master has it).
        self.wait_replicas = wait_replicas
        self.wait_timeout_ms = wait_timeout_ms
        self._commit_text = _script("commit")
        self._commit = client.register_script(self._commit_text)
        self._create = client.register_script(_script("create"))
        self._renew = client.register_script(_script("renew"))
        # Reads at one instant as scripts, not MULTI/EXEC: redis-py's asyncio cluster client
        # runs each command queued in a transaction in a thread of its own and waits for
        # it, blocking the event loop (a load took 16 ms instead of 0.8).
        self._snapshot = client.register_script(_script("snapshot"))
        self._changes = client.register_script(_script("changes"))

    @redis_call
    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    @redis_call
    async def create_event(
        self, event_id: str, epoch: str, now_ms: int, *, replace: bool = False
    ) -> bool:
        """Mint an event at version 0 with `epoch`; False if it exists (and not replacing)."""
        check_event_id(event_id)
        created = await self._create(
            keys=_event_keys(event_id), args=[epoch, now_ms, "1" if replace else "0"]
        )
        await self.redis.sadd(EVENTS_KEY, event_id)
        return bool(created)

    @redis_call
    async def renew_epoch(self, event_id: str, epoch: str, version: int, new_epoch: str) -> bool:
        """Give the event `new_epoch` if it is still at (`epoch`, `version`); False if not."""
        renewed = await self._renew(keys=[meta_key(event_id)], args=[epoch, version, new_epoch])
        return bool(renewed)

    @redis_call
    async def event_ids(self) -> list[str]:
        members = await self.redis.smembers(EVENTS_KEY)
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    @redis_call
    async def position(self, event_id: str) -> tuple[str, int]:
        reply: list[Any] = await self.redis.hmget(meta_key(event_id), ["epoch", "version"])
        epoch, version = reply
        if epoch is None:
            raise EventNotFound(f"there is no event {event_id!r}")
        return epoch.decode(), int(version)

    @redis_call
    async def load(self, event_id: str) -> EventState:
        """A consistent snapshot of the whole event (one script: atomic, one round trip)."""
        keys = [meta_key(event_id)] + [records_key(event_id, kind) for kind in KINDS]
        replies: list[Any] = await self._snapshot(keys=keys)
        epoch, version = replies[0]
        if epoch is None:
            raise EventNotFound(f"there is no event {event_id!r}")
        state = EventState(epoch.decode(), int(version))
        records: list[Record] = []
        for kind, flat in zip(KINDS, replies[1:], strict=True):  # field, value, field, ...
            records.extend(codec.unpack_record(kind, raw) for raw in flat[1::2])
        state.apply(Change(upserts=tuple(records)))
        return state

    @redis_call
    async def commit(
        self, event_id: str, epoch: str, record: ChangeRecord, receipt: Receipt | None = None
    ) -> int:
        """Write one change atomically if the event is still at `record.version - 1`, with
        the receipt of the request it applies, if any (Duplicate: it was applied before)."""
        keys = _event_keys(event_id)
        args: list[Any] = [
            epoch,
            record.version - 1,
            codec.pack(codec.change_record_to_plain(record)),
            STREAM_MAXLEN,
            b"" if receipt is None else codec.pack(receipt.to_plain()),
            RECEIPT_TTL_S,
        ]
        if receipt is not None:
            keys.append(receipt_key(event_id, epoch, receipt.request.id))
        for kind, key in record.change.deletes:
            args += [_KIND_INDEX[kind], key, b""]
        for rec in record.change.upserts:
            args += [_KIND_INDEX[rec.KIND], rec.key, codec.pack_record(rec)]
        if self.wait_replicas:
            reply = await self._durable(keys, args)
        else:
            reply = await self._commit(keys=keys, args=args)
        status = reply[0].decode()
        if status == "ok":
            return int(reply[1])
        if status == "duplicate":
            raise Duplicate(Receipt.from_plain(codec.unpack(reply[1])))
        if status == "version":
            raise VersionConflict(int(reply[1]))
        if status == "epoch":
            raise EpochChanged(f"event {event_id!r} was re-created")
        raise EventNotFound(f"there is no event {event_id!r}")

    async def _master_of(self, key: str) -> ClusterNode:
        """The master now serving `key`'s slot, as far as the cluster client knows."""
        assert isinstance(self.redis, RedisCluster)
        await self.redis.initialize()  # learns the slots once; nothing after that
        node = self.redis.get_node_from_key(key)
        assert node is not None  # a master, not a replica: there is always one
        return node

    async def _durable(self, keys: list[str], args: list[Any]) -> Any:
        """The commit script, then WAIT on the same connection (WAIT counts the writes of
        its own connection): a written change counts only once `wait_replicas` replicas
        have it. EVAL, not EVALSHA: a replica promoted by a failover has no scripts."""
        script = ("EVAL", self._commit_text, len(keys), *keys, *args)
        wait = ("WAIT", self.wait_replicas, self.wait_timeout_ms)
        if isinstance(self.redis, RedisCluster):
            reply, acked = await self._on_master(keys[0], script, wait)
        else:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.execute_command(*script)
                pipe.execute_command(*wait)
                reply, acked = await pipe.execute()
        if reply[0] == b"ok" and int(acked) < self.wait_replicas:
            raise Unavailable(
                f"the change reached {int(acked)} of {self.wait_replicas} Redis replicas "
                f"within {self.wait_timeout_ms} ms, so it is not confirmed; it may still "
                "be applied: send the command again with the same request id"
            )
        return reply

    async def _on_master(self, key: str, *commands: tuple[Any, ...]) -> list[Any]:
        """Run commands back to back on one connection to `key`'s master. Not a cluster
        pipeline: redis-py's answer to a dead node in one is to close every connection
        of the client, under the feet of this process's other calls (a transaction then
        failed with AttributeError instead of a connection error)."""
        node = await self._master_of(key)
        conn = node.acquire_connection()
        try:
            await conn.send_packed_command(conn.pack_commands(commands))
            return [await conn.read_response() for _ in commands]
        except BaseException:
            await conn.disconnect()  # half read: it must not serve anyone else
            raise
        finally:
            node.release(conn)

    @redis_call
    async def receipt(self, event_id: str, epoch: str, request_id: str) -> Receipt | None:
        """The receipt of a request committed in this epoch within RECEIPT_TTL_S, if any."""
        data: Any = await self.redis.get(receipt_key(event_id, epoch, request_id))
        return None if data is None else Receipt.from_plain(codec.unpack(data))

    @redis_call
    async def read_changes(
        self, event_id: str, after_version: int, block_ms: int, *, count: int = 500
    ) -> list[ChangeRecord]:
        """Change records after `after_version`, waiting up to `block_ms` for the first."""
        key, position = changes_key(event_id), f"{after_version}-0"
        reply: Any
        if isinstance(self.redis, RedisCluster):
            # XREAD's keys are "movable": to find the slot, redis-py would ask the server
            # (COMMAND GETKEYS) before every read; naming the stream's master saves that
            # round trip, and redis-py still follows a MOVED redirection.
            reply = await self.redis.execute_command(
                "XREAD", "COUNT", count, "BLOCK", block_ms, "STREAMS", key, position,
                target_nodes=await self._master_of(key),
            )  # fmt: skip
        else:
            reply = await self.redis.xread({key: position}, count=count, block=block_ms)
        if not reply:
            return []
        entries: list[tuple[bytes, dict[bytes, bytes]]] = reply[0][1]
        return [
            codec.change_record_from_plain(codec.unpack(fields[b"r"])) for _id, fields in entries
        ]

    @redis_call
    async def changes_since(
        self, event_id: str, version: int, *, limit: int | None = None
    ) -> ChangeLog:
        """The event's position and its change records after `version`, read atomically."""
        keys = [meta_key(event_id), changes_key(event_id)]
        reply: Any = await self._changes(
            keys=keys, args=[f"{version + 1}-0", "" if limit is None else limit]
        )
        (epoch, current), entries = reply
        if epoch is None:
            raise EventNotFound(f"there is no event {event_id!r}")
        records = [  # each entry: id, [b"r", record]
            codec.change_record_from_plain(codec.unpack(fields[fields.index(b"r") + 1]))
            for _id, fields in entries
        ]
        return ChangeLog(epoch.decode(), int(current), records)


@dataclass(frozen=True, slots=True)
class ChangeLog:
    """The event's position and the change records after a version (`changes_since`)."""

    epoch: str
    version: int  # the event's current version
    records: list[ChangeRecord]

    def continues(self, epoch: str, version: int) -> bool:
        """Whether `records` are exactly the next ones after (epoch, version), with no gap."""
        if epoch != self.epoch:
            return False
        expected = version + 1
        for rec in self.records:
            if rec.version != expected:
                return False
            expected += 1
        return True
