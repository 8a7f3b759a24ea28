"""Every error the API answers with, as an RFC 9457 ``application/problem+json`` document."""

from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from rejoinder.api.responses import dumps
from rejoinder.errors import (
    DatabaseUnavailable,
    RedisUnavailable,
    RejoinderError,
    Unavailable,
    problem,
)
from rejoinder.web.errors import html_error, wants_html, with_viewer

log = logging.getLogger("rejoinder")

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Sign in required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def problem_response(
    request: Request, status: int, code: str, title: str, detail: str, **extra: Any
) -> Response:
    headers = extra.pop("headers", None) or {}
    if wants_html(request):
        return html_error(request, status, code, title, detail, headers, **extra)
    body = problem(status, code, title, detail, instance=request.url.path, **extra)
    return Response(dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        errors.append(
            {
                "field": ".".join(location) or "body",
                "reason": error.get("type", "invalid"),
                "message": str(error.get("msg", "Invalid value.")),
            }
        )
    return errors


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    if any(error["reason"] == "json_invalid" for error in errors):
        return "The request body is not valid JSON."
    first = errors[0] if errors else None
    if first is None:
        return "The request is not valid."
    suffix = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['field']}: {first['message']}{suffix}"


async def rejoinder_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RejoinderError)
    return problem_response(
        request, exc.status, exc.code, exc.title, exc.detail, headers=exc.headers(), **exc.extra()
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    return problem_response(
        request, 422, "invalid-input", "Invalid input", _validation_detail(errors), errors=errors
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("error", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"Nothing at {request.url.path}."
    return problem_response(
        request, exc.status_code, code, title, detail, headers=dict(exc.headers or {})
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    request_id = request.headers.get("x-request-id") or secrets.token_hex(6)
    log.error(
        "unhandled error (request %s) on %s %s",
        request_id,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal error",
        f"Something went wrong on our side (request {request_id}).",
        request_id=request_id,
    )


# Exceptions that may mean a backing service is unreachable; ``_unreachable`` decides.
UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_errors.DBAPIError,
    sa_errors.TimeoutError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    ConnectionError,
    TimeoutError,
)
_DATABASE_DRIVERS = ("/asyncpg/", "/sqlalchemy/", "/aiosqlite/")


def _unreachable(exc: Exception) -> Unavailable | None:
    """The 503 for an exception that says PostgreSQL, SQLite or Redis is out of reach.

    None for everything else: an integrity or programming error is a bug, answered 500.
    """
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return RedisUnavailable("Redis cannot be reached right now; try again in a few seconds.")
    if isinstance(exc, sa_errors.DBAPIError):
        # OperationalError: refused, reset, "database is locked", a cancelled statement.
        # InterfaceError: the driver lost its connection. connection_invalidated: SQLAlchemy
        # saw a disconnect, whatever the class (asyncpg's are plain DBAPIError).
        unreachable = exc.connection_invalidated or isinstance(
            exc, sa_errors.OperationalError | sa_errors.InterfaceError
        )
    elif isinstance(exc, ConnectionError | TimeoutError):
        # asyncpg raises the OS's errors unwrapped while connecting (refused, reset during the
        # TLS probe, connect timeout); only those mean the database, not some other peer.
        unreachable = any(
            marker in frame.filename
            for frame in traceback.extract_tb(exc.__traceback__)
            for marker in _DATABASE_DRIVERS
        )
    else:
        unreachable = isinstance(exc, sa_errors.TimeoutError)  # no pooled connection came free
    if not unreachable:
        return None
    return DatabaseUnavailable("The database cannot be reached right now; try again shortly.")


async def unavailable_error(request: Request, exc: Exception) -> Response:
    error = _unreachable(exc)
    if error is None:
        return await with_viewer(unexpected_error)(request, exc)
    # One line, no traceback: an outage makes every request fail the same way.
    log.warning("%s on %s %s: %s", error.code, request.method, request.url.path, exc)
    # No reader lookup for the HTML page: it would wait on the database that just failed.
    request.state.viewer = None
    return await rejoinder_error(request, error)


def install(app: FastAPI) -> None:
    # HTML error pages show the signed-in reader in their header, like every other page.
    app.add_exception_handler(RejoinderError, with_viewer(rejoinder_error))
    app.add_exception_handler(RequestValidationError, with_viewer(validation_error))
    app.add_exception_handler(StarletteHTTPException, with_viewer(http_error))
    for error_class in UNREACHABLE_ERRORS:
        app.add_exception_handler(error_class, unavailable_error)
    app.add_exception_handler(Exception, with_viewer(unexpected_error))
