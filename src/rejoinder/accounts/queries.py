"""Every query on accounts and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from rejoinder.accounts.models import Account, ApiToken, TokenKind
from rejoinder.db.driver_statements import DriverStatement, runs_on_driver
from rejoinder.pages.queries import flush_pending


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def get_account_by_username(session: AsyncSession, username: str) -> Account | None:
    stmt = select(Account).where(Account.username_key == username.casefold())
    return (await session.execute(stmt)).scalar_one_or_none()


# Built once: every signed-in request runs it, and composing a statement costs about a
# third of what executing it does.
_ACCOUNT_BY_TOKEN = (
    select(Account)
    .join(ApiToken, ApiToken.account_id == Account.id)
    .where(
        ApiToken.digest == bindparam("digest"),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
        Account.deleted_at.is_(None),
    )
)


# The same lookup as a row of the account's columns, on the driver (db/driver_statements.py):
# every signed-in post runs it, and the ORM's execution and loading cost it three times
# what the statement does (issue 8).
_ACCOUNT_KEYS = tuple(prop.key for prop in Account.__mapper__.column_attrs)
_ACCOUNT_ROW_BY_TOKEN = DriverStatement(
    _ACCOUNT_BY_TOKEN.with_only_columns(
        *(prop.columns[0] for prop in Account.__mapper__.column_attrs)
    )
)


async def get_account_by_token(session: AsyncSession, digest: str, now: datetime) -> Account | None:
    params = {"digest": digest, "now": now}
    if not await runs_on_driver(session):
        # PostgreSQL: the row through SQLAlchemy and an object built from it cost more
        # than the ORM's own loading.
        return await _orm_account_by_token(session, params)
    await flush_pending(session)  # as the ORM's autoflush before its own statement
    rows = (await _ACCOUNT_ROW_BY_TOKEN.run(session, params)).rows
    if not rows:
        return None
    row = rows[0]
    if session.identity_map.get((Account, (row[0],), None)) is not None:
        # Already in the session: what the ORM returns then (its loaded values win).
        return await _orm_account_by_token(session, params)
    # A persistent object with every column loaded, as the ORM's loading leaves it.
    account = Account(**dict(zip(_ACCOUNT_KEYS, row, strict=True)))
    make_transient_to_detached(account)
    session.add(account)
    return account


async def _orm_account_by_token(session: AsyncSession, params: dict[str, Any]) -> Account | None:
    result = await session.execute(_ACCOUNT_BY_TOKEN, params)
    return result.scalar_one_or_none()


async def insert_account(session: AsyncSession, account: Account) -> Account:
    session.add(account)
    await session.flush()
    return account


async def insert_token(
    session: AsyncSession,
    account_id: int,
    digest: str,
    kind: TokenKind,
    created_at: datetime,
    expires_at: datetime | None,
    label: str | None = None,
) -> ApiToken:
    token = ApiToken(
        account_id=account_id,
        digest=digest,
        kind=kind,
        label=label,
        created_at=created_at,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


async def delete_token(session: AsyncSession, digest: str) -> None:
    await session.execute(delete(ApiToken).where(ApiToken.digest == digest))


async def list_tokens(session: AsyncSession, account_id: int, kind: TokenKind) -> list[ApiToken]:
    stmt = (
        select(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.kind == kind)
        .order_by(ApiToken.id)
    )
    return list((await session.execute(stmt)).scalars())


async def delete_token_of(session: AsyncSession, account_id: int, token_id: int) -> bool:
    result = await session.execute(
        delete(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_tokens_of_account(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(ApiToken).where(ApiToken.account_id == account_id))


async def delete_sessions_except(session: AsyncSession, account_id: int, keep_digest: str) -> None:
    """Sign out every browser session of an account but one (API tokens stay)."""
    await session.execute(
        delete(ApiToken).where(
            ApiToken.account_id == account_id,
            ApiToken.kind == TokenKind.SESSION,
            ApiToken.digest != keep_digest,
        )
    )


async def is_email_taken(session: AsyncSession, email: str, except_id: int) -> bool:
    """Whether another open account has this address (compared ignoring case)."""
    found = await session.execute(
        select(Account.id)
        .where(
            func.lower(Account.email) == email.lower(),
            Account.id != except_id,
            Account.deleted_at.is_(None),
        )
        .limit(1)
    )
    return found.first() is not None
