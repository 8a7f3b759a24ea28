"""Domain events -> notifications, written off the request's path (see `event_queue`).

Who is told what:

- ``CommentPosted`` (also sent when a held comment is approved): the author of the parent
  comment gets ``reply``; each ``@name`` in the text (up to `MAX_MENTIONS`) gets ``mention``
  unless they already get the reply. Nobody is notified of their own comment, nor of a
  comment by someone they muted. Readers who chose e-mail also get an outbox row.
- ``ModeratorActed``: the author of an approved (when it was hidden), removed or spammed
  comment, and a banned account, get ``approved``/``removed``/``banned`` with the reason,
  unless they did it themselves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts import queries as account_queries
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import CommentStatus
from rejoinder.comments.render import render_html_fragment
from rejoinder.db.engine import Database
from rejoinder.event_queue import AnyEvent, QueuedListener
from rejoinder.notifications import queries
from rejoinder.notifications.models import NotificationKind

# A comment that names fifty people is a broadcast, not a conversation.
MAX_MENTIONS = 10
_EMAILED = frozenset({NotificationKind.REPLY, NotificationKind.MENTION})
_MODERATION_KINDS = {
    "approve": NotificationKind.APPROVED,
    "remove": NotificationKind.REMOVED,
    "spam": NotificationKind.REMOVED,
}


class NotificationListener(QueuedListener):
    name = "notifications"

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def accepts(self, event: AnyEvent) -> bool:
        return isinstance(event, events.CommentPosted | events.ModeratorActed)

    async def handle(self, event: AnyEvent) -> None:
        if isinstance(event, events.CommentPosted):
            # Most comments tell nobody (top-level, no mentions): decide in a read
            # transaction, so they never wait for the write lock (SQLite) nor hold it.
            async with self.db.read_session() as session:
                plan = await self._recipients(session, event.comment_id)
            if not plan:
                return
            async with self.db.write_session() as session:
                for account_id, kind, actor_id in plan:
                    await self._notify(session, account_id, kind, actor_id, event.comment_id)
                await session.commit()
        elif isinstance(event, events.ModeratorActed):
            async with self.db.write_session() as session:
                await self._moderator_acted(session, event)
                await session.commit()

    async def _recipients(
        self, session: AsyncSession, comment_id: int
    ) -> list[tuple[int, NotificationKind, int]]:
        """(account, kind, actor) for each reader a new comment concerns."""
        comment = await comment_queries.get_comment(session, comment_id)
        if (
            comment is None
            or comment.author_id is None
            or comment.deleted_at is not None
            or comment.status is not CommentStatus.VISIBLE
        ):
            return []
        author_id = comment.author_id
        plan: list[tuple[int, NotificationKind, int]] = []
        told: set[int] = {author_id}
        if comment.parent_id is not None:
            parent = await comment_queries.get_comment(session, comment.parent_id)
            if parent is not None and parent.author_id is not None:
                told.add(parent.author_id)
                if parent.author_id != author_id:
                    plan.append((parent.author_id, NotificationKind.REPLY, author_id))
        names = render_html_fragment(comment.body_html).mentions[:MAX_MENTIONS]
        keys = [name.casefold() for name in names]
        for account in await queries.list_accounts_by_username_keys(session, keys):
            if account.id not in told:
                told.add(account.id)
                plan.append((account.id, NotificationKind.MENTION, author_id))
        return plan

    async def _notify(
        self,
        session: AsyncSession,
        account_id: int,
        kind: NotificationKind,
        actor_id: int,
        comment_id: int,
    ) -> None:
        if await queries.is_muted(session, account_id, actor_id):
            return
        now = clock.now()
        note_id = await queries.insert_notification(
            session, account_id, kind, now, actor_id=actor_id, comment_id=comment_id
        )
        if note_id is None or kind not in _EMAILED:
            return
        prefs = await queries.get_prefs(session, account_id)
        if prefs is not None and prefs.email_replies:
            await queries.insert_outbox(session, account_id, note_id, now)

    async def _moderator_acted(self, session: AsyncSession, event: events.ModeratorActed) -> None:
        now = clock.now()
        if event.target_type == "account" and event.action == "ban":
            target = await account_queries.get_account(session, event.target_id)
            if target is not None and target.id != event.actor_id:
                await queries.insert_notification(
                    session,
                    target.id,
                    NotificationKind.BANNED,
                    now,
                    actor_id=event.actor_id,
                    detail=event.reason,
                )
            return
        kind = _MODERATION_KINDS.get(event.action)
        if event.target_type != "comment" or kind is None:
            return
        # The audit detail says whether the status changed (moderation/queue.py): approving
        # a reported comment that was never hidden is no news to its author, nor is a
        # repeated removal.
        if event.detail == "unchanged":
            return
        comment = await comment_queries.get_comment(session, event.target_id)
        if comment is None or comment.author_id is None or comment.author_id == event.actor_id:
            return
        await queries.insert_notification(
            session,
            comment.author_id,
            kind,
            now,
            actor_id=event.actor_id,
            comment_id=comment.id,
            detail=event.reason,
        )
