"""The thread read path costs a fixed number of SQL statements, whatever the thread's size."""

from __future__ import annotations

import contextlib

import anyio
import pytest
from factories import make_comment, make_user, read_thread, settle
from sqlalchemy import event, text

pytestmark = pytest.mark.anyio


@contextlib.contextmanager
def counting_statements(app):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


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
