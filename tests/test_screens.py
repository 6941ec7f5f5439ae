"""The three screens in a real browser (Debian's Chromium) against a real server and Redis.

Screenshots of each screen go to artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, expect

from server.core.model import EventSettings, Round
from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from tests.factory import event_and_rest, meeting, small_event_records
from tests.screens import ARTIFACTS, command, in_own_loop, open_page
from tests.servers import free_port, server_process

EVENT = "screens"
ROOT = Path(__file__).resolve().parent.parent


def create_event(url: str, settings: EventSettings | None = None) -> EventState:
    """Round 1 is seating now (it starts in 2 minutes), so every screen has a countdown."""

    async def run() -> EventState:
        client = aioredis.from_url(url)
        try:
            service = Service(Store(client))
            start = wall_clock_ms() + 120_000
            records = small_event_records(event_id=EVENT, t0_ms=start)
            event, rest = event_and_rest(records)
            event = dataclasses.replace(
                event,
                name="Screen Test Matchmaking",
                settings=settings or EventSettings(warning_s=60),
            )
            placed = [meeting("m1", "p0", "p1", 1, 1), meeting("m2", "p2", "p3", 1, 2)]
            rounds = [r for r in records if isinstance(r, Round)]
            others = [r for r in rest if not isinstance(r, Round)]
            await service.create_event(event, [*others, *rounds, *placed], actor="test")
            return await service.state(EVENT)
        finally:
            await client.aclose()

    return in_own_loop(run())


@pytest.fixture
def site(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[tuple[str, EventState, int]]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield f"http://127.0.0.1:{port}", state, port


def test_screens_live_together(browser: Browser, site: tuple[str, EventState, int]) -> None:
    base, state, port = site
    assert state.event is not None
    errors: list[str] = []
    hosts: set[str] = set()  # every host any of the four pages requested
    hall = open_page(browser, f"{base}/hall/{EVENT}?key={state.event.screen_key}", errors,
                     width=1920, height=1080, hosts=hosts)  # fmt: skip
    anna = open_page(browser, f"{base}/p/{state.participants['p0'].token}", errors,
                     width=360, height=740, hosts=hosts)  # fmt: skip
    jonas = open_page(browser, f"{base}/p/{state.participants['p1'].token}", errors,
                      width=360, height=740, hosts=hosts)  # fmt: skip
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, hosts=hosts)  # fmt: skip
    for page in (hall, anna, jonas, console):
        expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    expect(anna.locator("#card-table")).to_contain_text("1", timeout=5_000)
    expect(hall.locator("#countdown")).to_have_text(re.compile(r"\d+:\d\d"))

    # A moderator moves Anna's meeting in the console: select it in the grid, pick a free
    # table, see who is affected, confirm. Her phone and Jonas's show the new table at
    # once, with a change notice; the hall's list follows.
    console.locator('#grid td[data-meeting="m1"]').click()
    console.locator("#selected select").first.select_option("3")
    console.locator("#selected button", has_text="Move").click()
    expect(console.locator("#confirm-body")).to_contain_text("Anna Berg", timeout=2_000)
    console.locator("#confirm-ok").click()
    for phone in (anna, jonas):
        expect(phone.locator("#card-table")).to_contain_text("3", timeout=1_000)
        expect(phone.locator("#notice")).not_to_be_empty(timeout=1_000)
    expect(hall.locator("#dir-list")).to_contain_text("3", timeout=1_000)

    # Re-slotting it: the later rounds come best first, each saying in words what it does
    # to its people's idle gaps (m1 is their only meeting: no round adds one).
    console.locator("#selected button", has_text="Find later rounds").click()
    expect(console.locator("#selected")).to_contain_text("round 2 · no new gaps", timeout=2_000)

    # Pause: every countdown stands still and shows the same time; resume: they run on.
    # The moderator pauses from the console, one click.
    console.locator("#clock-controls button", has_text="Pause").click()
    expect(hall.locator("#paused")).to_be_visible(timeout=1_000)
    frozen = hall.locator("#countdown").inner_text()
    hall.wait_for_timeout(1_500)  # a countdown that runs would have moved by now
    assert hall.locator("#countdown").inner_text() == frozen
    assert anna.locator("#card-countdown").inner_text() == frozen
    console.locator("#clock-controls button", has_text="Resume").click()
    expect(hall.locator("#paused")).to_be_hidden(timeout=1_000)
    expect(hall.locator("#countdown")).not_to_have_text(frozen, timeout=3_000)

    # A participant's page shows nothing of other participants' private data.
    anna_text = anna.content()
    for other in ("p1", "p2", "p3"):
        person = state.participants[other]
        assert person.email not in anna_text
        assert person.token not in anna_text
    assert state.participants["p2"].name not in anna_text  # not her meeting

    # Readable from 10 m: the countdown fills a good part of the screen, in 1080p and 4K.
    for width, height in ((1920, 1080), (3840, 2160)):
        hall.set_viewport_size({"width": width, "height": height})
        box = hall.locator("#countdown").bounding_box()
        assert box is not None
        assert box["height"] >= 0.2 * height, (width, box)

    ARTIFACTS.mkdir(exist_ok=True)
    for name, page in (("hall", hall), ("phone", anna), ("moderator", console)):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert hosts <= {f"127.0.0.1:{port}"}, hosts
    assert not errors, errors


def test_pages_recover_when_the_server_restarts(
    browser: Browser, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url)
    assert state.event is not None
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    errors: list[str] = []
    with server_process(redis_server.url, tmp_path, port=port):
        hall = open_page(browser, f"{base}/hall/{EVENT}?key={state.event.screen_key}", errors)
        anna = open_page(browser, f"{base}/p/{state.participants['p0'].token}", errors)
        for page in (hall, anna):
            expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    for page in (hall, anna):  # the server is gone
        expect(page.locator("#conn")).not_to_have_text(re.compile("^live", re.I), timeout=10_000)
    with server_process(redis_server.url, tmp_path, port=port):
        for page in (hall, anna):
            expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=20_000)
        command(base, state, "move_meeting", meeting="m1", table=3)
        expect(anna.locator("#card-table")).to_contain_text("3", timeout=2_000)


def test_the_phone_opens_offline_after_a_first_visit(
    browser: Browser, site: tuple[str, EventState, int]
) -> None:
    base, state, _port = site
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    url = f"{base}/p/{state.participants['p0'].token}"
    page.goto(url)
    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    expect(page.locator("#card-table")).to_contain_text("1", timeout=5_000)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps copies
    expect(page.locator("#card-table")).to_contain_text("1", timeout=5_000)
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()  # the venue Wi-Fi is gone
    expect(page.locator("#card-table")).to_contain_text("1", timeout=5_000)
    expect(page.locator("#conn")).not_to_have_text(re.compile("^live", re.I))
    page.screenshot(path=str(ARTIFACTS / "phone-offline.png"))
    context.set_offline(False)  # back online: it resyncs by itself
    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=20_000)
    context.close()
