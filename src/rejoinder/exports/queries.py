"""Every query of the exports: the pages of a scope, and their comments with authors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncResult, AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment
from rejoinder.importers.models import ImportedIdentity
from rejoinder.pages.models import Page, PageAlias

PAGE_BATCH = 200


async def list_page_ids(
    session: AsyncSession, *, page_digest: str | None, host: str | None
) -> list[int]:
    stmt = select(Page.id).order_by(Page.id)
    if page_digest is not None:
        stmt = stmt.join(PageAlias, PageAlias.page_id == Page.id).where(
            PageAlias.digest == page_digest
        )
    elif host is not None:
        # Keys are scheme-less (``example.com/path``): a host's pages share the prefix.
        stmt = stmt.where(
            or_(
                Page.key == host,
                Page.key.startswith(host + "/", autoescape=True),
                Page.key.startswith(host + "?", autoescape=True),
                Page.key.startswith(host + ":", autoescape=True),
            )
        )
    return list((await session.execute(stmt)).scalars())


async def get_pages(session: AsyncSession, ids: list[int]) -> list[Page]:
    stmt = select(Page).where(Page.id.in_(ids)).order_by(Page.id)
    return list((await session.execute(stmt)).scalars())


async def list_alias_keys(session: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    stmt = (
        select(PageAlias.page_id, PageAlias.key)
        .where(PageAlias.page_id.in_(ids))
        .order_by(PageAlias.id)
    )
    found: dict[int, list[str]] = {}
    for page_id, key in await session.execute(stmt):
        found.setdefault(page_id, []).append(key)
    return found


async def stream_comments(
    session: AsyncSession, page_id: int
) -> AsyncIterator[Row[Comment, str | None, ImportedIdentity | None]]:
    """(Comment, username or None, identity or None) in id order, streamed."""
    stmt = (
        select(Comment, Account.username, ImportedIdentity)
        .outerjoin(Account, Account.id == Comment.author_id)
        .outerjoin(ImportedIdentity, ImportedIdentity.id == Comment.identity_id)
        .where(Comment.page_id == page_id)
        .order_by(Comment.id)
        .execution_options(yield_per=500)
    )
    # SQLAlchemy types the row from the selected columns, not the outer joins that can
    # leave the author's columns NULL (anonymous and imported comments).
    result = cast(
        "AsyncResult[Comment, str | None, ImportedIdentity | None]", await session.stream(stmt)
    )
    async for row in result:
        yield row
        # Rows are not needed once written; keep the identity map from growing.
        session.expunge(row[0])
