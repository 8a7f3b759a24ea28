"""The background worker that drains the fetch queue: claim, fetch, extract, record.

Each process runs ``fetch_workers`` loops (started in the app's lifespan unless
``fetch_enabled`` is off). A loop claims one job in its own short transaction (see
`queries.claim_job`), fetches outside any transaction (a fetch takes seconds; holding a
database transaction that long would block SQLite writers), then records the outcome in a
second transaction. A process that dies mid-fetch leaves the job ``running``; when its lease
ends another worker claims it again, so pending fetches survive restarts.

Failures the next try may fix (timeouts, DNS, 5xx) are retried with exponential backoff up
to ``fetch_max_attempts``; the others (not HTML, too large, refused address, 404) fail at once.
Either way the error is recorded on the job and on the page, and the discussion works as
before: a page without metadata is still a page.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio

from rejoinder import clock
from rejoinder.db.engine import Database
from rejoinder.fetching import queries
from rejoinder.fetching.content import decode_html
from rejoinder.fetching.models import FetchJob, JobState
from rejoinder.fetching.safe_http import FetchedPage, FetchError, SafeFetcher
from rejoinder.identity.confirmation import examine
from rejoinder.identity.service import IdentityService
from rejoinder.pages.metadata import PageMetadata, extract
from rejoinder.pages.snapshots import SnapshotService
from rejoinder.settings import Settings

log = logging.getLogger("rejoinder.fetching")

# How long past the fetch deadline a claim stays ours: extraction runs after the fetch.
_LEASE_MARGIN = timedelta(seconds=60)


async def read_page(fetcher: SafeFetcher, url: str) -> tuple[FetchedPage, PageMetadata]:
    """Fetch ``url`` and extract its metadata (parsing runs in a thread: pages are large)."""
    page = await fetcher.fetch(url)
    html, _encoding = decode_html(page.body, page.charset)
    metadata = await anyio.to_thread.run_sync(extract, html, page.url)
    return page, metadata


class FetchRunner:
    def __init__(self, db: Database, settings: Settings, fetcher: SafeFetcher | None = None):
        self.db = db
        self.settings = settings
        self.fetcher = fetcher or SafeFetcher(settings)
        self.lease = timedelta(seconds=settings.fetch_total_timeout) + _LEASE_MARGIN

    async def run(self) -> None:
        """Work until cancelled, with ``fetch_workers`` concurrent loops."""
        async with anyio.create_task_group() as group:
            for _ in range(self.settings.fetch_workers):
                group.start_soon(self._loop)

    async def _loop(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                # A database hiccup must not end the worker; the job's lease brings it back.
                log.exception("fetch worker failed; continuing")
                worked = False
            if not worked:
                await anyio.sleep(self.settings.fetch_poll_seconds)

    async def run_once(self) -> bool:
        """Claim and process one due job; False when none was due."""
        job = await self.claim()
        if job is None:
            return False
        if job.attempts > self.settings.fetch_max_attempts:
            # Only reachable through expired leases: workers died on this page every time.
            await self._record_failure(job, FetchError("Gave up: every attempt was cut short."))
        else:
            await self.process(job)
        return True

    async def claim(self) -> FetchJob | None:
        async with self.db.write_session() as session:
            job = await queries.claim_job(session, clock.now(), self.lease)
            await session.commit()
        return job

    async def process(self, job: FetchJob) -> None:
        try:
            fetched, metadata = await read_page(self.fetcher, job.url)
            # Canonical policy and text fingerprint (identity/), before any transaction:
            # a cross-site canonical is confirmed by fetching it in turn.
            findings = await examine(
                lambda url: read_page(self.fetcher, url), job.url, fetched, metadata
            )
        except FetchError as exc:
            await self._record_failure(job, exc)
            return
        except Exception:
            # A parser bug on one hostile page: fail that page, never retry it forever.
            log.exception("extracting %s failed", job.url)
            await self._record_failure(job, FetchError("The page could not be read."))
            return
        async with self.db.write_session() as session:
            now = clock.now()
            if await queries.finish_job(session, job, JobState.DONE, now):
                snapshot = await SnapshotService(session).record_fetch(job.page_id, metadata, now)
                await IdentityService(session).record(job.page_id, findings, snapshot)
            await session.commit()

    async def _record_failure(self, job: FetchJob, exc: FetchError) -> None:
        now = clock.now()
        retry = exc.retryable and job.attempts < self.settings.fetch_max_attempts
        delay = self.settings.fetch_retry_seconds * 4 ** (job.attempts - 1)
        async with self.db.write_session() as session:
            recorded = await queries.finish_job(
                session,
                job,
                JobState.PENDING if retry else JobState.FAILED,
                now,
                error=exc.message[:500],
                retry_at=now + timedelta(seconds=delay) if retry else None,
            )
            if recorded:
                await SnapshotService(session).record_error(job.page_id, exc.message)
            await session.commit()
        log.info("fetch of %s failed (attempt %d): %s", job.url, job.attempts, exc.message)


@asynccontextmanager
async def background_fetching(db: Database, settings: Settings) -> AsyncIterator[None]:
    """Run the fetch workers for the duration of the block (the app's lifespan)."""
    if not settings.fetch_enabled:
        yield
        return
    async with anyio.create_task_group() as group:
        group.start_soon(FetchRunner(db, settings).run)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
