"""Errors that services raise, and their one rendering as RFC 9457 problem documents.

Services raise a ``RejoinderError`` subclass and never think about HTTP; the status and the
stable ``code`` slug live on the class. The API renders every error (ours, FastAPI's
validation errors, unexpected exceptions) as ``application/problem+json``::

    {"type": "https://rejoinder.invalid/problems/not-found", "title": "Not found",
     "status": 404, "detail": "No comment with id 42.", "code": "not-found"}

Codes are part of the API: the embed widget and the extension translate them.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_TYPE_BASE = "https://rejoinder.invalid/problems/"


class RejoinderError(Exception):
    """Base of every error a service raises on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)

    def extra(self) -> dict[str, Any]:
        """Members added to the problem document beyond the standard ones."""
        return {}

    def headers(self) -> dict[str, str]:
        return {}


class InvalidInput(RejoinderError):
    status = 422
    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.errors = errors or []

    def extra(self) -> dict[str, Any]:
        return {"errors": self.errors} if self.errors else {}


class InvalidUrl(InvalidInput):
    code = "invalid-url"
    title = "This address cannot be discussed"

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail, [{"field": "url", "reason": reason, "message": detail}])
        self.reason = reason


class Unauthenticated(RejoinderError):
    status = 401
    code = "unauthenticated"
    title = "Sign in required"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="rejoinder"'}


class InvalidCredentials(Unauthenticated):
    code = "invalid-credentials"
    title = "Wrong username or password"


class Forbidden(RejoinderError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class Banned(Forbidden):
    code = "banned"
    title = "This account is banned"


class NotFound(RejoinderError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(RejoinderError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(RejoinderError):
    status = 413
    code = "payload-too-large"
    title = "Too large"


class RateLimited(RejoinderError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: float, detail: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(detail or f"Slow down: try again in {self.retry_after} seconds.")

    def extra(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(RejoinderError):
    status = 503
    code = "unavailable"
    title = "Temporarily unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached (restarting, network cut, pool exhausted)."""

    code = "database-unavailable"
    title = "Database unavailable"


class RedisUnavailable(Unavailable):
    """Redis, which carries events and limits between workers, cannot be reached."""

    code = "redis-unavailable"
    title = "Redis unavailable"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The problem+json document; ``code`` repeats the type's slug for easy switching."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body
