"""What the moderation, ban, report and reader-tool endpoints accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.accounts.models import Role
from rejoinder.accounts.schemas import Username
from rejoinder.moderation.queue import Action

ReaderReason = Literal["spam", "harassment", "violence", "hate", "illegal", "off_topic", "other"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
CommentIds = Annotated[
    list[Annotated[int, Field(gt=0, le=2**62)]], Field(min_length=1, max_length=100)
]
# Up to ten years; longer than that is what "permanent" (no days) is for.
BanDays = Annotated[int, Field(ge=1, le=3650)]


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReaderReason = Field(description="`other` needs `text`.")
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReportOut(BaseModel):
    id: int
    target_type: str
    target_id: int
    reason: str
    created_at: datetime


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    comment_ids: CommentIds
    reason: Reason = Field("", description="Why; kept in the log. Required for `ban_author`.")
    ban_days: BanDays | None = Field(None, description="`ban_author` only; omit for permanent.")


class ActionResultOut(BaseModel):
    id: int
    status: str


class ActionsOut(BaseModel):
    results: list[ActionResultOut]


class QueueCommentOut(BaseModel):
    id: int
    parent_id: int | None
    page_id: int
    body_html: str
    body_text: str
    status: str
    created_at: datetime
    edited_at: datetime | None
    score: int


class QueuePageOut(BaseModel):
    id: int
    key: str
    url: str
    title: str | None


class QueueReportOut(BaseModel):
    reason: str
    text: str | None
    reporter: str | None = Field(description="null for automatic holds.")
    created_at: datetime


class QueueBanOut(BaseModel):
    reason: str
    ends_at: datetime | None


class StandingOut(BaseModel):
    role: Role
    joined_at: datetime
    approved_comments: int
    pending_comments: int
    removed_comments: int
    ban: QueueBanOut | None


class QueueAuthorOut(BaseModel):
    username: str | None
    guest_name: str | None
    standing: StandingOut | None


class QueueItemOut(BaseModel):
    comment: QueueCommentOut
    parent: QueueCommentOut | None
    page: QueuePageOut
    reports: list[QueueReportOut]
    report_counts: dict[str, int]
    author: QueueAuthorOut
    flagged_at: datetime = Field(description="When the first open report or hold was filed.")


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    next_cursor: str | None


class AuditEntryOut(BaseModel):
    id: int
    actor: str | None
    action: str
    target_type: str
    target_id: int
    reason: str
    detail: str
    created_at: datetime


class AuditLogOut(BaseModel):
    entries: list[AuditEntryOut]
    next_cursor: int | None = Field(description="Pass as `before` for older entries.")


class BanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    days: BanDays | None = Field(None, description="Omit for a permanent ban.")


class BanOut(BaseModel):
    username: str
    reason: str
    created_at: datetime
    ends_at: datetime | None
    banned_by: str | None


class BansOut(BaseModel):
    bans: list[BanOut]
    next_cursor: int | None


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class PageControlsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locked: bool = Field(description="No new comments or votes; existing ones stay visible.")
    closed: bool = Field(description="No new comments; votes still count.")
    reason: Reason = ""


class PageControlsOut(BaseModel):
    page_id: int
    locked: bool
    closed: bool


class PinOut(BaseModel):
    comment_id: int
    pinned: bool


class MuteOut(BaseModel):
    username: str
    created_at: datetime


class MutesOut(BaseModel):
    mutes: list[MuteOut]


class HiddenPagesOut(BaseModel):
    page_ids: list[int]
