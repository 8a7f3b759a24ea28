"""Every query on pages and their URL keys."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ARRAY, Row, String, Table, any_, bindparam, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from rejoinder.db.driver_statements import DriverStatement
from rejoinder.pages.models import Page, PageAlias, PageSnapshot
from rejoinder.readcache import touched
from rejoinder.submissions import queries as submission_queries


async def get_page(session: AsyncSession, page_id: int) -> Page | None:
    return await session.get(Page, page_id)


async def get_page_for_update(session: AsyncSession, page_id: int) -> Page | None:
    stmt = select(Page).where(Page.id == page_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


# Built once (every post runs it): SQLAlchemy then skips building the statement and its
# cache key, the larger part of a lookup's cost (issue 8).
_PAGE_BY_DIGEST = (
    select(Page)
    .join(PageAlias, PageAlias.page_id == Page.id)
    .where(PageAlias.digest == bindparam("digest"))
)
_PAGE_BY_DIGEST_FOR_UPDATE = _PAGE_BY_DIGEST.with_for_update(of=Page)


async def get_page_by_digest(
    session: AsyncSession, digest: str, *, for_update: bool = False
) -> Page | None:
    stmt = _PAGE_BY_DIGEST_FOR_UPDATE if for_update else _PAGE_BY_DIGEST
    return (await session.execute(stmt, {"digest": digest})).scalar_one_or_none()


class PageControls(NamedTuple):
    """What posting a comment needs of its page (comments.queries.get_post_target)."""

    id: int
    key: str
    is_locked: bool
    is_closed: bool


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


# Each alias carries its page's count (migration 0010's triggers keep it): one index, no join.
_COUNTS = select(PageAlias.__table__.c.digest, PageAlias.__table__.c.comment_count)
_COUNT_BY_DIGESTS = _COUNTS.where(
    PageAlias.__table__.c.digest.in_(bindparam("digests", expanding=True))
)
# On PostgreSQL, one array parameter instead of an expanding IN: SQLAlchemy renders an
# expanding parameter's 50-200 placeholders (with their casts) at every execution, ~0.2 ms.
_COUNT_BY_DIGEST_ARRAY = _COUNTS.where(
    PageAlias.__table__.c.digest == any_(bindparam("digests", type_=ARRAY(String)))
)


async def count_by_digests(session: AsyncSession, digests: Iterable[str]) -> dict[str, int]:
    # Batch counts of up to 200 URLs run this: built once and run on the connection, like
    # the page head above (issue 8). No digests, no rows: skip the round trip.
    values = list(digests)
    if not values:
        return {}
    return await count_by_digests_on(await session.connection(), values)


async def count_by_digests_on(connection: AsyncConnection, digests: list[str]) -> dict[str, int]:
    """``count_by_digests`` on a Core connection: the batch-count front's, without a session."""
    stmt = _COUNT_BY_DIGEST_ARRAY if connection.dialect.name == "postgresql" else _COUNT_BY_DIGESTS
    result = await connection.execute(stmt, {"digests": digests})
    return dict(result.all())


# The same statement in SQLite's SQL, for a plain ``sqlite3`` connection (api/counts_front.py).
# SQLite's planner prefers the unique digest index, then reads each alias row for its count;
# the covering index answers digest -> count alone, one random page read per URL fewer on a
# database larger than the cache (migrations 0009 and 0010).
_SQLITE_COUNT_BY_DIGESTS = (
    "SELECT digest, comment_count FROM page_aliases"
    " INDEXED BY ix_page_aliases_digest_page_id_count WHERE digest IN ({})"
)


@functools.lru_cache(maxsize=256)
def _sqlite_count_sql(placeholders: int) -> str:
    return _SQLITE_COUNT_BY_DIGESTS.format(",".join("?" * placeholders))


def count_by_digests_sqlite(connection: sqlite3.Connection, digests: list[str]) -> dict[str, int]:
    """``count_by_digests`` on a synchronous SQLite connection: one indexed lookup per digest."""
    if not digests:
        return {}
    return dict(connection.execute(_sqlite_count_sql(len(digests)), digests).fetchall())


async def count_by_digest_prefix(session: AsyncSession, prefix: str) -> dict[str, int]:
    """Counts of every key whose digest starts with ``prefix``, as an index range scan."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    aliases = PageAlias.__table__.c
    stmt = select(aliases.digest, aliases.comment_count).where(
        aliases.digest >= prefix, aliases.digest < upper, aliases.comment_count > 0
    )
    return dict((await session.execute(stmt)).all())


async def insert_page(session: AsyncSession, page: Page, digest: str) -> Page:
    session.add(page)
    await session.flush()
    session.add(PageAlias(page_id=page.id, key=page.key, digest=digest, created_at=page.created_at))
    await session.flush()
    return page


_pages = Page.__table__.c
_BUMP_THREAD = (
    update(cast(Table, Page.__table__))
    .where(_pages.id == bindparam("of_page"))
    .values(
        thread_version=_pages.thread_version + 1,
        comment_count=_pages.comment_count + bindparam("delta", type_=_pages.comment_count.type),
    )
)
_BUMP_THREAD_COMMENTED = _BUMP_THREAD.values(last_comment_at=bindparam("commented_at"))
_RUN_BUMP_THREAD_COMMENTED = DriverStatement(_BUMP_THREAD_COMMENTED)


async def bump_thread(
    session: AsyncSession,
    page_id: int,
    *,
    comment_delta: int = 0,
    commented_at: datetime | None = None,
    submitted: bool = True,
) -> None:
    """Record a change to a page's thread: new version, count, last comment time.

    ``submitted=False``: the caller knows, from this transaction, that the page has no
    submission, whose "active" time a comment would otherwise move (one statement saved).
    """
    # Every write runs this: a prebuilt Core UPDATE skips the ORM's per-call statement
    # building and its search of the session for rows to synchronise; the one object that
    # can need the new values, the page itself, is updated below instead.
    await flush_pending(session)
    params: dict[str, object] = {"of_page": page_id, "delta": comment_delta}
    if commented_at is None:
        await session.execute(_BUMP_THREAD, params)
    else:
        params["commented_at"] = commented_at
        await _RUN_BUMP_THREAD_COMMENTED.run(session, params)
    page = session.identity_map.get((Page, (page_id,), None))  # the page's identity key
    if page is not None:
        _sync_loaded(page, thread_version=1, comment_count=comment_delta)
        if commented_at is not None:
            set_loaded(page, last_comment_at=commented_at)
    touched.mark_page(session, page_id)
    if commented_at is not None and submitted:
        # The front page's "active" order reads its own indexed copy of this time.
        await submission_queries.update_active_at(session, page_id, commented_at)


async def flush_pending(session: AsyncSession) -> None:
    """Flush what is pending, as the ORM does before its own statements (Core ones skip it)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        await session.flush()


def _sync_loaded(obj: object, **deltas: int) -> None:
    """Add to loaded attributes as the database did, as an ORM UPDATE's "evaluate" would."""
    loaded = inspect(obj).dict
    for name, delta in deltas.items():
        if name in loaded:
            set_committed_value(obj, name, loaded[name] + delta)


def set_loaded(obj: object, **values: object) -> None:
    """Give loaded attributes the values a Core UPDATE stored, as an ORM UPDATE's "evaluate"
    would: without marking them changed (they are not to be written again)."""
    loaded = inspect(obj).dict
    for name, value in values.items():
        if name in loaded:
            set_committed_value(obj, name, value)


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


async def list_snapshots(
    session: AsyncSession, page_id: int, limit: int
) -> list[Row[int, datetime, str, int, str | None]]:
    """Newest first, without the texts: (id, fetched_at, sha256, length, title)."""
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
