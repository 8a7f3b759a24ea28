"""Forgotten passwords in the browser: ask for a link (``/forgot``), use it (``/reset/…``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request
from pydantic import StringConstraints
from starlette.responses import Response

from rejoinder.accounts.schemas import Email, Password
from rejoinder.api.deps import AppSettings, ClientIp, DbSession, Limiter
from rejoinder.errors import RateLimited
from rejoinder.resets.service import InvalidResetLink, MailUnavailable, PasswordResetService
from rejoinder.web.accounts import clear_session_cookie
from rejoinder.web.deps import CsrfChecked, WebViewer
from rejoinder.web.forms import WebForm, parse_form
from rejoinder.web.templating import render

router = APIRouter()

ResetToken = Annotated[str, Path(min_length=1, max_length=100)]


class ForgotForm(WebForm):
    email: Email


class ResetForm(WebForm):
    new_password: Password
    new_password_again: Annotated[str, StringConstraints(max_length=1024)]


@router.get("/forgot")
async def forgot_form(request: Request, _viewer: WebViewer) -> Response:
    return render(request, "forgot.html", {"values": {}, "errors": {}, "done": None})


@router.post("/forgot", dependencies=[CsrfChecked])
async def forgot(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    ip: ClientIp,
    background: BackgroundTasks,
    _viewer: WebViewer,
) -> Response:
    form, errors, raw = await parse_form(request, ForgotForm)
    context: dict[str, Any] = {"values": raw, "errors": errors, "done": None}
    if form is None:
        if "email" in errors:
            errors["email"] = "Enter an e-mail address, like name@example.com."
        return render(request, "forgot.html", context, status_code=422)
    service = PasswordResetService(session, settings, limiter)
    try:
        messages = await service.request(form.email, client_ip=ip)
    except (MailUnavailable, RateLimited) as exc:
        context["errors"] = {"form": exc.detail}
        return render(request, "forgot.html", context, status_code=exc.status)
    background.add_task(service.mailer.send_logged, messages)
    context["done"] = PasswordResetService.message
    return render(request, "forgot.html", context)


@router.get("/reset/{token}")
async def reset_form(
    request: Request,
    token: ResetToken,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    _viewer: WebViewer,
) -> Response:
    try:
        await PasswordResetService(session, settings, limiter).check(token)
    except InvalidResetLink as exc:
        return render(request, "reset.html", _context(token, invalid=exc.detail), status_code=404)
    return render(request, "reset.html", _context(token))


def _context(token: str, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"token": token, "errors": {}, "invalid": None, "done": False}
    context.update(extra)
    return context


@router.post("/reset/{token}", dependencies=[CsrfChecked])
async def reset(
    request: Request,
    token: ResetToken,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    _viewer: WebViewer,
) -> Response:
    """Set the new password; every session of the account ends, this browser's too."""
    form, errors, _raw = await parse_form(request, ResetForm)
    if form is not None and form.new_password != form.new_password_again:
        errors["new_password_again"] = "The two new passwords differ."  # noqa: S105
    if form is None or errors:
        return render(request, "reset.html", _context(token, errors=errors), status_code=422)
    try:
        await PasswordResetService(session, settings, limiter).reset(token, form.new_password)
    except InvalidResetLink as exc:
        return render(request, "reset.html", _context(token, invalid=exc.detail), status_code=404)
    request.state.viewer = None
    response = render(request, "reset.html", _context(token, done=True))
    clear_session_cookie(response, settings)
    return response
