"""The reader's inbox: replies, mentions and moderators' actions on their content."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rejoinder.api.deps import CurrentAccount, DbSession
from rejoinder.notifications.models import NotificationKind
from rejoinder.notifications.service import InboxItem, NotificationService

router = APIRouter(tags=["notifications"])

NotificationId = Annotated[int, Field(gt=0, le=2**62)]


class NotificationOut(BaseModel):
    id: int
    kind: NotificationKind
    summary: str
    actor: str | None
    comment_id: int | None
    page_id: int | None
    page_title: str | None
    snippet: str = Field(description="Plain text of the comment while it is public.")
    detail: str = Field(description="A moderator's reason, for moderation notices.")
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread_count: int = Field(description="Unread notifications, counted up to 100.")
    next_before: int | None = Field(description="`before` for the next (older) page.")


class MarkRead(BaseModel):
    """Either `ids` (up to 500 of your notifications) or `all: true`."""

    model_config = ConfigDict(extra="forbid")

    ids: list[NotificationId] | None = Field(None, min_length=1, max_length=500)
    all: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.ids is None) == (self.all is None):
            raise ValueError("give either `ids` or `all: true`")
        return self


class MarkReadOut(BaseModel):
    marked: int
    unread_count: int


def _out(item: InboxItem) -> NotificationOut:
    return NotificationOut.model_validate(item, from_attributes=True)


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    account: CurrentAccount,
    session: DbSession,
    before: Annotated[int | None, Query(gt=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> NotificationPage:
    """Your notifications, newest first, with the unread count."""
    items, unread, next_before = await NotificationService(session).inbox(account, limit, before)
    return NotificationPage(
        items=[_out(item) for item in items], unread_count=unread, next_before=next_before
    )


@router.post("/notifications/read", response_model=MarkReadOut)
async def mark_notifications_read(
    body: MarkRead, account: CurrentAccount, session: DbSession
) -> MarkReadOut:
    """Mark some or all of your notifications read."""
    service = NotificationService(session)
    marked = await service.mark_read(account, None if body.all else body.ids)
    return MarkReadOut(marked=marked, unread_count=await service.unread_count(account.id))
