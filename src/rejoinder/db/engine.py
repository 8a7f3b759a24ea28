"""Engines for SQLite (WAL) and PostgreSQL, with one idea: reads never wait for writers.

On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up
front, so two writers queue on ``busy_timeout`` instead of one failing with SQLITE_BUSY when
it upgrades a read lock (WAL readers never block and are never blocked). Read transactions use
a plain deferred ``BEGIN``. The two kinds share one connection pool; a session picks its kind
through the ``rejoinder_write`` execution option.

On PostgreSQL transactions are READ COMMITTED; code that read-modify-writes a row locks it
(``SELECT ... FOR UPDATE``) or increments in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from rejoinder.settings import Settings

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    # NORMAL in WAL mode is durable against a process crash (the case we guarantee: kill -9
    # loses no acknowledged write); only an OS crash or power loss can lose the last commits.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-32000",
)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("rejoinder_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    kwargs: dict[str, Any] = {"pool_pre_ping": not settings.is_sqlite}
    if settings.is_sqlite:
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = settings.database_pool_size
    else:
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = settings.database_pool_size
        kwargs["pool_recycle"] = 1800
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    return engine


class Database:
    """The engine and the two session factories: read (deferred) and write (immediate)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.dialect = self.engine.dialect.name
        write_engine = self.engine.execution_options(rejoinder_write=True)
        self.read_session = async_sessionmaker(self.engine, expire_on_commit=False)
        self.write_session = async_sessionmaker(write_engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
