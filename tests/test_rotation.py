"""`rotate_token`: a participant's link, the hall key and the moderator token replaced for
good — as a pure decision, over HTTP, over the WebSocket (connections with the old token
closed 4005, everyone else served on), and never shown anywhere but to the moderator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from server.client.client import ClientError
from server.core import audit
from server.core.access import authenticate
from server.core.command_args import Args
from server.core.commands import COMMANDS
from server.core.errors import InvalidArgument, MatchboardError, Unauthorized, UnknownParticipant
from server.core.fresh import with_tokens
from server.core.model import Event
from server.core.state import ChangeRecord, EventState, state_from_records
from server.core.views import Audience
from server.edge.embedded import EmbeddedRedis
from server.edge.hub import Connection
from server.edge.wsconn import FrameWriter
from server.edge.wsdriver import SessionDriver
from server.wire.protocol import CloseCode, Encoding, Role
from server.wire.session import Run, Session
from tests.factory import minted, small_event_records
from tests.servers import free_port, server_process
from tests.test_http import api, assert_error, auth, seed  # noqa: F401 (api: a fixture)
from tests.test_sockets import EVENT, Live, live, next_of, send_command  # noqa: F401 (live)

MOD = Audience(Role.MODERATOR)


def tokened_state() -> EventState:
    records = with_tokens("test-event", None, small_event_records(), minted())
    return state_from_records(records, epoch="e", version=1)


def rotate(state: EventState, **args: Any) -> tuple[EventState, dict[str, Any]]:
    """Rotate, apply, and the result's data as the moderator gets it."""
    spec = COMMANDS["rotate_token"]
    change = spec.decide(state, Args(args, minted()), MOD, 0)
    state.apply(change)
    assert spec.answer is not None
    return state, spec.answer(state, Args(args, minted()), MOD, 0)


# -- The decision --------------------------------------------------------------------------


def test_a_participants_new_link_replaces_the_old_one_in_the_index() -> None:
    state = tokened_state()
    old = state.participants["p0"]
    state, data = rotate(state, participant="p0")
    new = state.participants["p0"]
    assert new.token != old.token and new.token.startswith("test-event.")
    assert new.check_in_code == old.check_in_code  # the badge stays valid unless asked
    assert data == {"target": "participant", "participant": "p0", "token": new.token,
                    "link": f"/p/{new.token}"}  # fmt: skip
    assert state.by_token.get(new.token) == "p0"
    assert old.token not in state.by_token
    with pytest.raises(Unauthorized):
        authenticate(state, old.token)
    assert authenticate(state, new.token) == Audience(Role.PARTICIPANT, "p0")


def test_a_lost_badge_gets_a_new_check_in_code_on_request() -> None:
    state = tokened_state()
    old = state.participants["p1"]
    state, data = rotate(state, participant="p1", check_in_code=True)
    new = state.participants["p1"]
    assert new.check_in_code != old.check_in_code
    assert data["check_in_code"] == new.check_in_code


def test_hall_key_and_moderator_token() -> None:
    state = tokened_state()
    assert state.event is not None
    old = state.event
    state, hall = rotate(state, hall=True)
    assert state.event is not None
    assert state.event.screen_key != old.screen_key
    assert state.event.moderator_token == old.moderator_token
    assert hall == {"target": "hall", "token": state.event.screen_key,
                    "link": f"/hall/test-event?key={state.event.screen_key}"}  # fmt: skip
    state, mod = rotate(state, moderator=True)
    assert state.event is not None
    assert state.event.moderator_token not in (old.moderator_token, old.screen_key)
    assert mod["token"] == state.event.moderator_token
    assert mod["link"] == f"/moderate/test-event?token={mod['token']}"
    with pytest.raises(Unauthorized):
        authenticate(state, old.moderator_token)
    with pytest.raises(Unauthorized):
        authenticate(state, old.screen_key)
    assert authenticate(state, mod["token"]) == MOD
    assert authenticate(state, hall["token"]) == Audience(Role.HALL)


@pytest.mark.parametrize(
    ("args", "error", "arg"),
    [
        ({}, InvalidArgument, "participant"),
        ({"participant": "p0", "hall": True}, InvalidArgument, "hall"),
        ({"hall": True, "moderator": True}, InvalidArgument, "moderator"),
        ({"hall": False}, InvalidArgument, "hall"),
        ({"moderator": "yes"}, InvalidArgument, "moderator"),
        ({"participant": 7}, InvalidArgument, "participant"),
        ({"participant": "p0", "check_in_code": "yes"}, InvalidArgument, "check_in_code"),
        ({"hall": True, "check_in_code": True}, InvalidArgument, "check_in_code"),
        ({"participant": "p99"}, UnknownParticipant, None),
    ],
)
def test_bad_arguments_name_the_argument(
    args: dict[str, Any], error: type[MatchboardError], arg: str | None
) -> None:
    state = tokened_state()
    before = state.participants["p0"]
    with pytest.raises(error) as caught:
        COMMANDS["rotate_token"].decide(state, Args(args, minted()), MOD, 0)
    if arg is not None:
        assert caught.value.details["arg"] == arg
        assert f"args.{arg}" in caught.value.message
    else:
        assert caught.value.details == {"participant": "p99"}
    assert state.participants["p0"] == before


def test_undo_never_brings_an_old_token_back() -> None:
    state = tokened_state()
    change = COMMANDS["rotate_token"].decide(state, Args({"participant": "p0"}, minted()), MOD, 0)
    record = ChangeRecord(2, 0, "moderator", "rotate_token", change, state.before(change),
                          {"participant": "p0"})  # fmt: skip
    state.apply(change)
    with pytest.raises(audit.UndoRefused, match="never restored"):
        audit.undo_change(state, record)


# -- Over HTTP -----------------------------------------------------------------------------


def post(client: TestClient, token: str, name: str, **args: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    body = {"name": name, "args": args}
    response: httpx.Response = client.post("/api/events/ev1/commands", json=body, headers=headers)
    return response


def test_rotating_over_http(api: tuple[TestClient, Event]) -> None:  # noqa: F811
    client, event = api
    state = client.get("/api/events/ev1", headers=auth(event)).json()
    old_phone = next(p["token"] for p in state["participants"] if p["id"] == "p0")
    assert post(client, old_phone, "check_in").status_code == 200

    rotated = post(client, event.moderator_token, "rotate_token", participant="p0").json()
    new_phone = rotated["data"]["token"]
    assert rotated["data"]["link"] == f"/p/{new_phone}"
    assert rotated["version"] is not None
    assert_error(post(client, old_phone, "undo_check_in"), 401, "unauthorized")
    assert post(client, new_phone, "undo_check_in").status_code == 200

    hall = post(client, event.moderator_token, "rotate_token", hall=True).json()["data"]
    assert hall["token"] != event.screen_key
    # The moderator who rotates the moderator token gets the new one in the answer.
    mod = post(client, event.moderator_token, "rotate_token", moderator=True).json()["data"]
    assert_error(post(client, event.moderator_token, "stats"), 401, "unauthorized")
    assert post(client, mod["token"], "stats").status_code == 200

    refused = post(client, mod["token"], "undo")
    assert_error(refused, 409, "undo_refused")
    assert "rotate_token" in refused.json()["error"]["message"]
    bad = post(client, mod["token"], "rotate_token", participant="p0", hall=True)
    assert_error(bad, 422, "invalid_argument")
    assert_error(post(client, mod["token"], "rotate_token", participant="nobody"), 404,
                 "unknown_participant")  # fmt: skip


def test_no_new_secret_shows_outside_the_answer_and_the_badges(
    api: tuple[TestClient, Event],  # noqa: F811
) -> None:
    client, event = api
    badge = {"participant": "p0", "check_in_code": True}
    data = [
        post(client, event.moderator_token, "rotate_token", **badge).json()["data"],
        post(client, event.moderator_token, "rotate_token", hall=True).json()["data"],
    ]
    moderator = post(client, event.moderator_token, "rotate_token", moderator=True).json()["data"]
    secrets = {d["token"] for d in data} | {data[0]["check_in_code"]}
    secrets |= {event.moderator_token, event.screen_key}  # the old ones, too
    headers = {"authorization": f"Bearer {moderator['token']}"}
    shown = {
        what: client.get(f"/api/events/ev1/export/{what}", headers=headers).text
        for what in ("schedule.csv", "participants.csv", "event.json", "audit.csv")
    }
    shown["audit"] = client.get("/api/events/ev1/audit", headers=headers).text
    assert shown["audit"].count('"rotate_token"') == 3
    for what, text in shown.items():
        leaked = sorted(s for s in secrets | {moderator["token"]} if s in text)
        assert not leaked, f"{what} holds {len(leaked)} secrets"
    badges = client.get("/api/events/ev1/export/badges.csv", headers=headers).text
    assert data[0]["token"] in badges and data[0]["check_in_code"] in badges


def test_the_server_log_holds_no_new_secret(redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server.url).flushall()
    event = seed(redis_server.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server_process(redis_server.url, tmp_path, port=port, MATCHBOARD_LOG_LEVEL="info"):
        headers = {"authorization": f"Bearer {event.moderator_token}"}

        def rotate_http(**args: Any) -> dict[str, Any]:
            body = {"name": "rotate_token", "args": args}
            answer = httpx.post(f"{base}/api/events/ev1/commands", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            data: dict[str, Any] = answer.json()["data"]
            return data

        rotated = [rotate_http(participant="p0"), rotate_http(hall=True)]
        rotated.append(rotate_http(moderator=True))
        for data in rotated:  # each new link opens its page, and is logged
            assert httpx.get(base + data["link"]).status_code == 200
    (log,) = tmp_path.glob(f"server-{port}-*.log")
    text = log.read_text()
    assert '"POST /api/events/ev1/commands' in text and '"GET /p/… HTTP/1.1" 200' in text
    assert not [d["token"] for d in rotated if d["token"] in text]


# -- Over the WebSocket --------------------------------------------------------------------


async def test_a_rotated_link_closes_that_phone_and_no_one_else(live: Live) -> None:  # noqa: F811
    old_token = live.token("p0")  # (live.state is a replica: it moves on with the event)
    moderated: list[dict[str, Any]] = []
    moderator = live.client(live.event.moderator_token, on_message=moderated.append)
    seen: list[dict[str, Any]] = []
    phone = live.client(old_token, on_message=seen.append)
    partner = live.client(live.token("p1"), Encoding.JSON)
    hall = live.client(live.event.screen_key)
    for c in (moderator, phone, partner, hall):
        await c.connect()
    result = await send_command(moderator, "r1", "rotate_token",
                                args={"participant": "p0", "check_in_code": True})  # fmt: skip
    new = result["data"]
    assert new["token"] != old_token
    with pytest.raises(ClientError) as caught:
        await next_of(phone, "never")
    assert caught.value.close_code == CloseCode.REVOKED
    # Closed before the change reached anyone: the old link saw nothing of it.
    assert [m["type"] for m in seen] == ["welcome", "snapshot"]
    assert new["check_in_code"] not in orjson.dumps(seen).decode()
    for bystander in (partner, hall):
        assert (await next_of(bystander, "update"))["version"] == result["committed"]
    version = await live.announce(1)
    for bystander in (partner, hall):
        assert (await next_of(bystander, "update"))["version"] == version
    # The rotation's own update reaches the moderator before or after the command's answer
    # (send_command reads up to the answer), so it may come first here; then the new one.
    got = await next_of(moderator, "update")
    if got["version"] == result["committed"]:
        got = await next_of(moderator, "update")
    assert got["version"] == version
    (update,) = [
        m for m in moderated if m["type"] == "update" and m["version"] == result["committed"]
    ]
    assert update["meta"] == {"actor": "moderator", "command": "rotate_token"}

    again = live.client(old_token)
    with pytest.raises(ClientError) as refused:
        await again.connect()
    assert (refused.value.code, refused.value.close_code) == ("unauthorized", 4001)
    renewed = live.client(new["token"])
    await renewed.connect()
    assert renewed.state.records["me"]["me"]["id"] == "p0"
    for c in (moderator, partner, hall, renewed):
        await c.close()


async def test_the_moderator_who_rotates_their_own_token_gets_it_before_the_close(
    live: Live,  # noqa: F811
) -> None:
    old_token = live.event.moderator_token  # (live.state moves on with the event)
    frames: list[dict[str, Any]] = []
    mine = live.client(old_token, Encoding.JSON)
    other = live.client(old_token, on_message=frames.append)
    hall = live.client(live.event.screen_key)
    for c in (mine, other, hall):
        await c.connect()
    result = await send_command(mine, "r", "rotate_token", args={"moderator": True})
    assert result["type"] == "result", result
    new_token = result["data"]["token"]
    for moderator in (mine, other):
        with pytest.raises(ClientError) as caught:
            await next_of(moderator, "never")
        assert caught.value.close_code == CloseCode.REVOKED
    # The other console (the old token may be the leaked one) never saw the new token.
    assert new_token not in orjson.dumps(frames).decode()
    assert (await next_of(hall, "update"))["version"] == result["committed"]
    renewed = live.client(new_token)
    assert (await renewed.connect())["role"] == "moderator"
    version = await live.announce(2)
    for c in (renewed, hall):
        assert (await next_of(c, "update"))["version"] == version
    with pytest.raises(ClientError) as refused:
        await live.client(old_token).connect()
    assert refused.value.close_code == CloseCode.UNAUTHORIZED
    await asyncio.gather(renewed.close(), hall.close())


class Recorder(FrameWriter):
    """A frame writer that keeps what a connection was sent and how it was closed."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: int | None = None

    def send(
        self, payload: bytes, prebuilt_frame: bytes | None = None, *, snapshot: bool = False
    ) -> bool:
        self.sent.append(orjson.loads(payload))
        return self.closed_with is None

    def close(self, code: int, reason: str) -> None:
        self.closed_with = code

    @property
    def closed(self) -> bool:
        return self.closed_with is not None


async def test_a_revoked_connection_runs_no_more_commands_and_closes_after_its_answers() -> None:
    writer = Recorder()
    conn = Connection(MOD, Encoding.JSON, writer)
    conn.commands_in_flight = 1  # e.g. the rotation itself, not answered yet
    conn.revoke()
    assert writer.closed_with is None  # its answer still has to go out
    # Stand-ins, not a Feed and a Hub: there is no service (and no Redis) at all, so a
    # command that ran would fail rather than answer; hence the ignores.
    feed, hub = SimpleNamespace(event_id=EVENT, epoch="e"), SimpleNamespace(service=None)
    driver = SessionDriver(Session(Encoding.JSON), hub, writer)  # type: ignore[arg-type]
    driver.conn, driver.feed = conn, feed  # type: ignore[assignment]
    await driver.run(Run({"type": "command", "id": "later", "name": "stats"}))
    assert [(m["id"], m["code"]) for m in writer.sent] == [("later", "unauthorized")]
    assert writer.closed_with is None
    conn.command_done()  # the first command answered
    assert writer.closed_with == CloseCode.REVOKED
