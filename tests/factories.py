"""Builders for test data, through the same API a client would use."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass
class User:
    id: int
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(client: httpx.AsyncClient, username: str | None = None) -> User:
    """Register and sign in an account; returns its bearer token."""
    username = username or f"user{next(_counter)}"
    response = await client.post(
        "/api/v1/accounts", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    response = await client.post(
        "/api/v1/sessions", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()  # tests authenticate explicitly, by bearer token
    body = response.json()
    return User(body["account"]["id"], username, body["token"])


async def make_comment(
    client: httpx.AsyncClient,
    user: User,
    body: str = "A comment.",
    url: str | None = "https://example.com/article",
    parent_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"body": body, **extra}
    if url is not None:
        payload["url"] = url
    if parent_id is not None:
        payload["parent_id"] = parent_id
    response = await client.post("/api/v1/comments", json=payload, headers=user.auth)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def read_thread(
    client: httpx.AsyncClient,
    url: str = "https://example.com/article",
    user: User | None = None,
    **params: Any,
) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/threads", params={"url": url, **params}, headers=user.auth if user else {}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def promote(app: Any, user: User, role: str) -> None:
    """Give an account a role directly in the database (the role UI is tested elsewhere)."""
    from sqlalchemy import update

    from rejoinder.accounts.models import Account, Role

    async with app.state.db.write_session() as session:
        await session.execute(update(Account).where(Account.id == user.id).values(role=Role(role)))
        await session.commit()


async def settle(app: Any) -> None:
    """Wait until the background listeners (notifications, webhooks) handled every event."""
    await app.state.notifier.settle()
    await app.state.webhook_listener.settle()


@contextlib.contextmanager
def counting_statements(app: Any, *, transaction_control: bool = False) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block (upper-cased; BEGIN, COMMIT,
    ROLLBACK and PRAGMA only with ``transaction_control``).

    Call ``settle(app)`` first: background listeners would otherwise add their own.
    """
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statement = statement.lstrip().upper()
        if transaction_control or not statement.startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")


def record_hops(monkeypatch: Any) -> list[str]:
    """From now on, the name of each function queued for an aiosqlite connection's thread."""
    import aiosqlite

    queued: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return queued


async def session_cookie(client: httpx.AsyncClient, username: str = "cookie") -> str:
    """A new account's session cookie value, cleared from the client's jar so that tests
    send it by hand (with or without a foreign Origin)."""
    user = await make_user(client, username)
    login = await client.post(
        "/api/v1/sessions", json={"username": user.username, "password": PASSWORD}
    )
    assert login.status_code == 201, login.text
    client.cookies.clear()
    return str(login.cookies["rejoinder_session"])
