"""Claiming an imported identity: an admin says which account an imported author is.

The identity keeps its link to the account, and its comments are shown as the account's
(``author_id`` set, ``guest_name`` cleared); later imports of the same person attach to the
account directly. Self-service claims (by a verified e-mail matching ``email_hash``) are not
offered: this instance does not verify addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account, Role
from rejoinder.comments import queries as comment_queries
from rejoinder.errors import Conflict, Forbidden, NotFound
from rejoinder.importers import queries
from rejoinder.importers.models import ImportedIdentity
from rejoinder.pages import queries as page_queries


@dataclass(frozen=True, slots=True)
class Claimed:
    identity: ImportedIdentity
    account_id: int
    comments: int


def require_admin(actor: Account | None) -> None:
    """``None`` is the command line, trusted; an account must be an admin."""
    if actor is not None and actor.role is not Role.ADMIN:
        raise Forbidden("Only admins manage imported identities.")


class IdentityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self, actor: Account | None, name: str | None, limit: int = 50
    ) -> list[ImportedIdentity]:
        require_admin(actor)
        return await queries.list_identities(self.session, name, limit)

    async def claim(self, actor: Account | None, identity_id: int, username: str) -> Claimed:
        """Give the identity (and its comments) to the account named ``username``."""
        require_admin(actor)
        identity = await queries.get_identity_by_id(self.session, identity_id)
        if identity is None:
            raise NotFound(f"No imported identity with id {identity_id}.")
        account_id = await queries.get_account_id(self.session, username)
        if account_id is None:
            raise NotFound(f"No account named {username!r}.")
        if identity.account_id is not None and identity.account_id != account_id:
            raise Conflict("This identity was claimed by another account.")
        identity.account_id = account_id
        identity.claimed_at = identity.claimed_at or clock.now()
        await self.session.flush()
        pages = await comment_queries.page_ids_with_comments_by(
            self.session, identity_id=identity.id
        )
        count = await queries.claim_comments(self.session, identity.id, account_id)
        # The comments now show the account's name.
        await page_queries.bump_threads(self.session, pages)
        return Claimed(identity, account_id, count)
