"""Every query on webhooks and their deliveries, including the delivery claim."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.db import leases
from rejoinder.webhooks.models import DeliveryState, Webhook, WebhookDelivery


async def insert_webhook(session: AsyncSession, webhook: Webhook) -> Webhook:
    session.add(webhook)
    await session.flush()
    return webhook


async def list_webhooks(session: AsyncSession) -> list[Webhook]:
    return list((await session.execute(select(Webhook).order_by(Webhook.id))).scalars())


async def get_webhook(session: AsyncSession, webhook_id: int) -> Webhook | None:
    return await session.get(Webhook, webhook_id)


async def delete_webhook(session: AsyncSession, webhook_id: int) -> bool:
    result = cast(
        CursorResult[Any], await session.execute(delete(Webhook).where(Webhook.id == webhook_id))
    )
    return bool(result.rowcount)


async def has_active_webhooks(session: AsyncSession) -> bool:
    stmt = select(Webhook.id).where(Webhook.is_active).limit(1)
    return (await session.execute(stmt)).first() is not None


async def list_subscribed(session: AsyncSession, event: str) -> list[Webhook]:
    """Active hooks whose comma-separated event list names ``event``."""
    hooks = (await session.execute(select(Webhook).where(Webhook.is_active))).scalars()
    return [hook for hook in hooks if event in hook.events.split(",")]


async def insert_delivery(
    session: AsyncSession, webhook_id: int, event: str, payload: str, now: datetime
) -> None:
    session.add(
        WebhookDelivery(
            webhook_id=webhook_id,
            event=event,
            payload=payload,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()


async def claim_delivery(
    session: AsyncSession, now: datetime, lease: timedelta
) -> WebhookDelivery | None:
    """Take the next due delivery under a lease (the scheme of ``db/leases.py``)."""
    return await leases.claim_job(
        session,
        WebhookDelivery,
        pending=DeliveryState.PENDING,
        running=DeliveryState.RUNNING,
        now=now,
        lease=lease,
    )


async def finish_delivery(
    session: AsyncSession,
    delivery_id: int,
    attempts: int,
    state: DeliveryState,
    *,
    status: int | None,
    error: str | None,
    now: datetime,
    retry_at: datetime | None = None,
) -> bool:
    """Record an attempt's outcome, unless another worker took the delivery over since."""
    values: dict[str, Any] = {
        "state": state,
        "locked_until": None,
        "last_status": status,
        "last_error": error[:500] if error else None,
    }
    if state is DeliveryState.DELIVERED:
        values["delivered_at"] = now
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    return await leases.finish_job(
        session, WebhookDelivery, delivery_id, attempts, DeliveryState.RUNNING, values
    )


async def list_deliveries(
    session: AsyncSession, webhook_id: int, limit: int, before_id: int | None = None
) -> list[WebhookDelivery]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return list((await session.execute(stmt)).scalars())
