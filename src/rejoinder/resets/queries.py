"""Every query on password reset tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.resets.models import PasswordReset


async def list_accounts_by_email(session: AsyncSession, email: str) -> list[Account]:
    """Open accounts with this address, ignoring case (an address may have several)."""
    stmt = select(Account).where(
        func.lower(Account.email) == email.lower(), Account.deleted_at.is_(None)
    )
    return list((await session.execute(stmt)).scalars())


async def insert_reset(session: AsyncSession, reset: PasswordReset) -> None:
    session.add(reset)
    await session.flush()


async def get_reset(
    session: AsyncSession, digest: str, *, for_update: bool = False
) -> PasswordReset | None:
    stmt = select(PasswordReset).where(PasswordReset.digest == digest)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_resets_of_account(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(PasswordReset).where(PasswordReset.account_id == account_id))


async def delete_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(PasswordReset).where(PasswordReset.expires_at < now))
