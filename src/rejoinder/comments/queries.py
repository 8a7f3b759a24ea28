"""Every query on comments. A thread read is two of them, both on ``ix_comments_page_root``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, UnaryExpression, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import ThreadRow


def _readable(viewer_id: int | None) -> ColumnElement[bool]:
    """Rows a reader may receive: all but pending ones, and their own pending ones."""
    if viewer_id is None:
        return Comment.status != CommentStatus.PENDING
    return or_(Comment.status != CommentStatus.PENDING, Comment.author_id == viewer_id)


def _thread_select() -> Select[*tuple[Any, ...]]:
    return select(
        Comment.id,
        Comment.parent_id,
        # Guests have no account: their name is on the comment row itself.
        func.coalesce(Account.username, Comment.guest_name),
        Comment.body_html,
        Comment.status,
        Comment.nsfw,
        Comment.upvotes,
        Comment.downvotes,
        Comment.score,
        Comment.controversy,
        Comment.created_at,
        Comment.edited_at,
        Comment.deleted_at,
    ).outerjoin(Account, Account.id == Comment.author_id)


async def list_roots(
    session: AsyncSession,
    page_id: int,
    sort: Sort,
    limit: int,
    viewer_id: int | None,
    after: tuple[int, float | None] | None = None,
) -> list[ThreadRow]:
    """One page of top-level comments in ``sort`` order, after the cursor position."""
    stmt = _thread_select().where(
        Comment.page_id == page_id, Comment.root_id.is_(None), _readable(viewer_id)
    )
    order: tuple[UnaryExpression[Any], ...]
    if sort is Sort.TOP:
        order = (Comment.score.desc(), Comment.id.asc())
    elif sort is Sort.NEW:
        order = (Comment.id.desc(),)
    elif sort is Sort.OLD:
        order = (Comment.id.asc(),)
    else:
        order = (Comment.controversy.desc(), Comment.id.asc())
    if after is not None:
        last_id, last_value = after
        if sort is Sort.TOP:
            stmt = stmt.where(
                or_(
                    Comment.score < last_value,
                    and_(Comment.score == last_value, Comment.id > last_id),
                )
            )
        elif sort is Sort.CONTROVERSIAL:
            stmt = stmt.where(
                or_(
                    Comment.controversy < last_value,
                    and_(Comment.controversy == last_value, Comment.id > last_id),
                )
            )
        elif sort is Sort.NEW:
            stmt = stmt.where(Comment.id < last_id)
        else:
            stmt = stmt.where(Comment.id > last_id)
    stmt = stmt.order_by(*order).limit(limit)
    return [ThreadRow._make(values) for values in (await session.execute(stmt)).all()]


async def list_descendants(
    session: AsyncSession, page_id: int, root_ids: Sequence[int], viewer_id: int | None
) -> list[ThreadRow]:
    if not root_ids:
        return []
    stmt = _thread_select().where(
        Comment.page_id == page_id, Comment.root_id.in_(root_ids), _readable(viewer_id)
    )
    return [ThreadRow._make(values) for values in (await session.execute(stmt)).all()]


async def get_comment(
    session: AsyncSession, comment_id: int, *, for_update: bool = False
) -> Comment | None:
    if not for_update:
        return await session.get(Comment, comment_id)
    stmt = select(Comment).where(Comment.id == comment_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_comment(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    await session.flush()
    return comment


async def add_to_tallies(
    session: AsyncSession, comment_id: int, up_delta: int, down_delta: int
) -> tuple[int, int]:
    """Apply a vote change in place (concurrent voters cannot lose each other's increments)."""
    stmt = (
        update(Comment)
        .where(Comment.id == comment_id)
        .values(
            upvotes=Comment.upvotes + up_delta,
            downvotes=Comment.downvotes + down_delta,
            score=Comment.score + up_delta - down_delta,
        )
        .returning(Comment.upvotes, Comment.downvotes)
    )
    upvotes, downvotes = (await session.execute(stmt)).one()
    return int(upvotes), int(downvotes)


async def set_controversy(session: AsyncSession, comment_id: int, value: float) -> None:
    await session.execute(update(Comment).where(Comment.id == comment_id).values(controversy=value))
