"""Admins' webhook configuration, the delivery log, and what each event sends.

A hook has a URL, the events it wants (`WebhookEvent`) and a secret that signs every
delivery (`signing`), generated here and returned only by `create`. The URL must be http(s)
without credentials; an IP literal that the SSRF rules refuse is refused at once, and a host
name that resolves inward is refused at delivery time (the log says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account, Role
from rejoinder.comments.models import Comment
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound
from rejoinder.fetching.addresses import parse_literal, refusal
from rejoinder.pages.models import Page
from rejoinder.settings import Settings
from rejoinder.webhooks import queries, signing
from rejoinder.webhooks.models import Webhook, WebhookDelivery, WebhookEvent
from rejoinder.webhooks.presence import presence
from rejoinder.webhooks.sender import check_url

MAX_WEBHOOKS = 20


def require_admin(account: Account) -> None:
    if account.role is not Role.ADMIN:
        raise Forbidden("Only admins can manage webhooks.")


def _bad_url(message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": "url", "reason": "invalid", "message": message}])


class WebhookService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def _checked_url(self, url: str) -> str:
        try:
            url = check_url(url)
        except ValueError as exc:
            raise _bad_url(str(exc)) from None
        host = urlsplit(url).hostname or ""
        literal = parse_literal(host)
        if literal is not None:
            reason = refusal(literal, allow_loopback=self.settings.fetch_allow_loopback)
            if reason is not None:
                raise _bad_url(f"{host} is {reason}; webhooks only go to public addresses.")
        return url

    async def create(
        self, actor: Account, url: str, events: Sequence[WebhookEvent]
    ) -> tuple[Webhook, str]:
        """A new hook and its signing secret (shown this once)."""
        require_admin(actor)
        url = self._checked_url(url)
        if not events:
            raise InvalidInput(
                "Choose at least one event.",
                [{"field": "events", "reason": "empty", "message": "Choose an event."}],
            )
        if len(await queries.list_webhooks(self.session)) >= MAX_WEBHOOKS:
            raise Conflict(f"At most {MAX_WEBHOOKS} webhooks can be configured.")
        secret = signing.new_secret()
        webhook = Webhook(
            url=url,
            events=",".join(sorted({event.value for event in events})),
            secret=secret,
            is_active=True,
            created_at=clock.now(),
            created_by=actor.id,
        )
        await queries.insert_webhook(self.session, webhook)
        presence.forget_after_commit(self.session)
        return webhook, secret

    async def list_all(self, actor: Account) -> list[Webhook]:
        require_admin(actor)
        return await queries.list_webhooks(self.session)

    async def delete(self, actor: Account, webhook_id: int) -> None:
        """Remove a hook and its delivery log; queued deliveries are never sent."""
        require_admin(actor)
        if not await queries.delete_webhook(self.session, webhook_id):
            raise NotFound(f"No webhook with id {webhook_id}.")
        presence.forget_after_commit(self.session)

    async def deliveries(
        self, actor: Account, webhook_id: int, limit: int, before_id: int | None = None
    ) -> list[WebhookDelivery]:
        """The delivery log of one hook, newest first."""
        require_admin(actor)
        if await queries.get_webhook(self.session, webhook_id) is None:
            raise NotFound(f"No webhook with id {webhook_id}.")
        return await queries.list_deliveries(self.session, webhook_id, limit, before_id)


def comment_payload(settings: Settings, comment: Comment, page: Page, author: str | None) -> Any:
    return {
        "id": comment.id,
        "url": f"{settings.public_url}/c/{comment.id}",
        "parent_id": comment.parent_id,
        "author": author if comment.author_id is not None else None,
        "guest_name": comment.guest_name,
        "status": comment.status.value,
        "body_text": comment.body_text,
        "body_html": comment.body_html,
        "created_at": comment.created_at.isoformat(),
        "page": {"id": page.id, "url": page.url, "title": page.title},
    }
