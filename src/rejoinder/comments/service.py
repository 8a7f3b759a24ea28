"""Posting, editing and deleting comments: the rules, in one place for every front door."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock, events
from rejoinder.accounts.models import Account, Role
from rejoinder.comments import queries
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.comments.render import render_markdown
from rejoinder.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from rejoinder.moderation.bans import BanCheck
from rejoinder.moderation.gate import ModerationGate
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.queries import PageControls
from rejoinder.pages.service import PageService
from rejoinder.settings import Settings


def is_moderator(account: Account | None) -> bool:
    return account is not None and account.role in (Role.MODERATOR, Role.ADMIN)


def can_read(comment: Comment, viewer: Account | None) -> bool:
    """Pending comments exist only for their author and moderators; 404 for anyone else."""
    if comment.status is not CommentStatus.PENDING:
        return True
    return is_moderator(viewer) or (viewer is not None and viewer.id == comment.author_id)


class CommentService:
    def __init__(
        self, session: AsyncSession, settings: Settings, moderation: ModerationGate | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.pages = PageService(session, settings.max_url_length)
        # Bans, page controls and holds apply even without a gate from the request; rate
        # limits need the request's (limiter, client address), so front doors pass one.
        self.moderation = moderation or ModerationGate(session, settings)

    def _check_body(self, body: str) -> str:
        body = body.strip()
        if not body:
            raise InvalidInput(
                "A comment needs some text.",
                [{"field": "body", "reason": "empty", "message": "Write something first."}],
            )
        limit = self.settings.max_comment_length
        if len(body) > limit:
            raise InvalidInput(
                f"Comments are limited to {limit:,} characters; this one has {len(body):,}.",
                [
                    {
                        "field": "body",
                        "reason": "too_long",
                        "message": f"At most {limit} characters.",
                    }
                ],
            )
        return body

    async def get_visible(self, comment_id: int, viewer: Account | None) -> Comment:
        comment = await queries.get_comment(self.session, comment_id)
        if comment is None or not can_read(comment, viewer):
            raise NotFound(f"No comment with id {comment_id}.")
        return comment

    async def post(
        self,
        *,
        body: str,
        author: Account | None,
        url: str | None = None,
        parent_id: int | None = None,
        nsfw: bool = False,
        guest_name: str | None = None,
        quote: dict[str, str] | None = None,
    ) -> tuple[Comment, Page | PageControls]:
        """Store a new comment (or reply) and announce it once committed."""
        if author is None and not self.settings.allow_guests:
            raise Unauthenticated("Sign in to comment.")
        if author is None and not guest_name:
            raise InvalidInput(
                "Guests must give a name to comment.",
                [{"field": "author_name", "reason": "missing", "message": "Give a name."}],
            )
        body = self._check_body(body)
        parent: Comment | None = None
        page: Page | PageControls | None
        checked: BanCheck | None = None
        submitted = True  # unless the page is known to have no submission
        if parent_id is not None:
            parent = await self.get_visible(parent_id, author)
            if parent.deleted_at is not None or parent.status in (
                CommentStatus.REMOVED,
                CommentStatus.SPAM,
            ):
                raise Conflict("That comment was deleted or removed; it takes no new replies.")
            page = await page_queries.get_page(self.session, parent.page_id)
            if page is None:
                raise NotFound(f"No comment with id {parent_id}.")
            if url is not None and await self._page_of(url) != page.id:
                raise InvalidInput(
                    "The comment you reply to belongs to another page.",
                    [{"field": "parent_id", "reason": "other_page", "message": "Wrong page."}],
                )
            # Past the depth limit a reply joins its parent's siblings, at the deepest level.
            if parent.depth >= self.settings.max_depth and parent.parent_id is not None:
                parent = await queries.get_comment(self.session, parent.parent_id) or parent
        elif url is None:
            raise InvalidInput(
                "Say which page the comment is about.",
                [{"field": "url", "reason": "missing", "message": "A URL is required."}],
            )
        else:
            ref = self.pages.resolve(url)
            # Nearly always the page exists: what the rules need of it, and the author's
            # ban, in one statement and without loading an entity.
            target = await queries.get_post_target(
                self.session, ref.digest, author.id if author else None, clock.now()
            )
            if target is not None:
                page, checked, submitted = target.page, BanCheck(target.ban), target.submitted
            else:
                page = await self.pages.get_or_create(ref)

        await self.moderation.admit_comment(author, page, checked)
        rendered = render_markdown(body)
        hold = await self.moderation.hold(author, page, rendered, body)
        now = clock.now()
        comment = Comment(
            page_id=page.id,
            parent_id=parent.id if parent else None,
            root_id=(parent.root_id or parent.id) if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_id=author.id if author else None,
            guest_name=None if author else guest_name,
            body_src=body,
            body_html=rendered.html,
            body_text=rendered.text,
            status=CommentStatus.PENDING if hold else CommentStatus.VISIBLE,
            nsfw=nsfw,
            created_at=now,
            quote=quote,
        )
        await queries.insert_comment(self.session, comment)
        await self.moderation.after_post(comment, author, hold)
        visible = comment.status is CommentStatus.VISIBLE
        await page_queries.bump_thread(
            self.session, page.id, comment_delta=int(visible), commented_at=now, submitted=submitted
        )
        # A held comment is announced when a moderator approves it, not now.
        if visible:
            concerns_others = parent is not None or bool(rendered.mentions)
            events.record(
                self.session,
                events.CommentPosted(page.id, page.key, comment.id, concerns_others),
            )
        return comment, page

    async def _page_of(self, url: str) -> int | None:
        found = await self.pages.find(self.pages.resolve(url))
        return found.id if found else None

    def check_can_change(self, comment: Comment, actor: Account) -> None:
        """``Forbidden`` unless ``actor`` may edit or delete ``comment`` now (forms ask first)."""
        self._check_author_window(comment, actor)

    def _check_author_window(self, comment: Comment, actor: Account) -> None:
        if is_moderator(actor):
            return
        if comment.author_id != actor.id:
            raise Forbidden("Only the author can change this comment.")
        deadline = comment.created_at + timedelta(seconds=self.settings.edit_window_seconds)
        if clock.now() > deadline:
            raise Forbidden("The time to edit or delete this comment has passed.")

    async def edit(self, comment_id: int, body: str, actor: Account) -> Comment:
        """Replace the text: the author within the edit window; moderators always."""
        await self.moderation.admit_edit(actor)
        comment = await self.get_visible(comment_id, actor)
        self._check_author_window(comment, actor)
        if comment.deleted_at is not None:
            raise Conflict("A deleted comment cannot be edited.")
        body = self._check_body(body)
        rendered = render_markdown(body)
        page = await page_queries.get_page(self.session, comment.page_id)
        assert page is not None
        # An edit must not slip past the rules a new comment meets (links added later...).
        was_visible = comment.status is CommentStatus.VISIBLE
        hold = await self.moderation.hold(actor, page, rendered, body) if was_visible else None
        comment.body_src = body
        comment.body_html = rendered.html
        comment.body_text = rendered.text
        comment.edited_at = clock.now()
        if hold is not None:
            comment.status = CommentStatus.PENDING
            self.moderation.queue_hold(comment, hold)
        await self.session.flush()
        await page_queries.bump_thread(self.session, page.id, comment_delta=-int(hold is not None))
        event = events.CommentRemoved if hold is not None else events.CommentEdited
        events.record(self.session, event(page.id, page.key, comment.id))
        return comment

    async def delete(self, comment_id: int, actor: Account) -> None:
        """Delete: the text is erased; the row stays so replies keep their place."""
        comment = await self.get_visible(comment_id, actor)
        self._check_author_window(comment, actor)
        if comment.deleted_at is not None:
            return
        was_counted = comment.status is CommentStatus.VISIBLE
        comment.deleted_at = clock.now()
        comment.body_src = comment.body_html = comment.body_text = ""
        comment.quote = None
        await self.session.flush()
        page = await page_queries.get_page(self.session, comment.page_id)
        assert page is not None
        await page_queries.bump_thread(self.session, page.id, comment_delta=-int(was_counted))
        events.record(self.session, events.CommentRemoved(page.id, page.key, comment.id))
