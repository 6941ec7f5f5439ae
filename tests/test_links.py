"""Links in a real browser: each page takes its token out of the URL on first load and
opens again from storage; a link replaced in the console stops working on the open page."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from server.core.state import EventState
from tests.screens import command, open_page
from tests.test_screens import EVENT, site  # noqa: F401 (site: a fixture)

LIVE = re.compile("live", re.I)


def test_pages_take_the_token_out_of_the_url_and_reopen_from_storage(
    browser: Browser,
    site: tuple[str, EventState, int],  # noqa: F811
) -> None:
    base, state, _port = site
    assert state.event is not None
    errors: list[str] = []
    token = state.participants["p0"].token
    links = {
        f"{base}/p/{token}": (f"{base}/p/{EVENT}", token),
        f"{base}/hall/{EVENT}?key={state.event.screen_key}&sound=1": (
            f"{base}/hall/{EVENT}?sound=1",
            state.event.screen_key,
        ),
        f"{base}/moderate/{EVENT}?token={state.event.moderator_token}": (
            f"{base}/moderate/{EVENT}",
            state.event.moderator_token,
        ),
    }
    for link, (clean, secret) in links.items():
        page = open_page(browser, link, errors)
        expect(page.locator("#conn")).to_have_text(LIVE, timeout=10_000)
        assert page.evaluate("location.href") == clean
        page.reload()  # the clean address opens the page again, from storage
        expect(page.locator("#conn")).to_have_text(LIVE, timeout=10_000)
        assert secret not in page.evaluate("location.href")
        if "/p/" in link:
            expect(page.locator("#card-table")).to_contain_text("1", timeout=5_000)
            expect(page.locator("#hello")).to_contain_text("Anna Berg")
        page.context.close()
    # On another device the clean address alone opens nothing, and says why.
    stranger = open_page(browser, f"{base}/p/{EVENT}", errors)
    expect(stranger.locator(".fatal-box")).to_contain_text("personal link", timeout=5_000)
    stranger.context.close()
    assert not errors, errors


def test_a_link_replaced_in_the_console_stops_working_on_the_open_page(
    browser: Browser,
    site: tuple[str, EventState, int],  # noqa: F811
) -> None:
    base, state, _port = site
    assert state.event is not None
    errors: list[str] = []
    phone = open_page(browser, f"{base}/p/{state.participants['p0'].token}", errors,
                      width=360, height=740)  # fmt: skip
    hall = open_page(browser, f"{base}/hall/{EVENT}?key={state.event.screen_key}", errors)
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors)  # fmt: skip
    for page in (phone, hall, console):
        expect(page.locator("#conn")).to_have_text(LIVE, timeout=10_000)

    # The moderator picks Anna, asks for a new phone link and confirms what it does.
    console.locator("summary", has_text="Links").click()
    console.locator("#links input[type=search]").fill("Anna")
    console.locator("#links select").select_option("p0")
    console.locator("#links button", has_text="New phone link").click()
    expect(console.locator("#confirm-body")).to_contain_text("stops working")
    console.locator("#confirm-ok").click()
    new_link = console.locator("#links .link-url")
    expect(new_link).to_have_value(re.compile(rf"^{re.escape(base)}/p/{EVENT}\."), timeout=5_000)
    expect(console.locator("#links .link-qr svg")).to_be_visible()

    # Anna's open page says so, and forgets the token: a reload opens nothing.
    expect(phone.locator(".fatal-box")).to_contain_text("revoked", timeout=5_000)
    phone.reload()
    expect(phone.locator(".fatal-box")).to_contain_text("personal link", timeout=5_000)
    # The new link works on the same phone.
    phone.goto(new_link.input_value())
    expect(phone.locator("#conn")).to_have_text(LIVE, timeout=10_000)
    expect(phone.locator("#hello")).to_contain_text("Anna Berg")

    # A new hall key (here by command) turns the open hall screen into the message.
    command(base, state, "rotate_token", hall=True)
    expect(hall.locator(".fatal-box")).to_contain_text("key was replaced", timeout=5_000)
    expect(console.locator("#conn")).to_have_text(LIVE)  # the console is untouched
    for page in (phone, hall, console):
        page.context.close()
    assert not errors, errors
