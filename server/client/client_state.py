"""What one WebSocket connection knows of an event, applied message by message. Pure.

`ClientState` holds the records a connection may see at its position (epoch, version):
a `snapshot` replaces them, each `update` must be exactly the next version of the same
epoch (else `OutOfSync`: discard and reload, as docs/protocol.md says).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from server.client.wire import ServerType

Position = tuple[str, int]
Message = dict[str, Any]

# Snapshot list → record kind, and how records of a kind are keyed and sorted.
LIST_KINDS: Final = {
    "tables": "table",
    "rounds": "round",
    "breaks": "break",
    "participants": "participant",
    "meetings": "meeting",
    "announcements": "announcement",
    "alerts": "alert",
    "bells": "bell",
}
SINGLE_KINDS: Final = ("event", "me", "clock")  # one record each, stored under its kind as key
_KEY_FIELD: Final = {"table": "number", "round": "index"}  # others: "id"


def record_key(kind: str, record: Message) -> str:
    if kind in SINGLE_KINDS:
        return kind
    return str(record[_KEY_FIELD.get(kind, "id")])


def _sort_key(kind: str) -> Callable[[str], Any]:
    return int if kind in _KEY_FIELD else str  # tables and rounds sort by number


class OutOfSync(Exception):
    """A gap, duplicate or foreign epoch: discard the state and reconnect without resume."""


class ClientState:
    """The records one connection sees, at position (`epoch`, `version`). Pure."""

    def __init__(self) -> None:
        self.reset()
        self.role: str | None = None
        self.participant: str | None = None

    def reset(self) -> None:
        """Forget the records and the position ("reload like at startup")."""
        self.epoch: str | None = None
        self.version: int | None = None
        self.records: dict[str, dict[str, Message]] = {}
        self._shape: tuple[str, ...] = ()  # the keys of the last snapshot's data

    def position(self) -> Position | None:
        if self.epoch is None or self.version is None:
            return None
        return (self.epoch, self.version)

    def apply(self, message: Message) -> None:
        """Apply a server message; other types than welcome/snapshot/update are ignored.

        Raises OutOfSync, leaving the state untouched, for an update that is not exactly
        the next version of this epoch, or a resumed welcome of another epoch.
        """
        kind = message.get("type")
        if kind == ServerType.WELCOME:
            if message.get("resumed") and message.get("epoch") != self.epoch:
                raise OutOfSync(f"resumed into epoch {message.get('epoch')!r}, have {self.epoch!r}")
            self.role = message.get("role")
            self.participant = message.get("participant")
        elif kind == ServerType.SNAPSHOT:
            self._load(message)
        elif kind == ServerType.UPDATE:
            self._check_next(message)
            self._apply_changes(message["changes"])
            self.version = message["version"]

    def _load(self, message: Message) -> None:
        data: Message = message["data"]
        self.records = {kind: {} for kind in LIST_KINDS.values()}
        for name in SINGLE_KINDS:
            self.records[name] = {}
            if data.get(name) is not None:
                self.records[name][name] = data[name]
        for name, kind in LIST_KINDS.items():
            for record in data.get(name) or ():
                self.records[kind][record_key(kind, record)] = record
        self._shape = tuple(data)
        self.epoch, self.version = message["epoch"], message["version"]

    def _check_next(self, message: Message) -> None:
        epoch, version = message.get("epoch"), message.get("version")
        if self.epoch is None or self.version is None:
            raise OutOfSync(f"update {version} before any snapshot")
        if epoch != self.epoch:
            raise OutOfSync(f"update of epoch {epoch!r}, have {self.epoch!r}")
        if not isinstance(version, int) or version <= self.version:
            raise OutOfSync(f"duplicate or stale update {version}, have {self.version}")
        if version != self.version + 1:
            raise OutOfSync(f"gap: update {version} after {self.version}")

    def _apply_changes(self, changes: Message) -> None:
        for kind, key in changes.get("deletes") or ():
            self.records.get(kind, {}).pop(str(key), None)
        for kind, record in changes.get("upserts") or ():
            self.records.setdefault(kind, {})[record_key(kind, record)] = record

    def snapshot_like(self) -> Message:
        """The records in the shape of a snapshot's `data`, every list sorted by key."""
        plural = {kind: name for name, kind in LIST_KINDS.items()}
        names = dict.fromkeys(self._shape)
        names.update(dict.fromkeys(plural.get(k, k) for k, recs in self.records.items() if recs))
        out: Message = {}
        for name in names:
            kind = LIST_KINDS.get(name, name)
            records = self.records.get(kind, {})
            if kind in SINGLE_KINDS:
                out[name] = records.get(kind)
            else:
                out[name] = [records[k] for k in sorted(records, key=_sort_key(kind))]
        return out
