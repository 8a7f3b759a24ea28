"""Every query on comments. A thread read is two of them, both on ``ix_comments_page_root``."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    Text,
    UnaryExpression,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.types import ARRAY, NullType

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import ThreadRow
from rejoinder.db.driver_statements import DriverStatement
from rejoinder.db.driver_values import utc_datetime
from rejoinder.moderation.models import Mute
from rejoinder.moderation.queries import ACTIVE_BAN, BanTerms
from rejoinder.pages.models import Page, PageAlias
from rejoinder.pages.queries import PageControls, flush_pending, set_loaded
from rejoinder.submissions.models import Submission

# Moderators pin at most this many top-level comments per page (moderation/controls.py):
# pins are for announcements and the odd outstanding answer; more would be a second sort.
MAX_PINS_PER_PAGE = 3

# Shown instead of the name of an account that was closed.
DELETED_AUTHOR = "[deleted]"


def _readable(with_viewer: bool) -> ColumnElement[bool]:
    """Rows a reader may receive: all but pending ones, and their own pending ones."""
    if not with_viewer:
        return Comment.status != CommentStatus.PENDING
    return or_(Comment.status != CommentStatus.PENDING, Comment.author_id == bindparam("viewer_id"))


@functools.cache
def _thread_select(with_viewer: bool = False) -> Select[*tuple[Any, ...]]:
    """The columns of a ``ThreadRow``, built once per shape (``viewer_id`` is a parameter).

    The datetime and status columns come without their types, as the driver hands them:
    ``_thread_row`` converts them in one pass, several times cheaper than SQLAlchemy's
    per-value processors (docs/benchmarks.md, "Uncached thread reads").
    """
    viewer_id: BindParameter[Any] = bindparam("viewer_id")
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
        type_coerce(Comment.status, NullType()),
        Comment.nsfw,
        Comment.upvotes,
        Comment.downvotes,
        Comment.score,
        Comment.controversy,
        type_coerce(Comment.created_at, NullType()),
        type_coerce(Comment.edited_at, NullType()),
        type_coerce(Comment.deleted_at, NullType()),
        Comment.is_pinned,
        # The reader's mutes, joined on the mutes primary key: no extra query per read.
        Mute.muted_id.is_not(None) if with_viewer else literal(False),
        # As text: ``_thread_row`` decodes only real quotes. Comments without one hold JSON
        # ``null`` (a Core insert of None), which the drivers would decode on every row.
        sql_cast(Comment.quote, Text),
    ).outerjoin(Account, Account.id == Comment.author_id)
    if with_viewer:
        stmt = stmt.outerjoin(
            Mute, and_(Mute.account_id == viewer_id, Mute.muted_id == Comment.author_id)
        )
    return stmt


_STATUSES = {status.value: status for status in CommentStatus}


def _thread_row(values: Sequence[Any]) -> ThreadRow:
    (id_, parent, name, html, status, nsfw, up, down, score, contro, created, edited, deleted,
     pinned, muted, quote) = values  # fmt: skip
    # Called for every comment of every uncached read: no keyword arguments, and the two
    # datetimes that are nearly always NULL skip the call.
    return ThreadRow._make(
        (
            id_,
            parent,
            name,
            html,
            _STATUSES[status],
            nsfw,
            up,
            down,
            score,
            contro,
            utc_datetime(created),
            None if edited is None else utc_datetime(edited),
            None if deleted is None else utc_datetime(deleted),
            pinned,
            muted,
            None if quote is None or quote == "null" else json.loads(quote),
        )
    )


async def _thread_rows(
    session: AsyncSession, stmt: Select[*tuple[Any, ...]], params: dict[str, Any]
) -> list[ThreadRow]:
    # Straight to the connection: the ORM's row loading has nothing to add to plain columns.
    result = await (await session.connection()).execute(stmt, params)
    return [_thread_row(values) for values in result.all()]


_ROOT_ORDER: dict[Sort, tuple[UnaryExpression[Any], ...]] = {
    Sort.TOP: (Comment.score.desc(), Comment.id.asc()),
    Sort.NEW: (Comment.id.desc(),),
    Sort.OLD: (Comment.id.asc(),),
    Sort.CONTROVERSIAL: (Comment.controversy.desc(), Comment.id.asc()),
}


@functools.cache
def _roots_select(sort: Sort, with_viewer: bool, after: bool) -> Select[*tuple[Any, ...]]:
    stmt = _thread_select(with_viewer).where(
        Comment.page_id == bindparam("page_id"),
        Comment.root_id.is_(None),
        _readable(with_viewer),
    )
    order = _ROOT_ORDER[sort]
    if not after:
        # Pinned comments lead the first page and do not count against its size.
        order = (Comment.is_pinned.desc(), *order)
    else:
        stmt = stmt.where(Comment.is_pinned.is_(False))
        # Untyped: each comparison gives them the type of its column, as a literal would.
        last_id: BindParameter[Any] = bindparam("last_id")
        last_value: BindParameter[Any] = bindparam("last_value")
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
    return stmt.order_by(*order).limit(bindparam("limit"))


async def list_roots(
    session: AsyncSession,
    page_id: int,
    sort: Sort,
    limit: int,
    viewer_id: int | None,
    after: tuple[int, float | None] | None = None,
) -> list[ThreadRow]:
    """One page of top-level comments in ``sort`` order, after the cursor position."""
    stmt = _roots_select(sort, viewer_id is not None, after is not None)
    params: dict[str, Any] = {"page_id": page_id, "viewer_id": viewer_id}
    if after is None:
        params["limit"] = limit + MAX_PINS_PER_PAGE
    else:
        params.update(limit=limit, last_id=after[0], last_value=after[1])
    return await _thread_rows(session, stmt, params)


@functools.cache
def _descendants_select(with_viewer: bool, as_array: bool) -> Select[*tuple[Any, ...]]:
    # On PostgreSQL the root ids go as one array parameter: an expanding IN is rendered anew
    # for every read (a quarter of a 200-comment read's CPU, issue 8) and is a different
    # prepared statement for every number of roots.
    roots: ColumnElement[bool] = (
        Comment.root_id == any_(bindparam("root_ids", type_=ARRAY(Comment.root_id.type)))
        if as_array
        else Comment.root_id.in_(bindparam("root_ids", expanding=True))
    )
    return _thread_select(with_viewer).where(
        Comment.page_id == bindparam("page_id"), roots, _readable(with_viewer)
    )


async def list_descendants(
    session: AsyncSession, page_id: int, root_ids: Sequence[int], viewer_id: int | None
) -> list[ThreadRow]:
    if not root_ids:
        return []
    connection = await session.connection()
    stmt = _descendants_select(viewer_id is not None, connection.dialect.name == "postgresql")
    params = {"page_id": page_id, "root_ids": list(root_ids), "viewer_id": viewer_id}
    result = await connection.execute(stmt, params)
    return [_thread_row(values) for values in result.all()]


async def get_thread_row(session: AsyncSession, comment_id: int) -> ThreadRow | None:
    """One comment as the thread read path sees it (author name joined), for live updates."""
    stmt = _thread_select().where(Comment.id == comment_id)
    rows = await _thread_rows(session, stmt, {})
    return rows[0] if rows else None


async def get_comment(
    session: AsyncSession, comment_id: int, *, for_update: bool = False
) -> Comment | None:
    if not for_update:
        return await session.get(Comment, comment_id)
    stmt = select(Comment).where(Comment.id == comment_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_comments(session: AsyncSession, comment_ids: Sequence[int]) -> list[Comment]:
    """The comments with these ids that exist, in no particular order."""
    ids = sorted(set(comment_ids))
    if not ids:
        return []
    return list((await session.execute(select(Comment).where(Comment.id.in_(ids)))).scalars())


class PostTarget(NamedTuple):
    """The page a new comment goes to, the ban in force on its author (None: none), and
    whether the page was submitted to the front page (whose "active" order a comment moves)."""

    page: PageControls
    ban: BanTerms | None
    submitted: bool


_pages = Page.__table__.c
_aliases = PageAlias.__table__.c
_active_ban = ACTIVE_BAN.subquery("active_ban")
# One statement where a post used to make three (the page, the author's ban, and an update
# of the page's submission, which most pages do not have): each costs the write path more in
# round trips than SQLite spends running it (issue 8). The ban is still read for every
# post, in the post's own transaction.
_POST_TARGET = (
    select(
        *(_pages[name] for name in PageControls._fields),
        *_active_ban.c,
        exists().where(Submission.__table__.c.page_id == _pages.id),
    )
    .select_from(
        Page.__table__.join(PageAlias.__table__, _aliases.page_id == _pages.id).outerjoin(
            _active_ban, true()
        )
    )
    .where(_aliases.digest == bindparam("digest"))
)
_RUN_POST_TARGET = DriverStatement(_POST_TARGET)


async def get_post_target(
    session: AsyncSession, digest: str, author_id: int | None, now: datetime
) -> PostTarget | None:
    """The page with this key digest (None if there is none yet) and the author's ban."""
    # A Core statement does not flush: what is pending must be in the database first.
    await flush_pending(session)
    params = {"digest": digest, "account_id": author_id, "now": now}
    rows = (await _RUN_POST_TARGET.run(session, params)).rows
    if not rows:
        return None
    row: Any = rows[0]
    page_id, key, is_locked, is_closed, reason, ends_at, submitted = row
    # A ban's reason is NOT NULL: a NULL one is the outer join finding no ban.
    ban = BanTerms(reason, ends_at) if reason is not None else None
    return PostTarget(PageControls(page_id, key, is_locked, is_closed), ban, bool(submitted))


def _insert_defaults() -> dict[str, Any]:
    """Every column but the id: the value the ORM would insert when none is given, or
    ``_OMITTED`` for a column it leaves out of the INSERT (SQL NULL, even for JSON)."""
    defaults: dict[str, Any] = {}
    for column in Comment.__table__.c:
        if column.primary_key:
            continue
        # A default computed per row or only by the database would need a read back.
        assert column.default is None or column.default.is_scalar, column
        assert column.default is not None or column.server_default is None, column
        defaults[column.key] = column.default.arg if column.default is not None else _OMITTED
    return defaults


_OMITTED = object()
_INSERT_DEFAULTS = _insert_defaults()
_INSERT_COMMENT = insert(cast(Table, Comment.__table__))
_RUN_INSERT_COMMENT = DriverStatement(_INSERT_COMMENT)


async def insert_comment(session: AsyncSession, comment: Comment) -> Comment:
    """Store a new ``Comment``, which then belongs to the session as if it had been loaded.

    A Core INSERT, not an ORM flush: the unit of work costs a single new comment about three
    times what the statement does (issue 8); on SQLite it runs on the driver
    (db/driver_statements.py). The row and the object get what a flush would have given them.
    """
    await flush_pending(session)
    given = inspect(comment).dict
    params: dict[str, Any] = {}
    for key, default in _INSERT_DEFAULTS.items():
        if key in given:
            params[key] = given[key]
        elif default is _OMITTED:
            setattr(comment, key, None)
        else:
            params[key] = default
            setattr(comment, key, default)
    inserted = (await _RUN_INSERT_COMMENT.run(session, params)).lastrowid
    assert inserted is not None  # an INSERT of one row always has one
    comment.id = inserted
    make_transient_to_detached(comment)
    session.add(comment)
    return comment


_comments = Comment.__table__.c
# Every vote runs these two: built once, on the table (no ORM statement per call); the
# loaded comment, if any, is kept in step by hand as the ORM's "evaluate" did.
_ADD_TO_TALLIES = (
    update(cast(Table, Comment.__table__))
    .where(_comments.id == bindparam("comment"))
    .values(
        upvotes=_comments.upvotes + bindparam("up", type_=_comments.upvotes.type),
        downvotes=_comments.downvotes + bindparam("down", type_=_comments.downvotes.type),
        score=_comments.score + bindparam("net", type_=_comments.score.type),
    )
    .returning(_comments.upvotes, _comments.downvotes, _comments.score)
)
_SET_CONTROVERSY = (
    update(cast(Table, Comment.__table__))
    .where(_comments.id == bindparam("comment"))
    .values(controversy=bindparam("value", type_=_comments.controversy.type))
)


def _loaded_comment(session: AsyncSession, comment_id: int) -> Comment | None:
    found: Comment | None = session.identity_map.get((Comment, (comment_id,), None))
    return found


async def add_to_tallies(
    session: AsyncSession, comment_id: int, up_delta: int, down_delta: int
) -> tuple[int, int]:
    """Apply a vote change in place (concurrent voters cannot lose each other's increments)."""
    await flush_pending(session)
    params = {"comment": comment_id, "up": up_delta, "down": down_delta}
    params["net"] = up_delta - down_delta
    upvotes, downvotes, score = (await session.execute(_ADD_TO_TALLIES, params)).one()
    comment = _loaded_comment(session, comment_id)
    if comment is not None:
        set_loaded(comment, upvotes=int(upvotes), downvotes=int(downvotes), score=int(score))
    return int(upvotes), int(downvotes)


async def set_controversy(session: AsyncSession, comment_id: int, value: float) -> None:
    await flush_pending(session)
    await session.execute(_SET_CONTROVERSY, {"comment": comment_id, "value": value})
    comment = _loaded_comment(session, comment_id)
    if comment is not None:
        set_loaded(comment, controversy=value)


async def list_subtree(
    session: AsyncSession, page_id: int, root_id: int, viewer_id: int | None
) -> list[ThreadRow]:
    """A top-level comment and all its replies, as the reader may see them."""
    stmt = _thread_select(viewer_id is not None).where(
        Comment.page_id == page_id,
        or_(Comment.id == root_id, Comment.root_id == root_id),
        _readable(viewer_id is not None),
    )
    return await _thread_rows(session, stmt, {"viewer_id": viewer_id})


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
