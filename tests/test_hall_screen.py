"""The hall screen's "find your table" list, in a real browser against a real server.

250 people are seated in round 1, which is running; round 2 comes later. The list must
show round 1 (latecomers look for their table), keep paging while updates arrive every
second, show everyone within one cycle, be readable from the back of the hall, and patch
rows in place. Screenshots at 1080p and 4K go to artifacts/ (git-ignored).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, Page, expect

from server.core.model import Event, EventSettings, Meeting, MeetingStatus, Record, Round, Table
from server.core.state import EventState
from server.demo.sample import generate
from server.edge.embedded import EmbeddedRedis
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from tests.screens import ARTIFACTS, command, in_own_loop, open_page
from tests.servers import free_port, server_process

EVENT = "hall-screen"
PEOPLE = 250
SPARE_TABLES = 5  # free in round 1: a meeting can move there
LONG_NAME = "Maximiliane Alexandra Sophie von Hohenzollern-Sigmaringen-Wittelsbach"
SAMPLE_EVERY_S = 0.25
UPDATE_EVERY_S = 1.0


@dataclasses.dataclass(frozen=True)
class Hall:
    base: str
    state: EventState
    names: dict[str, str]  # participant id -> name
    table_1: dict[str, int]  # participant id -> table in round 1
    table_2: dict[str, int]  # ... in round 2
    meeting_1: dict[str, str]  # participant id -> meeting id in round 1

    def url(self, **query: str) -> str:
        assert self.state.event is not None
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"{self.base}/hall/{EVENT}?key={self.state.event.screen_key}{extra}"


def listed(name: str) -> str:
    """How the list prints a name: "Surname, Given names" (frontend/src/lib/directory.ts)."""
    *given, surname = name.split()
    return f"{surname}, {' '.join(given)}" if given else surname


def create_event(url: str) -> tuple[EventState, Hall]:
    """Round 1 started a minute ago and runs 20 minutes; round 2 starts in 25. Everyone sits
    in pairs in both rounds, at other tables in round 2; one name is absurdly long."""
    now = wall_clock_ms()
    sample = generate(event_id=EVENT, first_round_at_ms=now, participants=PEOPLE)
    # Everyone is here all day (the sample has some people on one day only).
    people = [dataclasses.replace(p, unavailable_rounds=frozenset()) for p in sample.participants]
    people[0] = dataclasses.replace(people[0], name=LONG_NAME)
    pairs = PEOPLE // 2
    tables = [Table(number=n, label=f"Table {n}") for n in range(1, pairs + SPARE_TABLES + 1)]
    rounds = [
        Round(index=1, day=1, starts_at_ms=now - 60_000, meeting_s=20 * 60, changeover_s=300),
        Round(index=2, day=1, starts_at_ms=now + 25 * 60_000, meeting_s=20 * 60, changeover_s=300),
    ]
    meetings: list[Meeting] = []
    table_1: dict[str, int] = {}
    table_2: dict[str, int] = {}
    meeting_1: dict[str, str] = {}
    for k in range(pairs):
        a, b = people[2 * k].id, people[2 * k + 1].id
        meetings.append(Meeting(id=f"r1-{k}", side_a=(a,), side_b=(b,), round=1, table=k + 1,
                                status=MeetingStatus.SCHEDULED))  # fmt: skip
        table_1[a] = table_1[b] = k + 1
        meeting_1[a] = meeting_1[b] = f"r1-{k}"
        c, d = people[2 * k + 1].id, people[(2 * k + 2) % PEOPLE].id
        other = (k + pairs // 2) % pairs + 1  # neither c's nor d's table in round 1
        meetings.append(Meeting(id=f"r2-{k}", side_a=(c,), side_b=(d,), round=2,
                                table=other, status=MeetingStatus.SCHEDULED))  # fmt: skip
        table_2[c] = table_2[d] = other
    event = dataclasses.replace(sample.event, settings=EventSettings(warning_s=60))
    assert isinstance(event, Event)

    async def run() -> EventState:
        client = aioredis.from_url(url)
        try:
            service = Service(Store(client))
            records: list[Record] = [*tables, *people, *rounds, *meetings]
            await service.create_event(event, records, actor="test")
            return await service.state(EVENT)
        finally:
            await client.aclose()

    # Playwright's sync API keeps an event loop running in this thread: use another one.
    state = in_own_loop(run())
    names = {p.id: p.name for p in people}
    return state, Hall("", state, names, table_1, table_2, meeting_1)


@pytest.fixture
def hall(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[Hall]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    _state, made = create_event(redis_server.url)
    port = free_port()
    with server_process(redis_server.url, tmp_path, port=port):
        yield dataclasses.replace(made, base=f"http://127.0.0.1:{port}")


def open_hall(browser: Browser, hall: Hall, errors: list[str], *, width: int = 1920,
              height: int = 1080, **query: str) -> Page:  # fmt: skip
    page = open_page(browser, hall.url(**query), errors, width=width, height=height)
    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I), timeout=10_000)
    expect(page.locator("#dir-list li").first).to_be_visible(timeout=5_000)
    return page


class Shown(TypedDict):
    """What SHOWN reads off the hall screen's directory."""

    page: str
    rows: list[list[str]]  # participant id, name, table, the "away" mark


SHOWN = """() => ({
    page: document.querySelector('#dir-page').textContent,
    rows: [...document.querySelectorAll('#dir-list li')].map(li =>
        [li.dataset.participant,
         li.querySelector('.dir-surname').textContent + li.querySelector('.dir-given').textContent,
         li.querySelector('.dir-table').textContent,
         li.querySelector('.dir-away').textContent]),
})"""


def test_the_list_shows_the_round_that_is_running(browser: Browser, hall: Hall) -> None:
    errors: list[str] = []
    page = open_hall(browser, hall, errors)
    expect(page.locator("body")).to_have_class(re.compile(r"\bphase-running\b"))
    expect(page.locator("#round-title")).to_have_text("Round 1")
    expect(page.locator("#dir-title")).to_have_text("Round 1 · find your table")
    shown: Shown = page.evaluate(SHOWN)
    assert shown["rows"]
    for pid, who, table, _away in shown["rows"]:
        assert who == listed(hall.names[pid])
        assert int(table) == hall.table_1[pid] != hall.table_2[pid], pid
    assert not errors, errors


def test_the_list_pages_through_everyone_while_updates_arrive(browser: Browser, hall: Hall) -> None:
    # Pages of 1.5 s keep the test short; an update every second would hold the list on
    # page 1 for good if updates restarted the page timer.
    errors: list[str] = []
    page = open_hall(browser, hall, errors, page_s="1.5")
    panel = page.locator("#directory")
    pages = int(panel.get_attribute("data-pages") or 0)
    page_ms = int(panel.get_attribute("data-page-ms") or 0)
    assert pages > 1 and page_ms == 1_500, (pages, page_ms)

    seen: dict[str, str] = {}
    indicators: set[str] = set()
    # One cycle, plus a page for starting in the middle of one, plus sampling slack.
    window_s = (pages + 1) * page_ms / 1000 + 1.0
    people = list(hall.names)
    start = time.monotonic()
    next_update = start
    updates = 0
    while time.monotonic() - start < window_s:
        if time.monotonic() >= next_update:
            command(hall.base, hall.state, "check_in", participant=people[updates])
            updates += 1
            next_update += UPDATE_EVERY_S
        shown = page.evaluate(SHOWN)
        indicators.add(shown["page"])
        for pid, who, _table, _away in shown["rows"]:
            seen[pid] = who
        page.wait_for_timeout(SAMPLE_EVERY_S * 1000)

    assert updates >= window_s - 1
    missing = sorted(set(hall.names) - set(seen))
    assert not missing, f"{len(missing)} of {PEOPLE} never shown, e.g. {missing[:5]}"
    assert all(who == listed(hall.names[pid]) for pid, who in seen.items())
    assert indicators == {f"{i} / {pages}" for i in range(1, pages + 1)}, indicators
    assert not errors, errors


def test_the_default_cadence_shows_everyone_within_a_minute(browser: Browser, hall: Hall) -> None:
    errors: list[str] = []
    page = open_hall(browser, hall, errors)
    for width, height in ((1920, 1080), (3840, 2160)):
        page.set_viewport_size({"width": width, "height": height})
        # The page size follows the screen; wait until it was measured at this size.
        page.wait_for_function(
            "() => document.querySelectorAll('#dir-list li').length"
            " === Number(document.querySelector('#directory').dataset.pageSize)",
            timeout=2_000,
        )
        panel = page.locator("#directory")
        size = int(panel.get_attribute("data-page-size") or 0)
        pages = int(panel.get_attribute("data-pages") or 0)
        cycle_ms = int(panel.get_attribute("data-cycle-ms") or 0)
        assert pages * size >= PEOPLE
        assert size >= 18, (width, size)  # room for a useful page
        assert cycle_ms <= 60_000, (width, pages, cycle_ms)
    assert not errors, errors


def _rgba(css: str) -> tuple[float, float, float, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", css)]
    return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0)


def _over(top: tuple[float, ...], bottom: tuple[float, ...]) -> tuple[float, float, float]:
    alpha = top[3]
    r, g, b = (top[i] * alpha + bottom[i] * (1 - alpha) for i in range(3))
    return (r, g, b)


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The geometry of the rows on screen, once the long name's row is among them.
GEOMETRY = """(id) => {
    const li = document.querySelector(`#dir-list li[data-participant="${id}"]`);
    if (li === null) return null;
    const box = (el) => el.getBoundingClientRect();
    const who = li.querySelector('.dir-who');
    const alpha = (el) => {
        let o = 1;
        for (let e = el; e !== null; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
        return o;
    };
    const withEl = li.querySelector('.dir-with');
    return {
        name_px: parseFloat(getComputedStyle(who).fontSize),
        table_px: parseFloat(getComputedStyle(li.querySelector('.dir-table')).fontSize),
        partner_color: getComputedStyle(withEl).color,
        partner_opacity: alpha(withEl),
        panel_bg: getComputedStyle(document.querySelector('#directory')).backgroundColor,
        body_bg: getComputedStyle(document.body).backgroundColor,
        long_truncated: who.scrollWidth > who.clientWidth,
        long_ellipsis: getComputedStyle(who).textOverflow,
        rows: [...document.querySelectorAll('#dir-list li')].map(li => ({
            li: box(li).toJSON(),
            who: box(li.querySelector('.dir-who')).toJSON(),
            table: box(li.querySelector('.dir-table')).toJSON(),
        })),
        list: box(document.querySelector('#dir-list')).toJSON(),
        countdown: box(document.querySelector('#countdown')).toJSON(),
        stage: box(document.querySelector('.stage')).toJSON(),
        directory: box(document.querySelector('#directory')).toJSON(),
        scroll: [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight],
    };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


def test_readable_from_the_back_of_the_hall(browser: Browser, hall: Hall) -> None:
    errors: list[str] = []
    page = open_hall(browser, hall, errors, page_s="1")
    long_id = next(pid for pid, name in hall.names.items() if name == LONG_NAME)
    ARTIFACTS.mkdir(exist_ok=True)
    for (width, height), name_px, table_px in (((1920, 1080), 40, 56), ((3840, 2160), 80, 112)):
        page.set_viewport_size({"width": width, "height": height})
        # Running: green (the background fades over 0.6 s after a phase change).
        page.wait_for_function("getComputedStyle(document.body).backgroundColor"
                               " === 'rgb(5, 102, 42)'", timeout=3_000)  # fmt: skip
        handle = page.wait_for_function(f"({GEOMETRY})({long_id!r})", timeout=30_000,
                                        polling=100)  # fmt: skip
        g: dict[str, Any] = handle.json_value()
        print(f"{width}x{height}: names {g['name_px']} px, tables {g['table_px']} px")
        assert g["name_px"] >= name_px and g["table_px"] >= table_px, g
        assert g["partner_opacity"] == 1, g
        partner = _rgba(g["partner_color"])
        assert partner[3] == 1, g
        background = _over(_rgba(g["panel_bg"]), _rgba(g["body_bg"]))
        assert _contrast(partner, background) >= 4.5, (partner, background)
        assert g["long_truncated"] and g["long_ellipsis"] == "ellipsis", g

        # Nothing overlaps, nothing leaves the list, the page does not scroll.
        rows = g["rows"]
        for i, row in enumerate(rows):
            assert row["who"]["right"] <= row["table"]["left"] + 0.5, row
            assert row["li"]["right"] <= g["list"]["right"] + 0.5, row
            assert row["li"]["bottom"] <= g["list"]["bottom"] + 0.5, row
            assert not any(_overlap(row["li"], other["li"]) for other in rows[i + 1 :]), row
        assert not _overlap(g["stage"], g["directory"])
        assert g["countdown"]["height"] >= 0.2 * height, g["countdown"]
        assert g["scroll"] == [width, height], g["scroll"]
        page.screenshot(path=str(ARTIFACTS / f"hall-{height}p.png"))
    assert not errors, errors


MUTATIONS = """() => {
    window.__mutations = [];
    window.__observer?.disconnect();
    window.__observer = new MutationObserver((records) => {
        for (const r of records) {
            const li = (r.target.nodeType === 1 ? r.target : r.target.parentElement).closest('li');
            window.__mutations.push(li === null ? '(list)' : li.dataset.participant);
        }
    });
    window.__observer.observe(document.querySelector('#dir-list'),
        {childList: true, subtree: true, characterData: true, attributes: true});
    document.querySelectorAll('#dir-list li').forEach(li => li.__tagged = true);
}"""


def test_updates_change_rows_in_place(browser: Browser, hall: Hall) -> None:
    errors: list[str] = []
    page = open_hall(browser, hall, errors)
    spare = PEOPLE // 2 + 1
    for _attempt in range(3):  # a page flip in the middle makes an attempt void
        # Right after a flip the page stays up for seconds: time enough for two updates.
        before = page.locator("#dir-page").inner_text()
        expect(page.locator("#dir-page")).not_to_have_text(before, timeout=15_000)
        indicator = page.locator("#dir-page").inner_text()
        page.evaluate(MUTATIONS)
        shown = page.evaluate(SHOWN)
        pid = shown["rows"][0][0]
        partner = next(
            p for p, m in hall.meeting_1.items() if m == hall.meeting_1[pid] and p != pid
        )
        on_page = {row[0] for row in shown["rows"]}
        # A check-in changes only that person's row ("not checked in" goes); then a move
        # changes two people's table.
        arrived = shown["rows"][1][0]
        command(hall.base, hall.state, "check_in", participant=arrived)
        command(hall.base, hall.state, "move_meeting", meeting=hall.meeting_1[pid], table=spare)
        row = page.locator(f'#dir-list li[data-participant="{pid}"] .dir-table')
        expect(row).to_have_text(str(spare), timeout=2_000)
        assert shown["rows"][1][3] == "○ "  # not checked in: the ring before the name ...
        away = page.locator(f'#dir-list li[data-participant="{arrived}"] .dir-away')
        expect(away).to_be_empty(timeout=2_000)  # ... goes when they check in
        after = page.evaluate(SHOWN)
        mutated: list[str] = page.evaluate("window.__mutations")
        if page.locator("#dir-page").inner_text() != indicator:
            spare += 1
            continue
        assert [r[0] for r in after["rows"]] == [r[0] for r in shown["rows"]]
        assert page.evaluate(
            "[...document.querySelectorAll('#dir-list li')].every(li => li.__tagged)"
        ), "rows were re-created"
        assert mutated and set(mutated) <= {pid, partner, arrived} & on_page, mutated
        break
    else:
        pytest.fail("the page flipped during every attempt")
    assert not errors, errors
