"""Comments: one table, a thread is every row of a page arranged by parent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"
    REMOVED = "removed"
    SPAM = "spam"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # The top-level ancestor (NULL for a top-level comment): paging a thread by top-level
    # comments fetches a page of roots, then all their descendants by root_id, in two queries.
    root_id: Mapped[int | None]
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    guest_name: Mapped[str | None] = mapped_column(String(64))
    body_src: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        Enum(
            CommentStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=CommentStatus.VISIBLE,
    )
    nsfw: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moderators pin a few top-level comments; the read path shows them first.
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    upvotes: Mapped[int] = mapped_column(default=0)
    downvotes: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    controversy: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # The article passage the comment answers (comments/quotes.py): a TextQuoteSelector.
    quote: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Imported comments: their author in the source (importers/models.py), beside guest_name.
    # No ON DELETE: SQLite cannot report it for a column added by ALTER, and identities are
    # never deleted.
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("imported_identities.id"), index=True
    )

    __table_args__ = (
        Index("ix_comments_page_root", "page_id", "root_id", "id"),
        Index("ix_comments_author_created", "author_id", "created_at"),
        Index("ix_comments_parent_id", "parent_id"),
    )
