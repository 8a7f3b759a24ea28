"""Dependencies of the HTML routes: the reader (kept on ``request.state`` for the layout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import RedirectResponse

from rejoinder.accounts.models import Account
from rejoinder.api.deps import Viewer
from rejoinder.web import csrf
from rejoinder.web.links import login_path


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What the layout shows of the reader. A copy, not the ORM row: an error page rendered
    after the request's transaction rolled back cannot read expired attributes."""

    id: int
    username: str


async def get_web_viewer(request: Request, viewer: Viewer) -> Account | None:
    """The signed-in reader or None; every template's header shows it."""
    request.state.viewer = SignedIn(viewer.id, viewer.username) if viewer else None
    return viewer


WebViewer = Annotated[Account | None, Depends(get_web_viewer)]


async def check_csrf(request: Request) -> None:
    await csrf.verify(request)


# Every POST route of the HTML door depends on this: a forged form is refused before any work.
CsrfChecked = Depends(check_csrf)


def to_login(request: Request) -> RedirectResponse:
    """Send an anonymous reader to the login page, and back here afterwards."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(login_path(target), status_code=303)
