"""Merging and splitting discussions: moderator actions, logged, all-or-nothing.

Merging page A into page B moves A's comments (ids unchanged, so permalinks keep working),
their votes and A's URL keys to B, and B takes over A's place in the fetch queue if it has
none; A's row stays as a locked tombstone (``merged_into_id``) so links, submissions and
the log that name it still resolve. Both pages' ``thread_version`` is bumped and the
visible comment count moves with the comments. Fingerprint matches and canonical links are
only ever offered as suggestions (`suggestions`): nothing merges without a moderator.

Splitting takes one URL key out of a page into a discussion of its own: the page that once
owned that key, if it was merged in, comes back; otherwise a new page is made. Comments stay
where they are: nobody can tell which URL a reader had open when they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder import clock
from rejoinder.accounts.models import Account
from rejoinder.errors import Conflict, InvalidInput, NotFound
from rejoinder.fetching import queries as fetch_queries
from rejoinder.identity import queries
from rejoinder.moderation import audit
from rejoinder.moderation.bans import require_moderator
from rejoinder.moderation.models import AuditAction, TargetType
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.service import resolve


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str  # "syndicated" (same text) or "canonical" (the page names the other's URL)
    from_page: Page
    into_page: Page
    similarity: float | None
    found_at: datetime


class MergeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _lock(self, page_id: int) -> Page:
        page = await page_queries.get_page_for_update(self.session, page_id)
        if page is None:
            raise NotFound(f"No page with id {page_id}.")
        return page

    async def merge(self, actor: Account, from_id: int, into_id: int, reason: str) -> Page:
        """Move page ``from_id``'s discussion into ``into_id``; returns the target page."""
        require_moderator(actor)
        if from_id == into_id:
            raise InvalidInput(
                "A discussion cannot be merged into itself.",
                [{"field": "into_page_id", "reason": "same_page", "message": "Pick another."}],
            )
        # Always lock in id order: two merges of the same pair cannot deadlock.
        locked = {pid: await self._lock(pid) for pid in sorted((from_id, into_id))}
        source, target = locked[from_id], locked[into_id]
        for page in (source, target):
            if page.merged_into_id is not None:
                raise Conflict(
                    f"Page {page.id} was already merged into page {page.merged_into_id}."
                )
        moved_count = source.comment_count
        last = max((t for t in (source.last_comment_at, target.last_comment_at) if t), default=None)
        await queries.move_thread(self.session, source.id, target.id)
        await queries.move_fetch_state(self.session, source.id, target.id)
        # The source no longer has text of its own to match or canonical claims to make.
        await queries.delete_fingerprint(self.session, source.id)
        await queries.delete_canonical_links(self.session, source.id)
        source.merged_into_id = target.id
        source.is_locked = True  # a late write to the old id must not start a new thread
        await self.session.flush()
        await page_queries.bump_thread(self.session, source.id, comment_delta=-moved_count)
        await page_queries.bump_thread(
            self.session,
            target.id,
            comment_delta=moved_count,
            commented_at=last if last and last != target.last_comment_at else None,
        )
        audit.record(
            self.session,
            actor,
            AuditAction.MERGE,
            TargetType.PAGE,
            source.id,
            reason,
            detail=f"into page {target.id}",
        )
        await self.session.flush()
        await self.session.refresh(target)
        return target

    async def split(self, actor: Account, page_id: int, alias_key: str, reason: str) -> Page:
        """Give one of the page's URL keys a discussion of its own; returns that page."""
        require_moderator(actor)
        page = await self._lock(page_id)
        if page.merged_into_id is not None:
            raise Conflict(f"Page {page.id} was merged into page {page.merged_into_id}.")
        ref = resolve(alias_key)
        alias = await queries.get_alias(self.session, ref.digest)
        if alias is None or alias.page_id != page.id:
            raise NotFound(f"Page {page.id} has no key {ref.key!r}.")
        if alias.key == page.key:
            raise Conflict("A discussion keeps its own key; split its other keys instead.")
        now = clock.now()
        revived = await queries.find_merged_page(self.session, page.id, alias.key)
        if revived is not None:
            revived.merged_into_id = None
            revived.is_locked = False
            new_page = revived
        else:
            new_page = Page(key=alias.key, url="https://" + alias.key, created_at=now)
            self.session.add(new_page)
        await self.session.flush()
        alias.page_id = new_page.id
        await self.session.flush()
        # Learn (again) what the URL holds, so its own text and title show.
        await fetch_queries.insert_job(self.session, new_page.id, new_page.url, now)
        await page_queries.bump_thread(self.session, page.id)
        await page_queries.bump_thread(self.session, new_page.id)
        audit.record(
            self.session,
            actor,
            AuditAction.SPLIT,
            TargetType.PAGE,
            page.id,
            reason,
            detail=f"{alias.key} -> page {new_page.id}",
        )
        await self.session.flush()
        await self.session.refresh(new_page)
        return new_page

    async def suggestions(self, actor: Account, limit: int) -> list[Suggestion]:
        """Pairs of discussions that look like one article, newest first, for moderators."""
        require_moderator(actor)
        pairs = await queries.list_similarity_pairs(self.session, limit)
        claims = await queries.list_canonical_suggestions(self.session, limit)
        ids = {pid for row in pairs for pid in row[:2]} | {pid for row in claims for pid in row[:2]}
        pages = await queries.get_pages(self.session, sorted(ids))
        found: list[Suggestion] = []
        for a, b, score, at in pairs:
            first, second = pages.get(a), pages.get(b)
            live = first and second and first.merged_into_id is None
            if live and first and second and second.merged_into_id is None:
                # The smaller discussion goes into the bigger one; on a tie, into the older.
                small, big = sorted((first, second), key=lambda p: (p.comment_count, -p.id))
                found.append(Suggestion("syndicated", small, big, round(float(score), 3), at))
        for from_id, into_id, at in claims:
            source, target = pages.get(from_id), pages.get(into_id)
            if source and target and source.merged_into_id is None:
                found.append(Suggestion("canonical", source, target, None, at))
        found.sort(key=lambda s: s.found_at, reverse=True)
        return found[:limit]
