"""Discussion controls for moderators: lock or close a page, pin comments.

- Locked: no new comments or votes; everything already there stays visible.
- Closed: no new comments; votes still count.
- Pinned: a top-level comment shown before all others, whatever the sort (a few per page).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import events
from rejoinder.accounts.models import Account
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import CommentStatus
from rejoinder.comments.queries import MAX_PINS_PER_PAGE
from rejoinder.errors import Conflict, InvalidInput, NotFound
from rejoinder.moderation import audit, queries
from rejoinder.moderation.bans import require_moderator
from rejoinder.moderation.models import AuditAction, TargetType
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page


class ControlService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_page(self, page_id: int) -> Page:
        page = await page_queries.get_page(self.session, page_id)
        if page is None:
            raise NotFound(f"No page with id {page_id}.")
        return page

    async def set_controls(
        self, actor: Account, page_id: int, *, locked: bool, closed: bool, reason: str = ""
    ) -> Page:
        """Lock/unlock and close/reopen a page; each change is logged."""
        require_moderator(actor)
        page = await self.get_page(page_id)
        changes = [
            (page.is_locked, locked, AuditAction.LOCK, AuditAction.UNLOCK),
            (page.is_closed, closed, AuditAction.CLOSE, AuditAction.REOPEN),
        ]
        for before, after, on, off in changes:
            if before != after:
                audit.record(
                    self.session, actor, on if after else off, TargetType.PAGE, page.id, reason
                )
        if (page.is_locked, page.is_closed) != (locked, closed):
            page.is_locked = locked
            page.is_closed = closed
            await self.session.flush()
            await page_queries.bump_thread(self.session, page.id)
        return page

    async def pin(self, actor: Account, comment_id: int, *, pinned: bool, reason: str = "") -> None:
        """Pin or unpin a visible top-level comment."""
        require_moderator(actor)
        comment = await comment_queries.get_comment(self.session, comment_id, for_update=True)
        if comment is None:
            raise NotFound(f"No comment with id {comment_id}.")
        if comment.is_pinned == pinned:
            return
        if pinned:
            if comment.parent_id is not None:
                raise InvalidInput(
                    "Only top-level comments can be pinned.",
                    [{"field": "comment_id", "reason": "reply", "message": "Not top-level."}],
                )
            if comment.status is not CommentStatus.VISIBLE or comment.deleted_at is not None:
                raise Conflict("Only visible comments can be pinned.")
            # The page row is the lock two moderators pinning at once queue on.
            page = await page_queries.get_page_for_update(self.session, comment.page_id)
            if await queries.count_pinned(self.session, comment.page_id) >= MAX_PINS_PER_PAGE:
                raise Conflict(f"A page can have at most {MAX_PINS_PER_PAGE} pinned comments.")
        else:
            page = await page_queries.get_page(self.session, comment.page_id)
        assert page is not None
        comment.is_pinned = pinned
        action = AuditAction.PIN if pinned else AuditAction.UNPIN
        audit.record(self.session, actor, action, TargetType.COMMENT, comment.id, reason)
        await self.session.flush()
        await page_queries.bump_thread(self.session, page.id)
        events.record(self.session, events.CommentEdited(page.id, page.key, comment.id))
