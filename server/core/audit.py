"""The audit log (every committed change: who, what, when, before and after) and undo.

The log is the event's change stream; this module reads it, flattens it for people and
spreadsheets, and undoes a moderator's action when nothing later depends on it: every
record the action wrote must still be exactly what it wrote (else a later change built
on it, and the undo is refused naming that record).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Final

from server.core.codec import to_plain
from server.core.command_args import Plan
from server.core.errors import MatchboardError, RuleError
from server.core.model import SECRET_FIELDS, Record
from server.core.rotation import COMMAND as ROTATE
from server.core.state import Change, ChangeRecord, EventState

# How far back undo and the log look; an event of the reference size makes a few
# thousand changes in two days, so this covers the day in practice.
LOOKBACK: Final = 5000
SECRET_ARGS: Final = frozenset({"code"})  # a badge's check-in code, as scanned
UNDO: Final = "undo"


class NothingToUndo(MatchboardError):
    code = "nothing_to_undo"
    status = 409


class UndoRefused(RuleError):
    code = "undo_refused"


def _shown(record: Record | None) -> dict[str, Any] | None:
    """A record as the log shows it: private fields (emails, notes) yes, secrets no."""
    if record is None:
        return None
    data: dict[str, Any] = to_plain(record)
    for name in SECRET_FIELDS.get(record.KIND, ()):
        data.pop(name, None)
    return data


def entry(record: ChangeRecord) -> dict[str, Any]:
    """One audit log entry, as plain data (moderators only: it holds private fields, but
    no secret — tokens, the hall key, badge codes — in records or arguments)."""
    keys = [(r.KIND, r.key) for r in record.change.upserts] + list(record.change.deletes)
    afters: list[Record | None] = [*record.change.upserts, *([None] * len(record.change.deletes))]
    changes = [
        {
            "kind": kind,
            "key": key,
            "before": _shown(before),
            "after": _shown(after),
        }
        for (kind, key), before, after in zip(keys, record.before, afters, strict=False)
    ]
    return {
        "version": record.version,
        "at_ms": record.at_ms,
        "actor": record.actor,
        "command": record.command,
        "args": {str(k): _json_safe(v) for k, v in record.args.items() if k not in SECRET_ARGS},
        "request_id": record.request_id,
        "changes": changes,
    }


def _json_safe(value: Any) -> Any:
    """A command's argument as JSON can show it: a msgpack client may send bytes or maps
    with non-string keys among its arguments, and they are recorded as sent."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def log_csv(records: list[ChangeRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["version", "at_ms", "actor", "command", "kind", "key", "before", "after", "request_id"]
    )
    for record in records:
        for change in entry(record)["changes"]:
            writer.writerow([
                record.version, record.at_ms, record.actor, record.command,
                change["kind"], change["key"], _brief(change["before"]), _brief(change["after"]),
                record.request_id or "",
            ])  # fmt: skip
    return out.getvalue()


def _brief(data: dict[str, Any] | None) -> str:
    if data is None:
        return ""
    return "; ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", [], ()))


def undo_target(records: list[ChangeRecord], actor_prefix: str) -> ChangeRecord:
    """The latest change by `actor_prefix` that is not an undo and was not undone."""
    undone = {r.args.get("version") for r in records if r.command == UNDO}
    for record in reversed(records):
        if (
            record.actor.startswith(actor_prefix)
            and record.command not in (UNDO, "create_event")
            and record.version not in undone
        ):
            return record
    raise NothingToUndo("there is no action of yours left to undo")


def undo_change(state: EventState, target: ChangeRecord) -> Change:
    """Put back what `target` replaced, if every record it wrote is still as it left it.
    A rotated secret is never put back: the old one may be the one that leaked."""
    if target.command == ROTATE:
        raise UndoRefused(
            f"cannot undo {ROTATE} (version {target.version}): a replaced token is never "
            "restored, so a leaked one cannot come back; rotate it again if needed",
            version=target.version,
        )
    upserts: list[Record] = []
    deletes: list[tuple[str, str]] = []
    written: list[tuple[str, str, Record | None]] = [
        (r.KIND, r.key, r) for r in target.change.upserts
    ] + [(kind, key, None) for kind, key in target.change.deletes]
    for (kind, key, after), before in zip(written, target.before, strict=False):
        if state.get(kind, key) != after:
            raise UndoRefused(
                f"cannot undo {target.command} (version {target.version}): {kind} {key} "
                "was changed again since",
                version=target.version,
                kind=kind,
                key=key,
            )
        if before is None:
            deletes.append((kind, key))
        else:
            upserts.append(before)
    return Change(upserts=tuple(upserts), deletes=tuple(deletes))


def plan_undo(records: list[ChangeRecord], actor: str) -> Plan:
    """Undo of `actor`'s latest action in the recent log `records` (the last LOOKBACK
    changes): previewed in a dry run, committed otherwise."""
    target = undo_target(records, actor)
    return Plan(
        decide=lambda state: undo_change(state, target),
        args={"version": target.version, "command": target.command},
        summary={"undone": {"version": target.version, "command": target.command}},
    )
