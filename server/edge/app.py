"""create_app(settings): the only module that wires the pieces together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import WebSocketRoute

from server.core.errors import MatchboardError
from server.edge import log_secrets, logs, metrics, routes
from server.edge.embedded import redis_url_for
from server.edge.hub import Hub
from server.edge.pages import page_routes
from server.edge.service import Service
from server.edge.settings import Settings
from server.edge.sockets import ASGI_MAX_FRAME_BYTES, ws_endpoint
from server.edge.store import store_for
from server.edge.tasks import STOP_TIMEOUT_S
from server.edge.timekeeper import Timekeeper
from server.edge.wsserver import LeanWebSocket
from server.wire.protocol import MAX_CLIENT_MESSAGE_BYTES

# Connections the kernel queues before the server accepts them (phones reconnecting at
# once after a Wi-Fi outage).
LISTEN_BACKLOG: Final = 4096


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn must run the app: our WebSocket protocol class and its limits."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # The lean protocol (compressing per connection when deflate is on), or uvicorn's
        # stock sans-I/O implementation under the ASGI route (server/edge/sockets.py).
        "ws": LeanWebSocket if settings.ws_lean else "websockets-sansio",
        "ws_per_message_deflate": settings.ws_compression,
        # Through ASGI, uvicorn's stock protocol closes outright on a frame over its limit
        # (the client may see 1006): it reads more, and the Session refuses what is over
        # MAX_CLIENT_MESSAGE_BYTES with a proper 1009.
        "ws_max_size": MAX_CLIENT_MESSAGE_BYTES if settings.ws_lean else ASGI_MAX_FRAME_BYTES,
        "ws_ping_interval": settings.ws_ping_interval_s,
        "ws_ping_timeout": settings.ws_ping_timeout_s,
        "backlog": LISTEN_BACKLOG,
    } | _log_config(settings)


def _log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging: its own for text, JSON lines for MATCHBOARD_LOG_FORMAT=json."""
    config = logs.uvicorn_log_config(settings.log_format, settings.log_level)
    return {} if config is None else {"log_config": config}


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        log_secrets.install()  # uvicorn has configured its loggers by now
        with redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url:
            store = store_for(settings, url)
            client = store.redis
            service = Service(store)
            hub = Hub(service, idle_s=settings.feed_idle_s)
            hub.start_heartbeat(settings.ws_ping_interval_s)
            metrics.watch(hub)  # its connections, counted at each scrape of /metrics
            timekeeper = Timekeeper(service)
            timekeeper.start()
            app.state.service = service
            app.state.hub = hub
            try:
                # The lifespan state reaches uvicorn's protocol objects (wsserver.py).
                yield {"hub": hub, "settings": settings}
            finally:
                await timekeeper.stop()
                await app.state.hub.stop()
                with contextlib.suppress(TimeoutError):  # bounded, like the tasks' stop
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await client.aclose()

    app = Starlette(
        routes=[*routes.routes, WebSocketRoute("/ws", ws_endpoint), *page_routes()],
        lifespan=lifespan,
        middleware=[Middleware(logs.RequestIds)],  # an id on every log line of a request
        exception_handlers={
            MatchboardError: routes.on_matchboard_error,
            HTTPException: routes.on_http_error,
            Exception: routes.on_unexpected_error,
        },
    )
    app.state.settings = settings
    return app
