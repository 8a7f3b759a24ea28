"""Moderation: reports, the queue and its actions, the log, bans, roles, discussion controls.

Every operation but reporting and reading a page's controls is for moderators (admins for
roles); the services check the role, so a reader's token gets 403 whatever the route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from rejoinder.accounts.models import Account
from rejoinder.accounts.schemas import AccountOut
from rejoinder.api.deps import AppSettings, CurrentAccount, DbSession, Gate
from rejoinder.moderation import roles
from rejoinder.moderation.bans import BanService
from rejoinder.moderation.controls import ControlService
from rejoinder.moderation.models import Ban, ReportReason
from rejoinder.moderation.queue import ModerationService
from rejoinder.moderation.reports import ReportService
from rejoinder.moderation.schemas import (
    ActionIn,
    ActionsOut,
    AuditLogOut,
    BanCreate,
    BanOut,
    BansOut,
    PageControlsIn,
    PageControlsOut,
    PinOut,
    QueueOut,
    ReportCreate,
    ReportOut,
    RoleIn,
)
from rejoinder.pages.models import Page

router = APIRouter(tags=["moderation"])

CommentId = Annotated[int, Path(gt=0, le=2**62)]
PageId = Annotated[int, Path(gt=0, le=2**62)]
UsernamePath = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Before = Annotated[int | None, Query(gt=0, le=2**62, description="`next_cursor` of a page.")]


def _controls_out(page: Page) -> PageControlsOut:
    return PageControlsOut(page_id=page.id, locked=page.is_locked, closed=page.is_closed)


def _ban_out(ban: Ban, username: str, banned_by: str | None) -> BanOut:
    return BanOut(
        username=username,
        reason=ban.reason,
        created_at=ban.created_at,
        ends_at=ban.ends_at,
        banned_by=banned_by,
    )


@router.post(
    "/comments/{comment_id}/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED
)
async def create_report(
    comment_id: CommentId,
    body: ReportCreate,
    session: DbSession,
    settings: AppSettings,
    account: CurrentAccount,
    gate: Gate,
) -> ReportOut:
    """Report a comment to the moderators; once per reader and comment (409 on a second)."""
    report = await ReportService(session, settings, gate).report_comment(
        account, comment_id, ReportReason(body.reason), body.text
    )
    return ReportOut(
        id=report.id,
        target_type=report.target_type.value,
        target_id=report.target_id,
        reason=report.reason.value,
        created_at=report.created_at,
    )


@router.get("/moderation/queue", response_model=QueueOut)
async def read_queue(
    session: DbSession,
    account: CurrentAccount,
    reason: ReportReason | None = None,
    older_than: Annotated[
        datetime | None, Query(description="Only items first flagged before this time.")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> QueueOut:
    """Reported and held comments, longest waiting first, with everything needed to decide."""
    queue = await ModerationService(session).queue(
        account, reason=reason, older_than=older_than, cursor=cursor, limit=limit
    )
    return QueueOut.model_validate(queue)


@router.post("/moderation/actions", response_model=ActionsOut)
async def act_on_comments(
    body: ActionIn, session: DbSession, account: CurrentAccount
) -> ActionsOut:
    """Approve, remove, mark as spam, or remove and ban the authors: all listed or none."""
    results = await ModerationService(session).act(
        account, body.action, body.comment_ids, body.reason, body.ban_days
    )
    return ActionsOut.model_validate({"results": results})


@router.get("/moderation/log", response_model=AuditLogOut)
async def read_log(
    session: DbSession, account: CurrentAccount, before: Before = None, limit: Limit = 50
) -> AuditLogOut:
    """Every moderator action, newest first: who, what, which target, when, why."""
    entries = await ModerationService(session).log(account, before, limit)
    next_cursor = entries[-1]["id"] if len(entries) == limit else None
    return AuditLogOut.model_validate({"entries": entries, "next_cursor": next_cursor})


@router.post("/bans", response_model=BanOut, status_code=status.HTTP_201_CREATED)
async def create_ban(body: BanCreate, session: DbSession, account: CurrentAccount) -> BanOut:
    """Ban an account for `days`, or permanently; it replaces a ban in force."""
    ban, target = await BanService(session).ban(account, body.username, body.reason, body.days)
    return _ban_out(ban, target.username, account.username)


@router.delete("/bans/{username}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_ban(
    username: UsernamePath, session: DbSession, account: CurrentAccount
) -> Response:
    """Lift the bans in force on an account."""
    await BanService(session).unban(account, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/bans", response_model=BansOut)
async def list_bans(
    session: DbSession, account: CurrentAccount, before: Before = None, limit: Limit = 50
) -> BansOut:
    """Bans in force, newest first."""
    rows = await BanService(session).list_active(account, before, limit)
    next_cursor = rows[-1][0].id if len(rows) == limit else None
    return BansOut(bans=[_ban_out(*row) for row in rows], next_cursor=next_cursor)


@router.put("/accounts/{username}/role", response_model=AccountOut)
async def set_role(
    username: UsernamePath, body: RoleIn, session: DbSession, account: CurrentAccount
) -> AccountOut:
    """Make an account a user, moderator or admin (admins only)."""
    target: Account = await roles.set_role(session, username, body.role, account)
    return AccountOut.model_validate(target, from_attributes=True)


@router.get("/pages/{page_id}/controls", response_model=PageControlsOut)
async def read_page_controls(page_id: PageId, session: DbSession) -> PageControlsOut:
    """Whether a discussion is locked or closed to new comments."""
    return _controls_out(await ControlService(session).get_page(page_id))


@router.put("/pages/{page_id}/controls", response_model=PageControlsOut)
async def set_page_controls(
    page_id: PageId, body: PageControlsIn, session: DbSession, account: CurrentAccount
) -> PageControlsOut:
    """Lock a discussion (no comments, no votes) or close it to new comments (moderators)."""
    page = await ControlService(session).set_controls(
        account, page_id, locked=body.locked, closed=body.closed, reason=body.reason
    )
    return _controls_out(page)


@router.put("/comments/{comment_id}/pin", response_model=PinOut)
async def pin_comment(comment_id: CommentId, session: DbSession, account: CurrentAccount) -> PinOut:
    """Pin a top-level comment: shown first in its thread (moderators; a few per page)."""
    await ControlService(session).pin(account, comment_id, pinned=True)
    return PinOut(comment_id=comment_id, pinned=True)


@router.delete("/comments/{comment_id}/pin", response_model=PinOut)
async def unpin_comment(
    comment_id: CommentId, session: DbSession, account: CurrentAccount
) -> PinOut:
    """Unpin a comment (moderators)."""
    await ControlService(session).pin(account, comment_id, pinned=False)
    return PinOut(comment_id=comment_id, pinned=False)
