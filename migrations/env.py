"""Alembic environment: async engines, the URL from jointuse settings, batch mode on SQLite."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.core.config import async_database_url, get_settings
from app.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> Any:
    # A URL given by the caller (tests, `jointuse migrate --url`) wins over settings.
    explicit = config.attributes.get("database_url")
    return async_database_url(explicit) if explicit else get_settings().async_url


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Objects written by hand in migrations that autogenerate cannot see.
    return not (obj.info.get("hand_written") if hasattr(obj, "info") else False)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        transaction_per_migration=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    engine = create_async_engine(_url(), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=_url().render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif config.attributes.get("connection") is not None:
    # A live (sync) connection given by the caller, e.g. tests inside run_sync.
    _run(config.attributes["connection"])
else:
    asyncio.run(run_async())
