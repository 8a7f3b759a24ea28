"""Alembic environment: runs migrations over the application's async engine.

``render_as_batch`` lets the same migration alter tables on SQLite (which cannot ALTER
most things in place) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from alembic import context
from sqlalchemy.engine import Connection

from rejoinder.db.base import UTCDateTime
from rejoinder.db.engine import create_engine
from rejoinder.db.models import Base
from rejoinder.search import is_search_object
from rejoinder.settings import Settings

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

config = context.config
target_metadata = Base.metadata


def _settings() -> Settings:
    settings = config.attributes.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def _render_item(type_: str, obj: object, _autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import application types: render ours as what they store.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        # Search's FTS5 tables and expression indexes are not in the models: never drop them.
        include_name=lambda name, _type, _parents: not is_search_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_settings())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=_settings().resolved_database_url,
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
