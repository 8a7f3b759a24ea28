"""The server's SQLite checkpoints run in a thread, not inside commits on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from factories import make_comment, make_user
from sqlalchemy import text

from rejoinder.db import checkpoints
from rejoinder.db.engine import Database

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def sqlite_only(settings):
    if not settings.is_sqlite:
        pytest.skip("WAL checkpoints are SQLite's")


async def autocheckpoint(db: Database) -> int:
    async with db.read_session() as session:
        value: int = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
    return value


async def test_the_servers_connections_leave_checkpoints_to_the_checkpointer(app):
    assert app.state.db.checkpointer is not None
    assert await autocheckpoint(app.state.db) == 0


async def test_other_users_of_the_database_keep_sqlites_own_checkpoints(settings):
    db = Database(settings)  # as the CLI commands make it
    try:
        assert db.checkpointer is None
        assert await autocheckpoint(db) == 1000
    finally:
        await db.dispose()


async def test_commits_reach_the_database_file_through_the_checkpointer(
    app, client, monkeypatch, tmp_path
):
    monkeypatch.setattr(checkpoints, "INTERVAL_SECONDS", 0.02)
    alice = await make_user(client)
    posted = await make_comment(client, alice, "checkpointed", url="https://example.com/wal")
    # No commit checkpoints (autocheckpoint is off), yet the database file alone, without
    # its WAL, soon holds the comment: the checkpointer copied it there.
    copy = tmp_path / "copy.db"
    for _ in range(300):
        shutil.copyfile(Path(app.state.db.sqlite_path), copy)
        with contextlib.closing(sqlite3.connect(copy)) as connection:
            found = connection.execute(
                "SELECT body_src FROM comments WHERE id = ?", (posted["id"],)
            ).fetchone()
        if found == ("checkpointed",):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError(f"never checkpointed; last: {app.state.db.checkpointer.last}")
    # The thread's answer reaches the loop a moment after the file has the pages.
    for _ in range(100):
        if app.state.db.checkpointer.last is not None:
            break
        await asyncio.sleep(0.01)
    last = app.state.db.checkpointer.last
    assert last is not None
    assert last.wal_frames > 0


async def test_nothing_committed_means_no_checkpoint(app, monkeypatch):
    monkeypatch.setattr(checkpoints, "INTERVAL_SECONDS", 0.02)
    checkpointer = app.state.db.checkpointer
    await asyncio.sleep(0.2)  # the start-up's writes are checkpointed by now
    checkpointer.last = None
    await asyncio.sleep(0.2)
    assert checkpointer.last is None
