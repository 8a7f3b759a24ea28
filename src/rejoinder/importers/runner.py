"""One import from start to end: pick the parser, feed the importer, one transaction.

The parsers are synchronous (lxml, sqlite3); they run in a worker thread a batch of items at a
time, so a server importing an upload keeps answering other requests, and the items in
flight stay a few hundred.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from rejoinder.db.engine import Database
from rejoinder.importers import disqus, isso, rejoinder_json, text, wordpress
from rejoinder.importers.items import ImportFailed, Item
from rejoinder.importers.service import Importer, ImportOptions, ImportSummary
from rejoinder.settings import Settings

_BATCH = 200


class ImportFormat(enum.StrEnum):
    DISQUS = "disqus"
    WORDPRESS = "wordpress"
    ISSO = "isso"
    TEXT = "text"
    REJOINDER_JSON = "rejoinder-json"


def open_items(
    fmt: ImportFormat,
    path: Path,
    *,
    site: str | None = None,
    url: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Iterator[Item], BinaryIO | None]:
    """The parser's items for the file, and the open file to close afterwards (if any)."""
    if url is not None and fmt is not ImportFormat.TEXT:
        raise ImportFailed("--url is for the text format; the other formats name their pages")
    if fmt is ImportFormat.ISSO:
        return isso.parse(path, site, progress), None
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ImportFailed(f"cannot read {path.name} ({exc.strerror})") from None
    if fmt is ImportFormat.DISQUS:
        return disqus.parse(stream, progress), stream
    if fmt is ImportFormat.WORDPRESS:
        return wordpress.parse(stream, progress), stream
    if fmt is ImportFormat.TEXT:
        return text.parse(stream, url, progress), stream
    return rejoinder_json.parse(stream, progress), stream


async def in_thread(items: Iterator[Item]) -> AsyncIterator[Item]:
    """The items, parsed in a worker thread ``_BATCH`` at a time."""

    def take() -> list[Item]:
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) >= _BATCH:
                break
        return batch

    while batch := await anyio.to_thread.run_sync(take):
        for item in batch:
            yield item


async def import_file(
    db: Database,
    settings: Settings,
    fmt: ImportFormat,
    path: Path,
    options: ImportOptions,
    *,
    site: str | None = None,
    url: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import ``path`` in one transaction: all of it, or (on any error) nothing."""
    async with db.write_session() as session:
        try:
            summary = await import_into(
                session, settings, fmt, path, options, site=site, url=url, progress=progress
            )
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        return summary


async def import_into(
    session: AsyncSession,
    settings: Settings,
    fmt: ImportFormat,
    path: Path,
    options: ImportOptions,
    *,
    site: str | None = None,
    url: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import ``path`` inside the caller's transaction, under a savepoint.

    On any error the savepoint is rolled back, so nothing of the file stays even when the
    caller (a web request) goes on to commit its own transaction.
    """
    items, stream = open_items(fmt, path, site=site, url=url, progress=progress)
    try:
        async with session.begin_nested():
            return await Importer(session, settings, options).run(in_thread(items))
    finally:
        if stream is not None:
            stream.close()


def progress_total(fmt: ImportFormat, path: Path) -> int:
    """What the progress callback counts to: bytes of the file, or Isso's comment rows."""
    if fmt is ImportFormat.ISSO:
        conn = isso.open_readonly(path)
        try:
            return isso.count_comments(conn)
        finally:
            conn.close()
    return path.stat().st_size
