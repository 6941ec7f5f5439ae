"""The client's local state: snapshots, updates in order, gaps, duplicates, epochs.

The round trip test replays changes through the server's own projections
(server.core.views) and checks that a client that applied the updates holds exactly what a
fresh snapshot would give it, for every audience.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from typing import Any

import pytest

from server.client.client_connect import backoff_delay
from server.client.client_state import ClientState, OutOfSync, record_key
from server.core import views
from server.core.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Announcement,
    AnnouncementAudience,
    Break,
    Participant,
    Record,
    Round,
)
from server.core.state import Change, ChangeRecord, EventState, state_from_records
from server.wire import protocol
from server.wire.protocol import Encoding, Role
from tests.factory import T0_MS, meeting, small_event_records

EPOCH = "3f9c0a7be1d24c55"


def snapshot_message(data: dict[str, Any], version: int = 41, epoch: str = EPOCH) -> dict[str, Any]:
    return protocol.snapshot(epoch=epoch, version=version, server_ms=T0_MS, data=data)


def update_message(
    version: int,
    upserts: list[list[Any]] | None = None,
    deletes: list[list[str]] | None = None,
    epoch: str = EPOCH,
) -> dict[str, Any]:
    changes = {"upserts": upserts or [], "deletes": deletes or []}
    return protocol.update(epoch=epoch, version=version, at_ms=T0_MS, changes=changes, meta=None)


def hall_data() -> dict[str, Any]:
    return {
        "event": {"id": "ev", "name": "Test"},
        "tables": [{"number": 2, "label": "B"}, {"number": 10, "label": "J"}],
        "rounds": [{"index": 1, "day": 1}, {"index": 2, "day": 1}],
        "breaks": [{"id": "b1", "day": 1}],
        "participants": [{"id": "p1", "name": "Anna"}, {"id": "p2", "name": "Jonas"}],
        "meetings": [{"id": "m1", "side_a": ["p1"], "side_b": ["p2"], "round": 1, "table": 2}],
        "announcements": [],
    }


def loaded(data: dict[str, Any] | None = None, version: int = 41) -> ClientState:
    state = ClientState()
    state.apply(snapshot_message(data or hall_data(), version))
    return state


def test_snapshot_fills_records_by_kind_and_key() -> None:
    state = loaded()
    assert state.position() == (EPOCH, 41)
    assert state.records["event"] == {"event": {"id": "ev", "name": "Test"}}
    assert set(state.records["table"]) == {"2", "10"}
    assert set(state.records["round"]) == {"1", "2"}
    assert state.records["break"]["b1"]["day"] == 1
    assert state.records["meeting"]["m1"]["table"] == 2
    assert state.records["announcement"] == {}
    assert state.records["me"] == {}
    assert state.snapshot_like() == hall_data()


def test_participant_snapshot_keeps_me() -> None:
    data = hall_data() | {"me": {"id": "p1", "name": "Anna", "email": "a@example.org"}}
    state = ClientState()
    state.apply(protocol.welcome(role=Role.PARTICIPANT, event_id="ev", epoch=EPOCH, version=41,
                                 server_ms=T0_MS, participant_id="p1", resumed=False))  # fmt: skip
    state.apply(snapshot_message(data))
    assert (state.role, state.participant) == ("participant", "p1")
    assert state.records["me"] == {"me": data["me"]}
    assert state.snapshot_like() == data


def deletes_and_upserts(version: int = 42) -> dict[str, Any]:
    """An update that deletes and upserts the same meeting, and more (also a vector)."""
    return update_message(
        version,
        upserts=[
            ["meeting", {"id": "m1", "side_a": ["p1"], "side_b": ["p2"], "table": 10}],
            ["table", {"number": 3, "label": "C"}],
            ["announcement", {"id": "a1", "text": "Coffee"}],
            ["event", {"id": "ev", "name": "Renamed"}],
        ],
        deletes=[["meeting", "m1"], ["table", "2"], ["participant", "p2"], ["break", "zz"]],
    )


def test_update_applies_deletes_then_upserts_and_moves_on() -> None:
    state = loaded()
    state.apply(deletes_and_upserts())
    assert state.position() == (EPOCH, 42)
    assert state.records["meeting"]["m1"]["table"] == 10  # deleted, then upserted
    assert sorted(state.records["table"]) == ["10", "3"]
    assert list(state.records["participant"]) == ["p1"]
    assert state.records["event"]["event"]["name"] == "Renamed"
    shaped = state.snapshot_like()
    assert [t["number"] for t in shaped["tables"]] == [3, 10]  # numbers sort as numbers
    assert shaped["announcements"] == [{"id": "a1", "text": "Coffee"}]


def test_empty_update_moves_the_version_only() -> None:
    state = loaded()
    before = copy.deepcopy(state.records)
    state.apply(update_message(42))
    assert state.position() == (EPOCH, 42)
    assert state.records == before


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (update_message(43), "gap"),
        (update_message(50), "gap"),
        (update_message(41), "duplicate"),
        (update_message(40), "duplicate"),
        (update_message(42, epoch="another-epoch"), "epoch"),
    ],
)
def test_out_of_order_updates_are_out_of_sync_and_change_nothing(
    message: dict[str, Any], reason: str
) -> None:
    state = loaded()
    before = copy.deepcopy(state.records)
    message["changes"]["deletes"] = [["meeting", "m1"]]
    with pytest.raises(OutOfSync, match=reason):
        state.apply(message)
    assert state.position() == (EPOCH, 41)
    assert state.records == before


def test_a_duplicate_of_the_last_update_is_caught() -> None:
    state = loaded()
    update = update_message(42, upserts=[["table", {"number": 4}]])
    state.apply(update)
    with pytest.raises(OutOfSync, match="duplicate"):
        state.apply(update)


def test_update_before_any_snapshot_is_out_of_sync() -> None:
    with pytest.raises(OutOfSync, match="before any snapshot"):
        ClientState().apply(update_message(1))


def test_a_new_snapshot_replaces_everything_even_in_another_epoch() -> None:
    state = loaded()
    state.apply(update_message(42, upserts=[["announcement", {"id": "a1", "text": "Hi"}]]))
    data = hall_data() | {"meetings": [], "participants": []}
    state.apply(snapshot_message(data, version=3, epoch="new-epoch"))
    assert state.position() == ("new-epoch", 3)
    assert state.snapshot_like() == data
    state.apply(update_message(4, epoch="new-epoch"))
    assert state.version == 4


def welcome(*, resumed: bool, epoch: str = EPOCH) -> dict[str, Any]:
    return protocol.welcome(role=Role.HALL, event_id="ev", epoch=epoch, version=44,
                            server_ms=T0_MS, participant_id=None, resumed=resumed)  # fmt: skip


def test_a_resumed_welcome_keeps_the_position_until_the_updates_arrive() -> None:
    state = loaded()
    state.apply(welcome(resumed=True))
    assert state.position() == (EPOCH, 41)  # welcome says 44; updates 42..44 follow
    assert state.role == "hall"
    for version in (42, 43, 44):
        state.apply(update_message(version))
    assert state.position() == (EPOCH, 44)


def test_a_resumed_welcome_of_another_epoch_is_out_of_sync() -> None:
    with pytest.raises(OutOfSync, match="epoch"):
        loaded().apply(welcome(resumed=True, epoch="other"))
    with pytest.raises(OutOfSync):
        ClientState().apply(welcome(resumed=True))
    loaded().apply(welcome(resumed=False, epoch="other"))  # a snapshot follows: fine


def test_reset_forgets_records_and_position() -> None:
    state = loaded()
    state.reset()
    assert state.position() is None
    assert state.records == {}
    assert state.snapshot_like() == {}


def test_pong_and_error_do_not_touch_the_state() -> None:
    state = loaded()
    pong = protocol.pong(ping_id=1, client_ms=5, server_ms=9, epoch="x", version=999)
    state.apply(pong)
    bad = protocol.ProtocolError(protocol.ErrorCode.MALFORMED, "nope")
    state.apply(protocol.error(bad, epoch="x", version=1))
    assert state.position() == (EPOCH, 41)


@pytest.mark.parametrize(
    ("kind", "record", "key"),
    [
        ("table", {"number": 14}, "14"),
        ("round", {"index": 4}, "4"),
        ("meeting", {"id": "m0012"}, "m0012"),
        ("break", {"id": "b2"}, "b2"),
        ("event", {"id": "icmc-2026"}, "event"),
        ("me", {"id": "p017"}, "me"),
    ],
)
def test_record_keys(kind: str, record: dict[str, Any], key: str) -> None:
    assert record_key(kind, record) == key


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    rng = random.Random(7)
    for attempt, cap in [(0, 0.25), (1, 0.5), (2, 1.0), (5, 8.0), (6, 10.0), (60, 10.0)]:
        delays = [backoff_delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.9
        assert min(delays) < cap * 0.1
    assert backoff_delay(3, random.Random(1)) == backoff_delay(3, random.Random(1))


# -- Round trip through the server's projections -------------------------------------------


def changes_script() -> list[Change]:
    p3 = Participant(id="p3", name="Jānis Bērziņš", organisation="Latvian IT Cluster")
    announcement = Announcement(id="a1", text="Coffee in the foyer", created_at_ms=T0_MS)
    anna = Participant(id="p0", name="Anna Berg", organisation="Cluster Nord")
    waits = Alert("alert-m2", AlertKind.NEEDS_PARTNER, "m2", 2, 1, "", T0_MS, waiting=("p0",),
                  reported_at_ms=T0_MS)  # fmt: skip
    return [
        Change(upserts=(meeting("m1", "p0", "p1", 1, 1),)),
        Change(upserts=(meeting("m2", "p0", "p2", 2, 1), meeting("m3", "p2", "p4", 1, 2))),
        Change(upserts=(replace(meeting("m1", "p0", "p1", 1, 1), table=2),)),
        Change(upserts=(meeting("m2", "p0", "p3", 2, 1),)),  # p2 leaves, p3 joins
        Change(upserts=(replace(p3, title="CEO", email="j@example.org"),)),
        Change(upserts=(announcement,)),
        Change(upserts=(replace(announcement, audience=AnnouncementAudience.HALL),)),
        Change(),  # nothing that anyone sees
        Change(upserts=(Break(id="b1", day=1, starts_at_ms=T0_MS, ends_at_ms=T0_MS + 1),)),
        Change(upserts=(Round(index=9, day=2, starts_at_ms=T0_MS + 86_400_000),)),
        Change(upserts=(replace(anna, checked_in_at_ms=T0_MS),)),  # present, for everyone
        Change(upserts=(waits,)),  # p0 waits for a new partner: p0 sees it
        Change(upserts=(replace(waits, status=AlertStatus.RESOLVED, resolution="free"),)),
        Change(upserts=(replace(waits, waiting=("p3",)),)),  # p0 no longer waits: a delete
        Change(deletes=(("alert", "alert-m2"),)),
        Change(deletes=(("round", "9"),)),
        Change(upserts=(replace(meeting("m3", "p2", "p4", 1, 2), note="late"),)),
        Change(deletes=(("meeting", "m1"), ("announcement", "a1"))),
        Change(deletes=(("participant", "p7"),)),
    ]


def step(state: EventState, change: Change) -> views.Projection:
    before = state.before(change)
    state.apply(change)
    state.version += 1
    record = ChangeRecord(state.version, T0_MS, "test", "script", change, before)
    return views.project(record, state)


def fresh(state: EventState, audience: views.Audience) -> dict[str, Any]:
    client = ClientState()
    data = views.snapshot(state, audience)
    client.apply(snapshot_message(data, state.version, state.epoch))
    return client.snapshot_like()


AUDIENCES = [
    pytest.param(views.Audience(Role.MODERATOR), id="moderator"),
    pytest.param(views.Audience(Role.HALL), id="hall"),
    # p0 loses partner p2 at version 5, p1 loses p0 near the end: their profiles go too.
    *(
        pytest.param(views.Audience(Role.PARTICIPANT, p), id=p)
        for p in ("p0", "p1", "p3", "p4", "p6")
    ),
]


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("encoding", list(Encoding))
def test_updates_lead_where_a_fresh_snapshot_leads(
    audience: views.Audience, encoding: Encoding
) -> None:
    records: list[Record] = list(small_event_records())
    state = state_from_records(records, epoch=EPOCH, version=1)

    def wire(message: dict[str, Any]) -> dict[str, Any]:
        data = protocol.encode(message, encoding)
        return protocol.decode(data.decode() if encoding is Encoding.JSON else data, encoding)

    client = ClientState()
    client.apply(wire(snapshot_message(views.snapshot(state, audience), 1)))
    for change in changes_script():
        changes = step(state, change).for_audience(audience).to_plain()
        client.apply(wire(update_message(state.version, changes["upserts"], changes["deletes"])))
        assert client.snapshot_like() == fresh(state, audience), f"after version {state.version}"
    assert client.position() == (EPOCH, state.version)
