"""Every query on submissions and their votes.

A page of the front page is one query (submissions joined to their page and submitter, in the
order's index) plus, for a signed-in reader, one for their votes on those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    exists,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from rejoinder.accounts.models import Account
from rejoinder.moderation.models import HiddenPage
from rejoinder.pages.models import Page
from rejoinder.submissions.models import Submission, SubmissionVote
from rejoinder.submissions.ranking import Position, Sort, from_micros


@dataclass(frozen=True, slots=True)
class Row:
    """One front-page line: the submission with what it shows of its page and submitter."""

    submission: Submission
    page: Page
    submitter: str | None


async def get_submission(
    session: AsyncSession, submission_id: int, *, for_update: bool = False
) -> Submission | None:
    if not for_update:
        return await session.get(Submission, submission_id)
    stmt = select(Submission).where(Submission.id == submission_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_submission_by_page(session: AsyncSession, page_id: int) -> Submission | None:
    stmt = select(Submission).where(Submission.page_id == page_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_submission(session: AsyncSession, submission: Submission) -> Submission:
    session.add(submission)
    await session.flush()
    return submission


def _after(sort: Sort, position: Position) -> ColumnElement[bool]:
    """Rows strictly after ``position`` in the order ``_order(sort)``."""
    if sort is Sort.NEW:
        return Submission.id < position.id
    column: Any
    value: Any = position.value
    if sort is Sort.HOT:
        column = Submission.hot
    elif sort is Sort.TOP:
        column = Submission.points
    else:
        column, value = Submission.active_at, from_micros(int(value))
    return or_(column < value, and_(column == value, Submission.id < position.id))


def _order(sort: Sort) -> tuple[Any, ...]:
    if sort is Sort.HOT:
        return (Submission.hot.desc(), Submission.id.desc())
    if sort is Sort.TOP:
        return (Submission.points.desc(), Submission.id.desc())
    if sort is Sort.ACTIVE:
        return (Submission.active_at.desc(), Submission.id.desc())
    return (Submission.id.desc(),)


async def list_submissions(
    session: AsyncSession,
    *,
    sort: Sort,
    limit: int,
    since: datetime | None = None,
    after: Position | None = None,
    viewer_id: int | None = None,
) -> list[Row]:
    """Up to ``limit`` rows in ``sort`` order, submitted since ``since``, after ``after``."""
    stmt = (
        select(Submission, Page, Account.username)
        .join(Page, Page.id == Submission.page_id)
        .outerjoin(Account, Account.id == Submission.account_id)
    )
    if since is not None:
        stmt = stmt.where(Submission.created_at >= since)
    if after is not None:
        stmt = stmt.where(_after(sort, after))
    if viewer_id is not None:
        # Pages the reader hid (moderation.reader_tools) stay off their front page.
        hidden = exists().where(
            HiddenPage.account_id == viewer_id, HiddenPage.page_id == Submission.page_id
        )
        stmt = stmt.where(~hidden)
    stmt = stmt.order_by(*_order(sort)).limit(limit)
    return [Row(*values) for values in (await session.execute(stmt)).all()]


async def list_my_votes(
    session: AsyncSession, account_id: int, submission_ids: Sequence[int]
) -> dict[int, int]:
    if not submission_ids:
        return {}
    stmt = select(SubmissionVote.submission_id, SubmissionVote.value).where(
        SubmissionVote.account_id == account_id,
        SubmissionVote.submission_id.in_(list(submission_ids)),
    )
    return {int(key): int(value) for key, value in (await session.execute(stmt)).all()}


async def get_vote(
    session: AsyncSession, submission_id: int, account_id: int
) -> SubmissionVote | None:
    return await session.get(SubmissionVote, (submission_id, account_id))


async def add_to_tallies(
    session: AsyncSession, submission_id: int, up_delta: int, down_delta: int
) -> tuple[int, int, int]:
    """Apply a vote change in place (concurrent voters cannot lose each other's increments)."""
    stmt = (
        update(Submission)
        .where(Submission.id == submission_id)
        .values(
            upvotes=Submission.upvotes + up_delta,
            downvotes=Submission.downvotes + down_delta,
            points=Submission.points + up_delta - down_delta,
        )
        .returning(Submission.upvotes, Submission.downvotes, Submission.points)
    )
    upvotes, downvotes, points = (await session.execute(stmt)).one()
    return int(upvotes), int(downvotes), int(points)


async def set_hot(session: AsyncSession, submission_id: int, value: float) -> None:
    await session.execute(
        update(Submission).where(Submission.id == submission_id).values(hot=value)
    )


_submissions = Submission.__table__.c
# Built once, on the table: comments on submitted pages run it. (A bind parameter may not
# take a column's name in an UPDATE: "of_page".)
_UPDATE_ACTIVE_AT = (
    update(cast(Table, Submission.__table__))
    .where(_submissions.page_id == bindparam("of_page"))
    .values(active_at=bindparam("moment"))
)


async def update_active_at(session: AsyncSession, page_id: int, moment: datetime) -> None:
    """A comment on the page: its submission (if any) moves up the ``active`` order."""
    await session.execute(_UPDATE_ACTIVE_AT, {"of_page": page_id, "moment": moment})
    # What an ORM UPDATE's "evaluate" did: a loaded submission of the page shows the new time.
    for obj in session.identity_map.values():
        if isinstance(obj, Submission):
            loaded = inspect(obj).dict
            if loaded.get("page_id") == page_id and "active_at" in loaded:
                set_committed_value(obj, "active_at", moment)
