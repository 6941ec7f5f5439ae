"""What each audience may see of an event, as plain data. Pure.

Moderators see everything. Private fields (model.PRIVATE_FIELDS: emails, phones, tokens)
are removed from every other audience's view.
"""

from __future__ import annotations

from typing import Any

from server.codec import to_plain
from server.model import PRIVATE_FIELDS, Record
from server.state import EventState


def plain_record(record: Record, *, private: bool) -> dict[str, Any]:
    data: dict[str, Any] = to_plain(record)
    if not private:
        for name in PRIVATE_FIELDS.get(record.KIND, ()):
            data.pop(name, None)
    return data


def moderator_snapshot(state: EventState) -> dict[str, Any]:
    def plain(records: Any) -> list[dict[str, Any]]:
        return [plain_record(r, private=True) for r in records]

    return {
        "epoch": state.epoch,
        "version": state.version,
        "event": None if state.event is None else plain_record(state.event, private=True),
        "tables": plain(sorted(state.tables.values(), key=lambda t: t.number)),
        "rounds": plain(sorted(state.rounds.values(), key=lambda r: r.index)),
        "breaks": plain(sorted(state.breaks.values(), key=lambda b: b.starts_at_ms)),
        "participants": plain(sorted(state.participants.values(), key=lambda p: p.id)),
        "meetings": plain(sorted(state.meetings.values(), key=lambda m: m.id)),
    }
