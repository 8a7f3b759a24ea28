"""The fetch queue: one row per page to fetch, kept in the database to survive restarts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class JobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FetchJob(Base):
    """A page waiting to be (re)fetched, being fetched, or the outcome of the last try.

    A worker claims a job by setting it ``running`` with a lease (``locked_until``); a job
    still ``running`` after its lease ended belongs to a worker that died and is claimed
    again. ``attempts`` doubles as the claim's token: a worker only records its outcome if
    the job still carries the attempt number it claimed.
    """

    __tablename__ = "fetch_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(Text)
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=JobState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_fetch_jobs_state_next", "state", "next_attempt_at"),)
