"""Votes: one row per account and comment; the comment row carries the tallies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class Vote(Base):
    __tablename__ = "votes"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # Copied from the comment so "my votes on this page" is one indexed lookup on a read.
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_votes_account_page", "account_id", "page_id"),)
