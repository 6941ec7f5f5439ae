"""Records and change records as plain dicts and msgpack bytes.

Records are stored as maps keyed by field name, so a field added later with a default
reads old data unchanged. Field types are read from the dataclass annotations once.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from typing import Any

import msgpack

from server.core.model import KINDS, Record
from server.core.state import Change, ChangeRecord

_SCALARS = (str, int, float, bool, bytes, type(None))


def to_plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(to_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    raise TypeError(f"cannot encode {type(value).__name__}")


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def from_plain(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return from_plain(inner, value)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return tuple(from_plain(inner, v) for v in value)
    if origin is frozenset:
        inner = typing.get_args(tp)[0]
        return frozenset(from_plain(inner, v) for v in value)
    if origin is dict:
        return dict(value)
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            types_ = _field_types(tp)
            return tp(**{k: from_plain(types_[k], v) for k, v in value.items() if k in types_})
        if issubclass(tp, enum.Enum):
            return tp(value)
    return value


def record_from_plain(kind: str, data: dict[str, Any]) -> Record:
    record: Record = from_plain(KINDS[kind], data)
    return record


def pack(value: Any) -> bytes:
    data: bytes = msgpack.packb(to_plain(value), use_bin_type=True)
    return data


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def pack_record(record: Record) -> bytes:
    return pack(record)


def unpack_record(kind: str, data: bytes) -> Record:
    return record_from_plain(kind, unpack(data))


def change_record_to_plain(rec: ChangeRecord) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "version": rec.version,
        "at_ms": rec.at_ms,
        "actor": rec.actor,
        "command": rec.command,
        "args": to_plain(rec.args),
        "upserts": [[r.KIND, to_plain(r)] for r in rec.change.upserts],
        "deletes": [list(d) for d in rec.change.deletes],
        "before": [None if r is None else [r.KIND, to_plain(r)] for r in rec.before],
    }
    if rec.request_id is not None:
        plain["request_id"] = rec.request_id
    return plain


def change_record_from_plain(data: dict[str, Any]) -> ChangeRecord:
    return ChangeRecord(
        version=data["version"],
        at_ms=data["at_ms"],
        actor=data["actor"],
        command=data["command"],
        args=data.get("args") or {},
        request_id=data.get("request_id"),
        change=Change(
            upserts=tuple(record_from_plain(k, v) for k, v in data["upserts"]),
            deletes=tuple((k, key) for k, key in data["deletes"]),
        ),
        before=tuple(None if b is None else record_from_plain(b[0], b[1]) for b in data["before"]),
    )
