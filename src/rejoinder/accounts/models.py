"""Accounts and their bearer tokens (browser sessions and API tokens alike)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rejoinder.db.base import Base


class Role(enum.StrEnum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


class TokenKind(enum.StrEnum):
    SESSION = "session"
    API = "api"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings: adding a member needs no migration on PostgreSQL.
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Case-folded username: "Alice" and "alice" are one account, shown as registered.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.USER)
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer secret. Only its SHA-256 digest is stored, so a database leak logs nobody in."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(_enum(TokenKind))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_api_tokens_account_id", "account_id"),)
