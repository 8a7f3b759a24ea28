"""Readable HTML error pages for every path outside ``/api/``.

``api/problems.py`` decides the status, title and detail of an error once; this module only
renders them for people: the same facts, plus what to do next (sign in, wait N seconds, try
another address).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rejoinder.web.templating import SECURITY_HEADERS, render

log = logging.getLogger("rejoinder")


def wants_html(request: Request) -> bool:
    """Everything but the JSON API (and its docs) gets HTML error pages."""
    return not request.url.path.startswith("/api/")


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
