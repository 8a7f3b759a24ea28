"""Which pages' threads a transaction changed, so caches can forget them once it commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_KEY = "rejoinder.touched_pages"


def mark_page(session: AsyncSession | Session, page_id: int) -> None:
    pages: set[int] = session.info.setdefault(_KEY, set())
    pages.add(page_id)


def take(session: Session) -> set[int]:
    """The pages marked in this session since the last take (commit or rollback)."""
    pages: set[int] = session.info.pop(_KEY, set())
    return pages
