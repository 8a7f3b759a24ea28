"""The Jinja2 environment of the HTML front door and ``render()``, the one way pages are made.

Autoescape is on for every template: user text (comment bodies' source, usernames, page
titles) is escaped wherever it appears. The only markup trusted as-is is a comment's
``body_html``, sanitized when it was written; templates mark it with ``|safe`` and nothing else.

``render()`` adds what every page needs (the reader, the CSRF token, static URLs) and the
security headers every HTML response carries. Routes that know the reader store it in
``request.state.viewer`` (``web.deps`` does); pages rendered without it (error pages raised
before routing) show the header as for an anonymous reader.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rejoinder import clock
from rejoinder.web import csrf

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@cache
def _static_version(name: str) -> str:
    # A content hash: a changed file gets a new URL, so it can be cached for a year.
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        raise ValueError(f"no static file {name!r}")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``."""
    return f"/static/{name}?v={_static_version(name)}"


def _ago(moment: datetime | None) -> str:
    """ "5 minutes ago": short relative times; the exact time goes in ``<time title>``."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((clock.now() - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (
        ("year", 31_536_000),
        ("month", 2_592_000),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
    ):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def _build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.filters["ago"] = _ago
    env.filters["iso"] = _iso
    env.filters["plural"] = _plural
    return env


environment = _build_environment()


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template into an HTML response with the security headers set.

    Every template sees ``request``, ``viewer`` (the signed-in account or None),
    ``csrf_token`` (put it in a hidden ``csrf_token`` field of every form) and
    ``static_url()``, besides ``context``.
    """
    full: dict[str, Any] = {
        "request": request,
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": csrf.token_for(request),
        "csrf_field": csrf.FIELD,
        "current_path": request.url.path,
    }
    full.update(context or {})
    html = environment.get_template(template_name).render(full)
    response = HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS})
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-store")
    csrf.set_presession_cookie(request, response)
    return response


def csrf_input(token: str) -> Markup:
    """The hidden form field, for templates that build forms in macros."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, token)


environment.globals["csrf_input"] = csrf_input
