"""Every migration goes up, down and up again on both databases, and matches the models."""

from __future__ import annotations

import asyncio
import os
import secrets

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import PG_ADMIN_URL, _pg_admin, _with_database, unavailable
from sqlalchemy import inspect

from rejoinder.db import migrate
from rejoinder.db.models import Base
from rejoinder.search import is_search_object
from rejoinder.settings import Settings


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"rejoinder_mig_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        unavailable("PostgreSQL", exc)
    yield _with_database(PG_ADMIN_URL, name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _tables(url: str) -> set[str]:
    sync_url = url.replace("postgresql://", "postgresql+asyncpg://")
    return asyncio.run(_async_tables(sync_url))


async def _async_tables(url: str) -> set[str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    settings = Settings(database_url=url, secret_key="t")
    engine = create_async_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            # Search's FTS5 tables and expression indexes are not described by the models.
            names = {name for name in names if not is_search_object(name)}
            opts = {"include_name": lambda name, _type, _parents: not is_search_object(name)}
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts=opts), Base.metadata
                )
            )
    finally:
        await engine.dispose()
    if names - {"alembic_version"}:
        assert diff == [], f"models and migrations disagree: {diff}"
    return names - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_database):
    settings = Settings(database_url=empty_database, secret_key="t")
    migrate.upgrade(settings)
    expected = {table.name for table in Base.metadata.sorted_tables}
    assert _tables(empty_database) == expected
    migrate.downgrade(settings, "base")
    assert _tables(empty_database) == set()
    migrate.upgrade(settings)
    assert _tables(empty_database) == expected
