"""The ``rejoinder import`` and ``rejoinder identity claim`` commands' work, with rich output.

Imports of files over ``PROGRESS_FROM_BYTES`` show a progress bar (bytes read, or Isso rows).
The summary says what was imported, what was skipped and why, and the first errors with
their line or element. Text from the file is printed without rich markup.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from rejoinder.db.engine import Database
from rejoinder.errors import RejoinderError
from rejoinder.importers.runner import ImportFormat, import_file, progress_total
from rejoinder.importers.service import ImportOptions, ImportSummary
from rejoinder.settings import Settings

PROGRESS_FROM_BYTES = 1_000_000


def run_import(
    console: Console,
    fmt: str,
    file: Path,
    site: str | None,
    url: str | None,
    keep_spam: bool,
    keep_deleted: bool,
) -> int:
    """Exit status: 0 imported, 1 the import failed (nothing kept), 2 bad arguments."""
    try:
        kind = ImportFormat(fmt)
    except ValueError:
        console.print(
            f"FORMAT must be one of: {', '.join(f.value for f in ImportFormat)}", style="red"
        )
        return 2
    if not file.is_file():
        console.print(f"No such file: {file}", markup=False, style="red")
        return 2
    options = ImportOptions(keep_spam=keep_spam, keep_deleted=keep_deleted)
    try:
        total = progress_total(kind, file)
        show = file.stat().st_size >= PROGRESS_FROM_BYTES
        summary = asyncio.run(_import(console, kind, file, options, site, url, (total, show)))
    except RejoinderError as exc:
        console.print(
            f"Import failed, nothing was imported: {exc.detail}", markup=False, style="red"
        )
        return 1
    print_summary(console, summary)
    return 0


async def _import(
    console: Console,
    kind: ImportFormat,
    file: Path,
    options: ImportOptions,
    site: str | None,
    url: str | None,
    bar_size: tuple[int, bool],
) -> ImportSummary:
    total, show = bar_size
    settings = Settings()
    db = Database(settings)
    try:
        with Progress(
            TextColumn("Importing"),
            BarColumn(),
            DownloadColumn()
            if kind is not ImportFormat.ISSO
            else TextColumn("{task.completed} rows"),
            TimeRemainingColumn(),
            console=console,
            disable=not show,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=total)
            return await import_file(
                db,
                settings,
                kind,
                file,
                options,
                site=site,
                url=url,
                progress=lambda n: bar.advance(task, n),
            )
    finally:
        await db.dispose()


def print_summary(console: Console, summary: ImportSummary) -> None:
    console.print(
        f"Imported {summary.comments:,} comments on {summary.pages:,} new pages, "
        f"{summary.identities:,} new authors (source {summary.source}).",
        markup=False,
        style="green",
    )
    for reason, count in sorted(summary.skipped.items()):
        console.print(f"Skipped {count:,}: {reason}", markup=False)
    for error in summary.errors:
        console.print(f"Error: {error}", markup=False, style="yellow")
    if summary.error_count > len(summary.errors):
        console.print(f"... and {summary.error_count - len(summary.errors):,} more errors.")


def run_claim(console: Console, identity_id: int, username: str) -> int:
    try:
        count = asyncio.run(_claim(identity_id, username))
    except RejoinderError as exc:
        console.print(exc.detail, markup=False, style="red")
        return 1
    console.print(f"Identity {identity_id} is now {username}: {count:,} comments.", markup=False)
    return 0


async def _claim(identity_id: int, username: str) -> int:
    from rejoinder.importers.identities import IdentityService

    db = Database(Settings())
    try:
        async with db.write_session() as session:
            claimed = await IdentityService(session).claim(None, identity_id, username)
            await session.commit()
            return claimed.comments
    finally:
        await db.dispose()
