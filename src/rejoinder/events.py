"""Domain events: what happened, announced only after the transaction that did it commits.

Services ``record()`` events on the database session; the request's session scope hands them
to the application's listeners (the live stream, caches, notifications) after a successful
commit and drops them on rollback, so a comment that was never stored is never announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "rejoinder.events"


@dataclass(frozen=True, slots=True)
class Event:
    page_id: int
    page_key: str


@dataclass(frozen=True, slots=True)
class CommentPosted(Event):
    comment_id: int
    # False when the poster knows the comment tells nobody (top-level, no @mention), so
    # notifications need not read it back; True means "look".
    concerns_others: bool = True


@dataclass(frozen=True, slots=True)
class CommentEdited(Event):
    comment_id: int


@dataclass(frozen=True, slots=True)
class CommentRemoved(Event):
    comment_id: int


@dataclass(frozen=True, slots=True)
class VoteChanged(Event):
    comment_id: int
    score: int
    upvotes: int
    downvotes: int


@dataclass(frozen=True, slots=True)
class ReportFiled(Event):
    """A reader reported a comment (automatic holds are not reports of this kind)."""

    comment_id: int
    report_id: int


@dataclass(frozen=True, slots=True)
class ModeratorActed:
    """A moderation log entry was written: notifications tell the reader it concerns.

    Not an `Event`: a ban concerns an account, not a page, so it has no live stream.
    """

    actor_id: int
    action: str
    target_type: str
    target_id: int
    reason: str
    detail: str


def record(session: AsyncSession, event: Event | ModeratorActed) -> None:
    session.info.setdefault(_KEY, []).append(event)


def drain(session: AsyncSession) -> list[Event | ModeratorActed]:
    events: list[Event | ModeratorActed] = session.info.pop(_KEY, [])
    return events
