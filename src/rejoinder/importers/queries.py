"""Every query of the importers: records of what was imported, identities, bulk inserts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.importers.models import ImportedIdentity, ImportRecord
from rejoinder.pages.models import Page, PageAlias
from rejoinder.readcache import touched
from rejoinder.submissions import queries as submission_queries


async def list_records(session: AsyncSession, source: str) -> dict[str, int]:
    """External id -> comment id of everything already imported from ``source``."""
    stmt = select(ImportRecord.external_id, ImportRecord.comment_id).where(
        ImportRecord.source == source
    )
    return {row[0]: row[1] for row in (await session.execute(stmt)).all()}


async def insert_records(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ImportRecord), rows)


async def get_identity(
    session: AsyncSession, source: str, external_key: str
) -> ImportedIdentity | None:
    stmt = select(ImportedIdentity).where(
        ImportedIdentity.source == source, ImportedIdentity.external_key == external_key
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_identity(session: AsyncSession, identity: ImportedIdentity) -> ImportedIdentity:
    session.add(identity)
    await session.flush()
    return identity


async def get_identity_by_id(session: AsyncSession, identity_id: int) -> ImportedIdentity | None:
    return await session.get(ImportedIdentity, identity_id)


async def list_identities(
    session: AsyncSession, name: str | None, limit: int
) -> list[ImportedIdentity]:
    stmt = select(ImportedIdentity).order_by(ImportedIdentity.id).limit(limit)
    if name:
        stmt = stmt.where(func.lower(ImportedIdentity.name).contains(name.lower(), autoescape=True))
    return list((await session.execute(stmt)).scalars())


async def claim_comments(session: AsyncSession, identity_id: int, account_id: int) -> int:
    """Show the identity's comments as the account's; returns how many."""
    result = await session.execute(
        update(Comment)
        .where(Comment.identity_id == identity_id)
        .values(author_id=account_id, guest_name=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def get_account_id(session: AsyncSession, username: str) -> int | None:
    stmt = select(Account.id).where(
        Account.username_key == username.casefold(), Account.deleted_at.is_(None)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_comment(session: AsyncSession, values: dict[str, Any]) -> int:
    # Core, not the ORM: a 100 MB import must not keep 100,000 objects in the identity map.
    result = await session.execute(insert(Comment).values(**values).returning(Comment.id))
    return int(result.scalar_one())


async def get_place(
    session: AsyncSession, comment_id: int
) -> tuple[int, int | None, int, int | None] | None:
    """(page id, root id, depth, parent id) of an earlier import's comment."""
    stmt = select(Comment.page_id, Comment.root_id, Comment.depth, Comment.parent_id).where(
        Comment.id == comment_id
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1], row[2], row[3]) if row else None


async def update_places(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        await session.execute(
            update(Comment)
            .where(Comment.id == row["id"])
            .values(parent_id=row["parent_id"], root_id=row["root_id"], depth=row["depth"])
        )


async def get_alias_page(session: AsyncSession, digest: str) -> int | None:
    stmt = select(PageAlias.page_id).where(PageAlias.digest == digest)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_alias(
    session: AsyncSession, page_id: int, key: str, digest: str, created_at: datetime
) -> None:
    await session.execute(
        insert(PageAlias).values(page_id=page_id, key=key, digest=digest, created_at=created_at)
    )


async def update_page(session: AsyncSession, page_id: int, **values: object) -> None:
    await session.execute(update(Page).where(Page.id == page_id).values(**values))


async def recount_page(session: AsyncSession, page_id: int) -> None:
    """Set the count and last comment time from the rows, as the comment service keeps them."""
    visible = (Comment.status == CommentStatus.VISIBLE) & Comment.deleted_at.is_(None)
    stmt = select(func.count(Comment.id).filter(visible), func.max(Comment.created_at)).where(
        Comment.page_id == page_id
    )
    count, last = (await session.execute(stmt)).one()
    last_at: datetime | None = last
    await session.execute(
        update(Page)
        .where(Page.id == page_id)
        .values(
            comment_count=int(count),
            last_comment_at=last_at,
            thread_version=Page.thread_version + 1,
        )
    )
    touched.mark_page(session, page_id)
    if last_at is not None:
        await submission_queries.update_active_at(session, page_id, last_at)
