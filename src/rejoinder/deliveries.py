"""Wires notifications, reply digests and webhooks into the app: listeners and workers.

`install` adds the two queued listeners to ``app.state.event_listeners`` (they are reachable
as ``app.state.notifier`` and ``app.state.webhook_listener``); `running` is the lifespan
block that runs their writer tasks and, unless ``deliveries_enabled`` is off, the digest
e-mailer and the webhook worker, which poll their tables every ``delivery_poll_seconds``
when idle.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from rejoinder.notifications.digest import DigestSender
from rejoinder.notifications.listener import NotificationListener
from rejoinder.settings import Settings
from rejoinder.webhooks.worker import WebhookListener, WebhookWorker

log = logging.getLogger("rejoinder.deliveries")


def install(app: FastAPI, settings: Settings) -> None:
    app.state.notifier = NotificationListener(app.state.db)
    app.state.webhook_listener = WebhookListener(app.state.db, settings)
    app.state.event_listeners.extend([app.state.notifier, app.state.webhook_listener])


async def _poll(step: Callable[[], Awaitable[bool]], settings: Settings, what: str) -> None:
    while True:
        try:
            worked = await step()
        except Exception:
            log.exception("%s failed; continuing", what)
            worked = False
        if not worked:
            await anyio.sleep(settings.delivery_poll_seconds)


@asynccontextmanager
async def running(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        group.start_soon(app.state.notifier.run)
        group.start_soon(app.state.webhook_listener.run)
        if settings.deliveries_enabled:
            digests = DigestSender(app.state.db, settings)
            group.start_soon(_poll, digests.run_once, settings, "reply digest sender")
            group.start_soon(WebhookWorker(app.state.db, settings).run)
        try:
            yield
        finally:
            await app.state.notifier.stop()
            await app.state.webhook_listener.stop()
            group.cancel_scope.cancel()
