"""Exports for moderators (streamed) and imported identities for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rejoinder.api.deps import AppSettings, CurrentAccount, DbSession
from rejoinder.exports import service as exports
from rejoinder.exports.writers import EXTENSIONS, MEDIA_TYPES, ExportFormat
from rejoinder.importers.identities import IdentityService

router = APIRouter(tags=["imports and exports"])

IdentityId = Annotated[int, Path(gt=0, le=2**62)]


class IdentityOut(BaseModel):
    id: int
    source: str
    external_key: str
    name: str
    account_id: int | None


class IdentitiesOut(BaseModel):
    items: list[IdentityOut]


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class ClaimOut(BaseModel):
    identity: IdentityOut
    comments: int = Field(description="Comments now shown as the account's.")


@router.get("/exports/{fmt}")
async def export_comments(
    request: Request,
    fmt: ExportFormat,
    session: DbSession,
    settings: AppSettings,
    account: CurrentAccount,
    page: Annotated[str | None, Query(max_length=8192, description="A page's URL.")] = None,
    site: Annotated[str | None, Query(max_length=300, description="A host.")] = None,
    all: Annotated[bool, Query(description="The whole instance.")] = False,
) -> StreamingResponse:
    """Download comments of a page, a site or everything (moderators and admins)."""
    exports.require_moderator(account)
    scope = exports.make_scope(page, site, all, settings.max_url_length)
    await exports.check_page_exists(session, scope)
    body = exports.stream(request.app.state.db, settings, fmt, scope, str(request.url))
    filename = f"rejoinder-export.{EXTENSIONS[fmt]}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/imported-identities", response_model=IdentitiesOut)
async def list_identities(
    session: DbSession,
    account: CurrentAccount,
    name: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IdentitiesOut:
    """Imported authors, optionally those whose name contains ``name`` (admins)."""
    found = await IdentityService(session).list(account, name, limit)
    return IdentitiesOut(items=[IdentityOut.model_validate(i, from_attributes=True) for i in found])


@router.post("/imported-identities/{identity_id}/claim", response_model=ClaimOut)
async def claim_identity(
    identity_id: IdentityId, body: ClaimIn, session: DbSession, account: CurrentAccount
) -> ClaimOut:
    """Say which account an imported author is; their comments show as the account's (admins)."""
    claimed = await IdentityService(session).claim(account, identity_id, body.username)
    return ClaimOut(
        identity=IdentityOut.model_validate(claimed.identity, from_attributes=True),
        comments=claimed.comments,
    )
