"""The embed widget's doors: ``/embed.js`` for host pages, the iframe page, and its sign-in.

A site owner adds ``<script src="https://INSTANCE/embed.js" data-rejoinder async></script>``.
That script (``static/embed.js``) puts an iframe of ``/embed/thread?url=…&origin=…`` where it
stands; the iframe page (``static/embed-frame.js``) reads and writes the JSON API of this
instance, same-origin. The iframe page may be framed by exactly the origins of
``REJOINDER_EMBED_ORIGINS`` (``frame-ancestors``); every other page keeps ``'none'``.

Signing in from inside a cross-site iframe cannot rely on our session cookie: it is
``SameSite=Lax``, so browsers never send it to a frame under another site, and the Storage
Access API only unlocks ``SameSite=None`` cookies. So the iframe opens ``/login`` in a popup
(a first-party window, where the cookie works); after signing in, ``/embed/done`` asks
``POST /embed/session`` for a session token of its own and posts it to its opener — the
iframe — with ``postMessage`` addressed to this instance's origin only. The iframe keeps
the token in its own (partitioned) ``localStorage`` and sends it as a bearer token.
docs/embed.md has the whole design.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from rejoinder.accounts.models import TokenKind
from rejoinder.api.deps import Accounts, AppSettings, Limiter
from rejoinder.embed.options import EmbedOptions, frame_ancestors, normalize_origin
from rejoinder.errors import Unauthenticated
from rejoinder.moderation.limits import Rate, enforce
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.templating import CONTENT_SECURITY_POLICY, STATIC_DIR, render

router = APIRouter()

HOST_SCRIPT = STATIC_DIR / "embed.js"
# The host script's address never changes (site owners paste it once), so it cannot carry
# a content hash: an hour's caching, revalidated by ETag, keeps updates reaching readers.
HOST_SCRIPT_MAX_AGE = 3600
# Each popup sign-in mints a session token; a reader never needs many per hour.
TOKEN_RATE = Rate(30, 3600)
DONE_PATH = "/embed/done"

OPTION_LABELS = {
    "url": "data-url (the page's address)",
    "origin": "the embedding page's origin",
    "theme": "data-theme (auto, light or dark)",
    "accent": "data-accent",
    "background": "data-background",
    "text": "data-text",
    "font": "data-font",
}


def embed_csp(origins: list[str]) -> str:
    """The web app's policy, except that the listed origins may frame the page."""
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", frame_ancestors(origins))


@cache
def _host_script() -> tuple[bytes, str]:
    body = HOST_SCRIPT.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@router.get("/embed.js")
async def host_script(request: Request) -> Response:
    """The script site owners add to their pages."""
    body, etag = _host_script()
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={HOST_SCRIPT_MAX_AGE}",
        "X-Content-Type-Options": "nosniff",
        # Host pages isolated with Cross-Origin-Embedder-Policy may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def _option_errors(error: ValidationError) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        label = OPTION_LABELS.get(field, field)
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not an option of the widget"
        problems.append({"field": label, "message": message})
    return problems


@router.get("/embed/thread")
async def embed_thread(request: Request, settings: AppSettings) -> Response:
    """The widget's iframe: the discussion of one page, for a host page of an allowed origin."""
    headers = {"Content-Security-Policy": embed_csp(settings.embed_origins)}
    query: dict[str, Any] = dict(request.query_params)
    errors: list[dict[str, str]] = []
    options: EmbedOptions | None = None
    if len(request.query_params.multi_items()) != len(query):
        errors.append({"field": "the address", "message": "repeats an option"})
    else:
        try:
            options = EmbedOptions.model_validate(query)
        except ValidationError as exc:
            errors = _option_errors(exc)
    if options is not None and not _is_allowed(options.origin, settings.embed_origins):
        errors.append(
            {
                "field": OPTION_LABELS["origin"],
                "message": f"{options.origin[:100]!r} is not allowed to embed this instance's "
                "discussions; its operator lists the sites that are in REJOINDER_EMBED_ORIGINS",
            }
        )
    if errors or options is None:
        return render(
            request, "embed_error.html", {"errors": errors}, status_code=400, headers=headers
        )
    context: dict[str, Any] = {
        "options": options,
        # As browsers write it: the iframe compares it with MessageEvent.origin.
        "host_origin": normalize_origin(options.origin),
        "css_properties": options.css_properties(),
        "allow_guests": settings.allow_guests,
        "max_length": settings.max_comment_length,
        "public_url": settings.public_url,
    }
    return render(request, "embed_thread.html", context, headers=headers)


def _is_allowed(origin: str, allowed: list[str]) -> bool:
    try:
        return normalize_origin(origin) in allowed
    except ValueError:
        return False


@router.get(DONE_PATH)
async def embed_done(request: Request, viewer: WebViewer) -> Response:
    """The end of the popup sign-in: hands a token to the widget that opened the popup."""
    if viewer is None:
        return to_login(request)
    return render(request, "embed_done.html", {})


@router.post("/embed/session", dependencies=[CsrfChecked])
async def embed_session(accounts: Accounts, viewer: WebViewer, limiter: Limiter) -> Response:
    """A session token for the widget, minted for the signed-in reader of this popup."""
    if viewer is None:
        raise Unauthenticated("Sign in first.")
    await enforce(limiter, TOKEN_RATE, f"embed-token:{viewer.id}")
    token = await accounts.issue_token(viewer, TokenKind.SESSION, "embed widget")
    return JSONResponse(
        {"token": token, "username": viewer.username},
        headers={"Cache-Control": "no-store"},
    )
