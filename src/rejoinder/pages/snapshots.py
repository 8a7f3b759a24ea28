"""What the fetcher learned about a page: storing its metadata and text, reading snapshots.

A fetch that succeeds overwrites the page's metadata (the article's current state) and adds
a snapshot only when the readable text changed: the SHA-256 of the text is compared with the
newest snapshot's, so refetching an unchanged article stores nothing new, and an article
that was edited keeps every version the discussion saw. A fetch that fails records its
error on the page and leaves the metadata and snapshots of earlier fetches alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.errors import NotFound
from rejoinder.pages import queries
from rejoinder.pages.metadata import PageMetadata, clean_line
from rejoinder.pages.models import PageSnapshot

MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    id: int
    fetched_at: datetime
    sha256: str
    length: int
    title: str | None


class SnapshotService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_fetch(
        self, page_id: int, metadata: PageMetadata, fetched_at: datetime
    ) -> PageSnapshot | None:
        """Store a successful fetch; returns the new snapshot, or None if the text is unchanged."""
        await queries.update_page_metadata(
            self.session,
            page_id,
            title=metadata.title,
            canonical_url=metadata.canonical_url,
            site_name=metadata.site_name,
            author=metadata.author,
            description=metadata.description,
            published_at=metadata.published_at,
            image_url=metadata.image_url,
            language=metadata.language,
            og_url=metadata.og_url,
            amphtml_url=metadata.amphtml_url,
            doi=metadata.doi,
            fetched_at=fetched_at,
            fetch_error=None,
        )
        if not metadata.text:
            return None
        digest = metadata.text_sha256
        latest = await queries.get_latest_snapshot(self.session, page_id)
        if latest is not None and latest.sha256 == digest:
            return None
        snapshot = PageSnapshot(
            page_id=page_id,
            fetched_at=fetched_at,
            title=metadata.title,
            text=metadata.text,
            sha256=digest,
            length=len(metadata.text),
        )
        return await queries.insert_snapshot(self.session, snapshot)

    async def record_error(self, page_id: int, message: str) -> None:
        await queries.update_page_metadata(
            self.session, page_id, fetch_error=clean_line(message, MAX_ERROR)
        )

    async def list_snapshots(self, page_id: int, limit: int = 100) -> list[SnapshotSummary]:
        """The page's snapshots, newest (the current one) first."""
        await self._require_page(page_id)
        rows = await queries.list_snapshots(self.session, page_id, limit)
        return [SnapshotSummary(**row._mapping) for row in rows]

    async def get_snapshot(self, page_id: int, snapshot_id: int) -> PageSnapshot:
        await self._require_page(page_id)
        snapshot = await queries.get_snapshot(self.session, page_id, snapshot_id)
        if snapshot is None:
            raise NotFound(f"Page {page_id} has no snapshot {snapshot_id}.")
        return snapshot

    async def _require_page(self, page_id: int) -> None:
        if await queries.get_page(self.session, page_id) is None:
            raise NotFound(f"No page with id {page_id}.")
