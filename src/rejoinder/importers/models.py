"""Tables of imported discussions: the people who wrote them, and what was already imported.

An imported comment has no account: its author is an ``ImportedIdentity`` (one per person per
source, found by the source's user id, else the hash of their e-mail, else their name). An
admin can later say which account an identity is; the comments then show that account.
``ImportRecord`` remembers every source item imported, so importing a file twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class ImportedIdentity(Base):
    __tablename__ = "imported_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "disqus", "wordpress:blog.example", "isso:blog.example", "text", "rejoinder-json:..."
    source: Mapped[str] = mapped_column(String(200))
    # "user:<id>", "email:<sha256>" or "name:<casefolded name>": how the source knew them.
    external_key: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the lowercased address: enough to match a claim, useless to a spammer.
    email_hash: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("source", "external_key", name="uq_imported_identities_source_key"),
        Index("ix_imported_identities_account_id", "account_id"),
    )


class ImportRecord(Base):
    """One source item (a post, a comment) already imported, and the comment it became."""

    __tablename__ = "import_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(300))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_import_records_source_external_id"),
        Index("ix_import_records_comment_id", "comment_id"),
    )
