"""Every query of the moderation domain: bans, reports, the queue, the log, fingerprints, mutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account, Role
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.moderation.models import (
    AuditEntry,
    Ban,
    HiddenPage,
    Mute,
    Report,
    ReportReason,
    TargetType,
    TextFingerprint,
)
from rejoinder.pages.models import Page


async def add_ignoring_duplicate(session: AsyncSession, row: Any) -> bool:
    """Insert a row whose primary key may already exist; False when it did."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


# Bans


def _active_ban(now: datetime) -> Any:
    return and_(Ban.lifted_at.is_(None), or_(Ban.ends_at.is_(None), Ban.ends_at > now))


class BanTerms(NamedTuple):
    """What a banned account is told: why, and until when (None: permanently)."""

    reason: str
    ends_at: datetime | None


_bans = Ban.__table__.c
# Every write by a signed-in reader runs this (bans take effect at once, across workers), so
# it is built once, on the table's columns: no statement building, ORM compiling or loading.
ACTIVE_BAN = (
    select(_bans.reason, _bans.ends_at)
    .where(
        _bans.account_id == bindparam("account_id"),
        _bans.lifted_at.is_(None),
        or_(_bans.ends_at.is_(None), _bans.ends_at > bindparam("now")),
    )
    .order_by(_bans.ends_at.is_(None).desc(), _bans.ends_at.desc())
    .limit(1)
)


async def get_active_ban(session: AsyncSession, account_id: int, now: datetime) -> BanTerms | None:
    """The ban that ends last (a permanent one first), if any is in force."""
    result = await session.execute(ACTIVE_BAN, {"account_id": account_id, "now": now})
    row = result.first()
    return BanTerms._make(row) if row is not None else None


async def list_active_bans(
    session: AsyncSession, now: datetime, after_id: int | None, limit: int
) -> list[tuple[Ban, str, str | None]]:
    """Bans in force, newest first: (ban, banned username, username of who banned)."""
    banner = Account.__table__.alias("banner")
    stmt = (
        select(Ban, Account.username, banner.c.username)
        .join(Account, Account.id == Ban.account_id)
        .outerjoin(banner, banner.c.id == Ban.created_by)
        .where(_active_ban(now))
        .order_by(Ban.id.desc())
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(Ban.id < after_id)
    return [(ban, name, by) for ban, name, by in (await session.execute(stmt)).all()]


async def lift_bans(session: AsyncSession, account_id: int, now: datetime) -> int:
    stmt = (
        update(Ban)
        .where(Ban.account_id == account_id, _active_ban(now))
        .values(lifted_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Reports and the queue


async def get_report(
    session: AsyncSession, target_type: TargetType, target_id: int, reporter_id: int
) -> Report | None:
    stmt = select(Report).where(
        Report.target_type == target_type,
        Report.target_id == target_id,
        Report.reporter_id == reporter_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def count_open_reader_reports(
    session: AsyncSession, target_type: TargetType, target_id: int
) -> int:
    stmt = select(func.count()).where(
        Report.target_type == target_type,
        Report.target_id == target_id,
        Report.resolved_at.is_(None),
        Report.reporter_id.is_not(None),
    )
    return int((await session.execute(stmt)).scalar_one())


async def resolve_reports(
    session: AsyncSession,
    target_type: TargetType,
    target_ids: Sequence[int],
    actor_id: int,
    now: datetime,
) -> None:
    stmt = (
        update(Report)
        .where(
            Report.target_type == target_type,
            Report.target_id.in_(target_ids),
            Report.resolved_at.is_(None),
        )
        .values(resolved_at=now, resolved_by=actor_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


async def list_queue(
    session: AsyncSession,
    *,
    reason: ReportReason | None,
    older_than: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[int, datetime]]:
    """Comments with open reports, the longest waiting first: (comment id, first flagged)."""
    first = func.min(Report.created_at)
    stmt = (
        select(Report.target_id, first)
        # The join drops reports whose comment no longer exists (its page was deleted).
        .join(Comment, Comment.id == Report.target_id)
        .where(Report.target_type == TargetType.COMMENT, Report.resolved_at.is_(None))
        .group_by(Report.target_id)
        .order_by(first, Report.target_id)
        .limit(limit)
    )
    if reason is not None:
        stmt = stmt.where(Report.reason == reason)
    if older_than is not None:
        stmt = stmt.having(first < older_than)
    if after is not None:
        last_time, last_id = after
        stmt = stmt.having(
            or_(first > last_time, and_(first == last_time, Report.target_id > last_id))
        )
    return [(int(target), when) for target, when in (await session.execute(stmt)).all()]


async def list_open_reports(
    session: AsyncSession, target_type: TargetType, target_ids: Sequence[int]
) -> list[tuple[Report, str | None]]:
    stmt = (
        select(Report, Account.username)
        .outerjoin(Account, Account.id == Report.reporter_id)
        .where(
            Report.target_type == target_type,
            Report.target_id.in_(target_ids),
            Report.resolved_at.is_(None),
        )
        .order_by(Report.id)
    )
    return [(report, name) for report, name in (await session.execute(stmt)).all()]


async def list_comments(session: AsyncSession, comment_ids: Sequence[int]) -> list[Comment]:
    if not comment_ids:
        return []
    stmt = select(Comment).where(Comment.id.in_(comment_ids))
    return list((await session.execute(stmt)).scalars())


async def lock_comments(session: AsyncSession, comment_ids: Sequence[int]) -> list[Comment]:
    """The comments, locked in id order (two bulk actions never deadlock on each other)."""
    stmt = select(Comment).where(Comment.id.in_(comment_ids)).order_by(Comment.id).with_for_update()
    return list((await session.execute(stmt)).scalars())


async def count_comments_by_status(
    session: AsyncSession, author_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Per author: visible, removed and spam comments (not counting their own deletions)."""
    if not author_ids:
        return {}
    stmt = (
        select(Comment.author_id, Comment.status, func.count())
        .where(Comment.author_id.in_(author_ids), Comment.deleted_at.is_(None))
        .group_by(Comment.author_id, Comment.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for author_id, status, count in (await session.execute(stmt)).all():
        if author_id is not None:
            counts.setdefault(author_id, {})[CommentStatus(status).value] = int(count)
    return counts


async def count_approved_comments(session: AsyncSession, author_id: int, cap: int) -> int:
    """Visible comments of an author, counting no further than ``cap`` (the rule's need)."""
    inner = (
        select(Comment.id)
        .where(
            Comment.author_id == author_id,
            Comment.status == CommentStatus.VISIBLE,
            Comment.deleted_at.is_(None),
        )
        .limit(cap)
        .subquery()
    )
    return int((await session.execute(select(func.count()).select_from(inner))).scalar_one())


async def list_pages(session: AsyncSession, page_ids: Sequence[int]) -> list[Page]:
    if not page_ids:
        return []
    return list((await session.execute(select(Page).where(Page.id.in_(page_ids)))).scalars())


async def list_accounts(session: AsyncSession, account_ids: Sequence[int]) -> list[Account]:
    if not account_ids:
        return []
    stmt = select(Account).where(Account.id.in_(account_ids))
    return list((await session.execute(stmt)).scalars())


async def list_staff(session: AsyncSession) -> list[Account]:
    """Moderators and admins, for the roles page (a handful of rows)."""
    stmt = (
        select(Account)
        .where(Account.role.in_([Role.MODERATOR, Role.ADMIN]), Account.deleted_at.is_(None))
        .order_by(Account.username_key)
    )
    return list((await session.execute(stmt)).scalars())


async def list_active_bans_of(
    session: AsyncSession, account_ids: Sequence[int], now: datetime
) -> dict[int, Ban]:
    if not account_ids:
        return {}
    stmt = select(Ban).where(Ban.account_id.in_(account_ids), _active_ban(now))
    bans: dict[int, Ban] = {}
    for ban in (await session.execute(stmt)).scalars():
        current = bans.get(ban.account_id)
        if current is None or (
            current.ends_at is not None and (ban.ends_at is None or ban.ends_at > current.ends_at)
        ):
            bans[ban.account_id] = ban
    return bans


async def count_pinned(session: AsyncSession, page_id: int) -> int:
    stmt = select(func.count()).where(
        Comment.page_id == page_id, Comment.root_id.is_(None), Comment.is_pinned.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())


# Flood fingerprints


async def count_other_pages_with_text(
    session: AsyncSession,
    digest: str,
    *,
    account_id: int | None,
    ip_digest: str | None,
    since: datetime,
    page_id: int,
) -> int:
    """On how many other pages this account or address posted this text since ``since``."""
    same_source = [TextFingerprint.ip_digest == ip_digest] if ip_digest else []
    if account_id is not None:
        same_source.append(TextFingerprint.account_id == account_id)
    if not same_source:
        return 0
    stmt = select(func.count(func.distinct(TextFingerprint.page_id))).where(
        TextFingerprint.digest == digest,
        TextFingerprint.created_at >= since,
        TextFingerprint.page_id != page_id,
        or_(*same_source),
    )
    return int((await session.execute(stmt)).scalar_one())


async def delete_fingerprints_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(TextFingerprint).where(TextFingerprint.created_at < cutoff))


# Audit log


async def list_audit(
    session: AsyncSession, before_id: int | None, limit: int
) -> list[tuple[AuditEntry, str | None]]:
    stmt = (
        select(AuditEntry, Account.username)
        .outerjoin(Account, Account.id == AuditEntry.actor_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return [(entry, name) for entry, name in (await session.execute(stmt)).all()]


# Reader tools


async def list_mutes(session: AsyncSession, account_id: int) -> list[tuple[str, datetime]]:
    stmt = (
        select(Account.username, Mute.created_at)
        .join(Account, Account.id == Mute.muted_id)
        .where(Mute.account_id == account_id)
        .order_by(Account.username_key)
    )
    return [(name, when) for name, when in (await session.execute(stmt)).all()]


async def delete_mute(session: AsyncSession, account_id: int, muted_id: int) -> None:
    await session.execute(
        delete(Mute).where(Mute.account_id == account_id, Mute.muted_id == muted_id)
    )


async def list_hidden_page_ids(session: AsyncSession, account_id: int) -> list[int]:
    """The pages a reader hid from their front page (the front page filters on these)."""
    stmt = (
        select(HiddenPage.page_id)
        .where(HiddenPage.account_id == account_id)
        .order_by(HiddenPage.page_id)
    )
    return [int(page_id) for page_id in (await session.execute(stmt)).scalars()]


async def delete_hidden_page(session: AsyncSession, account_id: int, page_id: int) -> None:
    await session.execute(
        delete(HiddenPage).where(HiddenPage.account_id == account_id, HiddenPage.page_id == page_id)
    )
