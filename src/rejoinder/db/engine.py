"""Engines for SQLite (WAL) and PostgreSQL, with one idea: reads never wait for writers.

On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up
front, so two writers queue instead of one failing with SQLITE_BUSY when it upgrades a read
lock (WAL readers never block and are never blocked). Read transactions use a plain deferred
``BEGIN``. The two kinds share one connection pool; a session picks its kind through the
``rejoinder_write`` execution option.

Inside one process, write sessions on SQLite also take turns on an ``asyncio.Lock`` before
they begin. SQLite has one writer at a time anyway; without the lock, the writers of one
worker would each hold a pooled connection and poll SQLite's busy handler, which sleeps
1, 2, 5 ... 100 ms between tries, so the lock is often free while every waiter sleeps. The
lock hands it over first come, first served the moment the previous transaction ends;
``busy_timeout`` still arbitrates between processes (several workers, the CLI).

On PostgreSQL transactions are READ COMMITTED; code that read-modify-writes a row locks it
(``SELECT ... FOR UPDATE``) or increments in place. Each statement of a READ COMMITTED
transaction takes its own snapshot, so a read made only of SELECTs sees exactly what it
would see without the transaction: ``Database.statement_session`` runs such reads in
autocommit mode, without the BEGIN and COMMIT round trips (the thread read, issue 8).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState
from sqlalchemy.util import await_

from rejoinder.db import sqlite_driver
from rejoinder.db.checkpoints import PRAGMA_NO_AUTOCHECKPOINT, WalCheckpointer
from rejoinder.readcache import touched
from rejoinder.settings import Settings

# How long a writer waits for its turn, in this process (the lock) or across processes
# (SQLite's busy handler), before the request fails.
WRITE_WAIT_SECONDS = 10

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={WRITE_WAIT_SECONDS * 1000}",
    # NORMAL in WAL mode is durable against a process crash (the case we guarantee: kill -9
    # loses no acknowledged write); only an OS crash or power loss can lose the last commits.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA temp_store=MEMORY",
    # Page cache: 2 MB per connection (SQLite's default) and at most ~8 MB for the
    # whole process: past the soft heap limit, a connection's cache recycles its own pages
    # instead of growing. 32 MB per pooled connection held a worker at 520 MB after random
    # reads of a 1M-comment database (issue 8: 150 MB per worker); the OS page cache serves
    # the rest, outside RSS. Few connections (settings.SQLITE_POOL_SIZE) share the budget.
    "PRAGMA cache_size=-2000",
    "PRAGMA soft_heap_limit=8388608",
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
        options = conn.get_execution_options()
        begin = "BEGIN IMMEDIATE" if options.get("rejoinder_write") else "BEGIN"
        dbapi_connection = conn.connection.dbapi_connection
        if isinstance(dbapi_connection, sqlite_driver.OneHopConnection):
            # Sent in the hop of the transaction's first statement (db/sqlite_driver.py),
            # or with it on the event loop for a short write (``write_session(inline=True)``).
            dbapi_connection.defer_begin(begin, inline=bool(options.get("rejoinder_inline")))
        else:
            conn.exec_driver_sql(begin)

    # The pool rolls back every connection it gets back, even one whose transaction the
    # session just committed; with aiosqlite that no-op is a thread round trip of its own,
    # a sixth of an uncached thread read's (issue 8). Roll back only what is still open.
    @event.listens_for(engine.sync_engine.pool, "reset")
    def _on_reset(
        dbapi_connection: Any, _record: ConnectionPoolEntry, state: PoolResetState
    ) -> None:
        if isinstance(dbapi_connection, sqlite_driver.OneHopConnection):
            # A BEGIN never sent belongs to no one now; the next transaction records its own.
            dbapi_connection.defer_begin(None)
        if state.transaction_was_reset or not state.asyncio_safe:
            return  # as the pool's own reset: nothing left open, or no way to await here
        # aiosqlite's connection (the adapter's driver_connection) knows without a hop.
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if driver.in_transaction:
            dbapi_connection.rollback()


def _no_autocheckpoint(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(PRAGMA_NO_AUTOCHECKPOINT)
    cursor.close()


# Set while a caller that has a fallback of its own checks out (see `unpinged_checkouts`).
_UNPINGED: ContextVar[bool] = ContextVar("rejoinder_unpinged", default=False)


@contextmanager
def unpinged_checkouts() -> Iterator[None]:
    """PostgreSQL connections checked out inside this block skip the ping.

    For a caller that answers nothing itself when its statement fails (the batch-count front
    hands the request to the app): a dead connection then fails that statement, which
    SQLAlchemy recognises as a disconnect and invalidates, and the fallback's own checkout
    pings as usual. Half the round trips of a one-statement read.
    """
    token = _UNPINGED.set(True)
    try:
        yield
    finally:
        _UNPINGED.reset(token)


def _ping_postgresql(dbapi_connection: Any) -> bool:
    """``pool_pre_ping`` in one round trip: a simple query, outside any transaction.

    SQLAlchemy's asyncpg adapter pings with BEGIN, a prepared ``;`` and ROLLBACK, three round
    trips on every checkout (for pgbouncer's transaction mode, which a simple query without
    parameters does not disturb either): a quarter of an uncached thread read's (issue 8).
    """
    if _UNPINGED.get():
        return True
    try:
        await_(dbapi_connection._connection.execute("SELECT 1"))
    except Exception as error:
        # The adapter's translation, so that the pool recognises a dead connection.
        dbapi_connection._handle_exception(error)
    return True


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    kwargs: dict[str, Any] = {"pool_pre_ping": not settings.is_sqlite}
    if settings.is_sqlite:
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if url.startswith("sqlite+aiosqlite:"):
            kwargs["module"] = sqlite_driver.dbapi()
        # _configure_sqlite's reset listener rolls back instead, only when needed.
        kwargs["pool_reset_on_return"] = None
        # The connection used last has the warmest page cache (SQLITE_PRAGMAS): a
        # first-in-first-out pool would hand out the coldest one every time.
        kwargs["pool_use_lifo"] = True
    else:
        kwargs["pool_recycle"] = 1800
    kwargs["pool_size"] = kwargs["max_overflow"] = settings.pool_size
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    elif engine.dialect.driver == "asyncpg":
        engine.dialect.do_ping = _ping_postgresql  # type: ignore[method-assign]
    return engine


class WriteTurns:
    """One SQLite writer at a time in this process, in arrival order (see the module doc).

    The lock belongs to the event loop that first used it; a CLI command that runs several
    loops one after the other gets a fresh lock in each.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._waiting = 0  # writers in the timed wait, woken ones included until they hold it

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._lock, self._waiting = loop, asyncio.Lock(), 0
        if not self._lock.locked() and not self._waiting:
            # Free, and nobody ahead in the queue: acquire() returns at once. wait_for's task
            # and timer would cost more event-loop CPU than the turn itself.
            await self._lock.acquire()
        else:
            await self._wait_for_turn()
        try:
            yield
        finally:
            self._lock.release()

    async def _wait_for_turn(self) -> None:
        self._waiting += 1
        try:
            await asyncio.wait_for(self._lock.acquire(), WRITE_WAIT_SECONDS)
        except TimeoutError:
            # What SQLite's busy handler says after the same wait, so callers that handle
            # a locked database handle this too.
            raise OperationalError(
                "BEGIN IMMEDIATE", None, Exception("database is locked (waited for a turn)")
            ) from None
        finally:
            self._waiting -= 1


class Database:
    """The engine and the two session factories: read (deferred) and write (immediate).

    ``write_session()`` is used like a sessionmaker (``async with db.write_session() as s``);
    on SQLite it first waits for this process's write turn and keeps it until the session
    closes.

    ``statement_session()`` is for reads made only of SELECTs that need no snapshot shared
    between them beyond what the database gives each statement: on PostgreSQL it runs them
    in autocommit mode (see the module doc); on SQLite it is ``read_session`` (the deferred
    BEGIN there gives the statements one snapshot).

    ``commit_hooks`` are called, inside the commit, with the ids of the pages whose threads
    the transaction changed (``readcache.touched``): the thread cache forgets them there.
    """

    def __init__(self, settings: Settings, *, background_checkpoints: bool = False) -> None:
        """``background_checkpoints``: on a SQLite file, the connections leave WAL
        checkpoints to ``self.checkpointer``, which the app runs (db/checkpoints.py)."""
        self.settings = settings
        self.engine = create_engine(settings)
        self.dialect = self.engine.dialect.name
        self.checkpointer: WalCheckpointer | None = None
        if background_checkpoints and self.sqlite_path is not None:
            self.checkpointer = WalCheckpointer(self.sqlite_path)
            event.listen(self.engine.sync_engine, "connect", _no_autocheckpoint)
        self.commit_hooks: list[Callable[[set[int]], None]] = []
        session_class = self._session_class()
        write_engine = self.engine.execution_options(rejoinder_write=True)
        self.read_session = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=session_class
        )
        self._write_factory = async_sessionmaker(
            write_engine, expire_on_commit=False, sync_session_class=session_class
        )
        self._inline_write_factory = async_sessionmaker(
            write_engine.execution_options(rejoinder_inline=True),
            expire_on_commit=False,
            sync_session_class=session_class,
        )
        self._turns = WriteTurns() if settings.is_sqlite else None
        self.statement_session = self.read_session
        if not settings.is_sqlite:
            self.statement_session = async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                sync_session_class=session_class,
            )

    @asynccontextmanager
    async def write_session(self, *, inline: bool = False) -> AsyncIterator[AsyncSession]:
        """``inline``: a short transaction of a few indexed statements (a comment post),
        run on the event loop's thread on SQLite (db/sqlite_driver.py); no effect on
        PostgreSQL. Never for a transaction whose statements may take long (imports).
        Its SELECTs before its first write run before it takes SQLite's lock, each on
        what is committed then (as on PostgreSQL): never for code that writes what it read."""
        factory = self._inline_write_factory if inline else self._write_factory
        if self._turns is None:
            async with factory() as session:
                yield session
            return
        async with self._turns.turn(), factory() as session:
            yield session

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite file, or None for PostgreSQL and in-memory databases."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        return database

    def _session_class(self) -> type[Session]:
        # A class per Database, so its commit hooks see only its own sessions.
        hooks = self.commit_hooks

        class _Session(Session):
            pass

        @event.listens_for(_Session, "after_commit")
        def _after_commit(session: Session) -> None:
            pages = touched.take(session)
            if pages:
                for hook in hooks:
                    hook(pages)

        @event.listens_for(_Session, "after_rollback")
        def _after_rollback(session: Session) -> None:
            touched.take(session)

        return _Session

    async def dispose(self) -> None:
        await self.engine.dispose()
