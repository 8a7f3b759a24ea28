"""Shared links: submit, list the front page, vote."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from rejoinder.api.deps import AppSettings, CurrentAccount, DbSession, Gate, Viewer
from rejoinder.api.responses import JSONBytes
from rejoinder.comments.schemas import VoteIn
from rejoinder.submissions.ranking import Period, Sort
from rejoinder.submissions.schemas import (
    SubmissionCreate,
    SubmissionListOut,
    SubmissionOut,
    SubmissionVoteOut,
)
from rejoinder.submissions.service import SubmissionService

router = APIRouter(tags=["submissions"])

SubmissionId = Annotated[int, Path(gt=0, le=2**62)]


@router.post(
    "/submissions",
    response_model=SubmissionOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Already shared: `page_id` names the discussion."}},
)
async def create_submission(
    body: SubmissionCreate,
    session: DbSession,
    settings: AppSettings,
    account: CurrentAccount,
    gate: Gate,
) -> JSONBytes:
    """Share a link to the front page, with an optional first comment."""
    service = SubmissionService(session, settings, gate)
    submission, page = await service.submit(
        url=body.url, title=body.title, body=body.body, submitter=account
    )
    return JSONBytes(await service.row(submission, page, account), status_code=201)


@router.get("/submissions", response_model=SubmissionListOut)
async def list_submissions(
    session: DbSession,
    settings: AppSettings,
    viewer: Viewer,
    sort: Sort = Sort.HOT,
    period: Annotated[Period, Query(description="For `sort=top` only.")] = Period.ALL,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> JSONBytes:
    """The front page: shared links in hot, new, top (day, week, all) or active order."""
    listing = await SubmissionService(session, settings).front_page(
        sort=sort, period=period, cursor=cursor, limit=limit, viewer=viewer
    )
    return JSONBytes({"items": listing.items, "next_cursor": listing.next_cursor})


@router.put("/submissions/{submission_id}/vote", response_model=SubmissionVoteOut)
async def vote_submission(
    submission_id: SubmissionId,
    body: VoteIn,
    session: DbSession,
    settings: AppSettings,
    account: CurrentAccount,
    gate: Gate,
) -> SubmissionVoteOut:
    """Set your vote on a link: 1 up, -1 down, 0 none. Repeating a vote changes nothing."""
    result = await SubmissionService(session, settings, gate).vote(
        submission_id, body.value, account
    )
    return SubmissionVoteOut(**result)
