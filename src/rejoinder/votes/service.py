"""Voting: one vote per account and comment, tallies kept exact under concurrency.

The comment row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions
are already serial), so the read of the previous vote and the change of the tallies cannot
interleave with another vote on the same comment.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts.models import Account
from rejoinder.comments import queries as comment_queries
from rejoinder.comments.models import CommentStatus
from rejoinder.comments.service import can_read
from rejoinder.comments.threads import controversy
from rejoinder.errors import Conflict, Forbidden, NotFound
from rejoinder.moderation.gate import ModerationGate, check_vote_allowed
from rejoinder.pages import queries as page_queries
from rejoinder.votes import queries
from rejoinder.votes.models import Vote
from rejoinder.votes.tally import change_vote


class VoteService:
    def __init__(self, session: AsyncSession, moderation: ModerationGate | None = None) -> None:
        self.session = session
        # Without a gate (no request), bans and locks still apply; rate limits do not.
        self.moderation = moderation

    async def vote(self, comment_id: int, value: int, voter: Account) -> dict[str, int]:
        """Set the voter's vote to -1, 0 (none) or 1; repeating a vote changes nothing."""
        comment = await comment_queries.get_comment(self.session, comment_id, for_update=True)
        if comment is None or not can_read(comment, voter):
            raise NotFound(f"No comment with id {comment_id}.")
        if comment.author_id == voter.id:
            raise Forbidden("You cannot vote on your own comment.")
        if comment.deleted_at is not None or comment.status is not CommentStatus.VISIBLE:
            raise Conflict("This comment cannot be voted on.")
        page = await page_queries.get_page(self.session, comment.page_id)
        assert page is not None
        if self.moderation is not None:
            await self.moderation.admit_vote(voter, page)
        else:
            await check_vote_allowed(self.session, voter, page)
        existing = await queries.get_vote(self.session, comment_id, voter.id)
        result = {
            "comment_id": comment_id,
            "score": comment.score,
            "upvotes": comment.upvotes,
            "downvotes": comment.downvotes,
            "my_vote": value,
        }
        change = await change_vote(
            self.session,
            existing,
            value,
            lambda: Vote(
                comment_id=comment_id,
                account_id=voter.id,
                page_id=comment.page_id,
                value=value,
                created_at=clock.now(),
            ),
        )
        if change is None:
            return result
        upvotes, downvotes = await comment_queries.add_to_tallies(
            self.session, comment_id, change.upvotes, change.downvotes
        )
        await comment_queries.set_controversy(
            self.session, comment_id, controversy(upvotes, downvotes)
        )
        await page_queries.bump_thread(self.session, comment.page_id)
        result.update(score=upvotes - downvotes, upvotes=upvotes, downvotes=downvotes)
        events.record(
            self.session,
            events.VoteChanged(
                page.id, page.key, comment_id, upvotes - downvotes, upvotes, downvotes
            ),
        )
        return result
