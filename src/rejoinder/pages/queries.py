"""Every query on pages and their URL keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.pages.models import Page, PageAlias


async def get_page(session: AsyncSession, page_id: int) -> Page | None:
    return await session.get(Page, page_id)


async def get_page_by_digest(
    session: AsyncSession, digest: str, *, for_update: bool = False
) -> Page | None:
    stmt = (
        select(Page).join(PageAlias, PageAlias.page_id == Page.id).where(PageAlias.digest == digest)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Page)
    return (await session.execute(stmt)).scalar_one_or_none()


async def count_by_digests(session: AsyncSession, digests: Iterable[str]) -> dict[str, int]:
    stmt = (
        select(PageAlias.digest, Page.comment_count)
        .join(Page, Page.id == PageAlias.page_id)
        .where(PageAlias.digest.in_(list(digests)))
    )
    return dict((await session.execute(stmt)).all())


async def count_by_digest_prefix(session: AsyncSession, prefix: str) -> dict[str, int]:
    """Counts of every key whose digest starts with ``prefix``, as an index range scan."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    stmt = (
        select(PageAlias.digest, Page.comment_count)
        .join(Page, Page.id == PageAlias.page_id)
        .where(PageAlias.digest >= prefix, PageAlias.digest < upper, Page.comment_count > 0)
    )
    return dict((await session.execute(stmt)).all())


async def insert_page(session: AsyncSession, page: Page, digest: str) -> Page:
    session.add(page)
    await session.flush()
    session.add(PageAlias(page_id=page.id, key=page.key, digest=digest, created_at=page.created_at))
    await session.flush()
    return page


async def bump_thread(
    session: AsyncSession,
    page_id: int,
    *,
    comment_delta: int = 0,
    commented_at: datetime | None = None,
) -> None:
    """Record a change to a page's thread: new version, count, last comment time."""
    values: dict[str, object] = {
        "thread_version": Page.thread_version + 1,
        "comment_count": Page.comment_count + comment_delta,
    }
    if commented_at is not None:
        values["last_comment_at"] = commented_at
    await session.execute(update(Page).where(Page.id == page_id).values(**values))
