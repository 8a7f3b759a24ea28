"""The JSON API, version 1: one router per domain under ``/api/v1``."""

from fastapi import APIRouter

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

router = APIRouter(prefix="/api/v1")
router.include_router(pages.router)
router.include_router(snapshots.router)
router.include_router(comments.router)
router.include_router(preview.router)
router.include_router(accounts.router)
router.include_router(stream.router)
router.include_router(tokens.router)
router.include_router(moderation.router)
router.include_router(identity.router)
router.include_router(reader_tools.router)
router.include_router(submissions.router)
router.include_router(search.router)
router.include_router(imports.router)
router.include_router(import_uploads.router)
router.include_router(notifications.router)
router.include_router(password_resets.router)
router.include_router(webhooks.router)
