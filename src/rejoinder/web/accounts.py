"""Accounts in the browser: register, log in and out, profiles, settings (password, e-mail
address), closing an account.

Signing in sets the same ``rejoinder_session`` cookie as ``POST /api/v1/sessions`` (same
service, same token), so the page's scripts can call the JSON API as the reader.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field, StringConstraints
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.email_address import set_email
from rejoinder.accounts.models import Account
from rejoinder.accounts.schemas import Email
from rejoinder.accounts.service import SESSION_LIFETIME
from rejoinder.api.deps import Accounts, AppSettings, ClientIp, DbSession, Limiter
from rejoinder.comments import queries as comment_queries
from rejoinder.errors import Conflict, InvalidCredentials, InvalidInput, NotFound
from rejoinder.settings import Settings
from rejoinder.web import csrf
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.forms import (
    DeleteAccountForm,
    LoginForm,
    PasswordForm,
    RegisterForm,
    WebForm,
    parse_form,
)
from rejoinder.web.links import safe_next
from rejoinder.web.reader_tools import reader_lists
from rejoinder.web.templating import render

router = APIRouter()

PROFILE_PAGE_SIZE = 30
Username = Annotated[str, Path(min_length=1, max_length=64)]
USERNAME_HINT = "3 to 32 letters, digits or underscores."


def set_session_cookie(response: Response, secret: str, settings: Settings) -> None:
    response.set_cookie(
        csrf.SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        csrf.SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True,
        samesite="lax",
    )  # fmt: skip


@router.get("/login")
async def login_form(
    request: Request, viewer: WebViewer, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "values": {}, "errors": {}})


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request, accounts: Accounts, ip: ClientIp, settings: AppSettings, _viewer: WebViewer
) -> Response:
    form, errors, raw = await parse_form(request, LoginForm)
    context: dict[str, Any] = {"next": safe_next(raw.get("next")), "values": raw, "errors": errors}
    if form is None:
        return render(request, "login.html", context, status_code=422)
    try:
        _account, secret = await accounts.login(form.username, form.password, client_ip=ip)
    except InvalidCredentials as exc:
        context["errors"] = {"form": exc.detail}
        return render(request, "login.html", context, status_code=401)
    response = RedirectResponse(safe_next(form.next), status_code=303)
    set_session_cookie(response, secret, settings)
    return response


@router.get("/register")
async def register_form(
    request: Request, viewer: WebViewer, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "register.html", {"values": {}, "errors": {}, "next": safe_next(next)})


@router.post("/register", dependencies=[CsrfChecked])
async def register(
    request: Request,
    accounts: Accounts,
    ip: ClientIp,
    settings: AppSettings,
    _viewer: WebViewer,
) -> Response:
    form, errors, raw = await parse_form(request, RegisterForm)
    if "username" in errors and raw.get("username"):
        errors["username"] = USERNAME_HINT
    if form is not None and form.password != form.password_again:
        errors["password_again"] = "The two passwords differ."  # noqa: S105 - a message
    context: dict[str, Any] = {"values": raw, "errors": errors, "next": safe_next(raw.get("next"))}
    if form is None or errors:
        return render(request, "register.html", context, status_code=422)
    try:
        await accounts.register(form.username, form.password, form.email, client_ip=ip)
    except Conflict as exc:
        context["errors"] = {"username": exc.detail}
        return render(request, "register.html", context, status_code=409)
    # The password was checked a moment ago; only the login rate limit still applies.
    _account, secret = await accounts.login(form.username, form.password, client_ip=ip)
    response = RedirectResponse(safe_next(form.next), status_code=303)
    set_session_cookie(response, secret, settings)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request, accounts: Accounts, settings: AppSettings) -> Response:
    secret = request.cookies.get(csrf.SESSION_COOKIE)
    if secret:
        await accounts.logout(secret)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.get("/u/{username}")
async def profile(
    request: Request,
    username: Username,
    session: DbSession,
    viewer: WebViewer,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
) -> Response:
    """A person's comments, newest first, with links to each in its discussion."""
    account = await account_queries.get_account_by_username(session, username)
    if account is None or account.deleted_at is not None:
        raise NotFound(f"Nobody is called {username!r} here.")
    if account.username != username:
        return RedirectResponse(f"/u/{account.username}", status_code=301)
    is_self = viewer is not None and viewer.id == account.id
    rows = await comment_queries.list_by_author(
        session, account.id, PROFILE_PAGE_SIZE + 1, before_id=before, include_pending=is_self
    )
    karma, count = await comment_queries.sum_scores_by_author(session, account.id)
    more = len(rows) > PROFILE_PAGE_SIZE
    rows = rows[:PROFILE_PAGE_SIZE]
    context = {
        "account": account,
        "rows": rows,
        "karma": karma,
        "comment_total": count,
        "next_before": rows[-1][0].id if more and rows else None,
        "is_first_page": before is None,
    }
    return render(request, "profile.html", context)


class EmailForm(WebForm):
    # Empty means "remove my address" (parse_form drops an empty email field).
    email: Annotated[Email | None, Field(default=None)]
    email_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


async def _settings(
    request: Request,
    session: DbSession,
    viewer: Account,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    context = {
        "errors": errors or {},
        "done": done,
        "current_email": viewer.email,
        "values": values or {},
        **await reader_lists(session, viewer),
    }
    return render(request, "settings.html", context, status_code=status_code)


@router.get("/settings")
async def settings_page(request: Request, session: DbSession, viewer: WebViewer) -> Response:
    if viewer is None:
        return to_login(request)
    return await _settings(request, session, viewer)


@router.post("/settings/password", dependencies=[CsrfChecked])
async def change_password(
    request: Request, accounts: Accounts, session: DbSession, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    form, errors, _raw = await parse_form(request, PasswordForm)
    if form is not None and form.new_password != form.new_password_again:
        errors["new_password_again"] = "The two new passwords differ."  # noqa: S105
    if form is None or errors:
        return await _settings(request, session, viewer, errors, status_code=422)
    try:
        await accounts.change_password(
            viewer,
            form.current_password,
            form.new_password,
            keep_session=request.cookies.get(csrf.SESSION_COOKIE),
        )
    except InvalidCredentials as exc:
        errors = {"current_password": exc.detail}
        return await _settings(request, session, viewer, errors, status_code=422)
    done = "Your password was changed. Other browsers where you were signed in are signed out."
    return await _settings(request, session, viewer, done=done)


@router.post("/settings/email", dependencies=[CsrfChecked])
async def change_email(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    viewer: WebViewer,
) -> Response:
    """Set, change or remove the account's e-mail address."""
    if viewer is None:
        return to_login(request)
    form, errors, raw = await parse_form(request, EmailForm)
    if "email" in errors:
        errors["email"] = "Enter an e-mail address like name@example.org, or leave it empty."
    values = {"email": raw.get("email", "")}
    if form is None:
        return await _settings(request, session, viewer, errors, status_code=422, values=values)
    try:
        await set_email(session, settings, limiter, viewer, form.email_password, form.email)
    except InvalidInput as exc:
        errors = {"email_password": exc.detail}
        return await _settings(request, session, viewer, errors, status_code=422, values=values)
    except Conflict as exc:
        errors = {"email": exc.detail}
        return await _settings(request, session, viewer, errors, status_code=409, values=values)
    done = (
        f"Your e-mail address is now {viewer.email}."
        if viewer.email
        else "Your e-mail address was removed."
    )
    return await _settings(request, session, viewer, done=done)


@router.get("/settings/delete")
async def delete_account_form(request: Request, viewer: WebViewer) -> Response:
    if viewer is None:
        return to_login(request)
    return render(request, "delete_account.html", {"errors": {}})


@router.post("/settings/delete", dependencies=[CsrfChecked])
async def delete_account(
    request: Request, accounts: Accounts, settings: AppSettings, viewer: WebViewer
) -> Response:
    """Close the account, as the confirmation page describes, and sign out."""
    if viewer is None:
        return to_login(request)
    form, errors, _raw = await parse_form(request, DeleteAccountForm)
    if form is not None and not form.confirm:
        errors["confirm"] = "Tick the box to confirm."
    if form is None or errors:
        return render(request, "delete_account.html", {"errors": errors}, status_code=422)
    try:
        await accounts.delete_account(viewer, form.password)
    except InvalidCredentials as exc:
        context = {"errors": {"password": exc.detail}}
        return render(request, "delete_account.html", context, status_code=422)
    request.state.viewer = None
    response = render(request, "goodbye.html", {})
    clear_session_cookie(response, settings)
    return response
