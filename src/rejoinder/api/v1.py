"""The JSON API, version 1: one router per domain under ``/api/v1``.

Each domain router is included in the app itself, with the prefix, rather than in one
``/api/v1`` router included in turn: FastAPI matches a request against every level of nested
routers twice (once to find the route, once to hand it over), and checks each level's route
tables for changes each time, about 0.1 ms of every API request (issue 8).
"""

from fastapi import APIRouter, FastAPI

from rejoinder.api import (
    accounts,
    comments,
    identity,
    import_uploads,
    imports,
    moderation,
    notifications,
    pages,
    password_resets,
    preview,
    reader_tools,
    search,
    snapshots,
    stream,
    submissions,
    tokens,
    webhooks,
)

PREFIX = "/api/v1"

# In this order: the first route that matches a request answers it.
ROUTERS: tuple[APIRouter, ...] = (
    pages.router,
    snapshots.router,
    comments.router,
    preview.router,
    accounts.router,
    stream.router,
    tokens.router,
    moderation.router,
    identity.router,
    reader_tools.router,
    submissions.router,
    search.router,
    imports.router,
    import_uploads.router,
    notifications.router,
    password_resets.router,
    webhooks.router,
)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
