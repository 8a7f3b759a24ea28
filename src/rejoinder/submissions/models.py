"""Submissions (a page shared to the front page) and the votes on them.

One submission per page: the unique ``page_id`` makes a second submission of the same URL key
lead to the existing discussion. The row carries its own tallies and ranking values, so a page
of the front page in any order is one indexed query (see ``ranking.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), unique=True)
    # NULL once the submitter's account is gone; the link stays.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    upvotes: Mapped[int] = mapped_column(default=0)
    downvotes: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)
    # ranking.hot(points, created_at): changes only when a vote does (no refresh job needed).
    hot: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]
    # The latest comment on the page, or the submission itself before the first comment;
    # kept in step by pages.queries.bump_thread so "active" reads one index of this table.
    active_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_submissions_hot", "hot", "id"),
        Index("ix_submissions_points", "points", "id"),
        Index("ix_submissions_active_at", "active_at", "id"),
        Index("ix_submissions_created_at", "created_at"),
        Index("ix_submissions_account_id", "account_id"),
    )


class SubmissionVote(Base):
    __tablename__ = "submission_votes"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]

    # "My votes on this page of the front page" looks up by account first.
    __table_args__ = (Index("ix_submission_votes_account", "account_id", "submission_id"),)
