"""Printed PDFs from the CLI (`matchboard print`) and the HTTP API
(`GET /api/events/{id}/print/{what}.pdf`), against a real Redis."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pypdf import PdfReader
from starlette.testclient import TestClient

from server.core.model import Event
from server.edge.app import create_app
from server.edge.cli import main
from server.edge.embedded import EmbeddedRedis
from server.edge.settings import Settings
from tests.factory import NAMES
from tests.test_http import assert_error, auth, seed

PUBLIC = "https://match.example.org"


def text_of(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def api(redis_server: EmbeddedRedis) -> Iterator[tuple[TestClient, Event]]:
    redis.Redis.from_url(redis_server.url).flushall()
    event = seed(redis_server.url)
    app = create_app(Settings(redis_url=redis_server.url, public_url=PUBLIC))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, event


def test_http_serves_each_document_as_a_pdf(api: tuple[TestClient, Event]) -> None:
    client, event = api
    for what in ("agenda", "tables", "badges", "rounds"):
        res = client.get(f"/api/events/ev1/print/{what}.pdf", headers=auth(event))
        assert res.status_code == 200, res.text
        assert res.headers["content-type"] == "application/pdf"
        assert res.headers["content-disposition"] == f'inline; filename="ev1-{what}.pdf"'
        pages = text_of(res.content)
        assert pages and "Test Matchmaking" in pages[0]
    agendas = text_of(client.get("/api/events/ev1/print/agenda.pdf", headers=auth(event)).content)
    assert len(agendas) == 8
    assert all(name in " ".join(agendas) for name, _ in NAMES)
    # The stamp is the version in Redis, with the time of its last change.
    version = client.get("/api/events/ev1", headers=auth(event)).json()["version"]
    assert f"Latest version: v{version}, " in agendas[0]


def test_http_selection_paper_round_and_token_in_the_query(api: tuple[TestClient, Event]) -> None:
    client, event = api
    url = "/api/events/ev1/print/agenda.pdf"
    res = client.get(f"{url}?participant=EXT-2,p5&paper=letter&token={event.moderator_token}")
    assert res.status_code == 200, res.text
    reader = PdfReader(io.BytesIO(res.content))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612.0)
    pages = text_of(res.content)
    assert len(pages) == 2
    assert "Ayşe Yılmaz" in pages[0] and "Kateřina Dvořáková" in pages[1]
    one = client.get(f"{url}?participant=EXT-3", headers=auth(event))
    assert one.headers["content-disposition"] == 'inline; filename="ev1-agenda-EXT-3.pdf"'
    rounds = client.get("/api/events/ev1/print/rounds.pdf?round=2", headers=auth(event))
    (sheet,) = text_of(rounds.content)
    assert "Round 2 · " in sheet


def test_http_errors_name_the_valid_values(api: tuple[TestClient, Event]) -> None:
    client, event = api
    base = "/api/events/ev1/print"
    err = assert_error(client.get(f"{base}/posters.pdf", headers=auth(event)), 400, "bad_request")
    assert "agenda, tables, badges, rounds" in err["message"]
    err = assert_error(client.get(f"{base}/agenda.pdf?paper=a3", headers=auth(event)), 400,
                       "bad_request")  # fmt: skip
    assert "a4 or letter" in err["message"]
    err = assert_error(client.get(f"{base}/agenda.pdf?participant=EXT-404", headers=auth(event)),
                       400, "bad_request")  # fmt: skip
    assert "'EXT-404'" in err["message"]
    err = assert_error(client.get(f"{base}/rounds.pdf?round=x", headers=auth(event)), 400,
                       "bad_request")  # fmt: skip
    assert "'x'" in err["message"]
    assert_error(client.get(f"{base}/agenda.pdf"), 401, "unauthorized")


@pytest.fixture
def cli_env(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    redis.Redis.from_url(redis_server.url).flushall()
    seed(redis_server.url)
    monkeypatch.setenv("MATCHBOARD_REDIS_URL", redis_server.url)
    monkeypatch.setenv("MATCHBOARD_PUBLIC_URL", PUBLIC)


@pytest.mark.usefixtures("cli_env")
def test_cli_writes_the_pdf(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "agendas.pdf"
    argv = ["print", "ev1", "--what", "agenda", "--participant", "EXT-0", "--participant", "p3"]
    assert main([*argv, "--paper", "letter", "-o", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().err
    pages = text_of(target.read_bytes())
    assert len(pages) == 2 and "Anna Berg" in pages[0] and "Jānis Bērziņš" in pages[1]
    signs = tmp_path / "signs.pdf"
    assert main(["print", "ev1", "--what", "tables", "-o", str(signs)]) == 0
    assert len(text_of(signs.read_bytes())) == 3


@pytest.mark.usefixtures("cli_env")
def test_cli_names_an_unknown_id_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.pdf"
    argv = ["print", "ev1", "--what", "badges", "--participant", "EXT-1,nobody-here"]
    assert main([*argv, "-o", str(target)]) == 2
    assert "'nobody-here'" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.usefixtures("cli_env")
def test_cli_warns_when_the_qr_codes_point_at_this_machine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCHBOARD_PUBLIC_URL")
    assert main(["print", "ev1", "--what", "badges", "-o", str(tmp_path / "b.pdf")]) == 0
    assert "phones and other devices cannot reach" in capsys.readouterr().err
    monkeypatch.setenv("MATCHBOARD_PUBLIC_URL", PUBLIC)
    assert main(["print", "ev1", "--what", "badges", "-o", str(tmp_path / "b.pdf")]) == 0
    assert "cannot reach" not in capsys.readouterr().err
