"""The console's Print section in a real browser (Debian's Chromium) against a real server:
its links are there, and one of them answers with a PDF of the event."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from tests.screens import ARTIFACTS, open_page
from tests.servers import free_port, server_process
from tests.test_screens import EVENT, create_event


@pytest.fixture
def site(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[tuple[str, EventState]]:
    redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield f"http://127.0.0.1:{port}", state


def test_the_console_links_to_every_printout(
    browser: Browser, site: tuple[str, EventState]
) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors)  # fmt: skip
    expect(console.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    console.locator("summary", has_text="Print").click()
    links = console.locator("#print a[data-print]")
    expect(links).to_have_count(4)  # no person chosen yet: their agenda is not a link
    expect(console.locator("#print")).to_contain_text("Everyone's agendas")
    expect(console.locator("#print")).to_contain_text("Round 1 sheet")  # seating now

    console.locator("#print input[type=search]").fill("Ayşe")
    expect(console.locator('#print a[data-print="person"]')).to_have_text("Agenda of Ayşe Yılmaz")
    console.locator('#print select[aria-label="paper"]').select_option("letter")
    href = console.locator('#print a[data-print="person"]').get_attribute("href")
    assert href is not None and "participant=p2" in href and "paper=letter" in href

    ARTIFACTS.mkdir(exist_ok=True)
    console.locator("#print").screenshot(path=str(ARTIFACTS / "console-print.png"))

    # The link works on its own (the token rides in the query): a PDF of her agenda.
    response = console.request.get(base + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612.0)  # Letter
    assert "Ayşe Yılmaz" in reader.pages[0].extract_text()
    sheet = console.locator('#print a[data-print="rounds"]').get_attribute("href")
    assert sheet is not None and "round=1" in sheet
    round_sheet = PdfReader(io.BytesIO(console.request.get(base + sheet).body()))
    assert "Round 1 · " in round_sheet.pages[0].extract_text()
    assert not errors, errors
