"""The search queries, one per database, both returning rows in the same order.

Title matches come first, then comments, each newest first; a page of results is one query
(a ``UNION ALL`` of the two kinds with ``LIMIT``/``OFFSET``) plus one for the pages it names.
Only visible comments are ever selected: pending, removed, spam and deleted ones are indexed
(SQLite's triggers index every row) but filtered here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.pages.models import Page
from rejoinder.search.terms import Terms, fts5_query, words_of

PAGE, COMMENT = 0, 1
# The same literal as the GIN indexes' expressions, so PostgreSQL can use them.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_fts_comments = table("fts_comments", column("rowid", Integer))
_fts_pages = table("fts_pages", column("rowid", Integer))


@dataclass(frozen=True, slots=True)
class Hit:
    kind: int
    id: int
    page_id: int
    created_at: datetime
    text: str
    author: str | None


def _visible() -> tuple[ColumnElement[bool], ...]:
    return (Comment.status == CommentStatus.VISIBLE, Comment.deleted_at.is_(None))


def _words_vector(text: Any) -> ColumnElement[Any]:
    """The indexed expression, character for character (else PostgreSQL cannot use it)."""
    pattern, space, flags = (literal_column(f"'{v}'", String) for v in ("[^[:alnum:]]+", " ", "g"))
    cut = func.regexp_replace(text, pattern, space, flags)
    return func.to_tsvector(_SIMPLE, cut)


def _tsquery(terms: Terms) -> ColumnElement[Any]:
    # Every term is a phrase of its words, as FTS5 reads a quoted string: "example.com" is
    # "example" followed by "com"; a one-word phrase is just the word.
    parts = [func.phraseto_tsquery(_SIMPLE, " ".join(words_of(term.text))) for term in terms.terms]
    return functools.reduce(lambda left, right: left.op("&&")(right), parts)


def _comment_hits() -> Select[*tuple[Any, ...]]:
    return (
        select(
            literal(COMMENT).label("kind"),
            Comment.id.label("id"),
            Comment.page_id.label("page_id"),
            Comment.created_at.label("created_at"),
            Comment.body_text.label("text"),
            func.coalesce(Account.username, Comment.guest_name).label("author"),
        )
        .outerjoin(Account, Account.id == Comment.author_id)
        .where(*_visible())
    )


def _page_hits() -> Select[*tuple[Any, ...]]:
    return select(
        literal(PAGE).label("kind"),
        Page.id.label("id"),
        Page.id.label("page_id"),
        Page.created_at.label("created_at"),
        Page.title.label("text"),
        null().cast(String).label("author"),
    ).where(Page.title.is_not(None))


def _matching(
    dialect: str, terms: Terms
) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    comments, pages = _comment_hits(), _page_hits()
    if dialect == "sqlite":
        match = fts5_query(terms)
        comments = comments.join(_fts_comments, _fts_comments.c.rowid == Comment.id).where(
            literal_column("fts_comments").match(match)
        )
        pages = pages.join(_fts_pages, _fts_pages.c.rowid == Page.id).where(
            literal_column("fts_pages").match(match)
        )
        return comments, pages
    query = _tsquery(terms)
    comments = comments.where(_words_vector(Comment.body_text).bool_op("@@")(query))
    pages = pages.where(_words_vector(Page.title).bool_op("@@")(query))
    return comments, pages


async def search(session: AsyncSession, terms: Terms, *, offset: int, limit: int) -> list[Hit]:
    """Up to ``limit`` hits after skipping ``offset``: titles first, then comments."""
    comments, pages = _matching(session.get_bind().dialect.name, terms)
    hits = union_all(pages, comments).subquery()
    stmt = (
        select(hits)
        .order_by(hits.c.kind, hits.c.created_at.desc(), hits.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [Hit(*row) for row in (await session.execute(stmt)).all()]


async def list_pages(session: AsyncSession, page_ids: Sequence[int]) -> dict[int, Page]:
    if not page_ids:
        return {}
    stmt = select(Page).where(Page.id.in_(set(page_ids)))
    return {page.id: page for page in (await session.execute(stmt)).scalars()}
