"""Links that work on phones: the CLI warns when its links point at a loopback address,
and `demo` prints its links as QR codes that encode exactly those links."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import redis
import segno

from server.edge import cli_serve
from server.edge.cli import main
from server.edge.cli_links import is_loopback
from server.edge.embedded import EmbeddedRedis
from server.edge.settings import Settings
from tests.servers import free_port
from tests.test_pages import app_with, built, config_of

DATA = Path(__file__).parent / "data"
WARNING = "phones and other devices cannot reach it"


@pytest.fixture
def cli_env(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    redis.Redis.from_url(redis_server.url).flushall()
    monkeypatch.setenv("MATCHBOARD_REDIS_URL", redis_server.url)
    monkeypatch.delenv("MATCHBOARD_PUBLIC_URL", raising=False)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.1.2.3", True),
        ("http://localhost:8000/", True),
        ("http://LOCALHOST.", True),
        ("http://[::1]:8000", True),
        ("http://app.localhost", True),
        ("http://192.168.1.20:8000", False),
        ("https://matchboard.example.org", False),
        ("http://0.0.0.0:8000", False),  # a listening address, not where phones go: no claim
        ("http://[2001:db8::1]:8000", False),
    ],
)
def test_loopback_addresses(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


@pytest.mark.usefixtures("cli_env")
def test_badges_and_tokens_warn_about_loopback_links(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["create", "cmc", "--name", "Cluster Matchmaking"]) == 0
    assert WARNING in capsys.readouterr().err  # create prints links too
    assert main(["import", "cmc", str(DATA / "participants.csv")]) == 0
    capsys.readouterr()
    for argv in (["export", "cmc", "--what", "badges"], ["tokens", "cmc"]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert "http://127.0.0.1:8000" in out
        assert err.count(WARNING) == 1, argv
        assert "MATCHBOARD_PUBLIC_URL=" in err  # says what to set
        assert WARNING not in out  # stdout stays the CSV or the links alone

    monkeypatch.setenv("MATCHBOARD_PUBLIC_URL", "http://192.168.1.20:8000")
    for argv in (["export", "cmc", "--what", "badges"], ["tokens", "cmc"]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert "http://192.168.1.20:8000/" in out and "127.0.0.1" not in out
        assert WARNING not in err, argv
    assert main(["export", "cmc", "--what", "schedule"]) == 0  # no links: no warning
    assert WARNING not in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_serve_warns_before_serving(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(cli_serve, "_run_server", lambda settings, sock: served.append(settings))
    assert main(["serve", "--port", str(free_port())]) == 0
    assert len(served) == 1
    assert WARNING in capsys.readouterr().err
    monkeypatch.setenv("MATCHBOARD_PUBLIC_URL", "https://matchboard.example.org")
    assert main(["serve", "--port", str(free_port())]) == 0
    assert WARNING not in capsys.readouterr().err


def decode_terminal_qr(block: str) -> list[list[bool]]:
    """segno's compact terminal drawing back into modules (True: dark). Light modules are
    drawn, dark ones left blank: '█' both halves light, '▀' the upper, '▄' the lower."""
    rows: list[list[bool]] = []
    for line in block.splitlines():
        rows.append([c not in "█▀" for c in line])
        rows.append([c not in "█▄" for c in line])
    return rows


def qr_codes(out: str) -> dict[str, tuple[str, list[list[bool]]]]:
    """Each printed QR code under its label: (the link printed, the decoded modules)."""
    found = {}
    pattern = re.compile(r"^  (.+?): (https?://\S+)\n((?:[█▀▄ ]+\n)+)", re.M)
    for label, url, block in pattern.findall(out):
        found[label] = (url, decode_terminal_qr(block))
    return found


def modules_of(url: str, border: int = 2) -> list[list[bool]]:
    qr = segno.make(url, error="m")
    size = len(qr.matrix) + 2 * border
    grid = [[False] * size for _ in range(size)]
    for y, row in enumerate(qr.matrix):
        for x, value in enumerate(row):
            grid[y + border][x + border] = bool(value)
    return grid


@pytest.mark.usefixtures("cli_env")
def test_the_demo_prints_its_links_as_qr_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_serve, "_run_server", lambda settings, sock: None)
    monkeypatch.setenv("MATCHBOARD_PUBLIC_URL", "http://10.1.2.3:8000")
    assert main(["demo", "--port", str(free_port()), "--participants", "12", "--event", "qr"]) == 0
    out, err = capsys.readouterr()
    assert WARNING not in err
    codes = qr_codes(out)
    assert set(codes) >= {"Hall screen", "Moderator console"}
    phones = [label for label in codes if label.startswith("Phone of ")]
    assert len(phones) == 1
    assert codes["Hall screen"][0].startswith("http://10.1.2.3:8000/hall/qr?key=")
    assert codes["Moderator console"][0].startswith("http://10.1.2.3:8000/moderate/qr?token=")
    assert codes[phones[0]][0].startswith("http://10.1.2.3:8000/p/qr.")
    for url, modules in codes.values():
        expected = modules_of(url)
        assert modules[: len(expected)] == expected, url  # the drawing encodes the link


def test_the_decoder_tells_codes_apart() -> None:
    buffer = io.StringIO()
    segno.make("http://10.1.2.3/p/a", error="m").terminal(out=buffer, compact=True, border=2)
    decoded = decode_terminal_qr(buffer.getvalue())
    assert decoded[: len(modules_of("http://10.1.2.3/p/a"))] == modules_of("http://10.1.2.3/p/a")
    assert decoded[: len(modules_of("http://10.1.2.3/p/b"))] != modules_of("http://10.1.2.3/p/b")


def test_the_hall_screen_s_qr_code_gets_the_public_address(tmp_path: Path) -> None:
    """The hall screen draws its QR code itself (frontend/src/hall.ts); the server tells it
    MATCHBOARD_PUBLIC_URL, so that a hall screen opened on 127.0.0.1 still sends phones
    to an address they reach."""
    client = app_with(built(tmp_path))
    assert "publicUrl" not in config_of(client.get("/hall/ev?key=k").text)  # no settings
    client.app.state.settings = Settings(public_url="http://10.1.2.3:8000/")  # type: ignore[attr-defined]
    hall = config_of(client.get("/hall/ev?key=k").text)
    assert hall["publicUrl"] == "http://10.1.2.3:8000"
    assert "publicUrl" not in config_of(client.get("/p/ev.t").text)  # the hall's alone
    client.app.state.settings = Settings()  # type: ignore[attr-defined]
    assert "publicUrl" not in config_of(client.get("/hall/ev?key=k").text)
