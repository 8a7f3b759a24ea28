"""Pages (one per discussion) and the URL keys that lead to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class Page(Base):
    """A discussion's subject: one article, whatever URL forms readers arrive with."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(500))
    # Visible comments, kept in step by the comment service so counts cost one indexed read.
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    last_comment_at: Mapped[datetime | None]
    # Bumped on every change to the thread: the ETag and the cache key of the read path.
    thread_version: Mapped[int] = mapped_column(default=0)


class PageAlias(Base):
    """One URL key of a page, looked up by its SHA-256 digest.

    The digest (not the up-to-2,048-character key) carries the unique index: it is short,
    fixed-size, and its hex prefix serves the extension's k-anonymous count lookups as a
    range scan.
    """

    __tablename__ = "page_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_page_aliases_page_id", "page_id"),)
