"""Screenshots of the three screens on the sample conference, for the README.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts `matchboard demo` on a free port with its own data folder, opens the hall screen
(1920x1080), a phone (390x844) and the moderator console (1440x900) in Debian's Chromium,
waits until each is live, and saves PNGs. Everything it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers
from tests.screens import CHROMIUM, CHROMIUM_ARGS
from tests.servers import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "demo.log"
        with log.open("wb") as sink:
            demo = subprocess.Popen(
                [sys.executable, "-m", "server.edge.cli", "demo", "--data-dir", f"{tmp}/data",
                 "--port", str(port), "--start-in-minutes", "2"],
                stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the demo did not start:\n{log.read_text()}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            text = log.read_text()
            links = {
                "hall": re.search(r"Hall screen:\s+(\S+)", text),
                "moderator": re.search(r"Moderator:\s+(\S+)", text),
                "phone": re.search(r"Phone of [^:]+:\s*(\S+)", text),
            }
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                sizes = {"hall": (1920, 1080), "phone": (390, 844), "moderator": (1440, 900)}
                for name, match in links.items():
                    assert match, f"no {name} link in:\n{text}"
                    width, height = sizes[name]
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(match.group(1))
                    expect(page.locator("#conn")).to_have_text(re.compile("live", re.I))
                    page.wait_for_timeout(1500)  # let the lists and QR code render
                    page.screenshot(path=str(out / f"{name}.png"))
                    print(f"wrote {out / f'{name}.png'}")
                browser.close()
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=20)


if __name__ == "__main__":
    main()
