"""Reader tools: muting accounts and hiding discussions from your front page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from rejoinder.api.deps import CurrentAccount, DbSession
from rejoinder.moderation.reader_tools import ReaderTools
from rejoinder.moderation.schemas import HiddenPagesOut, MuteOut, MutesOut

router = APIRouter(tags=["reader tools"])

UsernamePath = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
PageId = Annotated[int, Path(gt=0, le=2**62)]


@router.get("/mutes", response_model=MutesOut)
async def list_mutes(session: DbSession, account: CurrentAccount) -> MutesOut:
    """The accounts you muted."""
    mutes = await ReaderTools(session).mutes(account)
    return MutesOut(mutes=[MuteOut(username=name, created_at=when) for name, when in mutes])


@router.put("/mutes/{username}", status_code=status.HTTP_204_NO_CONTENT)
async def mute_account(
    username: UsernamePath, session: DbSession, account: CurrentAccount
) -> Response:
    """Mute an account: threads mark its comments `muted` for you (clients collapse them)."""
    await ReaderTools(session).mute(account, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/mutes/{username}", status_code=status.HTTP_204_NO_CONTENT)
async def unmute_account(
    username: UsernamePath, session: DbSession, account: CurrentAccount
) -> Response:
    """Unmute an account; unmuting one you never muted changes nothing."""
    await ReaderTools(session).unmute(account, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/hidden-pages", response_model=HiddenPagesOut)
async def list_hidden_pages(session: DbSession, account: CurrentAccount) -> HiddenPagesOut:
    """The discussions you hid from your front page."""
    return HiddenPagesOut(page_ids=await ReaderTools(session).hidden_pages(account))


@router.put("/hidden-pages/{page_id}", status_code=status.HTTP_204_NO_CONTENT)
async def hide_page(page_id: PageId, session: DbSession, account: CurrentAccount) -> Response:
    """Hide a discussion from your front page."""
    await ReaderTools(session).hide_page(account, page_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/hidden-pages/{page_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unhide_page(page_id: PageId, session: DbSession, account: CurrentAccount) -> Response:
    """Show a hidden discussion on your front page again."""
    await ReaderTools(session).unhide_page(account, page_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
