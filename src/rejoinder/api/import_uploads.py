"""``POST /api/v1/imports``: an admin uploads a file to import (multipart), as ``rejoinder import``.

Only these upload paths accept bodies past the global 1 MB (``settings.import_upload_max_bytes``,
see ``app.IMPORT_UPLOAD_PATHS``). So that nobody but an admin can make the server take in that
much, ``admin_before_upload`` checks the credentials before the body is read, in a read
transaction of its own: on SQLite no write lock is held while a large upload arrives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.datastructures import UploadFile

from rejoinder.accounts.service import AccountService
from rejoinder.api.deps import SESSION_COOKIE, AppSettings, CurrentAccount, DbSession
from rejoinder.errors import InvalidInput, Unauthenticated
from rejoinder.importers.runner import ImportFormat
from rejoinder.importers.uploads import UploadRequest, import_upload, no_file, require_admin

router = APIRouter(tags=["imports and exports"])

_MAX_SECRET = 256
OptionalText = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=8192)]


async def admin_before_upload(request: Request) -> None:
    """Refuse anyone but an admin before reading the body (401 or 403)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        secret = secret.strip() if scheme.lower() == "bearer" else ""
    else:
        secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret or len(secret) > _MAX_SECRET:
        raise Unauthenticated("Sign in as an admin first.")
    app = request.app
    async with app.state.db.read_session() as session:
        service = AccountService(session, app.state.settings, app.state.limiter)
        account = await service.authenticate(secret)
    if account is None:
        raise Unauthenticated("This token is invalid or has expired; sign in again.")
    require_admin(account)


async def read_upload(request: Request) -> AsyncIterator[None]:
    """Take in the multipart body (spooled to disk past 1 MB) before the request's write
    transaction starts; ``request.form()`` returns it from then on. Its files are closed
    (and so deleted) when the route is done, whether it succeeded or not."""
    form = await request.form()
    try:
        yield
    finally:
        await form.close()


# In this order, before the route's own dependencies open the write transaction.
AdminBeforeUpload = Depends(admin_before_upload)
ReadUpload = Depends(read_upload, scope="function")


class ImportFields(BaseModel):
    """The multipart form's text fields (the file is ``file``)."""

    model_config = ConfigDict(extra="forbid")

    format: ImportFormat
    site: OptionalText = Field(None, description="Isso: the site's address (--site).")
    url: OptionalText = Field(None, description="Text threads: the article's address (--url).")
    keep_spam: bool = False
    keep_deleted: bool = False


class ImportedCounts(BaseModel):
    comments: int
    pages: int = Field(description="New pages created for the file's discussions.")
    identities: int = Field(description="New imported authors.")


class ImportOut(BaseModel):
    source: str = Field(description="External ids are unique within it, e.g. `disqus`.")
    imported: ImportedCounts
    skipped: dict[str, int] = Field(description="How many items were skipped, by reason.")
    errors: list[str] = Field(description="The first errors, each with its line or element.")
    error_count: int
    page_ids: list[int] = Field(description="Pages that received comments.")


_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "file"],
    "properties": {
        "format": {"type": "string", "enum": [f.value for f in ImportFormat]},
        "file": {"type": "string", "format": "binary"},
        "site": {"type": "string", "maxLength": 8192},
        "url": {"type": "string", "maxLength": 8192},
        "keep_spam": {"type": "boolean", "default": False},
        "keep_deleted": {"type": "boolean", "default": False},
    },
}


@router.post(
    "/imports",
    response_model=ImportOut,
    dependencies=[AdminBeforeUpload, ReadUpload],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _BODY_SCHEMA}},
        }
    },
    responses={413: {"description": "The file is larger than the instance accepts."}},
)
async def create_import(
    request: Request, session: DbSession, settings: AppSettings, account: CurrentAccount
) -> ImportOut:
    """Import a file (admins): the whole of it, or on any error nothing (422)."""
    form = await request.form()
    upload = form.get("file")
    fields = _fields({k: v for k, v in form.multi_items() if k != "file"})
    if not isinstance(upload, UploadFile):
        raise no_file()
    wanted = UploadRequest(
        fmt=fields.format,
        site=fields.site or None,
        url=fields.url or None,
        keep_spam=fields.keep_spam,
        keep_deleted=fields.keep_deleted,
    )
    summary = await import_upload(session, settings, account, wanted, upload.file)
    result = summary.as_dict()
    result["page_ids"] = summary.page_ids
    return ImportOut.model_validate(result)


def _fields(values: dict[str, Any]) -> ImportFields:
    if any(not isinstance(value, str) for value in values.values()):
        raise InvalidInput(
            "Only the field `file` may hold a file.",
            [{"field": "file", "reason": "unexpected_file", "message": "One file, as `file`."}],
        )
    try:
        return ImportFields.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(
            "The form has invalid fields.",
            [
                {
                    "field": ".".join(str(part) for part in error["loc"]) or "form",
                    "reason": error["type"],
                    "message": error["msg"],
                }
                for error in exc.errors()
            ],
        ) from None
