"""The ``rejoinder export`` command: a format and a scope, to a file or stdout."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console

from rejoinder.db.engine import Database
from rejoinder.errors import RejoinderError
from rejoinder.exports import service
from rejoinder.exports.writers import ExportFormat
from rejoinder.settings import Settings


def run_export(
    console: Console,
    fmt: str,
    page: str | None,
    site: str | None,
    everything: bool,
    output: Path | None,
) -> int:
    try:
        kind = ExportFormat(fmt)
    except ValueError:
        console.print(f"FORMAT must be one of: {', '.join(f.value for f in ExportFormat)}")
        return 2
    try:
        asyncio.run(_export(kind, page, site, everything, output))
    except RejoinderError as exc:
        console.print(exc.detail, markup=False, style="red")
        return 1
    return 0


async def _export(
    kind: ExportFormat, page: str | None, site: str | None, everything: bool, output: Path | None
) -> None:
    settings = Settings()
    scope = service.make_scope(page, site, everything, settings.max_url_length)
    db = Database(settings)
    try:
        async with db.read_session() as session:
            await service.check_page_exists(session, scope)
        collection = f"{settings.public_url}/api/v1/exports/{kind.value}"
        handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            async for chunk in service.stream(db, settings, kind, scope, collection):
                handle.write(chunk)
        finally:
            if output:
                handle.close()
    finally:
        await db.dispose()
