"""The no-show story from the moderator's seat, in a real browser against a real server.

Jonas has not come to his round-1 meeting with Anna. The console's at-risk card names the
right people; Anna says "my partner is not here" from her phone and the same card becomes
"partner missing"; the moderator marks Jonas absent and, in the same card, seats Marco,
who is free. Anna's and Marco's phones and the hall show the new meeting, Anna's with a
notice that names her new partner and says why; the alert closes; the clock bar and the
grid never scroll out of view; and an undo shows what it would revert before it runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, Page, expect

from server.core.model import Event, EventSettings, Participant, Round
from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from tests.factory import meeting, small_event_records
from tests.screens import ARTIFACTS, in_own_loop, open_page
from tests.servers import free_port, server_process

EVENT = "noshow"
HERE = ("p0", "p2", "p3", "p4")  # Anna, Ayşe, Jānis, Marco; Jonas (p1) has not come


def create_event(url: str) -> EventState:
    """Round 1 is seating (it starts in 3 minutes): the timekeeper raises the at-risk
    alert for Anna and Jonas's meeting as soon as the server runs."""

    async def run() -> EventState:
        client = aioredis.from_url(url)
        try:
            service = Service(Store(client))
            now = wall_clock_ms()
            records = small_event_records(event_id=EVENT, t0_ms=now + 180_000)
            event = records[0]
            assert isinstance(event, Event)
            event = dataclasses.replace(
                event, name="No-show Story", settings=EventSettings(warning_s=60)
            )
            people = [
                dataclasses.replace(r, checked_in_at_ms=now - 60_000)
                if isinstance(r, Participant) and r.id in HERE
                else r
                for r in records[1:]
                if not isinstance(r, Round)
            ]
            rounds = [r for r in records if isinstance(r, Round)]
            placed = [meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2)]
            await service.create_event(event, [*people, *rounds, *placed], actor="test")
            return await service.state(EVENT)
        finally:
            await client.aclose()

    return in_own_loop(run())


@pytest.fixture
def site(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[tuple[str, EventState]]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield f"http://127.0.0.1:{port}", state


def in_view(page: Page, selector: str) -> bool:
    """Whether the element's top edge is inside the viewport."""
    return bool(
        page.evaluate(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                          return r.top >= 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )


def test_the_no_show_story(browser: Browser, site: tuple[str, EventState]) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, width=1280, height=800)  # fmt: skip
    anna = open_page(browser, f"{base}/p/{state.participants['p0'].token}", errors,
                     width=360, height=740)  # fmt: skip
    marco = open_page(browser, f"{base}/p/{state.participants['p4'].token}", errors,
                      width=360, height=740)  # fmt: skip
    hall = open_page(browser, f"{base}/hall/{EVENT}?key={state.event.screen_key}", errors,
                     width=1920, height=1080)  # fmt: skip
    for page in (console, anna, marco, hall):
        expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)

    # The at-risk card names who is here and who is missing — the right way round.
    card = console.locator('#alerts li[data-alert="alert-m1"]')
    expect(card).to_contain_text("At risk", timeout=10_000)
    expect(card.locator(".alert-what b")).to_have_text("Round 1 · Table 1")  # the event's words
    expect(card.locator(".alert-who")).to_contain_text("Anna Berg is here")
    expect(card.locator(".alert-who")).to_contain_text("Jonas Weber not here")
    expect(console.locator('#grid td[data-meeting="m1"]')).to_have_class(re.compile("has-alert"))

    # Anna reports it: the same card becomes "partner missing", no second card.
    anna.locator("#missing").click()
    expect(card).to_contain_text("Partner missing", timeout=5_000)
    expect(console.locator("#alerts li.alert")).to_have_count(1)
    expect(console.locator("#alert-kinds")).to_contain_text("1 partner missing")

    # Mark absent: in the same card, Anna now needs a partner, with Marco offered.
    card.locator("button", has_text="Mark absent").click()
    expect(card).to_contain_text("Needs a partner", timeout=5_000)
    expect(card.locator(".alert-who")).to_contain_text("Jonas Weber did not come")
    seat = card.locator("button", has_text="Seat Marco Rossi")
    expect(seat).to_be_visible(timeout=5_000)
    console.screenshot(path=str(ARTIFACTS / "console-needs-partner.png"))
    seat.click()

    # The alert closes; everyone sees the new meeting.
    expect(console.locator('#alerts li[data-alert="alert-m1"]')).to_have_count(0, timeout=5_000)
    expect(console.locator("#alerts")).to_contain_text("No open alerts")
    expect(anna.locator("#card-partner")).to_contain_text("Marco Rossi", timeout=5_000)
    expect(anna.locator("#notice")).to_contain_text("Marco Rossi")
    expect(anna.locator("#notice")).to_contain_text("Jonas Weber")
    expect(anna.locator("#notice")).to_contain_text("could not come")
    expect(anna.locator("#feedback")).to_be_empty()  # "the organisers were told" is past
    expect(marco.locator("#card-partner")).to_contain_text("Anna Berg", timeout=5_000)
    expect(marco.locator("#notice")).to_contain_text("Anna Berg")
    expect(hall.locator("#dir-list")).to_contain_text("Marco Rossi", timeout=5_000)
    expect(hall.locator("#dir-list")).not_to_contain_text("Jonas Weber")

    # Nothing was scrolled away while working the queue.
    assert console.evaluate("window.scrollY") == 0
    for selector in ("#clock-controls", "#grid", "#alerts"):
        assert in_view(console, selector), selector

    # Undo shows what it would revert, and whom it affects, before anything happens.
    console.locator("#clock-controls button", has_text="Undo").click()
    expect(console.locator("#confirm-body")).to_contain_text("accept_substitute", timeout=5_000)
    expect(console.locator("#confirm-body")).to_contain_text("Marco Rossi")
    console.locator("#confirm-cancel").click()
    expect(anna.locator("#card-partner")).to_contain_text("Marco Rossi")

    for name, page in (("console-story", console), ("phone-story", anna), ("hall-story", hall)):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert not errors, errors
