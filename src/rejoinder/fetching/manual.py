"""Fetching one URL on an operator's request (``rejoinder fetch URL``), outside the queue."""

from __future__ import annotations

from dataclasses import dataclass

from rejoinder import clock
from rejoinder.db.engine import Database
from rejoinder.fetching.runner import read_page
from rejoinder.fetching.safe_http import FetchedPage, SafeFetcher
from rejoinder.identity.confirmation import examine
from rejoinder.identity.service import IdentityService
from rejoinder.pages.metadata import PageMetadata
from rejoinder.pages.service import PageService, resolve
from rejoinder.pages.snapshots import SnapshotService
from rejoinder.settings import Settings

# What ``rejoinder fetch`` prints, in this order.
METADATA_FIELDS = (
    "title",
    "site_name",
    "author",
    "published_at",
    "description",
    "image_url",
    "language",
    "canonical_url",
    "og_url",
    "amphtml_url",
    "doi",
)


@dataclass(frozen=True, slots=True)
class ManualFetch:
    page: FetchedPage
    metadata: PageMetadata
    page_id: int | None  # the discussion whose metadata was updated, if there is one


async def fetch_now(settings: Settings, raw_url: str, *, store: bool = True) -> ManualFetch:
    """Fetch ``raw_url`` now; with ``store``, update its discussion's page if it has one.

    Raises ``InvalidUrl`` for an address that cannot be discussed and ``FetchError`` when
    the fetch fails (the same rules as the background fetcher, loopback setting included).
    """
    ref = resolve(raw_url, settings.max_url_length)
    page, metadata = await read_page(SafeFetcher(settings), ref.url)
    if not store:
        return ManualFetch(page, metadata, None)
    fetcher = SafeFetcher(settings)
    findings = await examine(lambda url: read_page(fetcher, url), ref.url, page, metadata)
    db = Database(settings)
    try:
        async with db.write_session() as session:
            found = await PageService(session, settings.max_url_length).find(ref)
            if found is not None:
                snapshot = await SnapshotService(session).record_fetch(
                    found.id, metadata, clock.now()
                )
                await IdentityService(session).record(found.id, findings, snapshot)
            await session.commit()
    finally:
        await db.dispose()
    return ManualFetch(page, metadata, found.id if found else None)
