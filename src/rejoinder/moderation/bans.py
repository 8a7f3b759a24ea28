"""Bans: a banned account reads like anyone but cannot post, edit, vote or report.

The check lives here and is called by the services that write (comments, votes, reports), not
by routes, so every front door (API, web app, embed) refuses a banned account the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account, Role
from rejoinder.errors import Banned, Conflict, Forbidden, NotFound
from rejoinder.moderation import audit, queries
from rejoinder.moderation.models import AuditAction, Ban, TargetType
from rejoinder.moderation.queries import BanTerms


class AccountBanned(Banned):
    """``banned`` (403), telling the account why and until when."""

    def __init__(self, reason: str, ends_at: datetime | None) -> None:
        until = f"until {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else "permanently"
        super().__init__(f"Your account is banned {until}: {reason}")
        self.reason = reason
        self.ends_at = ends_at

    def extra(self) -> dict[str, Any]:
        return {
            "ban_reason": self.reason,
            "ban_ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


async def ensure_not_banned(session: AsyncSession, account: Account | None) -> None:
    """Raise ``AccountBanned`` when a ban is in force on the account (guests have none)."""
    if account is None:
        return
    raise_if_banned(await queries.get_active_ban(session, account.id, clock.now()))


@dataclass(frozen=True, slots=True)
class BanCheck:
    """A ban lookup the request already made, e.g. with the page (``get_post_target``)."""

    ban: BanTerms | None


def raise_if_banned(ban: BanTerms | None) -> None:
    if ban is not None:
        raise AccountBanned(ban.reason, ban.ends_at)


def is_staff(account: Account | None) -> bool:
    return account is not None and account.role in (Role.MODERATOR, Role.ADMIN)


def require_moderator(account: Account) -> None:
    if not is_staff(account):
        raise Forbidden("Only moderators can do this.")


class BanService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _target(self, username: str) -> Account:
        account = await account_queries.get_account_by_username(self.session, username)
        if account is None or account.deleted_at is not None:
            raise NotFound(f"No account named {username!r}.")
        return account

    async def ban(
        self, actor: Account, username: str, reason: str, days: int | None = None
    ) -> tuple[Ban, Account]:
        """Ban an account for ``days`` (None: permanently); replaces a ban already in force."""
        require_moderator(actor)
        target = await self._target(username)
        return await self.ban_account(actor, target, reason, days), target

    async def ban_account(
        self, actor: Account, target: Account, reason: str, days: int | None
    ) -> Ban:
        require_moderator(actor)
        if target.id == actor.id:
            raise Conflict("You cannot ban yourself.")
        # Moderators keep each other in check through admins, not by banning each other.
        if is_staff(target) and actor.role is not Role.ADMIN:
            raise Forbidden("Only admins can ban moderators and admins.")
        now = clock.now()
        await queries.lift_bans(self.session, target.id, now)
        ban = Ban(
            account_id=target.id,
            reason=reason,
            created_at=now,
            created_by=actor.id,
            ends_at=now + timedelta(days=days) if days else None,
        )
        self.session.add(ban)
        detail = f"{days} days" if days else "permanent"
        audit.record(
            self.session, actor, AuditAction.BAN, TargetType.ACCOUNT, target.id, reason, detail
        )
        await self.session.flush()
        return ban

    async def unban(self, actor: Account, username: str, reason: str = "") -> None:
        require_moderator(actor)
        target = await self._target(username)
        if not await queries.lift_bans(self.session, target.id, clock.now()):
            raise NotFound(f"{target.username} is not banned.")
        audit.record(self.session, actor, AuditAction.UNBAN, TargetType.ACCOUNT, target.id, reason)
        await self.session.flush()

    async def list_active(
        self, actor: Account, after_id: int | None, limit: int
    ) -> list[tuple[Ban, str, str | None]]:
        require_moderator(actor)
        return await queries.list_active_bans(self.session, clock.now(), after_id, limit)
