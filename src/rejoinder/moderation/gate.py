"""The gate every write by a reader passes: bans, rate limits, page controls, holds.

``CommentService``, ``VoteService`` and ``ReportService`` each ask the gate before writing,
so the JSON API, the web app and the embed enforce the same rules without repeating them.
A gate is built per request with the request's client address and the app's rate limiter;
without a limiter (scripts, imports) rate limits are skipped but everything else applies.
"""

from __future__ import annotations

import functools
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.comments.models import Comment
from rejoinder.comments.render import Rendered
from rejoinder.errors import Forbidden
from rejoinder.moderation.bans import BanCheck, ensure_not_banned, is_staff, raise_if_banned
from rejoinder.moderation.classifier import Classifier
from rejoinder.moderation.holds import Hold, HoldRules
from rejoinder.moderation.limits import Rate, RateLimiter, enforce
from rejoinder.moderation.models import Report, ReportReason, TargetType
from rejoinder.pages.models import Page
from rejoinder.settings import Settings


class DiscussionPage(Protocol):
    """What the gate reads of a page: a ``Page``, or the write path's ``PageControls``."""

    @property
    def id(self) -> int: ...
    @property
    def is_locked(self) -> bool: ...
    @property
    def is_closed(self) -> bool: ...


class DiscussionClosed(Forbidden):
    code = "discussion-closed"
    title = "This discussion is closed"


class DiscussionLocked(Forbidden):
    code = "discussion-locked"
    title = "This discussion is locked"


def _check_page(page: DiscussionPage, actor: Account | None, *, voting: bool = False) -> None:
    # Moderators may still write in a locked discussion, e.g. to say why it was locked.
    if is_staff(actor):
        return
    if page.is_locked:
        raise DiscussionLocked("A moderator locked this discussion.")
    if page.is_closed and not voting:
        raise DiscussionClosed("This page is closed to new comments.")


async def check_vote_allowed(session: AsyncSession, voter: Account, page: Page) -> None:
    """Bans and page controls on votes; what a gate checks besides the rate limit."""
    await ensure_not_banned(session, voter)
    _check_page(page, voter, voting=True)


# The rates are settings, fixed for the app's life: each text is parsed once, not per write.
_parse_rate = functools.lru_cache(maxsize=16)(Rate.parse)


class ModerationGate:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        limiter: RateLimiter | None = None,
        client_ip: str | None = None,
        classifier: Classifier | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.limiter = limiter
        self.client_ip = client_ip
        self.holds = HoldRules(session, settings, classifier)

    async def _limit(self, rate: str, action: str, account: Account | None, message: str) -> None:
        if self.limiter is None:
            return
        keys = [f"{action}:user:{account.id}"] if account is not None else []
        if self.client_ip is not None:
            keys.append(f"{action}:ip:{self.client_ip}")
        await enforce(self.limiter, _parse_rate(rate), *keys, message=message)

    async def admit_comment(
        self, author: Account | None, page: DiscussionPage, checked: BanCheck | None = None
    ) -> None:
        """Before a comment is stored: banned, closed/locked page, too fast.

        ``checked``: the author's ban as this request already read it (with the page).
        """
        if checked is None:
            await ensure_not_banned(self.session, author)
        else:
            raise_if_banned(checked.ban)
        _check_page(page, author)
        await self._limit(
            self.settings.comment_rate, "comment", author, "You are commenting too fast."
        )

    async def hold(
        self, author: Account | None, page: DiscussionPage, rendered: Rendered, source: str
    ) -> Hold | None:
        return await self.holds.check(
            author=author, ip=self.client_ip, page_id=page.id, rendered=rendered, source=source
        )

    async def after_post(self, comment: Comment, author: Account | None, hold: Hold | None) -> None:
        """Remember the text for flood checks; queue a held comment with its rule."""
        await self.holds.remember(
            author=author, ip=self.client_ip, page_id=comment.page_id, text=comment.body_text
        )
        if hold is not None:
            self.queue_hold(comment, hold)

    def queue_hold(self, comment: Comment, hold: Hold) -> None:
        self.session.add(
            Report(
                target_type=TargetType.COMMENT,
                target_id=comment.id,
                reporter_id=None,
                reason=ReportReason.HELD,
                text=hold.describe()[:1000],
                created_at=clock.now(),
            )
        )

    async def admit_edit(self, actor: Account) -> None:
        await ensure_not_banned(self.session, actor)

    async def admit_vote(self, voter: Account, page: Page) -> None:
        await check_vote_allowed(self.session, voter, page)
        await self._limit(self.settings.vote_rate, "vote", voter, "You are voting too fast.")

    async def admit_link_vote(self, voter: Account) -> None:
        """Votes on shared links: bans and the same vote rate as comment votes."""
        await ensure_not_banned(self.session, voter)
        await self._limit(self.settings.vote_rate, "vote", voter, "You are voting too fast.")

    async def admit_report(self, reporter: Account) -> None:
        await ensure_not_banned(self.session, reporter)
        await self._limit(
            self.settings.report_rate, "report", reporter, "You have sent many reports; wait."
        )
