"""Readers reporting comments; enough reports hide a comment until a moderator looks.

One report per reader per item (the unique constraint settles races). When the open reports
from readers reach ``report_threshold``, a visible comment becomes pending: it leaves the page
count and the live thread, and waits in the queue like a held comment.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts.models import Account
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import CommentStatus
from rejoinder.comments.service import can_read
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound
from rejoinder.moderation import queries
from rejoinder.moderation.gate import ModerationGate
from rejoinder.moderation.models import Report, ReportReason, TargetType
from rejoinder.pages import queries as page_queries
from rejoinder.settings import Settings


class ReportService:
    def __init__(
        self, session: AsyncSession, settings: Settings, moderation: ModerationGate | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.moderation = moderation or ModerationGate(session, settings)

    async def report_comment(
        self, reporter: Account, comment_id: int, reason: ReportReason, text: str | None
    ) -> Report:
        """File a report; ``Conflict`` on a second report of the same comment by one reader."""
        if reason is ReportReason.HELD:
            raise InvalidInput(
                "Choose a reason for the report.",
                [{"field": "reason", "reason": "invalid", "message": "Not a reader's reason."}],
            )
        text = (text or "").strip() or None
        if reason is ReportReason.OTHER and text is None:
            raise InvalidInput(
                "Say what is wrong with the comment.",
                [{"field": "text", "reason": "missing", "message": "Describe the problem."}],
            )
        await self.moderation.admit_report(reporter)
        # Locked: concurrent reports count one after another, so the threshold fires once.
        comment = await comment_queries.get_comment(self.session, comment_id, for_update=True)
        if comment is None or not can_read(comment, reporter) or comment.deleted_at is not None:
            raise NotFound(f"No comment with id {comment_id}.")
        if comment.author_id == reporter.id:
            raise Forbidden("You cannot report your own comment.")
        if comment.status in (CommentStatus.REMOVED, CommentStatus.SPAM):
            raise Conflict("A moderator already removed this comment.")
        if await queries.get_report(self.session, TargetType.COMMENT, comment_id, reporter.id):
            raise Conflict("You already reported this comment.")
        report = Report(
            target_type=TargetType.COMMENT,
            target_id=comment_id,
            reporter_id=reporter.id,
            reason=reason,
            text=text,
            created_at=clock.now(),
        )
        if not await queries.add_ignoring_duplicate(self.session, report):
            raise Conflict("You already reported this comment.")
        reported_page = await page_queries.get_page(self.session, comment.page_id)
        assert reported_page is not None
        events.record(
            self.session,
            events.ReportFiled(reported_page.id, reported_page.key, comment.id, report.id),
        )
        reports = await queries.count_open_reader_reports(
            self.session, TargetType.COMMENT, comment_id
        )
        if reports >= self.settings.report_threshold and comment.status is CommentStatus.VISIBLE:
            comment.status = CommentStatus.PENDING
            await self.session.flush()
            page = await page_queries.get_page(self.session, comment.page_id)
            assert page is not None
            await page_queries.bump_thread(self.session, page.id, comment_delta=-1)
            events.record(self.session, events.CommentRemoved(page.id, page.key, comment.id))
        return report
