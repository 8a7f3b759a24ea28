"""The comment write path: a fixed, small cost per post, and truthful acknowledgements.

Under concurrent posting every acknowledgement carries its own comment (its id and its
body), and every acknowledged comment is stored. On SQLite the writers of one process take
turns on a lock rather than polling SQLite's busy handler; the statements a post costs,
after-commit listeners included, stay within a fixed budget.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from factories import (
    TRANSACTION_CONTROL,
    counting_statements,
    make_comment,
    make_user,
    read_thread,
    settle,
)
from sqlalchemy import event, select, text
from sqlalchemy.util import await_

from rejoinder.comments.models import Comment
from rejoinder.db import engine as engine_module

pytestmark = pytest.mark.anyio

# Request: token; page, author's ban and submission in one (comments.queries.get_post_target);
# insert; thread bump (a page without a submission has no activity to move). After the
# commit: the notifier's look at the comment and the webhook check (once per batch).
MAX_STATEMENTS_PER_POST = 6


def _sql(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith(TRANSACTION_CONTROL)]


async def sqlite_ran(app) -> list[str]:
    """The statements SQLite itself runs from now on (its trace callback), transaction
    control included: the driver sends BEGIN in the first statement's hop, without a
    cursor event of its own (db/sqlite_driver.py)."""
    ran: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(ran.append))

    await app.state.db.engine.dispose()  # every connection from now on is a traced one
    event.listen(app.state.db.engine.sync_engine, "connect", trace)
    return ran


async def test_a_post_costs_a_fixed_number_of_statements(client, app):
    ran = await sqlite_ran(app) if app.state.db.dialect == "sqlite" else []
    alice = await make_user(client)
    for n in range(2):  # the pages exist: creating one is a cost of its own
        await make_comment(client, alice, "warm up", url=f"https://a.example/{n}")
    await settle(app)
    counts = []
    for n in range(3):
        first = len(ran)
        with counting_statements(app, transaction_control=True) as statements:
            await make_comment(client, alice, f"post {n}", url=f"https://a.example/{n % 2}")
            await settle(app)
        counts.append(len(_sql(statements)))
        if app.state.db.dialect == "sqlite":
            # Only the request takes the write lock: a top-level comment without mentions
            # notifies nobody, so the notifier reads and writes nothing.
            assert sum(s.startswith("BEGIN IMMEDIATE") for s in ran[first:]) == 1
    assert max(counts) <= MAX_STATEMENTS_PER_POST, counts


async def test_concurrent_posts_are_all_acknowledged_with_their_own_ids(client, app):
    users = [await make_user(client) for _ in range(4)]
    acks: dict[int, str] = {}

    async def post(n: int) -> None:
        token = uuid.uuid4().hex
        body = f"Concurrent post {n} {token}"
        user = users[n % len(users)]
        url = f"https://busy.example/{n % 3}"
        response = await client.post(
            "/api/v1/comments", json={"url": url, "body": body}, headers=user.auth
        )
        assert response.status_code == 201, response.text
        answer = response.json()
        assert token in answer["body_html"]
        assert answer["id"] not in acks
        acks[answer["id"]] = body

    async with anyio.create_task_group() as group:
        for n in range(40):
            group.start_soon(post, n)
    assert len(acks) == 40
    async with app.state.db.read_session() as session:
        rows = await session.execute(
            select(Comment.id, Comment.body_src).where(Comment.id.in_(acks))
        )
        stored = {row.id: row.body_src for row in rows}
    assert stored == acks
    listed = 0
    for page in range(3):
        listed += len((await read_thread(client, f"https://busy.example/{page}"))["comments"])
    assert listed == 40
    await settle(app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_writers_take_turns_in_arrival_order(app):
    db = app.state.db
    order: list[str] = []
    first_in = anyio.Event()

    async def writer(name: str, hold: bool) -> None:
        async with db.write_session() as session:
            order.append(f"{name} in")
            await session.execute(text("SELECT 1"))
            if hold:
                first_in.set()
                await anyio.sleep(0.05)
            order.append(f"{name} out")
            await session.commit()

    async with anyio.create_task_group() as group:
        group.start_soon(writer, "first", True)
        await first_in.wait()
        group.start_soon(writer, "second", False)
        group.start_soon(writer, "third", False)
    assert order == ["first in", "first out", "second in", "second out", "third in", "third out"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_writer_that_never_gets_its_turn_fails_instead_of_hanging(app, monkeypatch):
    monkeypatch.setattr(engine_module, "WRITE_WAIT_SECONDS", 0.1)
    db = app.state.db
    async with db.write_session() as holder:
        await holder.execute(text("SELECT 1"))
        with pytest.raises(Exception, match="waited for a turn"):
            async with db.write_session() as session:
                await session.execute(text("SELECT 1"))
