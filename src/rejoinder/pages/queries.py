"""Every query on pages and their URL keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.pages.models import Page, PageAlias, PageSnapshot
from rejoinder.readcache import touched
from rejoinder.submissions import queries as submission_queries


async def get_page(session: AsyncSession, page_id: int) -> Page | None:
    return await session.get(Page, page_id)


async def get_page_for_update(session: AsyncSession, page_id: int) -> Page | None:
    stmt = select(Page).where(Page.id == page_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_page_by_digest(
    session: AsyncSession, digest: str, *, for_update: bool = False
) -> Page | None:
    stmt = (
        select(Page).join(PageAlias, PageAlias.page_id == Page.id).where(PageAlias.digest == digest)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Page)
    return (await session.execute(stmt)).scalar_one_or_none()


class PageHead(NamedTuple):
    """The columns of a page that a thread read shows, without loading the ORM entity."""

    id: int
    key: str
    url: str
    canonical_url: str | None
    title: str | None
    comment_count: int
    site_name: str | None
    author: str | None
    description: str | None
    image_url: str | None
    language: str | None
    published_at: datetime | None
    fetched_at: datetime | None
    thread_version: int


_PAGE_HEAD_BY_DIGEST = (
    select(*(Page.__table__.c[name] for name in PageHead._fields))
    .join(PageAlias.__table__, PageAlias.__table__.c.page_id == Page.__table__.c.id)
    .where(PageAlias.__table__.c.digest == bindparam("digest"))
)


async def get_page_head_by_digest(session: AsyncSession, digest: str) -> PageHead | None:
    """``get_page_by_digest`` for the thread read path: a third of its cost (issue 8)."""
    # Built once and run on the connection: no statement building, ORM loading or identity map.
    result = await (await session.connection()).execute(_PAGE_HEAD_BY_DIGEST, {"digest": digest})
    row = result.first()
    return PageHead._make(row) if row is not None else None


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
    touched.mark_page(session, page_id)
    if commented_at is not None:
        # The front page's "active" order reads its own indexed copy of this time.
        await submission_queries.update_active_at(session, page_id, commented_at)


async def bump_threads(session: AsyncSession, page_ids: Iterable[int]) -> None:
    """A new version for threads whose rendering changed without a comment changing
    (an author's name, say)."""
    ids = sorted(set(page_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(
            update(Page).where(Page.id.in_(chunk)).values(thread_version=Page.thread_version + 1)
        )
        for page_id in chunk:
            touched.mark_page(session, page_id)


# --- What the fetcher learned: metadata columns and snapshots ----------------------------


async def update_page_metadata(session: AsyncSession, page_id: int, **values: object) -> None:
    # A thread read shows the page's title and metadata: a new version, like any change.
    values["thread_version"] = Page.thread_version + 1
    await session.execute(update(Page).where(Page.id == page_id).values(**values))
    touched.mark_page(session, page_id)


async def get_latest_snapshot(session: AsyncSession, page_id: int) -> PageSnapshot | None:
    stmt = (
        select(PageSnapshot)
        .where(PageSnapshot.page_id == page_id)
        .order_by(PageSnapshot.fetched_at.desc(), PageSnapshot.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_snapshot(session: AsyncSession, snapshot: PageSnapshot) -> PageSnapshot:
    session.add(snapshot)
    await session.flush()
    return snapshot


async def list_snapshots(session: AsyncSession, page_id: int, limit: int) -> list[Row[Any]]:
    """Newest first, without the texts."""
    stmt = (
        select(
            PageSnapshot.id,
            PageSnapshot.fetched_at,
            PageSnapshot.sha256,
            PageSnapshot.length,
            PageSnapshot.title,
        )
        .where(PageSnapshot.page_id == page_id)
        .order_by(PageSnapshot.fetched_at.desc(), PageSnapshot.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def get_snapshot(
    session: AsyncSession, page_id: int, snapshot_id: int
) -> PageSnapshot | None:
    stmt = select(PageSnapshot).where(
        PageSnapshot.id == snapshot_id, PageSnapshot.page_id == page_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_alias_keys(session: AsyncSession, page_id: int) -> list[str]:
    stmt = select(PageAlias.key).where(PageAlias.page_id == page_id).order_by(PageAlias.id)
    return list((await session.execute(stmt)).scalars())
