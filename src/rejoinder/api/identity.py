"""Merging and splitting discussions, and the suggestions to do so: moderators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rejoinder.api.deps import CurrentAccount, DbSession
from rejoinder.identity.merging import MergeService
from rejoinder.identity.schemas import (
    MergeCreate,
    MergeOut,
    PageSummaryOut,
    SplitCreate,
    SplitOut,
    SuggestionOut,
    SuggestionsOut,
)
from rejoinder.pages.models import Page

router = APIRouter(tags=["moderation"])


def _summary(page: Page) -> PageSummaryOut:
    return PageSummaryOut(
        id=page.id, key=page.key, url=page.url, title=page.title, comment_count=page.comment_count
    )


@router.post("/moderation/merges", response_model=MergeOut)
async def merge_pages(body: MergeCreate, session: DbSession, account: CurrentAccount) -> MergeOut:
    """Move one discussion's comments, votes and URL keys into another, logged."""
    page = await MergeService(session).merge(
        account, body.from_page_id, body.into_page_id, body.reason
    )
    return MergeOut(page=_summary(page))


@router.post("/moderation/splits", response_model=SplitOut)
async def split_page(body: SplitCreate, session: DbSession, account: CurrentAccount) -> SplitOut:
    """Give one URL key of a discussion a discussion of its own (comments stay), logged."""
    page = await MergeService(session).split(account, body.page_id, body.alias_key, body.reason)
    return SplitOut(page=_summary(page))


@router.get("/moderation/merge-suggestions", response_model=SuggestionsOut)
async def read_merge_suggestions(
    session: DbSession,
    account: CurrentAccount,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SuggestionsOut:
    """Discussions that look like one article (same text, or a canonical link), newest first."""
    found = await MergeService(session).suggestions(account, limit)
    return SuggestionsOut(
        suggestions=[
            SuggestionOut(
                kind=s.kind,
                from_page=_summary(s.from_page),
                into_page=_summary(s.into_page),
                similarity=s.similarity,
                found_at=s.found_at,
            )
            for s in found
        ]
    )
