"""Readable HTML error pages for every path outside ``/api/``.

``api/problems.py`` decides the status, title and detail of an error once; this module only
renders them for people: the same facts, plus what to do next (sign in, wait N seconds, try
another address).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rejoinder.accounts.service import AccountService
from rejoinder.web.csrf import SESSION_COOKIE
from rejoinder.web.templating import SECURITY_HEADERS, render

log = logging.getLogger("rejoinder")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def wants_html(request: Request) -> bool:
    """Everything but the JSON API (and its docs) gets HTML error pages."""
    return not request.url.path.startswith("/api/")


async def remember_viewer(request: Request) -> None:
    """Put the signed-in reader on ``request.state`` for an error page's header.

    Routes do this through ``web.deps``; errors raised before a route ran (unknown paths,
    bad path parameters) would otherwise show "Log in" to a signed-in reader. One indexed
    read in its own short transaction; any failure leaves the header anonymous rather than
    turning the error into a 500.
    """
    if hasattr(request.state, "viewer"):
        return
    request.state.viewer = None
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 256:
        return
    # Deferred import: web.deps imports the API dependencies, which import this module's users.
    from rejoinder.web.deps import SignedIn

    app = request.app
    try:
        async with app.state.db.read_session() as session:
            account = await AccountService(
                session, app.state.settings, app.state.limiter
            ).authenticate(secret)
            if account is not None:
                request.state.viewer = SignedIn(account.id, account.username, account.role.value)
    except Exception:
        log.warning("could not look up the reader for an error page", exc_info=True)


def with_viewer(handler: Handler) -> Handler:
    """An exception handler that looks up the reader first when it will render HTML."""

    async def handle(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            await remember_viewer(request)
        return await handler(request, exc)

    return handle


def html_error(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    context = {
        "status": status,
        "code": code,
        "error_title": title,
        "detail": detail,
        "retry_after": extra.get("retry_after"),
        "request_id": extra.get("request_id"),
        "field_errors": extra.get("errors") or [],
        "retry_url": request.query_params.get("url", "")[:8192] if code == "invalid-url" else "",
    }
    try:
        return render(request, "error.html", context, status_code=status, headers=headers)
    except Exception:
        # An error page must not fail; the plain version needs no template and no database.
        log.exception("could not render the error page for a %s", status)
        return HTMLResponse(
            f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>",
            status_code=status,
            headers={**SECURITY_HEADERS, **(headers or {})},
        )
