"""Every query on notifications, preferences and the mail outbox (with the outbox claim)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment
from rejoinder.db import leases
from rejoinder.moderation.models import Mute
from rejoinder.notifications.models import (
    MailOutbox,
    Notification,
    NotificationKind,
    NotificationPrefs,
)
from rejoinder.pages.models import Page


class InboxRow(NamedTuple):
    notification: Notification
    actor_name: str | None
    comment: Comment | None
    page: Page | None


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_notification(
    session: AsyncSession,
    account_id: int,
    kind: NotificationKind,
    now: datetime,
    *,
    actor_id: int | None = None,
    comment_id: int | None = None,
    detail: str = "",
) -> int | None:
    """The new notification's id, or None when this one already exists."""
    stmt = (
        _insert(session)(Notification)
        .values(
            account_id=account_id,
            kind=kind,
            actor_id=actor_id,
            comment_id=comment_id,
            detail=detail[:500],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "kind", "comment_id"])
        .returning(Notification.id)
    )
    return cast(int | None, (await session.execute(stmt)).scalar_one_or_none())


async def count_unread(session: AsyncSession, account_id: int, cap: int) -> int:
    """Unread notifications, counted up to ``cap`` (the badge shows "99+" beyond)."""
    capped = (
        select(Notification.id)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
        .limit(cap)
        .subquery()
    )
    return int((await session.execute(select(func.count()).select_from(capped))).scalar_one())


def _inbox_select(account_id: int) -> Any:
    actor = aliased(Account)
    return (
        select(Notification, actor.username, Comment, Page)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Comment, Comment.id == Notification.comment_id)
        .outerjoin(Page, Page.id == Comment.page_id)
        .where(Notification.account_id == account_id)
    )


async def list_inbox(
    session: AsyncSession, account_id: int, limit: int, before_id: int | None = None
) -> list[InboxRow]:
    """Newest first; ids grow with time and page the list (``before_id``)."""
    stmt = _inbox_select(account_id).order_by(Notification.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return [InboxRow(*values) for values in (await session.execute(stmt)).all()]


async def list_replies(session: AsyncSession, account_id: int, limit: int) -> list[InboxRow]:
    """Replies and mentions, newest first: the private replies feed."""
    stmt = (
        _inbox_select(account_id)
        .where(Notification.kind.in_([NotificationKind.REPLY, NotificationKind.MENTION]))
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return [InboxRow(*values) for values in (await session.execute(stmt)).all()]


async def mark_read(
    session: AsyncSession, account_id: int, ids: Sequence[int] | None, now: datetime
) -> int:
    """Mark the reader's notifications ``ids`` (None: all) read; the number changed."""
    stmt = update(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = cast(
        CursorResult[Any],
        await session.execute(
            stmt.values(read_at=now).execution_options(synchronize_session=False)
        ),
    )
    return int(result.rowcount or 0)


async def is_muted(session: AsyncSession, account_id: int, muted_id: int) -> bool:
    stmt = select(Mute.account_id).where(Mute.account_id == account_id, Mute.muted_id == muted_id)
    return (await session.execute(stmt)).first() is not None


async def list_accounts_by_username_keys(
    session: AsyncSession, keys: Sequence[str]
) -> list[Account]:
    if not keys:
        return []
    stmt = select(Account).where(Account.username_key.in_(keys), Account.deleted_at.is_(None))
    return list((await session.execute(stmt)).scalars())


# Preferences


async def get_prefs(session: AsyncSession, account_id: int) -> NotificationPrefs | None:
    return await session.get(NotificationPrefs, account_id)


async def get_or_create_prefs(
    session: AsyncSession, account_id: int, now: datetime
) -> NotificationPrefs:
    """The reader's row, created with the defaults; locked on PostgreSQL for the update."""
    await session.execute(
        _insert(session)(NotificationPrefs)
        .values(account_id=account_id, email_replies=False, updated_at=now)
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    stmt = select(NotificationPrefs).where(NotificationPrefs.account_id == account_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()


async def get_account_by_feed_digest(session: AsyncSession, digest: str) -> Account | None:
    stmt = (
        select(Account)
        .join(NotificationPrefs, NotificationPrefs.account_id == Account.id)
        .where(NotificationPrefs.feed_digest == digest, Account.deleted_at.is_(None))
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# The mail outbox


async def insert_outbox(
    session: AsyncSession, account_id: int, notification_id: int, now: datetime
) -> None:
    session.add(
        MailOutbox(
            account_id=account_id, notification_id=notification_id, created_at=now, attempts=0
        )
    )
    await session.flush()


def _unclaimed(now: datetime) -> Any:
    # Never claimed, or the lease (or the back-off after a failure) has run out.
    return or_(MailOutbox.claimed_until.is_(None), MailOutbox.claimed_until < now)


async def claim_digest(
    session: AsyncSession, now: datetime, window: timedelta, lease: timedelta, claim: str
) -> int | None:
    """Stamp every waiting row of one reader whose oldest row has waited ``window``.

    Returns the reader's account id, or None when nobody is due. The UPDATE repeats the
    unclaimed condition: on PostgreSQL a concurrent worker blocked on the same rows
    re-checks it after the first commits and updates nothing; SQLite serializes writers.
    """
    account_id: int | None = await leases.claim_first(
        session,
        MailOutbox.account_id,
        due=and_(MailOutbox.created_at <= now - window, _unclaimed(now)),
        claimable=_unclaimed(now),
        order_by=(MailOutbox.created_at, MailOutbox.id),
        values={"claim": claim, "claimed_until": now + lease, "attempts": MailOutbox.attempts + 1},
    )
    return account_id


async def list_claimed(session: AsyncSession, claim: str) -> list[tuple[MailOutbox, InboxRow]]:
    actor = aliased(Account)
    stmt = (
        select(MailOutbox, Notification, actor.username, Comment, Page)
        .join(Notification, Notification.id == MailOutbox.notification_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Comment, Comment.id == Notification.comment_id)
        .outerjoin(Page, Page.id == Comment.page_id)
        .where(MailOutbox.claim == claim)
        .order_by(Notification.id)
    )
    return [(row[0], InboxRow(*row[1:])) for row in (await session.execute(stmt)).all()]


async def delete_claimed(session: AsyncSession, claim: str) -> None:
    await session.execute(delete(MailOutbox).where(MailOutbox.claim == claim))


async def release_claimed(session: AsyncSession, claim: str, retry_at: datetime) -> None:
    """Give the rows back after a failed send, not to be tried before ``retry_at``."""
    await session.execute(
        update(MailOutbox)
        .where(MailOutbox.claim == claim)
        .values(claim=None, claimed_until=retry_at)
        .execution_options(synchronize_session=False)
    )
