"""The rows feeds are made of: recent public comments of a page, newest submissions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.pages.models import Page
from rejoinder.submissions.models import Submission


async def list_page_comments(
    session: AsyncSession, page_id: int, limit: int
) -> list[tuple[Comment, str | None]]:
    """The page's newest public comments with their authors' names (None: deleted account)."""
    stmt = (
        select(Comment, Account.username, Account.deleted_at)
        .outerjoin(Account, Account.id == Comment.author_id)
        .where(
            Comment.page_id == page_id,
            Comment.status == CommentStatus.VISIBLE,
            Comment.deleted_at.is_(None),
        )
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [
        (comment, None if deleted_at else (name or comment.guest_name))
        for comment, name, deleted_at in (await session.execute(stmt)).all()
    ]


async def list_new_submissions(
    session: AsyncSession, limit: int
) -> list[tuple[Submission, Page, str | None]]:
    stmt = (
        select(Submission, Page, Account.username)
        .join(Page, Page.id == Submission.page_id)
        .outerjoin(Account, Account.id == Submission.account_id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
    )
    return [(sub, page, name) for sub, page, name in (await session.execute(stmt)).all()]
