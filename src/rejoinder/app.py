"""``create_app(settings)``: the FastAPI application with its routers, middleware and handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rejoinder import __version__
from rejoinder.api import openapi, problems
from rejoinder.api.v1 import router as api_router
from rejoinder.db.engine import Database
from rejoinder.middleware import BodyLimit
from rejoinder.moderation.limits import MemoryRateLimiter
from rejoinder.settings import Settings

# Comments are at most 100,000 characters; a request body never needs more than this.
MAX_BODY_BYTES = 1_000_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.db.dispose()

    app = FastAPI(
        title="Rejoinder",
        version=__version__,
        summary="The comment section for every page on the web.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings)
    app.state.limiter = MemoryRateLimiter()
    app.state.event_listeners = []
    problems.install(app)
    openapi.install(app)
    app.include_router(api_router)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    return app
