"""Bans, roles and discussion controls in the browser: ``/mod/bans``, ``/admin/roles``, and the
lock/close and pin forms on discussion pages.

Moderators and admins only (``/admin/roles``: admins only); everyone else gets 404. The
services (``BanService``, ``roles.set_role``, ``ControlService``) check the role again and
write the audit entries; these routes only parse forms and choose what to show next.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BeforeValidator, Field, StringConstraints
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts.models import Account, Role
from rejoinder.accounts.schemas import Username
from rejoinder.api.deps import DbSession
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound
from rejoinder.moderation import roles
from rejoinder.moderation.bans import BanService
from rejoinder.moderation.controls import ControlService
from rejoinder.moderation.schemas import BanDays, Reason
from rejoinder.web.deps import CsrfChecked, WebViewer
from rejoinder.web.forms import Checkbox, NextPath, WebForm, parse_form
from rejoinder.web.links import page_path, safe_next
from rejoinder.web.moderation import require_staff
from rejoinder.web.templating import render

router = APIRouter()

BANS_PAGE = 50
PageId = Annotated[int, Path(gt=0, le=2**62)]
CommentId = Annotated[int, Path(gt=0, le=2**62)]
UsernamePath = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
ROLE_LABELS = {Role.USER: "Reader", Role.MODERATOR: "Moderator", Role.ADMIN: "Admin"}
# What a refused action tells the moderator, on the page they were on.
REFUSED = (InvalidInput, NotFound, Conflict, Forbidden)


class BanForm(WebForm):
    username: Username
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    # An empty field means a permanent ban.
    days: Annotated[BanDays | None, BeforeValidator(lambda v: None if v == "" else v)] = None


class LiftForm(WebForm):
    reason: Reason = ""


class RoleForm(WebForm):
    username: Username
    role: Role


class ControlsForm(WebForm):
    locked: Checkbox
    closed: Checkbox
    reason: Reason = ""
    back: NextPath = ""


class PinForm(WebForm):
    pinned: Annotated[int, Field(ge=0, le=1)]
    back: NextPath = ""


def require_admin(viewer: Account | None, path: str) -> Account:
    if viewer is None or viewer.role is not Role.ADMIN:
        raise NotFound(f"Nothing at {path}.")
    return viewer


async def _bans_page(
    request: Request,
    session: DbSession,
    staff: Account,
    before: int | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    rows = await BanService(session).list_active(staff, before, BANS_PAGE)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("done", None)
    context.update(
        bans=rows,
        before=before,
        next_before=rows[-1][0].id if len(rows) == BANS_PAGE else None,
    )
    return render(request, "mod_bans.html", context, status_code=status_code)


@router.get("/mod/bans")
async def bans_page(
    request: Request,
    session: DbSession,
    viewer: WebViewer,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
    username: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Bans in force, and the form to ban someone (``?username=`` fills it in)."""
    staff = require_staff(viewer, "/mod/bans")
    return await _bans_page(request, session, staff, before, values={"username": username})


@router.post("/mod/bans", dependencies=[CsrfChecked])
async def ban(request: Request, session: DbSession, viewer: WebViewer) -> Response:
    staff = require_staff(viewer, "/mod/bans")
    form, errors, raw = await parse_form(request, BanForm)
    if form is not None:
        try:
            async with session.begin_nested():
                await BanService(session).ban(staff, form.username, form.reason, form.days)
        except REFUSED as exc:
            errors = {"form": exc.detail}
        else:
            done = f"{form.username} is banned."
            return await _bans_page(request, session, staff, done=done)
    if "days" in errors:
        errors["days"] = "1 to 3,650 days; empty for a permanent ban."
    return await _bans_page(request, session, staff, status_code=422, errors=errors, values=raw)


@router.post("/mod/bans/{username}/lift", dependencies=[CsrfChecked])
async def lift_ban(
    request: Request, username: UsernamePath, session: DbSession, viewer: WebViewer
) -> Response:
    staff = require_staff(viewer, f"/mod/bans/{username}/lift")
    form, _errors, _raw = await parse_form(request, LiftForm)
    reason = form.reason if form is not None else ""
    try:
        async with session.begin_nested():
            await BanService(session).unban(staff, username, reason)
    except REFUSED as exc:
        return await _bans_page(request, session, staff, status_code=404,
                                errors={"form": exc.detail})  # fmt: skip
    return RedirectResponse("/mod/bans", status_code=303)


async def _roles_page(
    request: Request, session: DbSession, admin: Account, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("done", None)
    context.update(staff=await roles.list_staff(session, admin), roles=ROLE_LABELS)
    return render(request, "admin_roles.html", context, status_code=status_code)


@router.get("/admin/roles")
async def roles_page(
    request: Request,
    session: DbSession,
    viewer: WebViewer,
    username: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Who moderates, and the form to appoint or demote someone (admins only)."""
    admin = require_admin(viewer, "/admin/roles")
    return await _roles_page(request, session, admin, values={"username": username})


@router.post("/admin/roles", dependencies=[CsrfChecked])
async def set_role(request: Request, session: DbSession, viewer: WebViewer) -> Response:
    admin = require_admin(viewer, "/admin/roles")
    form, errors, raw = await parse_form(request, RoleForm)
    if form is not None:
        try:
            async with session.begin_nested():
                account = await roles.set_role(session, form.username, form.role, admin)
        except REFUSED as exc:
            errors = {"form": exc.detail}
        else:
            done = f"{account.username} is now: {ROLE_LABELS[account.role].lower()}."
            return await _roles_page(request, session, admin, done=done)
    return await _roles_page(request, session, admin, status_code=422, errors=errors, values=raw)


@router.post("/p/{page_id}/controls", dependencies=[CsrfChecked])
async def set_controls(
    request: Request, page_id: PageId, session: DbSession, viewer: WebViewer
) -> Response:
    """Lock or close a discussion from its page."""
    staff = require_staff(viewer, f"/p/{page_id}/controls")
    form, _errors, _raw = await parse_form(request, ControlsForm)
    if form is None:
        raise InvalidInput("The reason is limited to 500 characters.")
    page = await ControlService(session).set_controls(
        staff, page_id, locked=form.locked, closed=form.closed, reason=form.reason
    )
    return RedirectResponse(safe_next(form.back.split("#", 1)[0], page_path(page)), 303)


@router.post("/c/{comment_id}/pin", dependencies=[CsrfChecked])
async def pin(
    request: Request, comment_id: CommentId, session: DbSession, viewer: WebViewer
) -> Response:
    """Pin or unpin a top-level comment from the discussion page."""
    staff = require_staff(viewer, f"/c/{comment_id}/pin")
    form, _errors, _raw = await parse_form(request, PinForm)
    if form is None:
        raise InvalidInput("Say whether to pin (1) or unpin (0).")
    await ControlService(session).pin(staff, comment_id, pinned=bool(form.pinned))
    target = safe_next(form.back.split("#", 1)[0], f"/c/{comment_id}")
    return RedirectResponse(f"{target}#c{comment_id}", status_code=303)
