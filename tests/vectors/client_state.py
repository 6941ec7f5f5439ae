"""Vectors for server/client/client_state.py ↔ store.ts.

Each case applies `messages` (as the server sends them) one by one to a fresh client
state; after each, "steps" gives either "out_of_sync": the word its OutOfSync error names
(gap, duplicate, epoch, before any snapshot; the state is then unchanged), or null, and
then the position ([epoch, version] or null), role, participant and `snapshot_like()`.
The round-trip cases are tests/test_client_state.py's change script as a moderator's and
a participant's updates (server/core/views.py), after a snapshot of a small event.
"""

from __future__ import annotations

from typing import Any

from server.client.client_state import ClientState, OutOfSync
from server.core import views
from server.core.state import state_from_records
from server.wire import protocol
from server.wire.protocol import ErrorCode, ProtocolError, Role
from tests.factory import T0_MS, small_event_records
from tests.test_client_state import (
    EPOCH,
    changes_script,
    deletes_and_upserts,
    hall_data,
    snapshot_message,
    step,
    update_message,
)

Message = dict[str, Any]
REASONS = ("before any snapshot", "gap", "duplicate", "epoch")


def welcome(role: Role, *, resumed: bool, epoch: str = EPOCH, pid: str | None = None) -> Message:
    return protocol.welcome(
        role=role,
        event_id="ev",
        epoch=epoch,
        version=44,
        server_ms=T0_MS,
        participant_id=pid,
        resumed=resumed,
    )


def hall_messages() -> list[Message]:
    """Deletes then upserts, gaps, duplicates, a foreign epoch, a resume, a new epoch."""
    changed = deletes_and_upserts(42)
    return [
        welcome(Role.HALL, resumed=False),
        snapshot_message(hall_data()),
        changed,
        changed,  # a duplicate of the last update
        update_message(43),  # empty: moves the version only
        update_message(45, deletes=[["meeting", "m1"]]),  # a gap
        update_message(50),
        update_message(40, deletes=[["meeting", "m1"]]),  # stale
        update_message(44, deletes=[["meeting", "m1"]], epoch="another-epoch"),
        welcome(Role.HALL, resumed=True),  # keeps the position: updates follow
        update_message(
            44, upserts=[["clock", {"paused_at_ms": T0_MS}], ["bell", {"id": "1-start"}]]
        ),
        protocol.pong(ping_id=1, client_ms=5, server_ms=9, epoch="x", version=999),
        protocol.error(ProtocolError(ErrorCode.MALFORMED, "nope"), epoch="x", version=1),
        welcome(Role.HALL, resumed=True, epoch="other"),  # resumed into another epoch
        welcome(Role.HALL, resumed=False, epoch="other"),  # a snapshot follows: fine
        snapshot_message(hall_data() | {"meetings": [], "participants": []}, 3, "new-epoch"),
        update_message(4, epoch="new-epoch", deletes=[["table", "10"], ["round", "1"]]),
    ]


def participant_messages() -> list[Message]:
    data = hall_data() | {"me": {"id": "p1", "name": "Anna", "email": "a@example.org"}}
    return [
        welcome(Role.PARTICIPANT, resumed=False, pid="p1"),
        snapshot_message(data),
        update_message(42, upserts=[["me", {"id": "p1", "name": "Anna B."}]]),
        update_message(43, deletes=[["me", "me"]]),
    ]


def before_any_snapshot() -> list[Message]:
    return [update_message(1), welcome(Role.HALL, resumed=True), snapshot_message({}, 1)]


def round_trip(audience: views.Audience) -> list[Message]:
    state = state_from_records(
        small_event_records(tables=2, rounds=2, people=5), epoch=EPOCH, version=1
    )
    messages = [snapshot_message(views.snapshot(state, audience), 1)]
    for change in changes_script():
        changes = step(state, change).for_audience(audience).to_plain()
        messages.append(update_message(state.version, changes["upserts"], changes["deletes"]))
    return messages


def run(name: str, messages: list[Message]) -> dict[str, Any]:
    client = ClientState()
    steps = []
    for message in messages:
        reason = None
        try:
            client.apply(message)
        except OutOfSync as error:
            reason = next(word for word in REASONS if word in str(error))
        position = client.position()
        steps.append(
            {
                "out_of_sync": reason,
                "position": None if position is None else list(position),
                "role": client.role,
                "participant": client.participant,
                "snapshot_like": client.snapshot_like(),
            }
        )
    return {"name": name, "messages": messages, "steps": steps}


def build() -> dict[str, Any]:
    cases = {
        "hall": hall_messages(),
        "participant": participant_messages(),
        "before any snapshot": before_any_snapshot(),
        "round trip, moderator": round_trip(views.Audience(Role.MODERATOR)),
        "round trip, participant p0": round_trip(views.Audience(Role.PARTICIPANT, "p0")),
    }
    return {"about": __doc__, "cases": [run(name, messages) for name, messages in cases.items()]}
