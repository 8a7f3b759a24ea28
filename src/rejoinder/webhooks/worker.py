"""Webhook deliveries: events become rows in ``webhook_deliveries``; a worker sends them.

`WebhookListener` (a `QueuedListener`, off the request's path) turns ``CommentPosted`` and
``ReportFiled`` into one delivery row per subscribed hook, with the exact JSON body to send.
`WebhookWorker` claims due rows under a lease (as the fetcher does, so workers in several
processes never send one delivery twice at once), signs and POSTs the body, and records the
outcome on the row, which is also the admins' delivery log. A failure is retried after
``webhook_retry_seconds * 4**(attempt-1)`` up to ``webhook_max_attempts`` tries, then the
delivery is ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import anyio
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts import queries as account_queries
from rejoinder.comments import queries as comment_queries
from rejoinder.db.engine import Database
from rejoinder.event_queue import AnyEvent, QueuedListener
from rejoinder.moderation.models import Report
from rejoinder.pages import queries as page_queries
from rejoinder.settings import Settings
from rejoinder.webhooks import queries, signing
from rejoinder.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent
from rejoinder.webhooks.presence import presence
from rejoinder.webhooks.sender import DeliveryError, WebhookSender
from rejoinder.webhooks.service import comment_payload

log = logging.getLogger("rejoinder.webhooks")

_LEASE_MARGIN = timedelta(seconds=30)


class WebhookListener(QueuedListener):
    name = "webhooks"

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings

    def accepts(self, event: AnyEvent) -> bool:
        return isinstance(event, events.CommentPosted | events.ReportFiled)

    async def handle_batch(self, batch: list[AnyEvent]) -> None:
        # Most instances have no webhooks: the answer is remembered per process (see
        # `presence` for how long another worker may miss a new hook), so a comment costs
        # no read transaction here, let alone the write lock (SQLite).
        if not await presence.any_active(str(self.db.engine.url), self._has_active):
            return
        await super().handle_batch(batch)

    async def _has_active(self) -> bool:
        async with self.db.read_session() as session:
            return await queries.has_active_webhooks(session)

    async def handle(self, event: AnyEvent) -> None:
        async with self.db.write_session() as session:
            if isinstance(event, events.CommentPosted):
                await self._enqueue(session, WebhookEvent.COMMENT_CREATED, event.comment_id)
            elif isinstance(event, events.ReportFiled):
                await self._enqueue(
                    session, WebhookEvent.REPORT_CREATED, event.comment_id, event.report_id
                )
            await session.commit()

    async def _enqueue(
        self,
        session: AsyncSession,
        kind: WebhookEvent,
        comment_id: int,
        report_id: int | None = None,
    ) -> None:
        hooks = await queries.list_subscribed(session, kind.value)
        if not hooks:
            return
        comment = await comment_queries.get_comment(session, comment_id)
        page = await page_queries.get_page(session, comment.page_id) if comment else None
        if comment is None or page is None:
            return
        author = None
        if comment.author_id is not None:
            account = await account_queries.get_account(session, comment.author_id)
            author = account.username if account and account.deleted_at is None else None
        now = clock.now()
        data = {"comment": comment_payload(self.settings, comment, page, author)}
        if report_id is not None:
            report = await session.get(Report, report_id)
            if report is None:
                return
            data["report"] = {
                "id": report.id,
                "reason": report.reason.value,
                "text": report.text,
                "created_at": report.created_at.isoformat(),
            }
        body = orjson.dumps(
            {"event": kind.value, "created_at": now.isoformat(), "data": data}
        ).decode()
        for hook in hooks:
            await queries.insert_delivery(session, hook.id, kind.value, body, now)


class WebhookWorker:
    """Claims, signs, sends and records deliveries; `run_once` is one step (tests drive it)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        sender: WebhookSender | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.db = db
        self.settings = settings
        self.sender = sender or WebhookSender(settings)
        self.now = now
        self.lease = timedelta(seconds=settings.webhook_timeout) + _LEASE_MARGIN

    async def run(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("webhook worker failed; continuing")
                worked = False
            if not worked:
                await anyio.sleep(self.settings.delivery_poll_seconds)

    async def run_once(self) -> bool:
        """Send one due delivery; False when none was due."""
        async with self.db.write_session() as session:
            delivery = await queries.claim_delivery(session, self.now(), self.lease)
            hook = await queries.get_webhook(session, delivery.webhook_id) if delivery else None
            await session.commit()
        if delivery is None:
            return False
        if hook is None:  # deleted while we claimed; its rows go with it
            return True
        if delivery.attempts > self.settings.webhook_max_attempts:
            # Only reachable through expired leases: workers died on this delivery each time.
            await self._failed(delivery, DeliveryError("Gave up: every attempt was cut short."))
            return True
        body = delivery.payload.encode()
        timestamp = int(self.now().timestamp())
        headers = {
            signing.SIGNATURE_HEADER: signing.sign(hook.secret, timestamp, body),
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.id),
        }
        try:
            status = await self.sender.post(hook.url, body, headers)
        except DeliveryError as exc:
            await self._failed(delivery, exc)
            return True
        async with self.db.write_session() as session:
            await queries.finish_delivery(
                session,
                delivery.id,
                delivery.attempts,
                DeliveryState.DELIVERED,
                status=status,
                error=None,
                now=self.now(),
            )
            await session.commit()
        return True

    def retry_delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.settings.webhook_retry_seconds * 4 ** (attempts - 1))

    async def _failed(self, delivery: WebhookDelivery, exc: DeliveryError) -> None:
        now = self.now()
        retry = delivery.attempts < self.settings.webhook_max_attempts
        async with self.db.write_session() as session:
            await queries.finish_delivery(
                session,
                delivery.id,
                delivery.attempts,
                DeliveryState.PENDING if retry else DeliveryState.FAILED,
                status=exc.status,
                error=exc.message,
                now=now,
                retry_at=now + self.retry_delay(delivery.attempts) if retry else None,
            )
            await session.commit()
        log.info(
            "webhook delivery %d failed (attempt %d): %s",
            delivery.id,
            delivery.attempts,
            exc.message,
        )
