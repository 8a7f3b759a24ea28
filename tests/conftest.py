"""Shared fixtures: every API test runs once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``REJOINDER_TEST_DATABASE_URL`` (default: the local server's ``test``
database). The suite creates a database of its own there, migrates it once, empties it after
each test and drops it at the end, because the server outlives the run. SQLite gets a
migrated template file, copied for each test. With ``CI=true`` an unreachable PostgreSQL or
Redis fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from mailbox import Mailbox, smtp_server
from pathlib import Path
from typing import Any

import asyncpg
import fastapi.routing
import httpx
import pytest
import redis
from fastapi import FastAPI
from redis.exceptions import RedisError

from rejoinder.app import create_app
from rejoinder.db import migrate
from rejoinder.db.models import Base
from rejoinder.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "REJOINDER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("REJOINDER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ["sqlite", "postgres"]


def unavailable(what: str, why: object) -> None:
    """Fail under CI, skip elsewhere, and say why either way."""
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own (Redis must answer); its keys go afterwards,
    since the Redis server outlives the run."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        client.close()
        unavailable(f"Redis at {REDIS_URL}", exc)
    prefix = f"rejoinder-test-{secrets.token_hex(6)}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(
        PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"), timeout=5
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run, dropped afterwards."""
    name = f"rejoinder_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        unavailable(f"PostgreSQL at {PG_ADMIN_URL}", exc)
    # A throwaway database needs no durable commits: not waiting for the WAL flush on
    # each commit makes every PostgreSQL test's writes cheaper.
    asyncio.run(_pg_admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = _with_database(PG_ADMIN_URL, name)
    migrate.upgrade(Settings(database_url=url, secret_key="test"))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies, so no test sees another's rows."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.db"
    migrate.upgrade(Settings(database_url=f"sqlite:///{path}", secret_key="test"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "rejoinder.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    asyncio.run(_empty_database(url))


async def _empty_database(url: str) -> None:
    """Delete every row and restart every id sequence, as a fresh database would have.

    DELETE rather than TRUNCATE: TRUNCATE gives each table and index a new file and took
    ~0.7 s per test on this suite's few-row tables; DELETE of the same rows takes ~20 ms.
    Children are emptied before their parents (reverse dependency order), so no foreign
    key objects.
    """
    conn = await asyncpg.connect(url, timeout=5)
    try:
        sequences = await conn.fetch(
            "SELECT quote_ident(relname) AS name FROM pg_class"
            " WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
        )
        deletes = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
        restarts = [f"SELECT setval('{row['name']}', 1, false)" for row in sequences]
        # One multi-statement string is one implicit transaction and one round trip.
        await conn.execute(";\n".join([*deletes, *restarts]))
    finally:
        await conn.close()


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key",
        # Most tests register and sign in many accounts from one address; the rate-limit
        # tests set their own limits.
        "register_rate": "10000/60",
        "login_rate": "10000/60",
        "comment_rate": "10000/60",
        "vote_rate": "10000/60",
        "report_rate": "10000/60",
        "public_url": "http://testserver",
        # Cheap Argon2 so tests that create many accounts stay fast; production uses the
        # defaults, and test_passwords checks those are what a plain Settings() gives.
        "password_time_cost": 1,
        "password_memory_kib": 1024,
        "password_parallelism": 1,
        # Tests reach no network; the fetching tests drive the runner themselves.
        "fetch_enabled": False,
        # Likewise the mail and webhook senders: their tests drive them directly.
        "deliveries_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A local SMTP server that keeps what it receives (the mail tests point the app at it)."""
    with smtp_server() as box:
        yield box


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(database_url, tmp_path, **settings_overrides)


class _OverridesOfTheRunningTest:
    """Stands in for the app as the shared route tables' ``dependency_overrides_provider``."""

    dependency_overrides: dict[Any, Any] = {}


_OVERRIDES = _OverridesOfTheRunningTest()
_shared_includes: dict[int, Any] = {}


def share_route_tables(app: FastAPI) -> FastAPI:
    """Give ``app`` the route tables that an earlier test app already built.

    FastAPI builds an included router's routes (every endpoint's dependency analysis) lazily,
    per app, at its first requests: 0.15-0.9 s for each test's new app, most of a short test.
    The tables depend only on the module-level routers and how ``create_app`` includes them,
    so each test app reuses the first one's. Overrides still work: the shared tables read
    ``dependency_overrides`` from ``_OVERRIDES``, which holds the running test's app's dict.
    Anything unexpected (another FastAPI, another include) keeps the app's own tables.
    """
    _OVERRIDES.dependency_overrides = app.dependency_overrides
    included_type = getattr(fastapi.routing, "_IncludedRouter", None)
    if included_type is None:
        return app
    routes = app.router.routes
    for index, route in enumerate(routes):
        if (
            type(route) is not included_type
            or route.include_context.dependency_overrides_provider is not app
        ):
            continue
        context = dataclasses.replace(
            route.include_context, dependency_overrides_provider=_OVERRIDES
        )
        shared = _shared_includes.setdefault(
            id(route.original_router),
            included_type(original_router=route.original_router, include_context=context),
        )
        if shared.original_router is route.original_router and shared.include_context == context:
            routes[index] = shared
    return app


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = share_route_tables(create_app(settings))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
