"""``/help``: writing comments, the bookmarklet, the browser extension and the embed widget."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from rejoinder.api.deps import AppSettings
from rejoinder.web.deps import WebViewer
from rejoinder.web.templating import render

router = APIRouter()


def bookmarklet(public_url: str) -> str:
    """A ``javascript:`` link that opens the current page's discussion in a new tab.

    It runs on the reader's page, not ours, so our CSP does not apply to it; it only reads
    ``location.href`` and opens this instance's ``/d?url=``.
    """
    target = json.dumps(public_url + "/d?url=")  # a JS string literal, whatever the URL holds
    return (
        f"javascript:void(window.open({target}+encodeURIComponent(location.href),"
        "'_blank','noopener'))"
    )


@router.get("/help")
async def help_page(request: Request, settings: AppSettings, _viewer: WebViewer) -> Response:
    """How to write comments and the three ways to reach a discussion from any page."""
    context = {
        "bookmarklet": bookmarklet(settings.public_url),
        "public_url": settings.public_url,
        "allow_guests": settings.allow_guests,
    }
    return render(request, "help.html", context)
