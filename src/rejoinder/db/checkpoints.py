"""SQLite's WAL checkpoints in a thread of their own, for the server.

A comment post commits on the event loop (``db/sqlite_driver.py``, inline transactions).
SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages: it
copies the WAL's pages into the database file and syncs it, 5 to 30 ms on the benchmark
machine's disk (issue 8), a pause for every request on that worker. So a server's
connections turn the automatic checkpoint off (``Database(..., background_checkpoints=True)``)
and each worker runs ``WalCheckpointer``: twice a second it asks whether anyone committed
since its last look (``PRAGMA data_version``), and if so checkpoints in a worker thread.
PASSIVE checkpoints never wait for readers or writers, nor hold them up; what a reader still
needs stays in the WAL for the next round. CLI commands keep SQLite's automatic checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from typing import NamedTuple

log = logging.getLogger("rejoinder.db")

PRAGMA_NO_AUTOCHECKPOINT = "PRAGMA wal_autocheckpoint=0"
INTERVAL_SECONDS = 0.5


class Checkpoint(NamedTuple):
    busy: int  # 1 when another connection was checkpointing
    wal_frames: int
    checkpointed: int


class WalCheckpointer:
    def __init__(self, path: str) -> None:
        self.path = path
        self.last: Checkpoint | None = None
        self._connection: sqlite3.Connection | None = None
        self._seen_version: int | None = None
        # A cancelled ``run`` leaves its thread running: closing the connection under a
        # checkpoint would crash the process, so the two take turns, and a closed
        # checkpointer opens nothing again.
        self._lock = threading.Lock()
        self._closed = False

    async def run(self) -> None:
        """Checkpoint whenever something was committed; for the life of the app."""
        try:
            while True:
                await asyncio.sleep(INTERVAL_SECONDS)
                try:
                    done = await asyncio.to_thread(self._checkpoint_if_written)
                except sqlite3.Error as error:
                    # A busy or vanished file: the next round tries again.
                    log.warning("WAL checkpoint of %s failed: %s", self.path, error)
                    continue
                if done is not None:
                    self.last = done
        finally:
            self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _checkpoint_if_written(self) -> Checkpoint | None:
        with self._lock:
            return None if self._closed else self._checkpoint_locked()

    def _checkpoint_locked(self) -> Checkpoint | None:
        if self._connection is None:
            # Used from the default executor's threads, one call at a time.
            self._connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA busy_timeout=50")
        version = self._connection.execute("PRAGMA data_version").fetchone()[0]
        if version == self._seen_version:
            return None
        self._seen_version = version
        busy, frames, checkpointed = self._connection.execute(
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
        return Checkpoint(busy, frames, checkpointed)
