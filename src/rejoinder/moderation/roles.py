"""Appointing moderators and admins: admins only, from the API or the ``rejoinder`` CLI."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account, Role
from rejoinder.errors import Conflict, Forbidden, NotFound
from rejoinder.moderation import audit, queries
from rejoinder.moderation.models import AuditAction, TargetType


async def list_staff(session: AsyncSession, actor: Account) -> list[Account]:
    """Moderators and admins (admins only, like appointing them)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only admins can appoint moderators and admins.")
    return await queries.list_staff(session)


async def set_role(
    session: AsyncSession, username: str, role: Role, actor: Account | None
) -> Account:
    """Give ``username`` a role. ``actor`` None means the operator's CLI (no API caller)."""
    if actor is not None and actor.role is not Role.ADMIN:
        raise Forbidden("Only admins can appoint moderators and admins.")
    account = await account_queries.get_account_by_username(session, username)
    if account is None or account.deleted_at is not None:
        raise NotFound(f"No account named {username!r}.")
    if actor is not None and account.id == actor.id and role is not Role.ADMIN:
        # Otherwise the last admin could lock everyone out of the admin tools.
        raise Conflict("Admins cannot demote themselves; ask another admin.")
    previous = account.role
    if previous is role:
        return account
    account.role = role
    if actor is not None:
        audit.record(
            session,
            actor,
            AuditAction.SET_ROLE,
            TargetType.ACCOUNT,
            account.id,
            detail=f"{previous.value} -> {role.value}",
        )
    await session.flush()
    return account
