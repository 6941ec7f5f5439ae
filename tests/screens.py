"""What the browser tests share: Debian's Chromium, pages that record console errors and
the hosts they talk to, moderator commands over HTTP, and async set-up from sync tests.

The `browser` fixture itself is in tests/conftest.py (one Chromium per test module).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Browser, ConsoleMessage, Page

from server.core.state import EventState

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # git-ignored
AXE = (
    Path(__file__).resolve().parent.parent / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
)
# axe-core's rules for WCAG 2.1 levels A and AA (contrast, names and labels, lang, ...).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T = TypeVar("T")


def in_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to the end. Playwright's sync API keeps an event loop running in the
    test's thread, so the coroutine gets a thread (and a loop) of its own."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def open_page(browser: Browser, url: str, errors: list[str], *, width: int = 1280,
              height: int = 800, hosts: set[str] | None = None) -> Page:  # fmt: skip
    """A new page at `url`; console errors go to `errors`, the hosts it requests to
    `hosts` (if given)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    requested = set() if hosts is None else hosts

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{url}: {message.text}")

    page.on("console", on_console)
    page.on("request", lambda r: requested.add(re.sub(r"^\w+://([^/]+).*", r"\1", r.url)))
    page.goto(url)
    return page


def command(base: str, state: EventState, name: str, **args: Any) -> dict[str, Any]:
    """A moderator command over HTTP; it must succeed."""
    assert state.event is not None
    response = httpx.post(
        f"{base}/api/events/{state.event.id}/commands",
        json={"name": name, "args": args},
        headers={"authorization": f"Bearer {state.event.moderator_token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 AA violations on `page` as it is now (axe from frontend's
    node_modules: `npm ci` in frontend/ installs it)."""
    assert AXE.is_file(), "install the frontend's packages first: cd frontend && npm ci"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}}
    result: dict[str, Any] = page.evaluate("(o) => axe.run(document, o)", options)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def assert_accessible(page: Page, name: str) -> None:
    """No WCAG 2.1 AA violation on `page`; else each one with its impact, where and why."""
    violations = axe_violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
        + (f" — {node['failureSummary']}" if node.get("failureSummary") else "")
        for v in violations
        for node in v["nodes"][:5]
    ]
    assert not violations, f"{name}: {len(violations)} axe violations\n" + "\n".join(lines)
