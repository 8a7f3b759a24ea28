"""``db.driver_statements``: a prebuilt statement on the driver answers as SQLAlchemy does.

On SQLite the statement skips SQLAlchemy's execution; on PostgreSQL it goes through
``session.execute``. Either way: the same rows (typed as SQLAlchemy types them), the same
exceptions, inside the session's own transaction, and seen by ``before_cursor_execute``.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import counting_statements, make_user
from sqlalchemy import bindparam, exc, insert, inspect, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account, ApiToken
from rejoinder.accounts.tokens import token_digest
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.db.driver_statements import DriverStatement
from rejoinder.pages.models import Page
from rejoinder.pages.service import PageService

pytestmark = pytest.mark.anyio

_comments = Comment.__table__.c
_SELECT = select(
    _comments.id,
    _comments.status,
    _comments.nsfw,
    _comments.created_at,
    _comments.quote,
    _comments.body_src,
    literal(7).label("seven"),  # a bind with a value of its own
).where(_comments.page_id == bindparam("page"), _comments.created_at <= bindparam("now"))
_INSERT = insert(Comment.__table__)
_UPDATE = update(Comment.__table__).where(_comments.id == bindparam("of")).values(nsfw=True)


async def _page(session: AsyncSession, url: str) -> Page:
    pages = PageService(session)
    return await pages.get_or_create(pages.resolve(url))


def _values(page_id: int, **values: Any) -> dict[str, Any]:
    row = {
        "page_id": page_id,
        "parent_id": None,
        "root_id": None,
        "depth": 0,
        "author_id": None,
        "guest_name": "Guest",
        "body_src": "Hello ' \"; -- é",
        "body_html": "<p>Hello</p>",
        "body_text": "Hello",
        "status": CommentStatus.PENDING,
        "nsfw": False,
        "is_pinned": False,
        "upvotes": 0,
        "downvotes": 0,
        "score": 0,
        "controversy": 0.0,
        "created_at": clock.now(),
    }
    return row | values


@pytest.mark.parametrize("quote", [None, {"exact": "x", "prefix": "", "suffix": "\u2028"}])
async def test_rows_and_ids_are_sqlalchemys(app, quote):
    async with app.state.db.write_session(inline=True) as session:
        page = await _page(session, "https://driver.example/a")
        inserted = await DriverStatement(_INSERT).run(session, _values(page.id, quote=quote))
        assert inserted.lastrowid is not None
        by_core = await session.execute(_INSERT, _values(page.id, quote=quote))
        assert by_core.inserted_primary_key is not None
        assert inserted.lastrowid != by_core.inserted_primary_key[0]

        params = {"page": page.id, "now": clock.now()}
        driver = (await DriverStatement(_SELECT).run(session, params)).rows
        expected = [tuple(row) for row in await session.execute(_SELECT, params)]
        assert driver == expected
        assert len(driver) == 2
        assert driver[0][0] == inserted.lastrowid
        assert [type(value) for value in driver[0]] == [type(value) for value in expected[0]]
        assert driver[0][1] is CommentStatus.PENDING
        assert driver[0][4] == quote
        assert driver[0][3].tzinfo is not None

        updated = await DriverStatement(_UPDATE).run(session, {"of": inserted.lastrowid})
        assert updated.rowcount == 1
        nsfw = await session.scalar(
            select(_comments.nsfw).where(_comments.id == inserted.lastrowid)
        )
        assert nsfw is True
        await session.rollback()
    async with app.state.db.read_session() as session:
        assert (
            await session.scalar(select(_comments.id).where(_comments.page_id == page.id)) is None
        )


async def test_errors_are_sqlalchemys(app):
    async with app.state.db.write_session(inline=True) as session:
        page = await _page(session, "https://driver.example/b")
        await session.commit()
    values = _values(page.id, parent_id=10**9)  # no such comment: a foreign key
    async with app.state.db.write_session(inline=True) as session:
        with pytest.raises(exc.IntegrityError):
            await session.execute(_INSERT, values)
        await session.rollback()
    async with app.state.db.write_session(inline=True) as session:
        with pytest.raises(exc.IntegrityError):
            await DriverStatement(_INSERT).run(session, values)
        await session.rollback()


async def test_each_transaction_uses_its_own_connection_and_is_counted(app):
    db = app.state.db
    async with db.write_session(inline=True) as session:
        page_id = (await _page(session, "https://driver.example/c")).id
        await session.commit()
        with counting_statements(app) as statements:
            # A new transaction after the commit: committed, then rolled back.
            first = await DriverStatement(_INSERT).run(session, _values(page_id))
            await session.commit()
            second = await DriverStatement(_INSERT).run(session, _values(page_id))
            await session.rollback()
        assert [s.split(" (")[0] for s in statements] == ["INSERT INTO COMMENTS"] * 2
    async with db.read_session() as session:
        stored = await session.scalars(select(_comments.id).where(_comments.page_id == page_id))
        assert list(stored) == [first.lastrowid]
        assert second.lastrowid is not None


async def _orm_account(session: AsyncSession, digest: str, now: Any) -> Account | None:
    result = await session.execute(
        account_queries._ACCOUNT_BY_TOKEN, {"digest": digest, "now": now}
    )
    return result.scalar_one_or_none()


async def test_the_token_account_is_the_one_the_orm_loads(app, client):
    user = await make_user(client)
    digest, now = token_digest(user.token), clock.now()
    async with app.state.db.write_session(inline=True) as session:
        account = await account_queries.get_account_by_token(session, digest, now)
        assert account is not None
        assert account.id == user.id
        # Persistent, in the identity map, every column loaded, nothing to write.
        state = inspect(account)
        assert state.persistent
        assert not state.unloaded
        assert not session.dirty
        assert not session.new
        assert await session.get(Account, user.id) is account
        # Asked again, the session's object comes back, as from the ORM.
        assert await account_queries.get_account_by_token(session, digest, now) is account
        await session.rollback()
    async with app.state.db.read_session() as session:
        loaded = await _orm_account(session, digest, now)
        assert loaded is not None
        async with app.state.db.read_session() as other:
            ours = await account_queries.get_account_by_token(other, digest, now)
            assert ours is not None
            for prop in Account.__mapper__.column_attrs:
                value = getattr(ours, prop.key)
                assert value == getattr(loaded, prop.key), prop.key
                assert type(value) is type(getattr(loaded, prop.key)), prop.key
        # An unknown token: nobody; a known one, the object this session already holds.
        assert await account_queries.get_account_by_token(session, "0" * 64, now) is None
        assert await account_queries.get_account_by_token(session, digest, now) is loaded


async def test_no_account_for_an_expired_token_or_a_deleted_account(app, client):
    user = await make_user(client)
    digest = token_digest(user.token)
    async with app.state.db.write_session() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.digest == digest).values(expires_at=clock.now())
        )
        await session.commit()
    async with app.state.db.read_session() as session:
        assert await account_queries.get_account_by_token(session, digest, clock.now()) is None
    async with app.state.db.write_session() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.digest == digest).values(expires_at=None)
        )
        await session.execute(
            update(Account).where(Account.id == user.id).values(deleted_at=clock.now())
        )
        await session.commit()
    async with app.state.db.read_session() as session:
        assert await account_queries.get_account_by_token(session, digest, clock.now()) is None
