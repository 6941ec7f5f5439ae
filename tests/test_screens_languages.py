"""The three screens in English and German (#12 item 7), in a real browser against a real
server: the user's choice of language (EN/DE, remembered; the hall also `?lang=de`), the
event's own words for "round" and "table" with their German form, and axe-core's WCAG 2.1
AA rules on every screen in both languages. Screenshots go to artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from server.core.model import EventSettings
from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from tests.screens import ARTIFACTS, assert_accessible, open_page
from tests.servers import free_port, server_process
from tests.test_screens import EVENT, create_event

# The event calls its rounds "Session" ("Gesprächsrunde" in German) and its tables
# "Booth", with no German form: German screens say "Booth" as it is.
LABELS = EventSettings(
    warning_s=60, round_label="Session", round_label_de="Gesprächsrunde", table_label="Booth"
)


@pytest.fixture
def site(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[tuple[str, EventState]]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    state = create_event(redis_server.url, LABELS)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield f"http://127.0.0.1:{port}", state


def live(page: Page) -> None:
    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)


def fits(page: Page, selector: str = "body") -> None:
    """Nothing sticks out sideways: the page, and each element of `selector`."""
    wide = page.evaluate(
        """(sel) => [document.documentElement, ...document.querySelectorAll(sel)]
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .filter((e) => !['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
            .filter((e) => getComputedStyle(e).textOverflow !== 'ellipsis')  // cut on purpose
            .map((e) => `${e.id || e.className}: ${e.scrollWidth} > ${e.clientWidth}`)""",
        selector,
    )
    assert not wide, wide


def one_line(page: Page, selector: str) -> None:
    """The element's text takes one line (a long German word did not push it onto two)."""
    lines = page.locator(selector).evaluate(
        "(e) => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
    )
    assert lines < 1.5, (selector, lines)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_hall_screen_in_english_and_german(
    browser: Browser, site: tuple[str, EventState]
) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    url = f"{base}/hall/{EVENT}?key={state.event.screen_key}"
    hall = open_page(browser, url, errors, width=1920, height=1080)
    live(hall)
    expect(hall.locator("#round-title")).to_have_text("Session 1")
    expect(hall.locator("#phase-label")).to_have_text("Take your seats")
    expect(hall.locator("#dir-title")).to_have_text("Session 1 · find your booth", timeout=5_000)
    assert_accessible(hall, "hall, English")
    shot(hall, "hall-en")

    hall.locator("#lang-de").click()
    expect(hall.locator("html")).to_have_attribute("lang", "de")
    expect(hall.locator("#lang-de")).to_have_attribute("aria-pressed", "true")
    expect(hall.locator("#round-title")).to_have_text("Gesprächsrunde 1")
    expect(hall.locator("#phase-label")).to_have_text("Bitte Platz nehmen")
    expect(hall.locator("#dir-title")).to_have_text("Gesprächsrunde 1 · Booth finden")
    expect(hall.locator("#dir-list")).to_contain_text("mit ")
    expect(hall.locator(".qr-caption")).to_contain_text("Ihre Termine auf dem Handy")
    expect(hall.locator("#conn")).to_have_text("live")
    fits(hall, ".stage-text, .stage-text > *, .bar > *, .dir-title")
    for line in ("#round-title", "#phase-label", "#next-round", "#dir-title"):
        one_line(hall, line)
    assert_accessible(hall, "hall, German")
    shot(hall, "hall-de")
    # Every phase has its own colours: each passes the contrast rules too (the words stay,
    # only the page's phase class is set).
    hall.evaluate("document.body.style.transition = 'none'")  # the colours at once
    for phase in ("upcoming", "running", "last_minutes", "ended", "break", "idle"):
        hall.evaluate("(p) => { document.body.className = `hall phase-${p}`; }", phase)
        assert_accessible(hall, f"hall, German, colours of {phase}")

    hall.reload()  # the choice is remembered
    live(hall)
    expect(hall.locator("#round-title")).to_have_text("Gesprächsrunde 1")
    hall.close()

    # A hall screen set up from its URL alone: ?lang=de, whatever the browser says.
    asked = open_page(browser, f"{url}&lang=de", errors, width=1920, height=1080)
    live(asked)
    expect(asked.locator("#round-title")).to_have_text("Gesprächsrunde 1")
    asked.close()
    assert not errors, errors


def test_the_console_in_english_and_german(browser: Browser, site: tuple[str, EventState]) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, width=1280, height=800)  # fmt: skip
    live(console)
    expect(console.locator("#moment")).to_contain_text("Session 1 · Take your seats")
    expect(console.locator("#grid th").first).to_have_text("Session")
    console.locator('#grid td[data-meeting="m1"]').click()
    expect(console.locator("#selected")).to_contain_text("Move to booth")
    assert_accessible(console, "console, English")
    shot(console, "console-en")

    console.locator("#lang-de").click()
    expect(console.locator("html")).to_have_attribute("lang", "de")
    expect(console.locator("#moment")).to_contain_text("Gesprächsrunde 1 · Bitte Platz nehmen")
    expect(console.locator("#grid th").first).to_have_text("Gesprächsrunde")
    expect(console.locator("h2", has_text="Meldungen")).to_be_visible()
    # Nobody has checked in: both meetings are at risk, said in German with German buttons.
    expect(console.locator("#alerts")).to_contain_text("Gefährdet · gerade eben")
    expect(console.locator("#alerts")).to_contain_text("noch niemand da: Anna Berg, Jonas Weber")
    expect(console.locator("#alerts button", has_text="Weiter warten").first).to_be_visible()
    expect(console.locator("#clock-controls")).to_contain_text("Gesprächsrunde jetzt beenden")
    expect(console.locator("#clock-controls button").first).to_have_text("❚❚ Anhalten")
    expect(console.locator("summary", has_text="Spontantermin")).to_be_visible()
    expect(console.locator("#walkin")).to_contain_text("Spontantermin anlegen")
    expect(console.locator("summary", has_text="Drucken")).to_be_visible()
    expect(console.locator("#print")).to_contain_text("Schilder: Booth", use_inner_text=False)
    expect(console.locator("#announce")).to_contain_text("Durchsagen")
    expect(console.locator("#stats")).to_contain_text("eingecheckt", timeout=5_000)
    expect(console.locator("#selected")).to_contain_text("Booth wechseln")
    expect(console.locator("#selected")).to_contain_text("Gesprächsrunde 1")
    assert_accessible(console, "console, German")

    # A dialog in German: moving the meeting says whom it affects, Cancel changes nothing.
    console.locator("#selected select").first.select_option("3")
    console.locator("#selected button", has_text="Verlegen").click()
    expect(console.locator("#confirm-title")).to_have_text("m1 an Booth 3 verlegen")
    expect(console.locator("#confirm-body")).to_contain_text("Betrifft: Anna Berg")
    expect(console.locator("#confirm-body")).to_contain_text("Gesprächsrunde 1 Booth 1 → Booth 3")
    expect(console.locator("#confirm-ok")).to_have_text("Bestätigen")
    assert_accessible(console, "console, German, dialog")
    shot(console, "console-de")
    console.locator("#confirm-cancel").click()

    console.reload()  # remembered
    live(console)
    expect(console.locator("#moment")).to_contain_text("Gesprächsrunde 1")
    assert not errors, errors


def test_the_phone_in_english_and_german(browser: Browser, site: tuple[str, EventState]) -> None:
    base, state = site
    errors: list[str] = []
    anna = open_page(browser, f"{base}/p/{state.participants['p0'].token}", errors,
                     width=360, height=740)  # fmt: skip
    live(anna)
    expect(anna.locator("#card-round")).to_contain_text("Session 1", timeout=5_000)
    expect(anna.locator("#card-table")).to_have_text("Booth 1")
    assert_accessible(anna, "phone, English")
    shot(anna, "phone-en")

    anna.locator("#lang-de").click()
    expect(anna.locator("html")).to_have_attribute("lang", "de")
    expect(anna.locator("#card-round")).to_contain_text("Gesprächsrunde 1")
    expect(anna.locator("#card-table")).to_have_text("Booth 1")
    expect(anna.locator("#card-phase")).to_have_text("Bitte Platz nehmen · Beginn in")
    expect(anna.locator("#agenda")).to_contain_text("Gesprächsrunde 1")
    fits(anna, ".card, .card *, .bar, .bar *")
    assert_accessible(anna, "phone, German")
    shot(anna, "phone-de")

    # A phone set to German opens in German without a click.
    context = browser.new_context(locale="de-DE", viewport={"width": 360, "height": 740})
    jonas = context.new_page()
    jonas.goto(f"{base}/p/{state.participants['p1'].token}")
    live(jonas)
    expect(jonas.locator("#card-round")).to_contain_text("Gesprächsrunde 1", timeout=5_000)
    expect(jonas.locator("#lang-de")).to_have_attribute("aria-pressed", "true")
    context.close()
    assert not errors, errors
