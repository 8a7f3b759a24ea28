"""Every query on comments. A thread read is two of them, both on ``ix_comments_page_root``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import ThreadRow
from rejoinder.moderation.models import Mute
from rejoinder.pages.models import Page

# Moderators pin at most this many top-level comments per page (moderation/controls.py):
# pins are for announcements and the odd outstanding answer; more would be a second sort.
MAX_PINS_PER_PAGE = 3

# Shown instead of the name of an account that was closed.
DELETED_AUTHOR = "[deleted]"


def _readable(viewer_id: int | None) -> ColumnElement[bool]:
    """Rows a reader may receive: all but pending ones, and their own pending ones."""
    if viewer_id is None:
        return Comment.status != CommentStatus.PENDING
    return or_(Comment.status != CommentStatus.PENDING, Comment.author_id == viewer_id)


def _thread_select(viewer_id: int | None = None) -> Select[*tuple[Any, ...]]:
    stmt = select(
        Comment.id,
        Comment.parent_id,
        # Guests have no account: their name is on the comment row itself. A closed
        # account's comments stay, without the name (accounts.service.delete_account).
        case(
            (Account.deleted_at.is_not(None), DELETED_AUTHOR),
            else_=func.coalesce(Account.username, Comment.guest_name),
        ),
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
        Comment.is_pinned,
        # The reader's mutes, joined on the mutes primary key: no extra query per read.
        Mute.muted_id.is_not(None) if viewer_id is not None else literal(False),
        Comment.quote,
    ).outerjoin(Account, Account.id == Comment.author_id)
    if viewer_id is not None:
        stmt = stmt.outerjoin(
            Mute, and_(Mute.account_id == viewer_id, Mute.muted_id == Comment.author_id)
        )
    return stmt


async def list_roots(
    session: AsyncSession,
    page_id: int,
    sort: Sort,
    limit: int,
    viewer_id: int | None,
    after: tuple[int, float | None] | None = None,
) -> list[ThreadRow]:
    """One page of top-level comments in ``sort`` order, after the cursor position."""
    stmt = _thread_select(viewer_id).where(
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
    if after is None:
        # Pinned comments lead the first page and do not count against its size.
        order = (Comment.is_pinned.desc(), *order)
        limit += MAX_PINS_PER_PAGE
    else:
        stmt = stmt.where(Comment.is_pinned.is_(False))
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
    stmt = _thread_select(viewer_id).where(
        Comment.page_id == page_id, Comment.root_id.in_(root_ids), _readable(viewer_id)
    )
    return [ThreadRow._make(values) for values in (await session.execute(stmt)).all()]


async def get_thread_row(session: AsyncSession, comment_id: int) -> ThreadRow | None:
    """One comment as the thread read path sees it (author name joined), for live updates."""
    row = (await session.execute(_thread_select().where(Comment.id == comment_id))).one_or_none()
    return ThreadRow._make(row) if row is not None else None


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


async def list_subtree(
    session: AsyncSession, page_id: int, root_id: int, viewer_id: int | None
) -> list[ThreadRow]:
    """A top-level comment and all its replies, as the reader may see them."""
    stmt = _thread_select(viewer_id).where(
        Comment.page_id == page_id,
        or_(Comment.id == root_id, Comment.root_id == root_id),
        _readable(viewer_id),
    )
    return [ThreadRow._make(values) for values in (await session.execute(stmt)).all()]


async def list_by_author(
    session: AsyncSession,
    author_id: int,
    limit: int,
    *,
    before_id: int | None = None,
    include_pending: bool = False,
) -> list[tuple[Comment, Page]]:
    """An author's shown comments, newest first, with their pages."""
    statuses = [CommentStatus.VISIBLE]
    if include_pending:
        statuses.append(CommentStatus.PENDING)
    stmt = (
        select(Comment, Page)
        .join(Page, Page.id == Comment.page_id)
        .where(
            Comment.author_id == author_id,
            Comment.deleted_at.is_(None),
            Comment.status.in_(statuses),
        )
        # Ids grow with time and make a stable cursor (``before_id``) for paging.
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(Comment.id < before_id)
    return [(comment, page) for comment, page in (await session.execute(stmt)).all()]


async def sum_scores_by_author(session: AsyncSession, author_id: int) -> tuple[int, int]:
    """(karma, comment count) over the author's shown comments."""
    stmt = select(func.coalesce(func.sum(Comment.score), 0), func.count(Comment.id)).where(
        Comment.author_id == author_id,
        Comment.deleted_at.is_(None),
        Comment.status == CommentStatus.VISIBLE,
    )
    karma, count = (await session.execute(stmt)).one()
    return int(karma), int(count)


async def page_ids_with_comments_by(
    session: AsyncSession, *, author_id: int | None = None, identity_id: int | None = None
) -> list[int]:
    """Pages where this account (or imported identity) has comments: their threads name it."""
    stmt = select(Comment.page_id).distinct()
    if author_id is not None:
        stmt = stmt.where(Comment.author_id == author_id)
    if identity_id is not None:
        stmt = stmt.where(Comment.identity_id == identity_id)
    return list((await session.scalars(stmt)).all())
