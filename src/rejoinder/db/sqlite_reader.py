"""A synchronous, read-only SQLite connection for the few reads done on the event loop.

The thread cache's freshness check and the batch-count front read one indexed row (or a
few hundred) per request; in a WAL database readers never wait for writers, so such a read
costs less than aiosqlite's thread hops around it. Anything slower belongs in aiosqlite.
"""

from __future__ import annotations

import sqlite3


def open_reader(path: str, cache_kib: int) -> sqlite3.Connection:
    """A query-only connection that gives up on a lock after 50 ms, with a small page cache
    (``cache_kib``): each worker has one per user, and memory per worker is budgeted."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout=50")
    connection.execute("PRAGMA query_only=1")
    connection.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    return connection
