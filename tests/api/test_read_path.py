"""The thread read path costs a fixed number of SQL statements, whatever the thread's size."""

from __future__ import annotations

import anyio
import pytest
from factories import counting_statements, make_comment, make_user, read_thread, settle
from sqlalchemy import text

pytestmark = pytest.mark.anyio


async def seed(client, user, url, top_level, replies_each):
    for n in range(top_level):
        top = await make_comment(client, user, f"top {n}", url=url)
        parent = top["id"]
        for r in range(replies_each):
            parent = (await make_comment(client, user, f"r{r}", url=None, parent_id=parent))["id"]


async def test_thread_read_statement_count_does_not_grow(client, app):
    alice, bob = await make_user(client), await make_user(client)
    await seed(client, alice, "https://small.example/", 1, 1)
    await seed(client, alice, "https://large.example/", 12, 4)
    await settle(app)  # the comments' notifications are written in the background
    counts = {}
    for url in ("https://small.example/", "https://large.example/"):
        for viewer in (None, bob):
            with counting_statements(app) as statements:
                thread = await read_thread(client, url, user=viewer)
            assert thread["comments"]
            counts[url, viewer is not None] = len(statements)
    assert counts["https://small.example/", False] == counts["https://large.example/", False] == 3
    # A signed-in reader adds the token lookup and their votes on the page.
    assert counts["https://small.example/", True] == counts["https://large.example/", True] == 5


async def test_counts_are_one_statement_for_many_urls(client, app):
    alice = await make_user(client)
    await make_comment(client, alice, url="https://a.example/")
    urls = [f"https://a.example/{n}" for n in range(150)] + ["https://a.example/"]
    await settle(app)
    with counting_statements(app) as statements:
        if app.counts.sqlite is not None:  # the batch-count front's own SQLite connection
            app.counts.sqlite.connection().set_trace_callback(statements.append)
        response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.json()["counts"]["https://a.example/"] == 1
    assert len(statements) == 1


async def test_counts_do_not_wait_for_a_writer(client, app):
    """Counts are a POST, but only read: a long write transaction must not hold them up."""
    alice = await make_user(client)
    await make_comment(client, alice, url="https://a.example/")
    await settle(app)
    async with app.state.db.write_session() as writer:
        await writer.execute(text("SELECT 1"))  # the write transaction is open (SQLite: locked)
        with anyio.fail_after(5):
            response = await client.post("/api/v1/counts", json={"urls": ["https://a.example/"]})
        await writer.rollback()
    assert response.status_code == 200
    assert response.json()["counts"]["https://a.example/"] == 1


async def test_sqlite_pool_rolls_back_only_connections_left_in_a_transaction(app, monkeypatch):
    """A committed read costs no extra rollback hop; a connection left mid-transaction is
    still rolled back before anyone else gets it (db/engine.py's reset listener)."""
    db = app.state.db
    if db.dialect != "sqlite":
        pytest.skip("the reset listener is SQLite's; asyncpg rolls back without a round trip")
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection

    async with db.read_session() as session:  # the pool's first connection is set up
        await session.execute(text("SELECT 1"))  # (with a rollback of its own) here
    rollbacks: list[object] = []
    rollback = AsyncAdapt_aiosqlite_connection.rollback

    def counted(self):
        rollbacks.append(self)
        return rollback(self)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", counted)
    async with db.read_session() as session:
        await session.execute(text("SELECT 1"))
        await session.commit()
    assert rollbacks == []

    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute("BEGIN")  # behind SQLAlchemy's back
        assert raw.driver_connection.in_transaction
    assert len(rollbacks) == 1
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert not raw.driver_connection.in_transaction
