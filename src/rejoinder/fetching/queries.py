"""Every query on the fetch queue, including the claim that keeps two workers apart."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.db import leases
from rejoinder.fetching.models import FetchJob, JobState


async def insert_job(session: AsyncSession, page_id: int, url: str, now: datetime) -> None:
    """Queue a fetch of the page unless one is already queued (one job row per page)."""
    values = {
        "page_id": page_id,
        "url": url,
        "state": JobState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(FetchJob).values(**values).on_conflict_do_nothing(index_elements=["page_id"])
    await session.execute(stmt)


async def claim_job(session: AsyncSession, now: datetime, lease: timedelta) -> FetchJob | None:
    """Take the next due job: mark it running under a lease and count the attempt.

    The claim's scheme (and how it keeps concurrent workers apart) is ``db/leases.py``'s.
    """
    return await leases.claim_job(
        session, FetchJob, pending=JobState.PENDING, running=JobState.RUNNING, now=now, lease=lease
    )


async def finish_job(
    session: AsyncSession,
    job: FetchJob,
    state: JobState,
    now: datetime,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Record the outcome of the attempt ``job`` was claimed for; False if it was lost."""
    values: dict[str, object] = {"state": state, "locked_until": None, "last_error": error}
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    if state in (JobState.DONE, JobState.FAILED):
        values["finished_at"] = now
    return await leases.finish_job(
        session, FetchJob, job.id, job.attempts, JobState.RUNNING, values
    )


async def get_job_for_page(session: AsyncSession, page_id: int) -> FetchJob | None:
    stmt = select(FetchJob).where(FetchJob.page_id == page_id)
    return (await session.execute(stmt)).scalar_one_or_none()
