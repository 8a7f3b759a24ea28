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
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, int, int | None, list[Any]]


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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
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
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapt_connection: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapt_connection._execute_mutex:
            # Taken before the hop: a BEGIN that fails is not retried by the next statement
            # (SQLAlchemy rolls the transaction back, as after a failed BEGIN of its own).
            begin, adapt_connection._pending_begin = adapt_connection._pending_begin, None
            # aiosqlite's `_execute` queues a function for the connection's thread and
            # awaits its result; `_conn` is the sqlite3 connection living on that thread.
            outcome: _Outcome = await driver._execute(
                _run, driver._conn, begin, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._hop(operation, parameters, False)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._hop(operation, seq_of_parameters, True)
        return self

    async def _async_soft_close(self) -> None:
        # The driver cursor was closed on the connection's thread, rows already fetched.
        return None

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_pending_begin",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None

    def defer_begin(self, statement: str | None) -> None:
        """Run ``statement`` (BEGIN ...) in the next statement's hop (see the module doc);
        None forgets a BEGIN not sent yet."""
        self._pending_begin = statement

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
        if server_side and self._pending_begin is not None:
            # SQLAlchemy's server-side cursor (yield_per, stream) makes its own hops:
            # the BEGIN goes first, in a hop of its own.
            begin, self._pending_begin = self._pending_begin, None
            self.execute(begin)
        return super().cursor(server_side)

    def commit(self) -> None:
        if not self._skip_unbegun():
            super().commit()

    def rollback(self) -> None:
        if not self._skip_unbegun():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
