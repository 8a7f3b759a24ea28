"""The HTML front door: every page's router, and ``install()`` which adds them to the app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from rejoinder.web import (
    accounts,
    admin_import,
    admin_webhooks,
    apidocs,
    article,
    comments,
    discussions,
    embed,
    feeds,
    front,
    help_page,
    mod_admin,
    moderation,
    notifications,
    reader_tools,
    resets,
)
from rejoinder.web.static_files import CachedStaticFiles
from rejoinder.web.templating import STATIC_DIR

router = APIRouter(include_in_schema=False)
router.include_router(discussions.router)
router.include_router(article.router)
router.include_router(comments.router)
router.include_router(accounts.router)
router.include_router(front.router)
router.include_router(moderation.router)
router.include_router(mod_admin.router)
router.include_router(reader_tools.router)
router.include_router(apidocs.router)
router.include_router(embed.router)
router.include_router(help_page.router)
router.include_router(feeds.router)
router.include_router(notifications.router)
router.include_router(resets.router)
router.include_router(admin_webhooks.router)
router.include_router(admin_import.router)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
