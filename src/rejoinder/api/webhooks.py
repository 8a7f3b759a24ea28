"""Webhooks for operators (admins only): configure, list, delete, read the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.api.deps import AppSettings, CurrentAccount, DbSession
from rejoinder.webhooks.models import DeliveryState, Webhook, WebhookEvent
from rejoinder.webhooks.service import WebhookService

router = APIRouter(tags=["webhooks"])

WebhookId = Annotated[int, Path(gt=0, le=2**62)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WebhookEvent))


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[WebhookEvent]
    is_active: bool
    created_at: datetime


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown only in this answer.")


class DeliveryOut(BaseModel):
    id: int
    event: str
    state: DeliveryState
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.id,
        url=hook.url,
        events=[WebhookEvent(name) for name in hook.events.split(",")],
        is_active=hook.is_active,
        created_at=hook.created_at,
    )


@router.post("/webhooks", response_model=NewWebhookOut, status_code=status.HTTP_201_CREATED)
async def create_webhook(
    body: WebhookCreate, account: CurrentAccount, session: DbSession, settings: AppSettings
) -> NewWebhookOut:
    """Add a webhook; its signing secret is shown only in this answer."""
    hook, secret = await WebhookService(session, settings).create(account, body.url, body.events)
    return NewWebhookOut(**_out(hook).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[WebhookOut])
async def list_webhooks(
    account: CurrentAccount, session: DbSession, settings: AppSettings
) -> list[WebhookOut]:
    """Every configured webhook (never their secrets)."""
    return [_out(hook) for hook in await WebhookService(session, settings).list_all(account)]


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(
    webhook_id: WebhookId, account: CurrentAccount, session: DbSession, settings: AppSettings
) -> Response:
    """Delete a webhook and its delivery log."""
    await WebhookService(session, settings).delete(account, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    webhook_id: WebhookId,
    account: CurrentAccount,
    session: DbSession,
    settings: AppSettings,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryOut]:
    """The delivery log of a webhook, newest first."""
    rows = await WebhookService(session, settings).deliveries(account, webhook_id, limit, before)
    return [DeliveryOut.model_validate(row, from_attributes=True) for row in rows]
