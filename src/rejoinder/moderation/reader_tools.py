"""What readers control for themselves: muting accounts and hiding discussions.

A mute collapses the muted account's comments for the reader who muted (the thread marks them
``"muted": true``); it changes nothing for anyone else, and the muted account is not told.
Hidden pages are left out of the reader's front page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts import queries as account_queries
from rejoinder.accounts.models import Account
from rejoinder.errors import InvalidInput, NotFound
from rejoinder.moderation import queries
from rejoinder.moderation.models import HiddenPage, Mute
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page


class ReaderTools:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mute(self, reader: Account, username: str) -> None:
        """Mute an account; muting twice changes nothing."""
        target = await account_queries.get_account_by_username(self.session, username)
        if target is None or target.deleted_at is not None:
            raise NotFound(f"No account named {username!r}.")
        if target.id == reader.id:
            raise InvalidInput(
                "You cannot mute yourself.",
                [{"field": "username", "reason": "self", "message": "That is you."}],
            )
        row = Mute(account_id=reader.id, muted_id=target.id, created_at=clock.now())
        await queries.add_ignoring_duplicate(self.session, row)

    async def unmute(self, reader: Account, username: str) -> None:
        target = await account_queries.get_account_by_username(self.session, username)
        if target is not None:
            await queries.delete_mute(self.session, reader.id, target.id)

    async def mutes(self, reader: Account) -> list[tuple[str, datetime]]:
        return await queries.list_mutes(self.session, reader.id)

    async def hide_page(self, reader: Account, page_id: int) -> None:
        if await page_queries.get_page(self.session, page_id) is None:
            raise NotFound(f"No page with id {page_id}.")
        row = HiddenPage(account_id=reader.id, page_id=page_id, created_at=clock.now())
        await queries.add_ignoring_duplicate(self.session, row)

    async def unhide_page(self, reader: Account, page_id: int) -> None:
        await queries.delete_hidden_page(self.session, reader.id, page_id)

    async def hidden_pages(self, reader: Account) -> list[int]:
        return await queries.list_hidden_page_ids(self.session, reader.id)

    async def hidden_page_rows(self, reader: Account) -> list[Page]:
        """The hidden discussions themselves, for a list with titles and links."""
        ids = await queries.list_hidden_page_ids(self.session, reader.id)
        pages = {page.id: page for page in await queries.list_pages(self.session, ids)}
        return [pages[page_id] for page_id in ids if page_id in pages]
