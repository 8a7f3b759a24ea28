"""The write path's Core statements leave what the ORM statements they replace left.

``comments.queries.get_post_target`` reads the page and the author's ban in one statement:
the ban it finds must be the one ``moderation.queries.get_active_ban`` finds.

``comments.queries.insert_comment`` (a Core INSERT instead of an ORM flush) must store the
same row and give back an object the session knows as persistent; ``pages.queries
.bump_thread`` and ``submissions.queries.update_active_at`` (Core UPDATEs) must keep loaded
objects in step as the ORM's "evaluate" synchronisation did, after flushing what is pending.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from factories import make_user
from sqlalchemy import inspect, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from rejoinder import clock
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.moderation import queries as moderation_queries
from rejoinder.moderation.models import Ban
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.service import PageService
from rejoinder.submissions.models import Submission

pytestmark = pytest.mark.anyio

_COLUMNS = [column for column in Comment.__table__.c if column.key != "id"]
_CREATED = clock.now()


async def _page(session: AsyncSession, url: str) -> Page:
    pages = PageService(session)
    return await pages.get_or_create(pages.resolve(url))


def _comment(page: Page, **values: Any) -> Comment:
    return Comment(
        page_id=page.id,
        parent_id=None,
        root_id=None,
        depth=0,
        author_id=None,
        guest_name="Guest",
        body_src="Hello",
        body_html="<p>Hello</p>\n",
        body_text="Hello",
        status=CommentStatus.PENDING,
        nsfw=True,
        created_at=_CREATED,
        **values,
    )


async def _stored(session: AsyncSession, comment_id: int) -> tuple[Any, ...]:
    # The values as the driver hands them, before any type's processing.
    table = Comment.__table__
    stmt = select(*(type_coerce(c, NullType()) for c in _COLUMNS)).where(table.c.id == comment_id)
    return tuple((await session.execute(stmt)).one())


@pytest.mark.parametrize(
    "values",
    [
        {},  # quote left unset: SQL NULL, as a flush leaves out an unset column
        {"quote": None},  # quote given as None: JSON null, as a flush sends it
        {"quote": {"exact": "x", "prefix": "", "suffix": ""}, "upvotes": 2, "is_pinned": True},
    ],
)
async def test_insert_comment_stores_what_an_orm_flush_stores(app, values):
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://insert.example/a")
        by_flush = _comment(page, **values)
        session.add(by_flush)
        await session.flush()
        by_core = await comment_queries.insert_comment(session, _comment(page, **values))

        assert by_core.id != by_flush.id
        assert await _stored(session, by_core.id) == await _stored(session, by_flush.id)
        raw = Comment.__table__.c.quote.is_(None)
        nulls = select(Comment.id).where(raw, Comment.id.in_([by_core.id, by_flush.id]))
        null_ids = set((await session.scalars(nulls)).all())
        assert null_ids == ({by_core.id, by_flush.id} if not values else set())
        for column in _COLUMNS:
            assert getattr(by_core, column.key) == getattr(by_flush, column.key), column.key
        # Persistent and in the identity map, with nothing left to write.
        assert inspect(by_core).persistent
        assert await session.get(Comment, by_core.id) is by_core
        assert not session.new
        assert not session.dirty
        await session.rollback()


async def test_bump_thread_keeps_the_loaded_page_and_submission_in_step(app):
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://bump.example/a")
        before = clock.now() - timedelta(days=1)
        submission = Submission(
            page_id=page.id, title="T", hot=0.0, created_at=before, active_at=before
        )
        session.add(submission)
        await session.flush()
        await session.refresh(page)  # every column loaded, as a page read from the database
        version, count = page.thread_version, page.comment_count
        now = clock.now()

        await page_queries.bump_thread(session, page.id, comment_delta=1, commented_at=now)

        assert (page.thread_version, page.comment_count) == (version + 1, count + 1)
        assert page.last_comment_at == now
        assert submission.active_at == now
        assert not session.dirty
        stored = (
            await session.execute(
                select(Page.thread_version, Page.comment_count).where(Page.id == page.id)
            )
        ).one()
        assert tuple(stored) == (version + 1, count + 1)
        active = await session.scalar(
            select(Submission.active_at).where(Submission.id == submission.id)
        )
        assert active == now

        await page_queries.bump_thread(session, page.id, comment_delta=-1)
        assert (page.thread_version, page.comment_count) == (version + 2, count)
        await session.rollback()


async def test_bump_thread_flushes_pending_changes_first(app):
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://bump.example/b")
        page.title = "Changed before the bump"
        await page_queries.bump_thread(session, page.id)
        # Read on the connection: no autoflush could have written the title since.
        conn = await session.connection()
        title = await conn.scalar(
            select(Page.__table__.c.title).where(Page.__table__.c.id == page.id)
        )
        assert title == "Changed before the bump"
        await session.rollback()


_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    "bans",
    [
        [],
        [{"lifted": True}],  # lifted: not in force
        [{"ends": -_DAY}],  # ended yesterday
        [{"ends": _DAY, "reason": "a day"}],
        [{"ends": _DAY, "reason": "a day"}, {"ends": 7 * _DAY, "reason": "a week"}],
        [{"ends": 7 * _DAY, "reason": "a week"}, {"ends": None, "reason": "for good"}],
        [{"ends": None, "reason": "lifted", "lifted": True}, {"ends": _DAY, "reason": "a day"}],
    ],
)
async def test_post_target_finds_the_ban_get_active_ban_finds(app, client, bans):
    author = await make_user(client)
    bystander = await make_user(client)
    now = clock.now()
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://target.example/a")
        for ban in bans:
            ends = ban.get("ends")
            session.add(
                Ban(
                    account_id=author.id,
                    reason=ban.get("reason", "x"),
                    created_at=now - 2 * _DAY,
                    ends_at=None if ends is None else now + ends,
                    lifted_at=now - _DAY if ban.get("lifted") else None,
                )
            )
        await session.flush()
        digest = PageService(session).resolve("https://target.example/a").digest

        target = await comment_queries.get_post_target(session, digest, author.id, now)
        assert target is not None
        assert target.page == (page.id, page.key, False, False)
        expected = await moderation_queries.get_active_ban(session, author.id, now)
        assert target.ban == expected
        assert (expected is None) == all(b.get("lifted") or b.get("ends") == -_DAY for b in bans)
        # Other accounts and guests are not concerned by the author's bans.
        for other in (bystander.id, None):
            other_target = await comment_queries.get_post_target(session, digest, other, now)
            assert other_target == (target.page, None, False)
        unknown = PageService(session).resolve("https://target.example/nowhere").digest
        assert await comment_queries.get_post_target(session, unknown, author.id, now) is None
        await session.rollback()


async def test_post_target_says_whether_the_page_was_submitted(app):
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://target.example/submitted")
        digest = PageService(session).resolve("https://target.example/submitted").digest
        now = clock.now()
        target = await comment_queries.get_post_target(session, digest, None, now)
        assert target is not None
        assert not target.submitted
        # Pending, not flushed: the lookup flushes first, as an ORM query would.
        session.add(Submission(page_id=page.id, title="T", hot=0.0, created_at=now, active_at=now))
        target = await comment_queries.get_post_target(session, digest, None, now)
        assert target is not None
        assert target.submitted
        await session.rollback()


async def test_vote_tallies_keep_the_loaded_comment_in_step(app):
    async with app.state.db.write_session() as session:
        page = await _page(session, "https://tallies.example/a")
        comment = await comment_queries.insert_comment(session, _comment(page))
        assert await comment_queries.add_to_tallies(session, comment.id, 2, 1) == (2, 1)
        assert await comment_queries.add_to_tallies(session, comment.id, 0, 1) == (2, 2)
        await comment_queries.set_controversy(session, comment.id, 0.75)
        assert (comment.upvotes, comment.downvotes, comment.score) == (2, 2, 0)
        assert comment.controversy == 0.75
        assert not session.dirty
        table = Comment.__table__.c
        stored = (
            await session.execute(
                select(table.upvotes, table.downvotes, table.score, table.controversy).where(
                    table.id == comment.id
                )
            )
        ).one()
        assert tuple(stored) == (2, 2, 0, 0.75)
        await session.rollback()
