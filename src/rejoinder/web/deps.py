"""Dependencies of the HTML routes: the reader (kept on ``request.state`` for the layout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import RedirectResponse

from rejoinder.accounts.models import Account
from rejoinder.api.deps import DbSession, Viewer
from rejoinder.notifications.service import NotificationService
from rejoinder.web import csrf
from rejoinder.web.links import login_path


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What the layout shows of the reader. A copy, not the ORM row: an error page rendered
    after the request's transaction rolled back cannot read expired attributes."""

    id: int
    username: str
    # "user", "moderator" or "admin": the header links moderators to their pages.
    role: str = "user"
    # Unread notifications for the header's badge (capped at 100), counted for GET pages.
    unread: int = 0

    @property
    def is_staff(self) -> bool:
        return self.role in ("moderator", "admin")


async def get_web_viewer(request: Request, viewer: Viewer, session: DbSession) -> Account | None:
    """The signed-in reader or None; every template's header shows it."""
    # One indexed, capped count, only for pages that show the header (POSTs redirect).
    unread = (
        await NotificationService(session).unread_count(viewer.id)
        if viewer is not None and request.method == "GET"
        else 0
    )
    request.state.viewer = (
        SignedIn(viewer.id, viewer.username, viewer.role.value, unread) if viewer else None
    )
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
