"""``create_app(settings)``: the FastAPI application with its routers, middleware and handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rejoinder import __version__, deliveries
from rejoinder.api import openapi, problems
from rejoinder.api.cors import EmbedCors
from rejoinder.api.v1 import router as api_router
from rejoinder.db.engine import Database
from rejoinder.fetching.runner import background_fetching
from rejoinder.middleware import BodyLimit
from rejoinder.moderation.limits import MemoryRateLimiter, RedisRateLimiter
from rejoinder.realtime.broker import make_broker
from rejoinder.realtime.publisher import EventPublisher
from rejoinder.settings import Settings
from rejoinder.web import router as web

# Comments are at most 100,000 characters; a request body never needs more than this.
MAX_BODY_BYTES = 1_000_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.broker.start()
        try:
            async with (
                background_fetching(app.state.db, settings),
                deliveries.running(app, settings),
            ):
                yield
        finally:
            await app.state.broker.stop()
            await app.state.db.dispose()
            if isinstance(app.state.limiter, RedisRateLimiter):
                await app.state.limiter.close()

    app = FastAPI(
        title="Rejoinder",
        version=__version__,
        summary="The comment section for every page on the web.",
        openapi_url="/api/openapi.json",
        # /api/docs is our own page (web/apidocs.py): Swagger UI would load a CDN's script.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings)
    # With Redis, limits hold across workers and servers; without it, per process.
    app.state.limiter = (
        RedisRateLimiter.from_url(settings.redis_url, settings.redis_prefix)
        if settings.redis_url
        else MemoryRateLimiter()
    )
    app.state.event_listeners = []
    app.state.broker = make_broker(settings)
    app.state.event_listeners.append(EventPublisher(app.state.db, app.state.broker))
    deliveries.install(app, settings)
    problems.install(app)
    openapi.install(app)
    app.include_router(api_router)
    web.install(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    # Outermost, so refusals (413) also carry CORS headers the embedding page can read.
    app.add_middleware(EmbedCors, origins=settings.embed_origins)
    return app
