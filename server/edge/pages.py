"""The three screens: built pages from frontend/dist with their config filled in.

The built HTML carries a placeholder `<script id="mb-config" type="application/json">{}`
that is replaced with the page's config (event, token, WebSocket URL, role). The token
is the one from the page's own URL; the WebSocket checks it, not this module. Each page
also answers without its secret (`/p/<event>`, `/hall/<event>`, `/moderate/<event>`,
token ""): the address a page moves to on first load, keeping the token on the device
(frontend/src/lib/linkToken.ts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.core import agenda_ics
from server.core.errors import BadRequest, NotFound, Unavailable
from server.core.fresh import event_of_token
from server.edge.store import check_event_id

PLACEHOLDER: Final = '<script id="mb-config" type="application/json">{}</script>'
DEFAULT_DIST: Final = Path(__file__).resolve().parents[2] / "frontend" / "dist"


def render(dist: Path, page: str, config: dict[str, Any]) -> HTMLResponse:
    path = dist / f"{page}.html"
    if not path.is_file():
        raise Unavailable(f"the screens are not built: run scripts/setup (missing {path})")
    # Inside a script element "</script" ends it and "<!--" changes how it is parsed:
    # no "<" may appear literally. JSON spells it \u003c.
    payload = orjson.dumps(config).decode().replace("<", "\\u003c")
    html = path.read_text(encoding="utf-8").replace(
        PLACEHOLDER, f'<script id="mb-config" type="application/json">{payload}</script>'
    )
    return HTMLResponse(
        html, headers={"cache-control": "no-store", "referrer-policy": "no-referrer"}
    )


def page_routes(dist: Path = DEFAULT_DIST) -> list[BaseRoute]:
    def config(event_id: str, token: str, role: str) -> dict[str, Any]:
        return {"event": event_id, "token": token, "wsUrl": "/ws", "role": role}

    async def hall(request: Request) -> Response:
        event_id = check_event_id(request.path_params["event_id"])
        key = request.query_params.get("key", "")
        hall_config = config(event_id, key, "hall")
        # The hall's QR code leads phones to MATCHBOARD_PUBLIC_URL when it is set, not to
        # the address the hall screen itself opened (often 127.0.0.1 on the server).
        settings = getattr(request.app.state, "settings", None)
        if settings is not None and settings.public_url:
            hall_config["publicUrl"] = settings.public_url.rstrip("/")
        return render(dist, "hall", hall_config)

    async def phone(request: Request) -> Response:
        # /p/<event>.<secret> is a personal link; /p/<event> the same page without it,
        # where the page uses the token it kept when the link was first opened.
        link = request.path_params["token"]
        event_id = check_event_id(event_of_token(link))
        token = link if link != event_id else ""
        return render(dist, "phone", config(event_id, token, "participant"))

    async def agenda(request: Request) -> Response:
        # The phone link's calendar: a subscribable feed of the participant's meetings.
        link = request.path_params["token"]
        try:
            event_id = check_event_id(event_of_token(link))
        except BadRequest as exc:  # not even an event's link: unknown, like any other
            raise NotFound("there is no such personal link") from exc
        service = request.app.state.service
        state = await service.state(event_id)  # 404 for an unknown event
        participant_id = state.by_token.get(link) if link != event_id else None
        if participant_id is None:
            raise NotFound("there is no such personal link")
        body = agenda_ics.agenda(state, participant_id, service.clock())
        return Response(
            body,
            media_type=agenda_ics.MEDIA_TYPE,
            headers={
                "cache-control": "no-cache",
                "referrer-policy": "no-referrer",
                "content-disposition": 'inline; filename="agenda.ics"',
            },
        )

    async def moderate(request: Request) -> Response:
        event_id = check_event_id(request.path_params["event_id"])
        token = request.query_params.get("token", "")
        return render(dist, "moderate", config(event_id, token, "moderator"))

    async def service_worker(_request: Request) -> Response:
        # Served under /p/ so that it may control the phone pages (scope /p/).
        path = dist / "sw.js"
        if not path.is_file():
            raise Unavailable("the screens are not built: run scripts/setup")
        return Response(
            path.read_bytes(),
            media_type="text/javascript",
            headers={"cache-control": "no-cache"},
        )

    routes: list[BaseRoute] = [
        Route("/hall/{event_id}", hall),
        Route("/p/sw.js", service_worker),
        Route("/p/{token}", phone),
        Route("/p/{token}/agenda.ics", agenda),
        Route("/moderate/{event_id}", moderate),
    ]
    if dist.is_dir():
        routes.append(Mount("/static", StaticFiles(directory=dist), name="static"))
    return routes
