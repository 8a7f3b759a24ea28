"""Discussion pages: ``/d?url=`` opens one, ``/p/{id}/{slug}`` shows it, ``/c/{id}`` a comment.

Navigating to a discussion may create its page row (the JSON API's reads never do), so
``/d`` is rate-limited per address for pages that do not exist yet.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from rejoinder.api.deps import AppSettings, ClientIp, DbSession, Limiter
from rejoinder.comments.reading import Thread, ThreadReader
from rejoinder.comments.schemas import Sort
from rejoinder.comments.service import CommentService
from rejoinder.comments.threads import decode_cursor
from rejoinder.db.engine import Database
from rejoinder.errors import NotFound
from rejoinder.moderation.limits import Rate, enforce
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.service import PageRef, PageService
from rejoinder.pages.urlnorm import key_digest
from rejoinder.web.article import article_context
from rejoinder.web.banned import viewer_ban
from rejoinder.web.deps import WebViewer
from rejoinder.web.links import page_path, page_slug
from rejoinder.web.templating import render
from rejoinder.web.threadview import thread_context

router = APIRouter()

PageId = Annotated[int, Path(gt=0, le=2**62)]
CommentId = Annotated[int, Path(gt=0, le=2**62)]
Cursor = Annotated[str | None, Query(max_length=200)]
# New discussions per address: plenty for a person clicking around, a wall for a crawler
# filling the pages table with junk URLs.
OPEN_RATE = Rate(30, 600)


def page_ref(page: Page) -> PageRef:
    return PageRef(key=page.key, url=page.url, digest=key_digest(page.key))


async def get_page_or_404(session: DbSession, page_id: int) -> Page:
    page = await page_queries.get_page(session, page_id)
    if page is None:
        raise NotFound(f"No discussion with id {page_id}.")
    return page


@router.get("/d")
async def open_discussion(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    limiter: Limiter,
    ip: ClientIp,
    _viewer: WebViewer,
    url: Annotated[str, Query(max_length=8192)] = "",
) -> Response:
    """Resolve a URL to its discussion (creating it if needed) and redirect to its permalink."""
    if not url.strip():
        return render(request, "discuss.html", {})
    pages = PageService(session, settings.max_url_length)
    ref = pages.resolve(url)
    page = await pages.find(ref)
    if page is None:
        await enforce(
            limiter, OPEN_RATE, f"discuss:ip:{ip}", message="Too many new discussions opened."
        )
        db: Database = request.app.state.db
        async with db.write_session() as write:
            page = await PageService(write, settings.max_url_length).get_or_create(ref)
            await write.commit()
    return RedirectResponse(page_path(page), status_code=303)


@router.get("/p/{page_id}/{slug}")
async def show_discussion(
    request: Request,
    page_id: PageId,
    slug: str,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    sort: Sort = Sort.TOP,
    cursor: Cursor = None,
) -> Response:
    """A discussion: the page, the composer and one page of the thread."""
    page = await get_page_or_404(session, page_id)
    if page.merged_into_id is not None:
        # A moderator merged this discussion (identity/merging.py): its comments are there.
        page = await get_page_or_404(session, page.merged_into_id)
        return RedirectResponse(page_path(page), status_code=301)
    if slug != page_slug(page):
        target = page_path(page) + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(target, status_code=301)
    after = decode_cursor(sort, cursor) if cursor else None
    thread = await ThreadReader(session, settings).read_page(
        page_ref(page), page, sort=sort, after=after, viewer=viewer
    )
    context = thread_context(request, settings, page, thread, sort, viewer)
    context.update(cursor=cursor, ban=await viewer_ban(session, viewer))
    context.update(article=await article_context(session, page))
    return render(request, "discussion.html", context)


@router.get("/p/{page_id}")
async def discussion_without_slug(page_id: PageId, session: DbSession) -> Response:
    page = await get_page_or_404(session, page_id)
    return RedirectResponse(page_path(page), status_code=301)


@router.get("/p/{page_id}/{slug}/more")
async def more_comments(
    request: Request,
    page_id: PageId,
    slug: str,  # noqa: ARG001 - part of the path only to keep URLs readable
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    sort: Sort = Sort.TOP,
    cursor: Cursor = None,
) -> Response:
    """The next top-level comments as an HTML fragment, for the "load more" button."""
    page = await get_page_or_404(session, page_id)
    after = decode_cursor(sort, cursor) if cursor else None
    thread = await ThreadReader(session, settings).read_page(
        page_ref(page), page, sort=sort, after=after, viewer=viewer
    )
    context = thread_context(request, settings, page, thread, sort, viewer)
    headers = {"X-Next-Cursor": thread.next_cursor or ""}
    return render(request, "fragments/comments.html", context, headers=headers)


async def _comment_in_context(
    request: Request,
    comment_id: int,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    sort: Sort,
) -> tuple[Page, Thread, dict[str, Any]]:
    comment = await CommentService(session, settings).get_visible(comment_id, viewer)
    page = await get_page_or_404(session, comment.page_id)
    thread = await ThreadReader(session, settings).read_subtree(
        page_ref(page), page, comment.root_id or comment.id, sort=sort, viewer=viewer
    )
    context = thread_context(request, settings, page, thread, sort, viewer)
    return page, thread, context


@router.get("/c/{comment_id}")
async def show_comment(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
    sort: Sort = Sort.OLD,
) -> Response:
    """A comment's permalink: its whole conversation, the comment highlighted."""
    _page, _thread, context = await _comment_in_context(
        request, comment_id, session, settings, viewer, sort
    )
    context.update(focus_id=comment_id, cursor=None)
    return render(request, "discussion.html", context)


@router.get("/c/{comment_id}/fragment")
async def comment_fragment(
    request: Request,
    comment_id: CommentId,
    session: DbSession,
    settings: AppSettings,
    viewer: WebViewer,
) -> Response:
    """One comment with its replies as HTML, for live updates and inline replies."""
    _page, thread, context = await _comment_in_context(
        request, comment_id, session, settings, viewer, Sort.OLD
    )
    found = _find(thread.comments, comment_id)
    if found is None:
        raise NotFound(f"No comment with id {comment_id}.")
    context.update(comments=[found])
    return render(request, "fragments/comments.html", context)


def _find(comments: list[dict[str, Any]], comment_id: int) -> dict[str, Any] | None:
    for comment in comments:
        if comment["id"] == comment_id:
            return comment
        found = _find(comment["replies"], comment_id)
        if found is not None:
            return found
    return None
