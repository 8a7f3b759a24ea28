"""Imports from an uploaded file: the admin page (``/admin/import``) and ``POST /api/v1/imports``.

The parsers read a path (Isso's is an SQLite file), so the upload, already spooled to disk by
the multipart parser, is copied to a named temporary file a megabyte at a time and removed
when the import ends, whatever happened. The import itself is the one the CLI runs
(``runner.import_into``), inside the request's transaction under a savepoint: a file that
fails leaves nothing behind, even though the request goes on to answer with the error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.accounts.models import Account, Role
from rejoinder.errors import Forbidden, InvalidInput
from rejoinder.importers.runner import ImportFormat, import_into
from rejoinder.importers.service import ImportOptions, ImportSummary
from rejoinder.settings import Settings

_COPY_CHUNK = 1 << 20
# What a format's file is called: kept as the temporary file's suffix, for anyone looking.
_SUFFIXES = {
    ImportFormat.DISQUS: ".xml",
    ImportFormat.WORDPRESS: ".xml",
    ImportFormat.ISSO: ".db",
    ImportFormat.TEXT: ".txt",
    ImportFormat.REJOINDER_JSON: ".jsonl",
}


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """What the admin asked for, besides the file (the CLI's arguments and flags)."""

    fmt: ImportFormat
    site: str | None = None
    url: str | None = None
    keep_spam: bool = False
    keep_deleted: bool = False


def require_admin(actor: Account | None) -> Account:
    """Importing writes comments in anyone's name on any page: admins only."""
    if actor is None or actor.role is not Role.ADMIN:
        raise Forbidden("Only admins can import discussions.")
    return actor


def no_file() -> InvalidInput:
    return InvalidInput(
        "Choose the file to import.",
        [{"field": "file", "reason": "missing", "message": "Choose a file."}],
    )


@asynccontextmanager
async def saved_upload(upload: BinaryIO, fmt: ImportFormat) -> AsyncIterator[Path]:
    """The upload as a named file on disk, deleted on the way out; ``no_file`` when empty."""
    fd, name = tempfile.mkstemp(prefix="rejoinder-import-", suffix=_SUFFIXES[fmt])
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size = await anyio.to_thread.run_sync(_copy, upload, out)
        if size == 0:
            raise no_file()
        yield path
    finally:
        # Synchronous on purpose: one unlink is quick, and it must run even when cancelled.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # noqa: PTH108


def _copy(source: BinaryIO, target: BinaryIO) -> int:
    source.seek(0)
    shutil.copyfileobj(source, target, _COPY_CHUNK)
    return target.tell()


async def import_upload(
    session: AsyncSession,
    settings: Settings,
    actor: Account | None,
    request: UploadRequest,
    upload: BinaryIO,
) -> ImportSummary:
    """Import an uploaded file for an admin: all of it, or (``ImportFailed``) nothing."""
    require_admin(actor)
    options = ImportOptions(keep_spam=request.keep_spam, keep_deleted=request.keep_deleted)
    async with saved_upload(upload, request.fmt) as path:
        return await import_into(
            session, settings, request.fmt, path, options, site=request.site, url=request.url
        )
