"""``/admin/webhooks``: admins add and delete webhooks and read each one's delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import StringConstraints
from starlette.responses import RedirectResponse, Response

from rejoinder.accounts.models import Account, Role
from rejoinder.api.deps import AppSettings, DbSession
from rejoinder.errors import Conflict, InvalidInput, NotFound
from rejoinder.web.deps import CsrfChecked, WebViewer, to_login
from rejoinder.web.forms import Checkbox, WebForm, parse_form
from rejoinder.web.templating import render
from rejoinder.webhooks.models import WebhookEvent
from rejoinder.webhooks.service import WebhookService

router = APIRouter()

LOG_SIZE = 20
WebhookId = Annotated[int, Path(gt=0, le=2**62)]


class WebhookForm(WebForm):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    comment_created: Checkbox
    report_created: Checkbox


class DeleteForm(WebForm):
    pass


def _require_admin(viewer: Account) -> None:
    # Pages a reader may not use do not exist for them.
    if viewer.role is not Role.ADMIN:
        raise NotFound("Nothing at /admin/webhooks.")


async def _page(
    request: Request, session: DbSession, settings: AppSettings, viewer: Account, **extra: Any
) -> Response:
    service = WebhookService(session, settings)
    hooks = await service.list_all(viewer)
    logs = {hook.id: await service.deliveries(viewer, hook.id, LOG_SIZE) for hook in hooks}
    context: dict[str, Any] = {
        "hooks": hooks,
        "logs": logs,
        "events": list(WebhookEvent),
        "values": {},
        "errors": {},
        "secret": None,
    }
    context.update(extra)
    status = 422 if context["errors"] else 200
    return render(request, "admin_webhooks.html", context, status_code=status)


@router.get("/admin/webhooks")
async def webhooks_page(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    _require_admin(viewer)
    return await _page(request, session, settings, viewer)


@router.post("/admin/webhooks", dependencies=[CsrfChecked])
async def add_webhook(
    request: Request, session: DbSession, settings: AppSettings, viewer: WebViewer
) -> Response:
    if viewer is None:
        return to_login(request)
    _require_admin(viewer)
    form, errors, raw = await parse_form(request, WebhookForm)
    if form is None:
        return await _page(request, session, settings, viewer, values=raw, errors=errors)
    events = [
        event
        for event, ticked in (
            (WebhookEvent.COMMENT_CREATED, form.comment_created),
            (WebhookEvent.REPORT_CREATED, form.report_created),
        )
        if ticked
    ]
    try:
        hook, secret = await WebhookService(session, settings).create(viewer, form.url, events)
    except (InvalidInput, Conflict) as exc:
        field = "events" if not events else "url"
        return await _page(
            request, session, settings, viewer, values=raw, errors={field: exc.detail}
        )
    return await _page(request, session, settings, viewer, secret=(hook.id, secret))


@router.post("/admin/webhooks/{webhook_id}/delete", dependencies=[CsrfChecked])
async def delete_webhook(
    request: Request,
    webhook_id: WebhookId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    if viewer is None:
        return to_login(request)
    _require_admin(viewer)
    await parse_form(request, DeleteForm)
    await WebhookService(session, settings).delete(viewer, webhook_id)
    return RedirectResponse("/admin/webhooks", status_code=303)
