"""The HTML front door: every page's router, and ``install()`` which adds them to the app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from rejoinder.web import accounts, comments, discussions, front
from rejoinder.web.static_files import CachedStaticFiles
from rejoinder.web.templating import STATIC_DIR

router = APIRouter(include_in_schema=False)
router.include_router(discussions.router)
router.include_router(comments.router)
router.include_router(accounts.router)
router.include_router(front.router)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
