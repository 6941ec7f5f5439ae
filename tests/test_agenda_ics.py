"""The participant's calendar feed, `GET /p/<token>/agenda.ics`, against real Redis:
every feed served is parsed back with icalendar; UIDs stay, SEQUENCE rises on a move, a
cancelled meeting is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from icalendar import Calendar
from starlette.testclient import TestClient

from server.core.agenda_ics import agenda
from server.core.model import Event, Meeting, MeetingStatus, Table
from server.core.state import Change, EventState
from server.edge.app import create_app
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.settings import Settings
from server.edge.store import Store
from tests.factory import T0_MS, meeting, small_event_records, small_state

EV = "cal"


def seed(url: str) -> EventState:
    async def run() -> EventState:
        client = aioredis.from_url(url)
        try:
            later = wall_clock_ms() + 3_600_000  # rounds ahead of the server's real clock
            event, *rest = small_event_records(event_id=EV, t0_ms=later)
            assert isinstance(event, Event)
            rest = [r if not isinstance(r, Table) or r.number != 2 else
                    Table(number=2, label="Window", zone="Hall B") for r in rest]  # fmt: skip
            rest += [meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p0", "p2", 2, 2),
                     meeting("m3", "p3", "p4", 1, 3)]  # fmt: skip
            return await Service(Store(client)).create_event(event, rest, actor="test")
        finally:
            await client.aclose()

    return asyncio.run(run())


@pytest.fixture
def served(redis_server: EmbeddedRedis) -> Iterator[tuple[TestClient, EventState]]:
    redis.Redis.from_url(redis_server.url).flushall()
    state = seed(redis_server.url)
    with TestClient(create_app(Settings(redis_url=redis_server.url))) as client:
        yield client, state


def feed(client: TestClient, token: str) -> dict[str, Any]:
    """The served calendar, parsed: its VEVENTs by UID."""
    response = client.get(f"/p/{token}/agenda.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(minutes=15)  # subscribable
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def command(client: TestClient, state: EventState, name: str, **args: Any) -> None:
    assert state.event is not None
    headers = {"authorization": f"Bearer {state.event.moderator_token}"}
    body = {"name": name, "args": args}
    response = client.post(f"/api/events/{EV}/commands", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_the_feed_lists_each_meeting_and_follows_moves_and_cancellations(
    served: tuple[TestClient, EventState],
) -> None:
    client, state = served
    anna = state.participants["p0"]
    events = feed(client, anna.token)
    assert set(events) == {f"m1@{EV}", f"m2@{EV}"}  # hers only, each with a stable UID
    first = events[f"m1@{EV}"]
    rnd = state.rounds[1]
    assert first.decoded("DTSTART") == datetime.fromtimestamp(rnd.starts_at_ms // 1000, UTC)
    assert first.decoded("DTEND") - first.decoded("DTSTART") == timedelta(seconds=rnd.meeting_s)
    assert str(first["SUMMARY"]) == "Meeting with Jonas Weber"
    assert str(first["LOCATION"]) == "Table 1"
    assert "Automotive BW" in str(first["DESCRIPTION"])
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(events[f"m2@{EV}"]["LOCATION"]) == "Table 2 Window, Hall B"
    before = {uid: int(e["SEQUENCE"]) for uid, e in events.items()}

    command(client, state, "move_meeting", meeting="m1", table=3, round=3)
    moved = feed(client, anna.token)
    assert set(moved) == set(events)  # the same UIDs: calendars update, not duplicate
    assert moved[f"m1@{EV}"].decoded("DTSTART") == datetime.fromtimestamp(
        state.rounds[3].starts_at_ms // 1000, UTC
    )
    assert str(moved[f"m1@{EV}"]["LOCATION"]) == "Table 3"
    assert int(moved[f"m1@{EV}"]["SEQUENCE"]) > before[f"m1@{EV}"]

    command(client, state, "cancel_meeting", meeting="m2")
    cancelled = feed(client, anna.token)
    assert str(cancelled[f"m2@{EV}"]["STATUS"]) == "CANCELLED"
    assert int(cancelled[f"m2@{EV}"]["SEQUENCE"]) > int(moved[f"m2@{EV}"]["SEQUENCE"])
    assert str(cancelled[f"m1@{EV}"]["STATUS"]) == "CONFIRMED"
    # Jonas sees the same meeting under the same UID, with Anna as his partner.
    jonas = feed(client, state.participants["p1"].token)
    assert set(jonas) == {f"m1@{EV}"}
    assert str(jonas[f"m1@{EV}"]["SUMMARY"]) == "Meeting with Anna Berg"
    # Someone without meetings gets an empty, valid calendar.
    assert feed(client, state.participants["p7"].token) == {}


def test_an_unknown_link_is_not_found(served: tuple[TestClient, EventState]) -> None:
    client, state = served
    for path in (f"/p/{EV}.nope/agenda.ics", f"/p/{EV}/agenda.ics", "/p/other.x/agenda.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] in ("not_found", "event_not_found")
    assert state.event is not None  # the moderator's token is no personal link either
    moderator = client.get(f"/p/{state.event.moderator_token}/agenda.ics")
    assert moderator.status_code == 404


def test_the_pure_feed_skips_requests_and_names_a_group() -> None:
    state = small_state()
    group = Meeting(id="g", side_a=("p0",), side_b=("p1", "p2"), round=2, table=1,
                    status=MeetingStatus.SCHEDULED)  # fmt: skip
    state.apply(Change(upserts=(group, meeting("r", "p0", "p3"))))
    cal = Calendar.from_ical(agenda(state, "p0", T0_MS))
    (entry,) = cal.walk("VEVENT")  # the unplaced request has no entry
    assert str(entry["SUMMARY"]) == "Meeting with Jonas Weber, Ayşe Yılmaz"
    assert "Automotive BW, Istanbul Tech Cluster" in str(entry["DESCRIPTION"])
    assert entry.decoded("DTSTAMP") == datetime.fromtimestamp(T0_MS / 1000, UTC)
