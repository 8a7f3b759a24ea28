"""The article beside its discussion: the latest snapshot's text, earlier texts, copies.

The discussion page shows the text the fetcher last saw (collapsible, escaped, one
paragraph per line of the snapshot) so readers can select a passage and quote it; when the
article changed since the discussion began, a link leads to the earliest text,
``/p/{id}/{slug}/snapshots/{snapshot_id}``. "Also published at" lists the syndicated copies
that fingerprints found (identity/), which stay separate discussions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from rejoinder.api.deps import DbSession
from rejoinder.errors import NotFound
from rejoinder.identity.service import IdentityService
from rejoinder.pages import queries as page_queries
from rejoinder.pages.models import Page
from rejoinder.pages.snapshots import SnapshotService
from rejoinder.web.links import page_path, page_slug
from rejoinder.web.templating import render

router = APIRouter()

PageId = Annotated[int, Path(gt=0, le=2**62)]
SnapshotId = Annotated[int, Path(gt=0, le=2**62)]
# Enough history to find the first text; a page refetched more often than this has its
# earliest snapshots left out of the link, not of the database.
MAX_HISTORY = 100


def paragraphs(text: str) -> list[str]:
    """Snapshot text is stored one paragraph per line."""
    return [line for line in text.split("\n") if line.strip()]


async def article_context(session: AsyncSession, page: Page) -> dict[str, Any]:
    """What the discussion page's Article section and "also published at" line need."""
    latest = await page_queries.get_latest_snapshot(session, page.id)
    history = await page_queries.list_snapshots(session, page.id, MAX_HISTORY)
    first = history[-1] if len(history) > 1 else None
    return {
        "snapshot": latest,
        "paragraphs": paragraphs(latest.text) if latest else [],
        "first_snapshot": first,
        "copies": await IdentityService(session).syndicated_copies(page.id),
    }


@router.get("/p/{page_id}/{slug}/snapshots/{snapshot_id}")
async def show_snapshot(
    request: Request, page_id: PageId, slug: str, snapshot_id: SnapshotId, session: DbSession
) -> Response:
    """One stored text of the article, as a fetch saw it."""
    page = await page_queries.get_page(session, page_id)
    if page is None:
        raise NotFound(f"No discussion with id {page_id}.")
    if slug != page_slug(page):
        target = f"{page_path(page)}/snapshots/{snapshot_id}"
        return RedirectResponse(target, status_code=301)
    snapshot = await SnapshotService(session).get_snapshot(page.id, snapshot_id)
    context = {
        "page": page,
        "page_path": page_path(page),
        "snapshot": snapshot,
        "paragraphs": paragraphs(snapshot.text),
    }
    return render(request, "snapshot.html", context)
