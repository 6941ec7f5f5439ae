"""The screens' pages: built HTML served with its config, safely escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.core.errors import MatchboardError
from server.edge.pages import PLACEHOLDER, page_routes
from server.edge.routes import on_matchboard_error


def app_with(dist: Path) -> TestClient:
    app = Starlette(
        routes=page_routes(dist), exception_handlers={MatchboardError: on_matchboard_error}
    )
    return TestClient(app)


def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    for page in ("hall", "phone", "moderate"):
        (dist / f"{page}.html").write_text(
            f"<html><head>{PLACEHOLDER}</head><body>{page}</body></html>"
        )
    (dist / "assets" / "app.js").write_text("console.log('hi')")
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    return dist


def config_of(html: str) -> dict[str, str]:
    match = re.search(r'<script id="mb-config" type="application/json">(.*?)</script>', html)
    assert match, html
    config: dict[str, str] = json.loads(match.group(1))
    return config


def test_each_page_gets_its_config(tmp_path: Path) -> None:
    client = app_with(built(tmp_path))
    hall = client.get("/hall/icmc-2026?key=abc")
    assert hall.status_code == 200
    assert config_of(hall.text) == {
        "event": "icmc-2026",
        "token": "abc",
        "wsUrl": "/ws",
        "role": "hall",
    }
    phone = config_of(client.get("/p/icmc-2026.s3cr3t").text)
    assert (phone["event"], phone["token"], phone["role"]) == (
        "icmc-2026",
        "icmc-2026.s3cr3t",
        "participant",
    )
    mod = config_of(client.get("/moderate/icmc-2026?token=m0d").text)
    assert (mod["role"], mod["token"]) == ("moderator", "m0d")
    assert client.get("/static/assets/app.js").text == "console.log('hi')"
    assert client.get("/p/icmc-2026.x").headers["cache-control"] == "no-store"
    worker = client.get("/p/sw.js")  # under /p/ so that it may control the phone pages
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "addEventListener" in worker.text


def test_config_cannot_break_out_of_its_script(tmp_path: Path) -> None:
    client = app_with(built(tmp_path))
    html = client.get("/hall/icmc-2026", params={"key": "</script><script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in html
    assert config_of(html)["token"] == "</script><script>alert(1)</script>"


def test_bad_ids_and_missing_build_get_the_error_shape(tmp_path: Path) -> None:
    client = app_with(built(tmp_path))
    bad = client.get("/hall/Not An Id")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "bad_request"
    missing = app_with(tmp_path / "nothing").get("/hall/icmc-2026")
    assert missing.status_code == 503
    assert "scripts/setup" in missing.json()["error"]["message"]


def test_each_page_answers_without_its_secret(tmp_path: Path) -> None:
    """The addresses the pages move to on first load (they keep the token on the device)."""
    client = app_with(built(tmp_path))
    for path, role in (("/p/icmc-2026", "participant"), ("/hall/icmc-2026?sound=1", "hall"),
                       ("/moderate/icmc-2026", "moderator")):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert config_of(page.text) == {"event": "icmc-2026", "token": "", "wsUrl": "/ws",
                                        "role": role}  # fmt: skip
