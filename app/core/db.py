"""Engine, sessions and the differences between SQLite and PostgreSQL.

SQLite: WAL, foreign keys, a busy timeout, and transactions begun by us so that
write transactions start with `BEGIN IMMEDIATE`: the write lock is taken before
the first read, so two processes can never both pass a check-then-insert.
PostgreSQL: a pool sized from settings; conflicts are also caught by constraints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: timezone-aware in Python, UTC in the database (timestamptz on
    PostgreSQL; on SQLite a naive UTC text that sorts like the instant)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for an instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Execution option carried by the write engine; the SQLite `begin` hook reads it.
_WRITE = "jointuse_write"


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_engine(settings: Settings, url: URL | None = None) -> AsyncEngine:
    url = url or settings.async_url
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": settings.db_timeout_seconds})
        _install_sqlite_hooks(engine, settings.sqlite_busy_timeout_ms)
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_timeout_seconds,
        connect_args={"timeout": settings.db_timeout_seconds, "server_settings": {"timezone": "UTC"}},
    )


@dataclass(frozen=True)
class Database:
    """What a request needs: a session factory for reads and one for writes
    (the same on PostgreSQL; `BEGIN IMMEDIATE` on SQLite)."""

    engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    write_sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> Database:
        write_engine = engine.execution_options(**{_WRITE: True})
        # PostgreSQL reads run without BEGIN/COMMIT: two round trips fewer per request.
        read_engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        kw: dict[str, Any] = {"expire_on_commit": False, "autoflush": False}
        return cls(
            engine=engine,
            read_sessions=async_sessionmaker(read_engine, **kw),
            write_sessions=async_sessionmaker(write_engine, **kw),
        )

    @classmethod
    def for_connection(cls, conn: Any) -> Database:
        """Sessions joined to an open connection's transaction (tests roll it back)."""
        kw: dict[str, Any] = {
            "expire_on_commit": False,
            "autoflush": False,
            "join_transaction_mode": "create_savepoint",
        }
        maker = async_sessionmaker(bind=conn, **kw)
        return cls(engine=conn.engine, read_sessions=maker, write_sessions=maker)
