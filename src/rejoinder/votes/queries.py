"""Every query on votes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.votes.models import Vote


async def list_votes_on_page(
    session: AsyncSession, account_id: int, page_id: int
) -> dict[int, int]:
    stmt = select(Vote.comment_id, Vote.value).where(
        Vote.account_id == account_id, Vote.page_id == page_id
    )
    return dict((await session.execute(stmt)).all())


async def get_vote(session: AsyncSession, comment_id: int, account_id: int) -> Vote | None:
    return await session.get(Vote, (comment_id, account_id))
