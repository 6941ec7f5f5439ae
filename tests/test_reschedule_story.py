"""Re-optimise after a cancellation (#11 item 4), from the moderator's seat, in a real
browser against a real server.

Anna has meetings in rounds 1, 2 and 3, all an hour away. Her round-2 meeting is
cancelled: she would sit idle between two meetings. The moderator presses "Re-optimise
later rounds" (with the keyboard), reads the preview (what moves, whose agenda changes,
idle gaps before → after; nothing is stored yet), confirms, and reads the result. Anna's
phone shows her agenda without the gap, the moved partner's phone says the meeting moved
and from where, and the hall's "find your table" list follows if it shows a round that
changed. What the optimiser moved is read from the server, not guessed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, expect

from server.core.model import Event
from server.core.state import EventState
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from tests.factory import meeting, small_event_records
from tests.screens import ARTIFACTS, command, in_own_loop, open_page
from tests.servers import free_port, server_process

EVENT = "reopt"
ANNA = "p0"
NAMES = {"p1": "Jonas Weber", "p2": "Ayşe Yılmaz", "p3": "Jānis Bērziņš"}


def create_event(url: str) -> EventState:
    """Rounds 1-4 start in an hour (every round is open to moves). Anna meets Jonas,
    Ayşe and Jānis in rounds 1, 2 and 3; two other pairs meet in rounds 1 and 2: the
    organiser fixed m4 and allows REQ-5 (m5) only in rounds 1-2, after m4."""

    async def run() -> EventState:
        client = aioredis.from_url(url)
        try:
            service = Service(Store(client))
            records = small_event_records(event_id=EVENT, t0_ms=wall_clock_ms() + 3_600_000)
            event = records[0]
            assert isinstance(event, Event)
            event = dataclasses.replace(event, name="Re-optimise Story")
            placed = [
                meeting("m1", ANNA, "p1", 1, 1),
                meeting("m2", ANNA, "p2", 2, 1),
                meeting("m3", ANNA, "p3", 3, 1),
                dataclasses.replace(meeting("m4", "p4", "p5", 1, 2), fixed=True),
                dataclasses.replace(
                    meeting("m5", "p6", "p7", 2, 2),
                    rounds=(1, 2),
                    after=("m4",),
                    external_id="REQ-5",
                ),
            ]
            await service.create_event(event, [*records[1:], *placed], actor="test")
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


def placements(base: str, state: EventState) -> dict[str, dict[str, Any]]:
    """The meetings as the server has them now, by id."""
    assert state.event is not None
    response = httpx.get(
        f"{base}/api/events/{EVENT}",
        headers={"authorization": f"Bearer {state.event.moderator_token}"},
    )
    assert response.status_code == 200, response.text
    return {m["id"]: m for m in response.json()["meetings"]}


def test_the_reschedule_story(browser: Browser, site: tuple[str, EventState]) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, width=1280, height=800)  # fmt: skip
    phones = {
        pid: open_page(
            browser, f"{base}/p/{state.participants[pid].token}", errors, width=360, height=740
        )
        for pid in (ANNA, "p1", "p3")  # Anna, and the partners either side of the gap
    }
    anna = phones[ANNA]
    hall = open_page(browser, f"{base}/hall/{EVENT}?key={state.event.screen_key}", errors,
                     width=1920, height=1080)  # fmt: skip
    for page in (console, hall, *phones.values()):
        expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    expect(hall.locator("#dir-list")).to_contain_text("Jonas Weber", timeout=5_000)

    # A cancellation leaves Anna idle in round 2, between two meetings.
    command(base, state, "cancel_meeting", meeting="m2")
    expect(anna.locator("#agenda li.st-cancelled")).to_contain_text("Ayşe", timeout=5_000)
    before = placements(base, state)

    # The button says what it does; the preview runs from the keyboard and shows that
    # the optimiser is working while it runs (every text the button had is recorded).
    button = console.locator("#clock-controls button", has_text="Re-optimise later rounds")
    expect(button).to_have_attribute("title", re.compile("close idle gaps"))
    expect(button).to_have_attribute("aria-label", re.compile("idle gaps"))
    console.evaluate(
        """() => { window.reoptTexts = [];
                   const b = document.getElementById('reoptimise');
                   new MutationObserver(() => window.reoptTexts.push(
                       `${b.textContent}|${b.disabled}`)).observe(
                       b, { childList: true, characterData: true, subtree: true,
                            attributes: true }); }"""
    )
    posted: list[dict[str, Any]] = []  # the bodies the console posts to /schedule
    console.on("request", lambda r: posted.append(json.loads(r.post_data or "{}"))
               if r.url.endswith("/schedule") else None)  # fmt: skip
    button.focus()
    console.keyboard.press("Enter")
    dialog = console.locator("#confirm")
    body = console.locator("#confirm-body")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(console.locator("#confirm-title")).to_have_text("Re-optimise later rounds")
    expect(body).to_contain_text(
        re.compile(r"\d+ meetings? moves?: \d+ participants get a changed agenda")
    )
    expect(body).to_contain_text("Idle gaps: 1 → 0")
    expect(body).not_to_contain_text("cannot be placed")
    said = re.search(r"(\d+) meetings? moves?", body.inner_text())
    assert said is not None
    expect(console.locator("#confirm-ok")).to_be_visible()
    assert "Optimising…|true" in console.evaluate("window.reoptTexts")
    expect(button).to_be_enabled()
    console.screenshot(path=str(ARTIFACTS / "console-reschedule-preview.png"))
    assert placements(base, state) == before  # a preview stores nothing

    console.locator("#confirm-ok").click()
    notice = console.locator("#notice")
    expect(notice).to_contain_text(
        re.compile(r"Moved \d+ meetings?; idle gaps 1 → 0"), timeout=30_000
    )
    expect(notice).not_to_have_class(re.compile("notice-error"))

    # What the optimiser did, from the server: Anna's meetings now sit in consecutive rounds.
    after = placements(base, state)
    moved = {
        mid
        for mid, m in after.items()
        if (m["round"], m["table"]) != (before[mid]["round"], before[mid]["table"])
    }
    assert moved, "the reschedule moved nothing"
    expect(notice).to_contain_text(f"Moved {len(moved)} meeting")
    assert int(said[1]) == len(moved)  # the preview told what the confirmation did
    # Confirm stored the previewed plan itself (no second solve that could differ).
    assert [body.get("preview") for body in posted] == [True, None], posted
    plan = posted[1]["apply"]
    assert {r["meeting_id"] for r in plan["meetings"]} == moved
    assert all((after[r["meeting_id"]]["round"], after[r["meeting_id"]]["table"])
               == (r["round"], r["table"]) for r in plan["meetings"])  # fmt: skip
    annas = sorted(
        m["round"] for m in after.values() if ANNA in m["side_a"] and m["status"] == "scheduled"
    )
    assert len(annas) == 2 and annas[1] == annas[0] + 1, annas
    annas_moved = sorted(moved & {"m1", "m3"})
    assert annas_moved, moved

    # Anna's agenda has each moved meeting in its new round, with a notice; the moved
    # partner's phone says the meeting moved, from where to where.
    for mid in annas_moved:
        partner = NAMES[after[mid]["side_b"][0]]
        was, now = before[mid]["round"], after[mid]["round"]
        row = anna.locator("#agenda li.st-scheduled", has_text=f"Round {now}")
        expect(row).to_contain_text(partner, timeout=5_000)
        expect(anna.locator("#notice")).to_contain_text(partner, timeout=5_000)
        notice_of_partner = phones[after[mid]["side_b"][0]].locator("#notice")
        expect(notice_of_partner).to_contain_text("Anna Berg", timeout=5_000)
        expect(notice_of_partner).to_contain_text(f"moved here from Round {was}")
        expect(notice_of_partner).to_contain_text(f"Round {now}")
        phones[after[mid]["side_b"][0]].screenshot(path=str(ARTIFACTS / "phone-reschedule.png"))

    # The hall lists round 1 (the next): whoever left round 1 is gone from it, whoever
    # is in it now is listed.
    dir_list = hall.locator("#dir-list")
    names = {pid: p.name for pid, p in state.participants.items()}

    def people(m: dict[str, Any]) -> set[str]:
        return {names[pid] for pid in (*m["side_a"], *m["side_b"])}

    listed = set().union(
        *(people(m) for m in after.values() if m["status"] == "scheduled" and m["round"] == 1)
    )
    gone = set().union(*(people(before[mid]) for mid in moved if before[mid]["round"] == 1))
    for who in sorted(gone - listed):
        expect(dir_list).not_to_contain_text(who, timeout=5_000)
    for who in sorted(listed):
        expect(dir_list).to_contain_text(who, timeout=5_000)

    for name, page in (("console-reschedule-done", console), ("phone-reschedule-anna", anna),
                       ("hall-reschedule", hall)):  # fmt: skip
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert not errors, errors


def test_nothing_to_move_and_a_conflict_are_said(
    browser: Browser, site: tuple[str, EventState]
) -> None:
    """With no gap to close the preview says so and offers no Confirm; when the event
    changed meanwhile (the server's 409 conflict, here forced on the confirming call), the
    console shows the server's message as an error, and the button works again."""
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, width=1280, height=800)  # fmt: skip
    expect(console.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    button = console.locator("#reoptimise")

    button.click()
    body = console.locator("#confirm-body")
    expect(console.locator("#confirm")).to_be_visible(timeout=30_000)
    expect(body).to_contain_text("The schedule is already the best: nothing to move")
    expect(console.locator("#confirm-ok")).to_be_hidden()
    console.screenshot(path=str(ARTIFACTS / "console-reschedule-nothing.png"))
    console.locator("#confirm-cancel", has_text="Close").click()
    expect(console.locator("#confirm")).to_be_hidden()

    command(base, state, "cancel_meeting", meeting="m2")
    conflict = {"ok": False, "error": {"code": "conflict", "message": "the event changed"}}
    console.route(
        "**/api/events/*/schedule",
        lambda route: (
            route.continue_()
            if '"preview":true' in (route.request.post_data or "")
            else route.fulfill(status=409, json=conflict)
        ),
    )
    button.click()
    expect(body).to_contain_text("Idle gaps: 1 → 0", timeout=30_000)
    expect(console.locator("#confirm-ok")).to_be_visible()
    console.locator("#confirm-ok").click()
    notice = console.locator("#notice")
    expect(notice).to_have_text(
        "Re-optimise later rounds: the event changed (conflict)", timeout=10_000
    )
    expect(notice).to_have_class(re.compile("notice-error"))
    expect(button).to_be_enabled()
    expect(button).to_have_text("Re-optimise later rounds")
    console.screenshot(path=str(ARTIFACTS / "console-reschedule-conflict.png"))
    # The browser logs the 409 itself; nothing else went wrong.
    assert not [e for e in errors if "409" not in e], errors


def test_the_console_shows_what_the_organiser_asked_before_a_move(
    browser: Browser, site: tuple[str, EventState]
) -> None:
    base, state = site
    assert state.event is not None
    errors: list[str] = []
    console = open_page(browser, f"{base}/moderate/{EVENT}?token={state.event.moderator_token}",
                        errors, width=1280, height=800)  # fmt: skip
    expect(console.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    console.locator('#grid td[data-meeting="m5"]').click()
    asked = console.locator(".sel-constraints")
    expect(asked).to_contain_text("Only in rounds 1–2", timeout=5_000)
    expect(asked).to_contain_text("After m4 (round 1)")
    expect(console.locator(".sel-title")).to_contain_text("REQ-5")
    console.locator('#grid td[data-meeting="m4"]').click()
    expect(asked).to_contain_text("Fixed by the organiser")
    console.screenshot(path=str(ARTIFACTS / "console-constraints.png"))
    # A meeting the organiser asked nothing of shows no such list.
    console.locator('#grid td[data-meeting="m1"]').click()
    expect(console.locator(".sel-title")).to_contain_text("m1")
    expect(asked).to_have_count(0)
    assert not errors, errors
