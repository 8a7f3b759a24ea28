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


def record(session: AsyncSession, event: Event) -> None:
    session.info.setdefault(_KEY, []).append(event)


def drain(session: AsyncSession) -> list[Event]:
    events: list[Event] = session.info.pop(_KEY, [])
    return events
