"""``create_app(settings)``: the FastAPI application with its routers, middleware and handlers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from rejoinder import __version__, deliveries
from rejoinder.api import openapi, problems, v1
from rejoinder.api.comments import ThreadReadFront
from rejoinder.api.cors import EmbedCors
from rejoinder.api.counts_front import CountsFront
from rejoinder.api.post_front import PostFront
from rejoinder.api.stream import StreamFront
from rejoinder.db.engine import Database
from rejoinder.fetching.runner import background_fetching
from rejoinder.middleware import BodyLimit
from rejoinder.moderation.limits import MemoryRateLimiter, RedisRateLimiter
from rejoinder.process_memory import freeze_startup_objects, limit_malloc_arenas
from rejoinder.readcache import cache as readcache
from rejoinder.readcache.front import ThreadCacheFront
from rejoinder.realtime.broker import make_broker
from rejoinder.realtime.publisher import EventPublisher
from rejoinder.settings import Settings
from rejoinder.web import router as web

# Comments are at most 100,000 characters; a request body never needs more than this.
MAX_BODY_BYTES = 1_000_000
# ... except an admin's import file, up to settings.import_upload_max_bytes.
IMPORT_UPLOAD_PATHS = ("/admin/import", "/api/v1/imports")


class Rejoinder(FastAPI):
    """The FastAPI app, with the thread cache's answers ahead of everything else."""

    front: ThreadCacheFront | None = None
    # Live streams skip the middleware stack too: it would stay in memory per open stream.
    streams: StreamFront | None = None
    # So do plain anonymous thread reads the cache missed: the stack costs as much as they do.
    thread_reads: ThreadReadFront | None = None
    # And plainly valid batch counts (issue 8), CORS headers and body limit included.
    counts: CountsFront | None = None
    # And plain comment posts, with the route's own code and error handlers (issue 8).
    posts: PostFront | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is not None and await self.front.answer(scope, send):
            return
        if self.streams is not None and await self.streams.answer(scope, receive, send):
            return
        if self.thread_reads is not None and await self.thread_reads.answer(scope, receive, send):
            return
        if self.counts is not None:
            # The front may have read the body: the app gets a receive that replays it.
            replay = await self.counts.answer(scope, receive, send)
            if replay is None:
                return
            receive = replay
        if self.posts is not None:
            replay = await self.posts.answer(scope, receive, send)
            if replay is None:
                return
            receive = replay
        await super().__call__(scope, receive, send)


def serve_app() -> FastAPI:
    """The app of a ``rejoinder serve`` worker: a process of its own, tuned as one."""
    limit_malloc_arenas()
    return create_app(freeze_after_start=True)


def create_app(settings: Settings | None = None, *, freeze_after_start: bool = False) -> FastAPI:
    """``freeze_after_start`` is for a process that serves one app for its whole life
    (``serve_app``): objects alive then are never collected, not even in a cycle."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.broker.start()
        checkpointer = app.state.db.checkpointer
        checkpoints = asyncio.create_task(checkpointer.run()) if checkpointer else None
        try:
            async with (
                background_fetching(app.state.db, settings),
                deliveries.running(app, settings),
                _read_cache_running(app.state.read_cache),
            ):
                if freeze_after_start:
                    freeze_startup_objects()
                yield
        finally:
            if checkpoints is not None:
                checkpoints.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checkpoints
            if isinstance(app, Rejoinder) and app.counts is not None:
                app.counts.close()
            await app.state.broker.stop()
            await app.state.db.dispose()
            if isinstance(app.state.limiter, RedisRateLimiter):
                await app.state.limiter.close()

    app = Rejoinder(
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
    # Checkpoints off the event loop, where comment posts commit (db/checkpoints.py).
    app.state.db = Database(settings, background_checkpoints=True)
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
    v1.install(app)
    web.install(app)
    app.state.read_cache = readcache.build(settings, app.state.db, app.state.broker)
    if app.state.read_cache is not None:
        app.front = ThreadCacheFront(app.state.read_cache)
    app.streams = StreamFront(app.state.db, app.state.broker, settings)
    app.thread_reads = ThreadReadFront(app.state)
    app.counts = CountsFront(app.state, max_body_bytes=MAX_BODY_BYTES)
    app.posts = PostFront(app, max_body_bytes=MAX_BODY_BYTES)
    app.add_middleware(
        BodyLimit,
        max_bytes=MAX_BODY_BYTES,
        path_limits=dict.fromkeys(IMPORT_UPLOAD_PATHS, settings.import_upload_max_bytes),
    )
    # Outermost, so refusals (413) also carry CORS headers the embedding page can read.
    app.add_middleware(EmbedCors, origins=settings.embed_origins)
    return app


def _read_cache_running(cache: readcache.ReadCache | None) -> AbstractAsyncContextManager[None]:
    return cache.running() if cache is not None else nullcontext()
