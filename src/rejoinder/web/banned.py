"""The ban in force on the reader, for pages that show its reason and end instead of a form."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.moderation.bans import AccountBanned, ensure_not_banned


async def viewer_ban(session: AsyncSession, viewer: Account | None) -> AccountBanned | None:
    """The same check the gate makes before a write, asked ahead of time (None: not banned)."""
    try:
        await ensure_not_banned(session, viewer)
    except AccountBanned as ban:
        return ban
    return None
