"""The JSON API, version 1: one router per domain under ``/api/v1``."""

from fastapi import APIRouter

from rejoinder.api import accounts, comments, pages, tokens

router = APIRouter(prefix="/api/v1")
router.include_router(pages.router)
router.include_router(comments.router)
router.include_router(accounts.router)
router.include_router(tokens.router)
