"""Every query on webhooks and their deliveries, including the delivery claim."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


def _claimable(now: datetime) -> ColumnElement[bool]:
    # Pending and due, or running under a lease that ran out (its worker died).
    return or_(
        and_(
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        ),
        and_(WebhookDelivery.state == DeliveryState.RUNNING, WebhookDelivery.locked_until < now),
    )


async def claim_delivery(
    session: AsyncSession, now: datetime, lease: timedelta
) -> WebhookDelivery | None:
    """Take the next due delivery under a lease (same scheme as ``fetching.queries``)."""
    stmt = (
        select(WebhookDelivery.id)
        .where(_claimable(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    delivery_id = (await session.execute(stmt)).scalar_one_or_none()
    if delivery_id is None:
        return None
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, _claimable(now))
            .values(
                state=DeliveryState.RUNNING,
                locked_until=now + lease,
                attempts=WebhookDelivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return None
    return await session.get(WebhookDelivery, delivery_id, populate_existing=True)


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
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.state == DeliveryState.RUNNING,
                WebhookDelivery.attempts == attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


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
