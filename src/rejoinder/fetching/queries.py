"""Every query on the fetch queue, including the claim that keeps two workers apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.fetching.models import FetchJob, JobState


def _claimable(now: datetime) -> ColumnElement[bool]:
    # Pending and due, or running under a lease that ran out (its worker died).
    return or_(
        and_(FetchJob.state == JobState.PENDING, FetchJob.next_attempt_at <= now),
        and_(FetchJob.state == JobState.RUNNING, FetchJob.locked_until < now),
    )


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

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers pass over a row another
    one is claiming. SQLite has no row locks; its write transactions are serialized
    (``BEGIN IMMEDIATE``), and the UPDATE repeats the claimable condition, so a job that
    another worker claimed in between is simply not updated (rowcount 0).
    """
    stmt = (
        select(FetchJob.id)
        .where(_claimable(now))
        .order_by(FetchJob.next_attempt_at, FetchJob.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job_id = (await session.execute(stmt)).scalar_one_or_none()
    if job_id is None:
        return None
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(FetchJob)
            .where(FetchJob.id == job_id, _claimable(now))
            .values(
                state=JobState.RUNNING,
                locked_until=now + lease,
                attempts=FetchJob.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return None
    return await session.get(FetchJob, job_id, populate_existing=True)


async def finish_job(
    session: AsyncSession,
    job: FetchJob,
    state: JobState,
    now: datetime,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Record the outcome of the attempt ``job`` was claimed for; False if it was lost.

    A worker whose lease expired may find the job claimed again by another; the attempt
    counter tells, and the stale outcome is dropped.
    """
    values: dict[str, object] = {"state": state, "locked_until": None, "last_error": error}
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    if state in (JobState.DONE, JobState.FAILED):
        values["finished_at"] = now
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(FetchJob)
            .where(
                FetchJob.id == job.id,
                FetchJob.state == JobState.RUNNING,
                FetchJob.attempts == job.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return bool(result.rowcount == 1)


async def get_job_for_page(session: AsyncSession, page_id: int) -> FetchJob | None:
    stmt = select(FetchJob).where(FetchJob.page_id == page_id)
    return (await session.execute(stmt)).scalar_one_or_none()
