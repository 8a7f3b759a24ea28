"""The thread read path: a fixed number of indexed queries, whatever the table sizes.

1. URL -> key -> page, through the alias digest's unique index (1 query);
2. one page of top-level comments in sort order, ``limit + 1`` rows to know if more follow
   (without a ``limit``, the page then ends before its comments, replies included, pass
   ``thread_page_comments``: ``fit_budget``);
3. every descendant of those top-level comments, by ``root_id`` (same index);
4. for a signed-in reader, their votes on this page (``ix_votes_account_page``).

Nothing is rendered here: comment HTML was sanitized once, when it was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account
from rejoinder.comments import queries
from rejoinder.comments.schemas import Sort
from rejoinder.comments.threads import build_thread, decode_cursor, encode_cursor
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.queries import PageHead
from rejoinder.pages.service import PageRef, PageService
from rejoinder.settings import Settings
from rejoinder.votes import queries as vote_queries


def page_out(ref: PageRef, page: Page | PageHead | None) -> dict[str, Any]:
    """The page as the API shows it; a page nobody has commented on yet exists only here."""
    if page is None:
        return {
            "key": ref.key,
            "url": ref.url,
            "canonical_url": None,
            "title": None,
            "comment_count": 0,
        }
    return {
        "key": page.key,
        "url": page.url,
        "canonical_url": page.canonical_url,
        "title": page.title,
        "comment_count": page.comment_count,
        "id": page.id,
        "site_name": page.site_name,
        "author": page.author,
        "description": page.description,
        "image_url": page.image_url,
        "language": page.language,
        "published_at": page.published_at,
        "fetched_at": page.fetched_at,
    }


@dataclass(slots=True)
class Thread:
    ref: PageRef
    page: Page | PageHead | None
    comments: list[dict[str, Any]]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "page": page_out(self.ref, self.page),
            "comments": self.comments,
            "next_cursor": self.next_cursor,
        }


def subtree_size(node: dict[str, Any]) -> int:
    """A comment and all its replies, placeholders included: what a reader scrolls past."""
    size, stack = 0, [node]
    while stack:
        size += 1
        stack.extend(stack.pop()["replies"])
    return size


def fit_budget(comments: list[dict[str, Any]], pinned_ids: set[int], budget: int) -> int:
    """How many of the leading top-level ``comments`` (with their replies) one page shows.

    Top-level comments are kept whole while the page stays within ``budget`` comments. The
    pinned ones, which lead the first page, are always kept, and so is the first unpinned one,
    however many replies it has: a page that cut it would leave the reader nowhere to go.
    """
    used = 0
    first_unpinned = True
    for index, node in enumerate(comments):
        size = subtree_size(node)
        if node["id"] in pinned_ids:
            used += size
            continue
        if not first_unpinned and used + size > budget:
            return index
        first_unpinned = False
        used += size
    return len(comments)


class ThreadReader:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.pages = PageService(session, settings.max_url_length)

    async def read(
        self,
        url: str,
        *,
        sort: Sort = Sort.TOP,
        limit: int | None = None,
        cursor: str | None = None,
        viewer: Account | None = None,
    ) -> Thread:
        ref = self.pages.resolve(url)
        after = decode_cursor(sort, cursor) if cursor else None
        page = await page_queries.get_page_head_by_digest(self.session, ref.digest)
        return await self.read_page(ref, page, sort=sort, limit=limit, after=after, viewer=viewer)

    async def read_page(
        self,
        ref: PageRef,
        page: Page | PageHead | None,
        *,
        sort: Sort = Sort.TOP,
        limit: int | None = None,
        after: tuple[int, float | None] | None = None,
        viewer: Account | None = None,
    ) -> Thread:
        """The thread of a page already found (the HTML door finds pages by id)."""
        if page is None or page.thread_version == 0:
            return Thread(ref, page, [], None)
        # A reader who names ``limit`` gets that many top-level comments; the default page
        # is also bounded by comments in all, replies included.
        budget = None if limit else self.settings.thread_page_comments
        limit = limit or self.settings.thread_page_size
        viewer_id = viewer.id if viewer else None
        found = await queries.list_roots(self.session, page.id, sort, limit + 1, viewer_id, after)
        # The first page leads with the pinned comments, beyond ``limit``; the cursor
        # names the last unpinned one, and later pages leave pinned comments out.
        pinned = [row for row in found if row.is_pinned]
        unpinned = [row for row in found if not row.is_pinned]
        next_cursor = encode_cursor(sort, unpinned[limit - 1]) if len(unpinned) > limit else None
        roots = pinned + unpinned[:limit]
        root_ids = [row.id for row in roots]
        rows = roots + await queries.list_descendants(self.session, page.id, root_ids, viewer_id)
        my_votes = (
            await vote_queries.list_votes_on_page(self.session, viewer.id, page.id)
            if viewer
            else {}
        )
        comments = build_thread(rows, sort, my_votes, root_order=root_ids)
        if budget is not None:
            pinned_ids = {row.id for row in pinned}
            kept = fit_budget(comments, pinned_ids, budget)
            if kept < len(comments):
                # Only ever cut after an unpinned comment (fit_budget keeps the first one).
                last = next(row for row in roots if row.id == comments[kept - 1]["id"])
                comments, next_cursor = comments[:kept], encode_cursor(sort, last)
        return Thread(ref, page, comments, next_cursor)

    async def read_subtree(
        self, ref: PageRef, page: Page, root_id: int, *, sort: Sort, viewer: Account | None
    ) -> Thread:
        """One top-level comment with all its replies: a comment's permalink shows this."""
        viewer_id = viewer.id if viewer else None
        rows = await queries.list_subtree(self.session, page.id, root_id, viewer_id)
        my_votes = (
            await vote_queries.list_votes_on_page(self.session, viewer.id, page.id)
            if viewer
            else {}
        )
        return Thread(ref, page, build_thread(rows, sort, my_votes), None)
