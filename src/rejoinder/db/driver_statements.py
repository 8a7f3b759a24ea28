"""Prebuilt statements run straight on SQLite's driver connection (the comment post).

Through ``session.execute`` a prebuilt Core statement still costs ~95 us of SQLAlchemy per
call: the compiled-cache lookup, an execution context, parameter processing, the cursor
events and a result wrapper, several times what SQLite spends on an indexed statement
(issue 8: a post runs four of these: the token's account, the post's target, the INSERT
and the thread bump). ``DriverStatement`` compiles its statement once per
set of parameter names and keeps what SQLAlchemy would do per call: the SQL text, the
order of the parameters with their bind processors (aware datetimes, enums, JSON) and the
result columns' processors. ``run`` hands the text to the session's own driver connection
(``db/sqlite_driver.OneHopCursor``, so the transaction's deferred ``BEGIN`` and the inline
mode behave exactly as for any statement) and returns plain tuples. The connection is
looked up once per transaction (``session.connection()`` is a greenlet round trip).

Anything else (PostgreSQL, another SQLite driver) goes through ``session.execute`` as
before. The ``before_cursor_execute`` event still fires when someone listens (tests and
benchmarks count statements with it), and driver errors become SQLAlchemy's exceptions as
they would have. Statements whose execution SQLAlchemy would add to (Python-side defaults
or ``onupdate`` values, expanding ``IN`` parameters) are refused when first compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

from rejoinder.db.sqlite_driver import OneHopConnection, OneHopCursor

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # (name, bind processor, default when the caller gives none; _REQUIRED if it must)
    binds: tuple[tuple[str, _Processor, Any], ...]
    results: tuple[_Processor, ...] | None  # None: no column needs one


_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class DriverResult:
    """What a statement returned: its rows (processed as SQLAlchemy's would be) and, for an
    INSERT, the new row's id."""

    rows: list[tuple[Any, ...]]
    lastrowid: int | None
    rowcount: int


class DriverStatement:
    """One prebuilt statement, compiled once per dialect and set of parameter names."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> DriverResult:
        if not _may_run_on_driver(session):
            return await self._through_sqlalchemy(session, params)
        sync = await _connection(session)
        dbapi_connection = sync.connection.dbapi_connection
        if not isinstance(dbapi_connection, OneHopConnection):
            return await self._through_sqlalchemy(session, params)
        dialect = sync.dialect
        compiled = self._compiled.get((dialect.name, frozenset(params)))
        if compiled is None:
            compiled = self._compile(dialect, params)
        values = tuple(
            (params[name] if default is _REQUIRED else default)
            if process is None
            # Processors see None too: a JSON column stores None as JSON null, as in SQLAlchemy.
            else process(params[name] if default is _REQUIRED else default)
            for name, process, default in compiled.binds
        )
        cursor = dbapi_connection.cursor()
        assert isinstance(cursor, OneHopCursor)
        engine = sync.engine
        if engine.dispatch.before_cursor_execute:
            for listener in engine.dispatch.before_cursor_execute:
                listener(sync, cursor, compiled.sql, values, None, False)
        try:
            try:
                await cursor._execute_async(compiled.sql, values)
            except Exception as error:
                # The adapter's translation (aiosqlite's "no active connection" and the like).
                dbapi_connection._handle_exception(error)
        except dialect.loaded_dbapi.Error as error:
            # As SQLAlchemy's execute would raise it (IntegrityError, OperationalError ...).
            raise exc.DBAPIError.instance(
                compiled.sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        rows = list(cursor._rows)
        cursor.close()
        if rows and compiled.results is not None:
            rows = [_processed(row, compiled.results) for row in rows]
        return DriverResult(rows, cursor.lastrowid, cursor.rowcount)

    async def _through_sqlalchemy(
        self, session: AsyncSession, params: Mapping[str, Any]
    ) -> DriverResult:
        result: Any = await session.execute(self.statement, dict(params))
        if self.statement.is_insert:
            # A plain INSERT (PostgreSQL returns the id through an implicit RETURNING).
            return DriverResult([], result.inserted_primary_key[0], result.rowcount)
        if self.statement.is_select:
            return DriverResult([tuple(row) for row in result], None, -1)
        return DriverResult([], None, result.rowcount)

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        compiled = _compile(self.statement, dialect, list(params))
        self._compiled[dialect.name, frozenset(params)] = compiled
        return compiled


async def runs_on_driver(session: AsyncSession) -> bool:
    """Whether ``DriverStatement.run`` skips SQLAlchemy's execution in this session (SQLite);
    elsewhere a caller may prefer its ORM statement, which ``run`` would only wrap."""
    if not _may_run_on_driver(session):
        return False
    sync = await _connection(session)
    return isinstance(sync.connection.dbapi_connection, OneHopConnection)


def _may_run_on_driver(session: AsyncSession) -> bool:
    # Before asking for the connection: on PostgreSQL that would only add a round trip.
    bind = session.bind
    return bind is None or bind.dialect.name == "sqlite"


async def _connection(session: AsyncSession) -> Connection:
    """The connection of the session's transaction (begun if need be), remembered for the
    transaction's other statements: ``session.connection()`` is a greenlet round trip."""
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    known = sync_session.info.get(_CONNECTION)
    if known is not None and known[0] is transaction and transaction is not None:
        connection: Connection = known[1]
        if not connection.closed and not connection.invalidated:
            return connection
    connection = (await session.connection()).sync_connection  # type: ignore[assignment]
    sync_session.info[_CONNECTION] = (sync_session.get_transaction(), connection)
    return connection


_CONNECTION = "rejoinder_driver_connection"


def _compile(statement: Executable, dialect: Dialect, names: Sequence[str]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(names))  # type: ignore[attr-defined]
    assert isinstance(compiled, SQLCompiler)
    # What SQLAlchemy would compute or rewrite per execution: not supported here.
    assert not compiled.insert_prefetch, statement
    assert not compiled.update_prefetch, statement
    assert not compiled.literal_execute_params, statement
    assert not compiled.post_compile_params, statement
    assert compiled.positiontup is not None, "a positional paramstyle (SQLite's qmark)"
    processors = compiled._bind_processors
    binds: list[tuple[str, _Processor, Any]] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        default = _REQUIRED if bind.required or name in names else bind.effective_value
        processor = processors.get(name)
        assert processor is None or callable(processor), name  # not a tuple's processors
        binds.append((name, processor, default))
    results = tuple(
        column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    return _Compiled(compiled.string, tuple(binds), results if any(results) else None)


def _processed(row: Sequence[Any], processors: tuple[_Processor, ...]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row, processors, strict=True)
    )
