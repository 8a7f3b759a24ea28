"""The inbox, each reader's notification preferences and the e-mail outbox.

A notification names what happened (``kind``) and points at the comment or account it is
about; its text is rendered when shown, so an edited or removed comment never leaks through
an old notification. The outbox holds one row per notification still to be e-mailed; the
digest sender collects a reader's rows into one message (see `digest`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class NotificationKind(enum.StrEnum):
    REPLY = "reply"
    MENTION = "mention"
    APPROVED = "approved"
    REMOVED = "removed"
    BANNED = "banned"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(
            NotificationKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # A moderator's stated reason (removals, bans); shown to the reader it concerns.
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        # One notification per kind per comment: an event handled twice notifies once.
        UniqueConstraint("account_id", "kind", "comment_id"),
        Index("ix_notifications_account_id_id", "account_id", "id"),
        # The header badge counts unread rows: an index-only range of one reader's rows.
        Index("ix_notifications_unread", "account_id", "read_at"),
        Index("ix_notifications_comment_id", "comment_id"),
    )


class NotificationPrefs(Base):
    """A reader's choices; no row means the defaults (no e-mail, no replies feed)."""

    __tablename__ = "notification_prefs"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    email_replies: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # SHA-256 of the secret in the private replies-feed URL; NULL when there is none.
    feed_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime]


class MailOutbox(Base):
    """A notification waiting to go out in its reader's next digest e-mail.

    ``claim`` and ``claimed_until`` are the sender's lease: a worker stamps every due row of
    one reader with its claim token in one UPDATE, sends, then deletes the rows with its token.
    ``claimed_until`` doubles as "not before" after a failed send.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_mail_outbox_created_at", "created_at"),
        Index("ix_mail_outbox_account_id", "account_id"),
        Index("ix_mail_outbox_notification_id", "notification_id"),
    )
