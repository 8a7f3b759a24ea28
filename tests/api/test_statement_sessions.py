"""PostgreSQL reads without BEGIN and COMMIT, and the one-round-trip pool ping (db/engine.py)."""

from __future__ import annotations

import asyncpg
import pytest
from factories import counting_statements, make_comment, make_user, settle
from sqlalchemy import text

pytestmark = pytest.mark.anyio

URL = "https://statements.example/article"
# The id of the statement's transaction (assigned on first use): a new one for every
# statement in autocommit mode, the same one for every statement of a transaction.
TRANSACTION_ID = text("SELECT txid_current()")


def postgres_only(app) -> None:
    if app.state.db.dialect != "postgresql":
        pytest.skip("SQLite reads keep their deferred BEGIN: it gives them one snapshot")


async def test_sqlite_statement_session_is_the_read_session(app):
    if app.state.db.dialect != "sqlite":
        pytest.skip("PostgreSQL has an autocommit statement session of its own")
    assert app.state.db.statement_session is app.state.db.read_session


async def test_statement_session_runs_each_statement_on_its_own(app):
    postgres_only(app)
    async with app.state.db.statement_session() as session:
        first = (await session.execute(TRANSACTION_ID)).scalar_one()
        assert (await session.execute(TRANSACTION_ID)).scalar_one() != first
    # The read session, for contrast, holds one transaction across its statements.
    async with app.state.db.read_session() as session:
        first = (await session.execute(TRANSACTION_ID)).scalar_one()
        assert (await session.execute(TRANSACTION_ID)).scalar_one() == first


async def test_statement_session_leaves_the_pool_in_transactions(app):
    postgres_only(app)
    async with app.state.db.statement_session() as session:
        await session.execute(text("SELECT 1"))
    # The same pooled connection, given back to a read session, begins transactions again.
    async with app.state.db.read_session() as session:
        first = (await session.execute(TRANSACTION_ID)).scalar_one()
        assert (await session.execute(TRANSACTION_ID)).scalar_one() == first


async def test_pool_ping_replaces_a_connection_the_server_closed(app, client):
    postgres_only(app)
    alice = await make_user(client)
    await make_comment(client, alice, "Still readable.", url=URL)
    engine = app.state.db.engine
    async with engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    # The pooled connection dies while it waits in the pool, as in a database restart.
    outside = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(False))
    try:
        assert await outside.fetchval("SELECT pg_terminate_backend($1)", pid) is True
        # Termination is a signal: wait (a query at a time) until the backend is gone.
        gone = "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)"
        for _ in range(10_000):
            if await outside.fetchval(gone, pid):
                break
    finally:
        await outside.close()
    for _ in range(3):
        async with engine.connect() as connection:
            alive = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert alive != pid
    response = await client.get("/api/v1/threads", params={"url": URL})
    assert response.status_code == 200
    assert [c["body_html"] for c in response.json()["comments"]] == ["<p>Still readable.</p>\n"]


async def test_descendants_query_is_one_statement_whatever_the_number_of_roots(app, client):
    # An expanding IN made a new SQL text (and prepared statement) per number of roots.
    postgres_only(app)
    alice = await make_user(client)
    texts = []
    for roots in (1, 3):
        url = f"{URL}/{roots}"
        for n in range(roots):
            await make_comment(client, alice, f"Root {n}.", url=url)
        await settle(app)
        with counting_statements(app) as statements:
            response = await client.get("/api/v1/threads", params={"url": url})
        assert len(response.json()["comments"]) == roots
        texts.append([sql for sql in statements if "ROOT_ID = ANY" in sql])
    assert len(texts[0]) == 1
    assert texts[0] == texts[1]
