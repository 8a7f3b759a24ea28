"""CSRF tokens for every HTML form: an HMAC of a secret the browser holds in an HttpOnly cookie.

A signed-in browser's token is ``HMAC(secret_key, "session:" + session cookie)``; an anonymous
browser (login and register forms) gets a random pre-session cookie ``rejoinder_csrf`` and
``HMAC(secret_key, "anon:" + that cookie)``. A forged cross-site form cannot know either
cookie, so it cannot compute the token. When a session cookie is present only the session
token is accepted: a pre-session cookie planted by a sibling subdomain must not unlock a
signed-in account. Signing in changes the session cookie, so older pages' tokens stop working.

Usage in a route::

    await csrf.verify(request)          # reads the ``csrf_token`` form field; 403 on mismatch
    return render(request, "x.html", {...})   # templates get ``csrf_token`` automatically
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from rejoinder.errors import Forbidden
from rejoinder.settings import Settings

SESSION_COOKIE = "rejoinder_session"
PRESESSION_COOKIE = "rejoinder_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
# Matches the session lifetime; the cookie carries no authority on its own.
PRESESSION_MAX_AGE = 30 * 24 * 3600
# Session secrets are ~46 characters; anything far longer is not ours and not worth hashing.
_MAX_COOKIE = 256


def _sign(settings: Settings, purpose: str, value: str) -> str:
    key = settings.effective_secret_key.encode()
    message = f"{purpose}:{value}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _presession_value(request: Request) -> str:
    """The browser's pre-session secret, minted once per request when it has none."""
    value = request.cookies.get(PRESESSION_COOKIE, "")
    if value and len(value) <= _MAX_COOKIE:
        return value
    minted: str | None = getattr(request.state, "csrf_minted", None)
    if minted is None:
        minted = secrets.token_urlsafe(32)
        request.state.csrf_minted = minted
    return minted


def token_for(request: Request) -> str:
    """The token to put in this browser's forms (and its ``X-CSRF-Token`` fetch header)."""
    settings: Settings = request.app.state.settings
    session = request.cookies.get(SESSION_COOKIE, "")
    if session and len(session) <= _MAX_COOKIE:
        return _sign(settings, "session", session)
    return _sign(settings, "anon", _presession_value(request))


def is_valid(request: Request, token: str | None) -> bool:
    if not token or len(token) > _MAX_COOKIE:
        return False
    settings: Settings = request.app.state.settings
    session = request.cookies.get(SESSION_COOKIE, "")
    if session:
        expected = _sign(settings, "session", session[:_MAX_COOKIE])
    else:
        presession = request.cookies.get(PRESESSION_COOKIE, "")
        if not presession:
            return False
        expected = _sign(settings, "anon", presession[:_MAX_COOKIE])
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "surrogatepass"))


async def verify(request: Request) -> None:
    """Check the ``csrf_token`` form field (or ``X-CSRF-Token`` header); ``Forbidden`` if wrong."""
    token = request.headers.get(HEADER)
    if token is None:
        form = await request.form()
        field = form.get(FIELD)
        token = field if isinstance(field, str) else None
    if not is_valid(request, token):
        raise Forbidden(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and try again."
        )


def set_presession_cookie(request: Request, response: Response) -> None:
    """Send the pre-session cookie minted while rendering this response, if any."""
    minted: str | None = getattr(request.state, "csrf_minted", None)
    if minted is None:
        return
    settings: Settings = request.app.state.settings
    response.set_cookie(
        PRESESSION_COOKIE,
        minted,
        max_age=PRESESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
