"""Pages (one per discussion) and the URL keys that lead to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
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
    # Moderator controls: locked takes no new comments or votes; closed takes no new comments.
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # --- What the fetcher learned about the article (fetching/, pages/metadata.py) ---
    # Hostile text from the article's HTML: control characters stripped, lengths capped
    # by pages.metadata, escaped at display. title and canonical_url above are set too.
    site_name: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    published_at: Mapped[datetime | None]
    image_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    og_url: Mapped[str | None] = mapped_column(Text)
    amphtml_url: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime | None]
    fetch_error: Mapped[str | None] = mapped_column(String(500))
    # Set when a moderator merged this discussion into another (identity/merging.py): its
    # keys and comments moved there, the row stays for links and submissions that name it.
    # No foreign key: SQLite adds a column without rebuilding the table (and its search
    # triggers) only when it carries no constraint.
    merged_into_id: Mapped[int | None] = mapped_column(index=True)


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
    # The page's comment_count, copied by database triggers (migration 0010) so batch counts
    # read digest -> count from one index. Never written by the app; not read through it.
    comment_count: Mapped[int] = mapped_column(server_default="0", deferred=True)

    __table_args__ = (
        Index("ix_page_aliases_page_id", "page_id"),
        # Batch counts read digest -> page, count from the index alone (migration 0010).
        Index("ix_page_aliases_digest_page_id_count", "digest", "page_id", "comment_count"),
    )


class PageSnapshot(Base):
    """The readable text of the article as one fetch saw it; the newest is current.

    Kept so a discussion keeps its context when the article is edited or taken down: a new
    snapshot is stored only when the text's SHA-256 differs from the newest one.
    """

    __tablename__ = "page_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime]
    title: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # Characters of text, so listing snapshots never loads the texts.
    length: Mapped[int]

    __table_args__ = (Index("ix_page_snapshots_page_fetched", "page_id", "fetched_at"),)
