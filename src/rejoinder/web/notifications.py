"""The inbox page, notification settings (e-mail, the replies feed) and one-click unsubscribe.

Unsubscribing is the one POST of the HTML door without a CSRF token: mail clients send it
(RFC 8058 ``List-Unsubscribe-Post``) with nothing but the signed URL, and all it can do is
turn reply e-mails off for the account the signature names. A GET only shows the button, so
link scanners that open every URL in a message unsubscribe nobody.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import StringConstraints
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account
from rejoinder.api.deps import AppSettings, DbSession
from rejoinder.errors import InvalidInput
from rejoinder.mailer import Mailer
from rejoinder.notifications.service import NotificationService
from rejoinder.notifications.unsubscribe import read_token
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.forms import Checkbox, WebForm, parse_form
from rejoinder.web.templating import render

router = APIRouter()

INBOX_PAGE_SIZE = 30
UnsubscribeToken = Annotated[str, Path(min_length=1, max_length=64)]


class MarkAllReadForm(WebForm):
    pass


class EmailForm(WebForm):
    email_replies: Checkbox


class FeedForm(WebForm):
    action: Annotated[Literal["create", "revoke"], StringConstraints(max_length=10)]


@router.get("/notifications")
async def inbox(
    request: Request,
    session: DbSession,
    viewer: WebViewer,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
) -> Response:
    if viewer is None:
        return to_login(request)
    items, unread, next_before = await NotificationService(session).inbox(
        viewer, INBOX_PAGE_SIZE, before
    )
    context = {"items": items, "unread": unread, "next_before": next_before}
    return render(request, "notifications.html", context)


@router.post("/notifications/read", dependencies=[CsrfChecked])
async def mark_all_read(request: Request, session: DbSession, viewer: WebViewer) -> Response:
    if viewer is None:
        return to_login(request)
    await parse_form(request, MarkAllReadForm)
    await NotificationService(session).mark_read(viewer, None)
    return RedirectResponse("/notifications", status_code=303)


async def _settings_context(
    session: DbSession, settings: AppSettings, viewer: Account, **extra: Any
) -> dict[str, Any]:
    service = NotificationService(session)
    context: dict[str, Any] = {
        "email": viewer.email,
        "mail_enabled": Mailer(settings).enabled,
        "email_replies": await service.email_replies(viewer),
        "has_feed": await service.has_feed_token(viewer),
        "feed_url": None,
        "errors": {},
        "done": None,
    }
    context.update(extra)
    return context


@router.get("/settings/notifications")
async def notification_settings(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    context = await _settings_context(session, settings, viewer)
    return render(request, "notification_settings.html", context)


@router.post("/settings/notifications/email", dependencies=[CsrfChecked])
async def set_email(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    form, _errors, _raw = await parse_form(request, EmailForm)
    wanted = form is not None and form.email_replies
    try:
        await NotificationService(session).set_email_replies(viewer, wanted)
    except InvalidInput as exc:
        context = await _settings_context(
            session, settings, viewer, errors={"email_replies": exc.detail}
        )
        return render(request, "notification_settings.html", context, status_code=422)
    done = "Replies will be e-mailed to you." if wanted else "No more reply e-mails."
    context = await _settings_context(session, settings, viewer, done=done)
    return render(request, "notification_settings.html", context)


@router.post("/settings/notifications/feed", dependencies=[CsrfChecked])
async def set_feed(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    """Create (or replace) the private replies feed URL, or revoke it."""
    if viewer is None:
        return to_login(request)
    form, _errors, _raw = await parse_form(request, FeedForm)
    if form is None:
        context = await _settings_context(session, settings, viewer)
        return render(request, "notification_settings.html", context, status_code=422)
    service = NotificationService(session)
    if form.action == "create":
        secret = await service.create_feed_token(viewer)
        url = f"{settings.public_url}/feeds/replies/{secret}.atom"
        done = "Your new feed address is below; the previous one, if any, stopped working."
        context = await _settings_context(session, settings, viewer, feed_url=url, done=done)
    else:
        await service.revoke_feed_token(viewer)
        context = await _settings_context(
            session, settings, viewer, done="The feed address stopped working."
        )
    return render(request, "notification_settings.html", context)


async def _unsubscribe_target(
    session: DbSession, settings: AppSettings, token: str
) -> Account | None:
    account_id = read_token(settings, token)
    if account_id is None:
        return None
    account = await account_queries.get_account(session, account_id)
    return account if account is not None and account.deleted_at is None else None


@router.get("/unsubscribe/{token}")
async def unsubscribe_form(
    request: Request, token: UnsubscribeToken, session: DbSession, settings: AppSettings
) -> Response:
    account = await _unsubscribe_target(session, settings, token)
    context = {"token": token, "valid": account is not None, "done": False}
    return render(request, "unsubscribe.html", context, status_code=200 if account else 404)


@router.post("/unsubscribe/{token}")
async def unsubscribe(
    request: Request, token: UnsubscribeToken, session: DbSession, settings: AppSettings
) -> Response:
    """One click (RFC 8058): the signed token is the whole credential."""
    account = await _unsubscribe_target(session, settings, token)
    if account is None:
        context = {"token": token, "valid": False, "done": False}
        return render(request, "unsubscribe.html", context, status_code=404)
    await NotificationService(session).set_email_replies(account, False)
    return render(request, "unsubscribe.html", {"token": token, "valid": True, "done": True})
