"""The phone page's "Add to calendar" in a real browser (Debian's Chromium): it links to
the participant's own feed, which parses as iCalendar and follows a move."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, expect

from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from tests.screens import command, open_page
from tests.servers import free_port, server_process
from tests.test_screens import EVENT, create_event


@pytest.fixture
def site(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[tuple[str, EventState]]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield f"http://127.0.0.1:{port}", state


def test_the_phone_offers_its_own_calendar(browser: Browser, site: tuple[str, EventState]) -> None:
    base, state = site
    anna = state.participants["p0"]
    errors: list[str] = []
    page = open_page(browser, f"{base}/p/{anna.token}", errors, width=360, height=740)
    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    assert anna.token not in page.url  # the page moved its secret off the address bar
    add = page.locator("#calendar-file")
    expect(add).to_be_visible()
    expect(add).to_have_text("Add to calendar")
    feed = f"{base}/p/{anna.token}/agenda.ics"
    assert add.get_attribute("href") == feed
    subscribe = page.locator("#calendar-subscribe")
    assert subscribe.get_attribute("href") == feed.replace("http://", "webcal://")

    def uids_and_locations() -> dict[str, str]:
        response = page.request.get(add.get_attribute("href") or "")
        assert response.status == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        cal = Calendar.from_ical(response.body())
        return {str(e["UID"]): str(e["LOCATION"]) for e in cal.walk("VEVENT")}

    assert uids_and_locations() == {f"m1@{EVENT}": "Table 1"}
    command(base, state, "move_meeting", meeting="m1", table=3)
    expect(page.locator("#card-table")).to_contain_text("3", timeout=5_000)
    assert uids_and_locations() == {f"m1@{EVENT}": "Table 3"}

    page.locator("#lang-de").click()
    expect(add).to_have_text("Zum Kalender hinzufügen")
    assert errors == []
    page.close()
