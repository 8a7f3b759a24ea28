"""Moderation's tables: reports, bans, the audit log, flood fingerprints and reader tools.

Reports name their target as ``(target_type, target_id)`` rather than a foreign key, so the
same table (and the same queue) serves comments now and shared links later. Automatic holds
are reports too, with no reporter and the reason ``held``: the queue is simply every target
with open reports.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


def _enum(kind: type[enum.StrEnum], length: int = 16) -> Enum:
    # Stored as plain strings: adding a member needs no migration on PostgreSQL.
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class TargetType(enum.StrEnum):
    COMMENT = "comment"
    SUBMISSION = "submission"
    ACCOUNT = "account"
    PAGE = "page"


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    VIOLENCE = "violence"
    HATE = "hate"
    ILLEGAL = "illegal"
    OFF_TOPIC = "off_topic"
    OTHER = "other"
    # Set by the hold rules, never accepted from a reader.
    HELD = "held"


class AuditAction(enum.StrEnum):
    APPROVE = "approve"
    REMOVE = "remove"
    SPAM = "spam"
    BAN = "ban"
    UNBAN = "unban"
    SET_ROLE = "set_role"
    LOCK = "lock"
    UNLOCK = "unlock"
    CLOSE = "close"
    REOPEN = "reopen"
    PIN = "pin"
    UNPIN = "unpin"
    # Discussions (identity/merging.py): a page's comments and keys moved to another page,
    # or one URL key taken out of a page into a discussion of its own.
    MERGE = "merge"
    SPLIT = "split"


class Report(Base):
    """One reader's report of one item, or an automatic hold (``reporter_id`` NULL)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[TargetType] = mapped_column(_enum(TargetType))
    target_id: Mapped[int]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason))
    text: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    # Set when a moderator acted on the item; only open reports count and queue.
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    __table_args__ = (
        # One report per reader per item (NULL reporters, the holds, are distinct).
        UniqueConstraint("target_type", "target_id", "reporter_id"),
        Index("ix_reports_open", "target_type", "resolved_at", "created_at"),
    )


class Ban(Base):
    """An account may read but not write until ``ends_at`` (NULL: permanently) or lifted."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    ends_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_bans_account_id", "account_id"),)


class AuditEntry(Base):
    """Who did what to which target, when and why; moderators read it, nobody edits it."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(_enum(AuditAction))
    target_type: Mapped[TargetType] = mapped_column(_enum(TargetType))
    target_id: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_moderation_log_target", "target_type", "target_id"),)


class TextFingerprint(Base):
    """A hash of a recent comment's normalized text, for spotting one text pasted everywhere.

    Kept only for the flood window; the address is stored as a keyed hash, never in clear.
    """

    __tablename__ = "text_fingerprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ip_digest: Mapped[str | None] = mapped_column(String(64))
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_text_fingerprints_digest", "digest", "created_at"),
        Index("ix_text_fingerprints_created_at", "created_at"),
    )


class Mute(Base):
    """A reader's choice to collapse another account's comments."""

    __tablename__ = "mutes"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    muted_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]


class HiddenPage(Base):
    """A discussion a reader does not want on their front page."""

    __tablename__ = "hidden_pages"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]
