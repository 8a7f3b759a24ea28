"""SQLAlchemy's aiosqlite adapter with one thread hop per statement instead of three or four.

aiosqlite runs every call on its connection's own thread: the caller queues a function and
awaits a future that the thread resolves through ``call_soon_threadsafe``. SQLAlchemy's
adapter makes a separate call for each step of a statement (open a cursor, execute, fetch
the rows, close the cursor), so a two-statement read cost eight round trips between threads,
and on a busy 2-core machine each hand-over costs more than SQLite's own work (profiles of
the comment write path: about 40% of the worker's busy time was spent queueing them).

``OneHopCursor`` does all four steps in one function on the connection's thread and keeps
what SQLAlchemy reads afterwards (rows, description, rowcount, lastrowid).

A transaction's ``BEGIN`` rides along too: db/engine.py's begin listener only records it
(``OneHopConnection.defer_begin``) and the first statement's hop runs it just before that
statement, so a reader still gets one snapshot from its first SELECT on, and a writer's
``BEGIN IMMEDIATE`` still fails with SQLITE_BUSY before its first statement runs. A commit
or rollback with no statement since the BEGIN has nothing to end and makes no hop. Everything
else stays SQLAlchemy's own adapter. ``dbapi()`` is passed to
``create_async_engine(module=...)`` for ``sqlite+aiosqlite`` URLs (db/engine.py).

A short write transaction can skip the hops altogether (``defer_begin(..., inline=True)``,
the comment post, issue 8): its statements run on the event loop's thread, each tens of
microseconds of indexed work (the comment INSERT, with its search-index triggers, the most),
where each hop cost ~80 us of CPU besides its latency, all of it while the process's write
turn was held. Its ``BEGIN IMMEDIATE`` is tried there without waiting (``busy_timeout``
0); while another process holds the lock it is tried again every half millisecond for up to
50 ms, then it goes to the thread, which waits as before, so the loop never sleeps in
SQLite's busy handler. The statements after it, ROLLBACK and COMMIT run there too: a commit
appends its pages to the WAL without syncing (``synchronous=NORMAL``). The commit that takes
the WAL past 1,000 pages would also checkpoint it into the database file, with an fsync, on
the loop; the server's connections leave that to db/checkpoints.py.

An inline transaction also reads before it takes the lock: its ``BEGIN IMMEDIATE`` waits
for its first statement that is not a SELECT, and the SELECTs before it run on their own,
each seeing what is committed when it runs. A post reads the token's account and the page
with the author's ban, renders the text and checks the holds before it writes; while it did
all that under the lock, the database's one writer at a time was a post's whole CPU time,
and a second worker mostly waited (issue 8). Its checks are then exactly as on PostgreSQL,
whose READ COMMITTED lets a ban commit between a post's check and its INSERT too; what the
post writes (the INSERT, the thread bump, in place) needs no earlier read to be current.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, int, int | None, list[Any]]
# An inline BEGIN that finds the database locked by another process asks again after
# a short sleep on the event loop, for this long; then it waits in the thread as any BEGIN.
INLINE_BUSY_SECONDS = 0.05
INLINE_BUSY_POLL = 0.0005

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _DriverQueue(Protocol):
    """The private part of ``aiosqlite.Connection`` a hop uses, typed: aiosqlite leaves
    ``_execute`` unannotated."""

    @property
    def _conn(self) -> sqlite3.Connection: ...

    async def _execute(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> _T: ...


def _run(
    connection: sqlite3.Connection,
    begin: str | None,
    operation: str,
    parameters: Any,
    many: bool,
) -> _Outcome:
    # Runs on the aiosqlite connection's thread, the only thread that touches `connection`.
    cursor = connection.cursor()
    try:
        if begin is not None:
            # An error here (SQLITE_BUSY) is raised before the statement runs, as it was
            # from a BEGIN of its own.
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _is_read(operation: str) -> bool:
    # SQLAlchemy's SELECTs start with the keyword; anything else (SAVEPOINT included) writes.
    return operation[:6].upper() == "SELECT"


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    # Typed as the base class's parameter (SQLAlchemy calls `_cursor_cls(self)` from the
    # base connection); only OneHopConnection ever passes itself.
    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No driver cursor is opened here (that was a round trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _hop(self, operation: str, parameters: Any, many: bool) -> None:
        driver: _DriverQueue = self._connection  # type: ignore[assignment]
        adapt_connection: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapt_connection._execute_mutex:
            # Taken before the hop: a BEGIN that fails is not retried by the next statement
            # (SQLAlchemy rolls the transaction back, as after a failed BEGIN of its own).
            begin = adapt_connection._take_begin(operation)
            # aiosqlite's `_execute` queues a function for the connection's thread and
            # awaits its result; `_conn` is the sqlite3 connection living on that thread.
            outcome: _Outcome = await driver._execute(
                _run, driver._conn, begin, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)

    async def _run_inline(self, operation: str, parameters: Any, many: bool) -> bool:
        """Run the statement on this thread if its transaction allows; False if it must hop."""
        adapt_connection: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        # The mutex is free unless a hop is under way on this connection (none should be).
        if not adapt_connection._inline or adapt_connection._execute_mutex.locked():
            return False
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        connection = driver._conn
        if adapt_connection._begin_due(operation):
            waited = 0.0
            while not adapt_connection._begin_at_once(connection):
                if waited >= INLINE_BUSY_SECONDS:
                    return False  # the BEGIN goes in the hop, and waits there
                # Another process writes, for about a millisecond per post: asking again
                # soon hands the lock over sooner than SQLite's busy handler, which sleeps
                # 1, 2, 5, 10 ... ms (on the thread) between tries.
                await asyncio.sleep(INLINE_BUSY_POLL)
                waited += INLINE_BUSY_POLL
        outcome = _run(connection, None, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)
        return True

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        if not await self._run_inline(operation, parameters, False):
            await self._hop(operation, parameters, False)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        if not await self._run_inline(operation, seq_of_parameters, True):
            await self._hop(operation, seq_of_parameters, True)
        return self

    async def _async_soft_close(self) -> None:
        # The driver cursor was closed on the connection's thread, rows already fetched.
        return None

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_busy_timeout", "_inline", "_pending_begin")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None
        self._inline = False
        self._busy_timeout: int | None = None  # the connection's, read at the first need

    def defer_begin(self, statement: str | None, *, inline: bool = False) -> None:
        """Run ``statement`` (BEGIN ...) in the next statement's hop (see the module doc);
        None forgets a BEGIN not sent yet. ``inline``: the transaction's statements run on
        the caller's thread, without hops (for short write transactions only)."""
        self._pending_begin = statement
        self._inline = inline and statement is not None

    def _begin_due(self, operation: str) -> bool:
        """Whether the pending BEGIN runs before ``operation`` (an inline transaction's
        SELECTs run before its BEGIN: see the module doc)."""
        return self._pending_begin is not None and not (self._inline and _is_read(operation))

    def _take_begin(self, operation: str) -> str | None:
        """The BEGIN to run just before ``operation``, no longer pending; None if none is due."""
        if not self._begin_due(operation):
            return None
        begin, self._pending_begin = self._pending_begin, None
        return begin

    def _begin_at_once(self, connection: sqlite3.Connection) -> bool:
        """The pending BEGIN, run here if the database lock is free; False if it is not."""
        if self._busy_timeout is None:
            self._busy_timeout = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute(self._pending_begin or "")
        except sqlite3.OperationalError as error:
            # The primary code: SQLITE_BUSY_RECOVERY and the like are busy too.
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                self._pending_begin = None  # as a failed BEGIN in a hop: not retried
                raise
            return False
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout}")
        self._pending_begin = None
        return True

    def _skip_unbegun(self) -> bool:
        # True when the transaction's BEGIN never ran: there is nothing to commit or roll
        # back. `in_transaction` reads a flag of the sqlite3 connection, without a hop; it
        # covers a transaction opened behind SQLAlchemy's back, which still gets its hop.
        if self._pending_begin is None:
            return False
        self._pending_begin = None
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return driver._connection is None or not driver.in_transaction

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            self._inline = False  # its fetches hop anyway
        if server_side and self._pending_begin is not None:
            # SQLAlchemy's server-side cursor (yield_per, stream) makes its own hops:
            # the BEGIN goes first, in a hop of its own.
            begin, self._pending_begin = self._pending_begin, None
            self.execute(begin)
        return super().cursor(server_side)

    def commit(self) -> None:
        if self._skip_unbegun():
            return
        if not self._end_inline("commit"):
            super().commit()

    def rollback(self) -> None:
        if self._skip_unbegun():
            return
        if not self._end_inline("rollback"):
            super().rollback()

    def _end_inline(self, how: str) -> bool:
        """Commit or roll back an inline transaction here; False if it must hop."""
        if not self._inline or self._execute_mutex.locked():
            return False
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if driver._connection is None:
            return False  # closed: SQLAlchemy's adapter says so as usual
        # The transaction ends here, whatever happens: the connection's next user hops
        # unless its own BEGIN says otherwise.
        self._inline = False
        try:
            getattr(driver._connection, how)()
        except Exception as error:
            self._handle_exception(error)
        return True


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # Inline statements use the connection from the event loop's thread, one caller at
        # a time as ever (hops are awaited; inline runs only when no hop is under way).
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
