"""Claiming queued rows under a lease: the one scheme behind every work queue in the database.

The fetch queue, webhook deliveries and the mail outbox are tables that workers take rows
from. A claim is two statements: pick the key of the first due row, then stamp the rows
with that key (a lease, an attempt) in an UPDATE that repeats the claimable condition. A
worker that lost the race between the two updates nothing (rowcount 0) and goes away:
SQLite serializes write transactions (``BEGIN IMMEDIATE``), and on PostgreSQL the UPDATE
re-checks the condition after waiting for the row, or ``FOR UPDATE SKIP LOCKED`` lets a
worker pass over a row another one is claiming.

Jobs (``FetchJob``, ``WebhookDelivery``) share more: a ``state`` that is pending or running,
``next_attempt_at``, ``locked_until`` and ``attempts``. A job still running after its lease
ended belongs to a worker that died and is claimed again; ``attempts`` doubles as the
claim's token, so a worker whose lease ran out cannot record a stale outcome.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


class Job(Protocol):
    """A queued job's columns, as ``FetchJob`` and ``WebhookDelivery`` declare them."""

    id: int
    state: Any
    attempts: int
    next_attempt_at: datetime
    locked_until: datetime | None


JobT = TypeVar("JobT", bound=Job)


async def claim_first(
    session: AsyncSession,
    key: InstrumentedAttribute[Any],
    *,
    due: ColumnElement[bool],
    claimable: ColumnElement[bool],
    order_by: Sequence[Any],
    values: Mapping[str, Any],
    skip_locked: bool = False,
) -> Any | None:
    """Stamp ``values`` on the rows sharing the ``key`` of the first ``due`` row.

    Returns that key, or None when no row is due or another worker claimed it in between
    (the UPDATE repeats ``claimable``). ``skip_locked``: on PostgreSQL, pass over a row
    another worker has locked instead of waiting for it.
    """
    stmt = select(key).where(due).order_by(*order_by).limit(1)
    if skip_locked and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        return None
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(key.class_)
            .where(key == found, claimable)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return found if result.rowcount else None


def job_claimable(
    model: type[Job], pending: enum.Enum, running: enum.Enum, now: datetime
) -> ColumnElement[bool]:
    """Pending and due, or running under a lease that ran out (its worker died)."""
    table: Any = model  # the class's columns, not an instance's values
    return or_(
        and_(table.state == pending, table.next_attempt_at <= now),
        and_(table.state == running, table.locked_until < now),
    )


async def claim_job(
    session: AsyncSession,
    model: type[JobT],
    *,
    pending: enum.Enum,
    running: enum.Enum,
    now: datetime,
    lease: timedelta,
) -> JobT | None:
    """Take the next due job: mark it running under a lease and count the attempt."""
    table: Any = model
    claimable = job_claimable(model, pending, running, now)
    job_id = await claim_first(
        session,
        table.id,
        due=claimable,
        claimable=claimable,
        order_by=(table.next_attempt_at, table.id),
        values={"state": running, "locked_until": now + lease, "attempts": table.attempts + 1},
        skip_locked=True,
    )
    if job_id is None:
        return None
    return await session.get(model, job_id, populate_existing=True)


async def finish_job(
    session: AsyncSession,
    model: type[Job],
    job_id: int,
    attempts: int,
    running: enum.Enum,
    values: Mapping[str, Any],
) -> bool:
    """Record the outcome of the attempt a job was claimed for; False if it was lost.

    A worker whose lease expired may find the job claimed again by another; the attempt
    counter tells, and the stale outcome is dropped. ``values`` should release the lease
    (``locked_until=None``) and set the new state.
    """
    table: Any = model
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(table)
            .where(table.id == job_id, table.state == running, table.attempts == attempts)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return bool(result.rowcount == 1)
