"""`DATABASE_URL` may name PostgreSQL's Unix socket (`?host=/run/postgresql`), as a
server on the same machine is best reached: both the SQLAlchemy pool and the hot
statements' driver pool go through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import create_engine, open_driver_pool
from tests.conftest import PostgresDatabases
from tests.ops.conftest import fresh_pg_url

SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")


async def test_a_postgresql_url_naming_a_unix_socket_serves_both_pools(
    pg_databases: PostgresDatabases,
) -> None:
    url = make_url(fresh_pg_url(pg_databases, "socket"))
    port = url.port or 5432
    folder = next((d for d in SOCKET_DIRS if Path(d, f".s.PGSQL.{port}").exists()), None)
    if folder is None:
        pytest.skip("the test PostgreSQL has no Unix socket on this machine")
    by_socket = url._replace(host=None, port=None).update_query_dict(
        {"host": folder, "port": str(port)}
    )
    settings = Settings(DATABASE_URL=by_socket.render_as_string(hide_password=False))  # type: ignore[call-arg]
    engine = create_engine(settings)
    pool = await open_driver_pool(engine, settings)
    try:
        # inet_server_addr() is NULL on a Unix-socket connection.
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT inet_server_addr()") is None
            assert await conn.fetchval("SELECT current_database()") == url.database
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT inet_server_addr()"))).scalar() is None
    finally:
        await pool.close()
        await engine.dispose()
