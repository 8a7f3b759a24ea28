"""A SQLite transaction's BEGIN rides in its first statement's thread hop (db/sqlite_driver.py),
and a free write turn is taken without a timer (db/engine.py's WriteTurns)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from factories import record_hops
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.util import await_

from rejoinder.db import engine as engine_module
from rejoinder.db import sqlite_driver
from rejoinder.db.engine import Database, WriteTurns
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(Settings(data_dir=tmp_path, secret_key="t"))
    async with database.write_session() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
        await session.commit()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def ran(db: Database) -> list[str]:
    """What SQLite itself runs (its trace callback), on every connection from now on."""
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(statements.append))

    await db.engine.dispose()
    event.listen(db.engine.sync_engine, "connect", trace)
    async with db.read_session() as session:  # a connection set up (pragmas) beforehand
        await session.execute(text("SELECT 1"))
    statements.clear()
    return statements


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function queued for an aiosqlite connection's thread."""
    return record_hops(monkeypatch)


async def short_busy_timeout(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """New connections wait 50 ms for a lock, not the app's 10 s."""
    pragmas = tuple(
        "PRAGMA busy_timeout=50" if p.startswith("PRAGMA busy_timeout") else p
        for p in engine_module.SQLITE_PRAGMAS
    )
    monkeypatch.setattr(engine_module, "SQLITE_PRAGMAS", pragmas)
    await db.engine.dispose()


# What an inline transaction's BEGIN runs: tried at once, the busy timeout put back after.
INLINE_BEGIN = (
    "PRAGMA busy_timeout",
    "PRAGMA busy_timeout=0",
    "BEGIN IMMEDIATE",
    f"PRAGMA busy_timeout={engine_module.WRITE_WAIT_SECONDS * 1000}",
)


def outside_write(path: str, statement: str) -> None:
    with sqlite3.connect(path, isolation_level=None) as other:
        other.execute(statement)
    other.close()


async def test_a_read_begins_in_its_first_statements_hop(db, ran, hops):
    async with db.read_session() as session:
        await session.execute(text("SELECT count(*) FROM t"))
        await session.execute(text("SELECT n FROM t"))
        await session.commit()
    assert ran == ["BEGIN", "SELECT count(*) FROM t", "SELECT n FROM t", "COMMIT"]
    # BEGIN with the first SELECT, the second SELECT, the commit: no hop for BEGIN alone.
    assert hops == ["_run", "_run", "commit"]


async def test_a_read_sees_one_snapshot_from_its_first_statement(db):
    async with db.read_session() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        outside_write(db.sqlite_path, "INSERT INTO t VALUES (1)")
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    async with db.read_session() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_a_write_takes_the_lock_in_its_first_statements_hop(db, ran, hops):
    async with db.write_session() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        await session.commit()
    assert ran == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "COMMIT"]
    assert hops == ["_run", "commit"]


async def test_a_transaction_without_statements_sends_nothing(db, ran, hops):
    async with db.write_session() as session:
        await session.connection()  # begun: the begin listener has run
        await session.commit()
    async with db.read_session() as session:
        await session.connection()
        await session.rollback()
    async with db.read_session() as session:
        await session.connection()  # closed without commit or rollback
    assert ran == []
    assert hops == []
    async with db.read_session() as session:  # and the next transaction still begins
        await session.execute(text("SELECT 1"))
        await session.commit()
    assert ran == ["BEGIN", "SELECT 1", "COMMIT"]


async def test_a_busy_database_fails_the_write_before_its_statement(db, monkeypatch):
    await short_busy_timeout(db, monkeypatch)
    holder = sqlite3.connect(db.sqlite_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's writer
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.write_session() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    async with db.write_session() as session:  # the pool's connections are fine afterwards
        await session.execute(text("INSERT INTO t VALUES (2)"))
        await session.commit()
    async with db.read_session() as session:
        rows = (await session.execute(text("SELECT n FROM t"))).scalars().all()
    assert rows == [2]


async def test_a_streamed_read_begins_before_its_cursor(db, ran):
    outside_write(db.sqlite_path, "INSERT INTO t VALUES (1)")
    async with db.read_session() as session:
        result = await session.stream(
            text("SELECT n FROM t").execution_options(yield_per=10),
        )
        assert [n async for n in result.scalars()] == [1]
    assert ran[:2] == ["BEGIN", "SELECT n FROM t"]


async def test_a_free_write_turn_is_taken_without_a_timer(monkeypatch):
    timed: list[object] = []
    wait_for = asyncio.wait_for

    async def counted(awaitable: Any, seconds: float | None) -> Any:
        timed.append(awaitable)
        return await wait_for(awaitable, seconds)

    monkeypatch.setattr(asyncio, "wait_for", counted)
    turns = WriteTurns()
    order: list[str] = []

    async def writer(name: str) -> None:
        async with turns.turn():
            order.append(name)
            await asyncio.sleep(0)

    async with turns.turn():
        assert timed == []  # free: a plain acquire
        queued = [asyncio.create_task(writer(name)) for name in ("second", "third")]
        await asyncio.sleep(0)
    # Released with writers queued: one arriving now, while the lock is momentarily free,
    # still waits behind them.
    late = asyncio.create_task(writer("late"))
    await asyncio.gather(*queued, late)
    assert order == ["second", "third", "late"]
    assert len(timed) == 3


class TestInlineWrites:
    """``write_session(inline=True)``: BEGIN, statements and COMMIT on the event loop."""

    async def test_statements_run_without_hops(self, db, ran, hops):
        async with db.write_session(inline=True) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
            await session.commit()
        assert ran == [
            *INLINE_BEGIN,
            "INSERT INTO t VALUES (1)",
            "SELECT count(*) FROM t",
            "COMMIT",
        ]
        assert hops == []

    async def test_reads_before_the_first_write_run_without_the_lock(self, db, ran, hops):
        async with db.write_session(inline=True) as session:
            await session.execute(text("SELECT count(*) FROM t"))
            await session.execute(text("SELECT max(n) FROM t"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
            await session.commit()
        # The lock is taken just before the INSERT; the SELECT after it is the transaction's.
        assert ran == [
            "SELECT count(*) FROM t",
            "SELECT max(n) FROM t",
            *INLINE_BEGIN,
            "INSERT INTO t VALUES (1)",
            "SELECT count(*) FROM t",
            "COMMIT",
        ]
        assert hops == []

    async def test_reads_go_on_while_another_process_writes(self, db, monkeypatch):
        await short_busy_timeout(db, monkeypatch)
        holder = sqlite3.connect(db.sqlite_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer, not done yet
        holder.execute("INSERT INTO t VALUES (7)")
        try:
            async with db.write_session(inline=True) as session:
                # Committed data only, and no wait for the lock.
                assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
                holder.execute("COMMIT")
                # Each read sees what is committed when it runs (no snapshot held open).
                assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
                await session.execute(text("INSERT INTO t VALUES (8)"))
                await session.commit()
        finally:
            holder.close()
        async with db.read_session() as session:
            rows = (await session.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
        assert rows == [7, 8]

    async def test_a_transaction_that_only_read_never_takes_the_lock(self, db, ran, hops):
        async def refused_after_reading() -> None:
            async with db.write_session(inline=True) as session:
                await session.execute(text("SELECT count(*) FROM t"))
                raise RuntimeError("refused")

        holder = sqlite3.connect(db.sqlite_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            # A post refused after its checks (a ban, a locked page): nothing to wait for.
            with pytest.raises(RuntimeError, match="refused"):
                await refused_after_reading()
            async with db.write_session(inline=True) as session:
                await session.execute(text("SELECT count(*) FROM t"))
                await session.commit()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert ran == ["SELECT count(*) FROM t"] * 2
        assert hops == []

    async def test_a_savepoint_is_a_write(self, db, ran):
        async with db.write_session(inline=True) as session:
            async with session.begin_nested():
                await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.commit()
        assert ran.index("BEGIN IMMEDIATE") < next(
            i for i, statement in enumerate(ran) if statement.startswith("SAVEPOINT")
        )

    async def test_other_write_transactions_lock_at_their_first_statement(self, db, ran):
        # Read-modify-write code relies on it (db/engine.py): only inline ones read first.
        async with db.write_session() as session:
            await session.execute(text("SELECT count(*) FROM t"))
            await session.commit()
        assert ran[:2] == ["BEGIN IMMEDIATE", "SELECT count(*) FROM t"]

    async def test_the_next_transaction_on_the_connection_hops_again(self, db, hops):
        async with db.write_session(inline=True) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.commit()
        assert hops == []
        async with db.write_session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            await session.commit()
        assert hops == ["_run", "commit"]
        async with db.read_session() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 2

    async def test_a_failed_statement_rolls_back(self, db):
        async def insert_twice() -> None:
            async with db.write_session(inline=True) as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                await session.execute(text("INSERT INTO nowhere VALUES (1)"))

        with pytest.raises(OperationalError, match="no such table"):
            await insert_twice()
        async with db.read_session() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0

    async def test_a_lock_released_soon_is_taken_on_the_loop(self, db, hops):
        holder = sqlite3.connect(db.sqlite_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer

        async def release_soon() -> None:
            # Within the polling (each poll sleeps, so this timer comes first).
            await asyncio.sleep(sqlite_driver.INLINE_BUSY_SECONDS / 10)
            holder.execute("ROLLBACK")

        release = asyncio.create_task(release_soon())
        try:
            async with db.write_session(inline=True) as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                await session.commit()
        finally:
            await release
            holder.close()
        assert hops == []

    async def test_a_lock_held_longer_is_waited_for_in_the_thread(self, db, hops, monkeypatch):
        monkeypatch.setattr(sqlite_driver, "INLINE_BUSY_SECONDS", 0)  # no polling
        holder = sqlite3.connect(db.sqlite_path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer

        async def release_soon() -> None:
            await asyncio.sleep(0.05)  # the loop keeps running while the thread waits
            holder.execute("ROLLBACK")

        release = asyncio.create_task(release_soon())
        try:
            async with db.write_session(inline=True) as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                await session.execute(text("INSERT INTO t VALUES (2)"))
                await session.commit()
        finally:
            await release
            holder.close()
        # The BEGIN waited in a hop, with the first statement; the rest ran inline.
        assert hops == ["_run"]
        async with db.read_session() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 2

    async def test_a_busy_database_fails_before_anything_is_written(self, db, monkeypatch):
        await short_busy_timeout(db, monkeypatch)
        holder = sqlite3.connect(db.sqlite_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError, match="database is locked"):
                async with db.write_session(inline=True) as session:
                    await session.execute(text("INSERT INTO t VALUES (1)"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        async with db.write_session(inline=True) as session:  # and the next one works
            await session.execute(text("INSERT INTO t VALUES (2)"))
            await session.commit()
        async with db.read_session() as session:
            rows = (await session.execute(text("SELECT n FROM t"))).scalars().all()
        assert rows == [2]


async def test_the_pool_hands_out_the_connection_used_last(db):
    # Its page cache is the warm one (db/engine.py): first in, first out would hand out the
    # coldest connection of the pool every time.
    async def connection_of(session: Any) -> Any:
        return (await session.connection()).sync_connection.connection.dbapi_connection

    async with db.read_session() as first, db.read_session() as second:
        # Both held at once: two connections, given back in this order.
        returned_first = await connection_of(first)
        returned_last = await connection_of(second)
        assert returned_first is not returned_last
        await first.commit()
        await second.commit()
    for _ in range(3):
        async with db.read_session() as session:
            assert await connection_of(session) is returned_last
            await session.commit()
    assert db.engine.pool.size() == 4
