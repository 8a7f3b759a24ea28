"""The checkpointer's thread and the app's shutdown never use the connection at once."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest

from rejoinder.db import checkpoints
from rejoinder.db.checkpoints import WalCheckpointer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_stopping_waits_for_a_checkpoint_under_way(tmp_path: Path, monkeypatch):
    path = tmp_path / "wal.db"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    checkpointer = WalCheckpointer(str(path))
    started, release = threading.Event(), threading.Event()
    checkpoint = checkpointer._checkpoint_locked

    def slow_checkpoint() -> checkpoints.Checkpoint | None:
        started.set()
        release.wait(5)
        return checkpoint()

    monkeypatch.setattr(checkpointer, "_checkpoint_locked", slow_checkpoint)
    monkeypatch.setattr(checkpoints, "INTERVAL_SECONDS", 0)
    running = asyncio.create_task(checkpointer.run())
    assert await asyncio.to_thread(started.wait, 5)
    # Shutdown cancels the task while its thread is inside a checkpoint; closing must wait
    # for that thread (closing under it crashed the process), then leave nothing open.
    running.cancel()
    threading.Timer(0.1, release.set).start()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    await asyncio.sleep(0.3)  # the thread has long finished its checkpoint
    assert checkpointer._connection is None
    assert checkpointer._checkpoint_if_written() is None
    assert checkpointer._connection is None
