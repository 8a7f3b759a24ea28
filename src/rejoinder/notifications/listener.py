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

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts import queries as account_queries
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.render import render_html_fragment
from rejoinder.db.engine import Database
from rejoinder.event_queue import AnyEvent, QueuedListener
from rejoinder.notifications import queries
from rejoinder.notifications.models import NotificationKind

log = logging.getLogger("rejoinder.notifications")

# A comment that names fifty people is a broadcast, not a conversation.
MAX_MENTIONS = 10
_EMAILED = frozenset({NotificationKind.REPLY, NotificationKind.MENTION})
_MODERATION_KINDS = {
    "approve": NotificationKind.APPROVED,
    "remove": NotificationKind.REMOVED,
    "spam": NotificationKind.REMOVED,
}


# (account to tell, kind, who caused it)
Plan = list[tuple[int, NotificationKind, int]]


def _mentions(body_html: str) -> tuple[str, ...]:
    # A mention is an ``@`` in the text, possibly written as a character reference; most
    # comments have neither, and re-parsing their HTML costs more than the rest of the check.
    if "@" not in body_html and "&" not in body_html:
        return ()
    return render_html_fragment(body_html).mentions[:MAX_MENTIONS]


class NotificationListener(QueuedListener):
    name = "notifications"

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def accepts(self, event: AnyEvent) -> bool:
        if isinstance(event, events.CommentPosted):
            # Most comments tell nobody (top-level, no mentions) and say so: not queued.
            return event.concerns_others
        return isinstance(event, events.ModeratorActed)

    async def handle_batch(self, batch: list[AnyEvent]) -> None:
        # Most replies and mentions still tell nobody new: decide for the whole batch in one
        # read transaction, one query for the comments, so they never wait for the write
        # lock (SQLite) nor hold it.
        posted = [event.comment_id for event in batch if isinstance(event, events.CommentPosted)]
        plans: dict[int, Plan] = {}
        if posted:
            try:
                async with self.db.read_session() as session:
                    plans = await self._plans(session, posted)
            except Exception:
                # Those comments tell nobody this time; moderator actions still go out.
                log.exception("notifications: could not read %d new comments", len(posted))
        for event in batch:
            try:
                if isinstance(event, events.CommentPosted):
                    await self._write_plan(plans.get(event.comment_id, []), event.comment_id)
                else:
                    await self.handle(event)
            except Exception:
                log.exception("notifications: could not handle %r", event)

    async def handle(self, event: AnyEvent) -> None:
        if isinstance(event, events.CommentPosted):
            async with self.db.read_session() as session:
                plans = await self._plans(session, [event.comment_id])
            await self._write_plan(plans.get(event.comment_id, []), event.comment_id)
        elif isinstance(event, events.ModeratorActed):
            async with self.db.write_session() as session:
                await self._moderator_acted(session, event)
                await session.commit()

    async def _write_plan(self, plan: Plan, comment_id: int) -> None:
        if not plan:
            return
        async with self.db.write_session() as session:
            for account_id, kind, actor_id in plan:
                await self._notify(session, account_id, kind, actor_id, comment_id)
            await session.commit()

    async def _plans(self, session: AsyncSession, comment_ids: list[int]) -> dict[int, Plan]:
        """Who each of these new comments concerns, by comment id (nobody: no entry)."""
        plans: dict[int, Plan] = {}
        for comment in await comment_queries.list_comments(session, comment_ids):
            plan = await self._recipients(session, comment)
            if plan:
                plans[comment.id] = plan
        return plans

    async def _recipients(self, session: AsyncSession, comment: Comment) -> Plan:
        """(account, kind, actor) for each reader a new comment concerns."""
        if (
            comment.author_id is None
            or comment.deleted_at is not None
            or comment.status is not CommentStatus.VISIBLE
        ):
            return []
        author_id = comment.author_id
        plan: Plan = []
        told: set[int] = {author_id}
        if comment.parent_id is not None:
            parent = await comment_queries.get_comment(session, comment.parent_id)
            if parent is not None and parent.author_id is not None:
                told.add(parent.author_id)
                if parent.author_id != author_id:
                    plan.append((parent.author_id, NotificationKind.REPLY, author_id))
        names = _mentions(comment.body_html)
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
