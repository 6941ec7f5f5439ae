"""create_app(settings): the only module that wires the pieces together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from server import routes
from server.embedded import redis_url_for
from server.errors import MatchboardError
from server.service import Service
from server.settings import Settings
from server.store import Store


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url:
            client = aioredis.from_url(url)
            app.state.service = Service(Store(client))
            try:
                yield
            finally:
                await client.aclose()

    app = Starlette(
        routes=routes.routes,
        lifespan=lifespan,
        exception_handlers={
            MatchboardError: routes.on_matchboard_error,
            HTTPException: routes.on_http_error,
            Exception: routes.on_unexpected_error,
        },
    )
    app.state.settings = settings
    return app
