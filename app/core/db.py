"""Engine, sessions and the differences between SQLite and PostgreSQL.

SQLite: WAL, foreign keys, a busy timeout, and transactions begun by us so that
write transactions start with `BEGIN IMMEDIATE`: the write lock is taken before
the first read, so two processes can never both pass a check-then-insert.
PostgreSQL: a pool sized from settings; conflicts are also caught by constraints.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.core.config import ConfigError, Settings
from app.core.sql import DriverRunner, Runner, SessionRunner

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


R = TypeVar("R", bound=Base)


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


async def added(session: AsyncSession, row: R) -> R:
    """`row` written in the session's transaction, so that its id and defaults are set."""
    session.add(row)
    await session.flush()
    return row


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


# SQLite's result codes for a lock not had in time: another connection writes (BUSY), or
# this one's own other statement holds a table (LOCKED).
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


# PostgreSQL's codes for a statement cancelled by `statement_timeout` (query_canceled)
# and a lock not had within `lock_timeout` (lock_not_available).
_PG_BUSY_STATES = frozenset({"57014", "55P03"})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wrapped (`orig`), and their causes and contexts."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        pending += [getattr(e, "orig", None), e.__cause__, e.__context__]


def is_database_busy(exc: BaseException) -> bool:
    """A statement that waited the busy timeout for SQLite's one write lock ("database is
    locked"), or that PostgreSQL cancelled past `statement_timeout` or `lock_timeout`:
    the database too busy to answer in time, not a fault of the request."""
    if any(getattr(e, "sqlstate", None) in _PG_BUSY_STATES for e in _causes(exc)):
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES  # extended codes keep the primary's byte
    return "database is locked" in str(orig) or "database is busy" in str(orig)


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or stopped answering (down, restarting, the
    network, a connection or pool timeout): not a fault of the request. Looks through
    SQLAlchemy's wrapper and the exception's causes."""
    import asyncpg
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    unavailable = (
        OSError,  # refused, reset, unreachable
        TimeoutError,  # a connect or pool wait that ran out (asyncio's too)
        PoolTimeout,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,  # the connection was closed under the statement
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
    )
    return any(
        (isinstance(e, DBAPIError) and e.connection_invalidated) or isinstance(e, unavailable)
        for e in _causes(exc)
    )


def bounded_statements(settings: Settings) -> dict[str, str]:
    """The PostgreSQL settings that bound how long a request's statement may run or wait
    for a lock (commands such as `demo-data` run unbounded)."""
    return {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "lock_timeout": str(settings.db_lock_timeout_ms),
    }


def create_engine(
    settings: Settings, url: URL | None = None, *, bounded: bool = False
) -> AsyncEngine:
    """`bounded`: the server's, whose statements are bounded in time (`bounded_statements`)."""
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
        connect_args={
            "timeout": settings.db_timeout_seconds,
            "server_settings": {
                "timezone": "UTC",
                **(bounded_statements(settings) if bounded else {}),
            },
        },
    )


async def _driver_codecs(conn: Any) -> None:
    """JSON as SQLAlchemy's asyncpg dialect sets it up, so that SQLAlchemy's bind and
    result processors apply unchanged to rows read on the driver directly."""
    await conn.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=lambda b: json.loads(b.decode()),
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda s: b"\x01" + s.encode(),
        decoder=lambda b: json.loads(b[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


class DriverPool:
    """asyncpg connections for the hot statements, most recently used first: acquiring
    and releasing one is a list pop and push. (asyncpg's own pool spends ~6% of a hot
    request on timeouts, shields and a reset query; hot statements leave no session
    state to reset.) A connection that may be out of step with its server (after a
    cancellation or a broken socket) is closed rather than reused."""

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int, timeout: float) -> None:
        self._connect = connect
        self._size = size
        self._timeout = timeout
        self._idle: list[Any] = []
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._count = 0  # open or opening

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def in_use(self) -> int:
        return self._count - len(self._idle)

    def acquire(self) -> Lease:
        """`async with pool.acquire() as conn:` (a class, not a generator: this runs on
        every hot request)."""
        return Lease(self)

    async def _get(self) -> Any:
        while True:
            if self._idle:
                return self._idle.pop()
            if self._count < self._size:
                self._count += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._count -= 1
                    self._hand_over(None)
                    raise
            conn = await self._wait()
            if conn is not None:
                return conn
            # None: a connection was closed, so there is room to open one.

    async def _wait(self) -> Any:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters.append(waiter)
        # A timer on the waiter itself: `asyncio.timeout` cost ~3% of a request that waits.
        expiry = loop.call_later(self._timeout, _expire, waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed a connection just as we gave up: pass it on.
                conn = waiter.result()
                if conn is not None:
                    self._put(conn, reusable=True)
                else:
                    self._hand_over(None)
            else:
                waiter.cancel()
            raise
        finally:
            expiry.cancel()

    def _put(self, conn: Any, *, reusable: bool) -> None:
        if reusable and not conn.is_closed() and not conn.is_in_transaction():
            if not self._hand_over(conn):
                self._idle.append(conn)
            return
        self._count -= 1
        conn.terminate()
        self._hand_over(None)

    def _hand_over(self, conn: Any) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            self._count -= 1
            await conn.close()


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("no database connection came free in time"))


class Lease:
    __slots__ = ("conn", "pool")

    def __init__(self, pool: DriverPool) -> None:
        self.pool = pool
        self.conn: Any = None

    async def __aenter__(self) -> Any:
        self.conn = await self.pool._get()
        return self.conn

    async def __aexit__(self, _type: Any, exc: BaseException | None, _tb: Any) -> None:
        self.pool._put(self.conn, reusable=exc is None or _still_in_sync(exc))


class _DriverUnit(Lease):
    """`Database.runner` on the pool: a lease whose connection comes as a runner."""

    __slots__ = ("dialect", "listeners")

    def __init__(
        self, pool: DriverPool, dialect: Dialect, listeners: list[Callable[[str], None]]
    ) -> None:
        super().__init__(pool)
        self.dialect = dialect
        self.listeners = listeners

    async def __aenter__(self) -> DriverRunner:
        return DriverRunner(await super().__aenter__(), self.dialect, self.listeners)


def _still_in_sync(exc: BaseException) -> bool:
    """After a database error (a constraint, say) or one of ours (a 404) the connection
    is ready for the next statement; after a cancellation or an I/O failure its
    protocol state is unknown."""
    import asyncpg

    return not isinstance(
        exc,
        (asyncio.CancelledError, OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError),
    )


def _host(url: URL) -> str | list[str] | None:
    """`?host=/run/postgresql`: a Unix socket (a co-located database), as SQLAlchemy reads it."""
    given = url.query.get("host")
    if given is None:
        return url.host
    return given if isinstance(given, str) else list(given)


SslMode = Literal["disable", "prefer", "allow", "require", "verify-ca", "verify-full"]
_SSL_MODES: dict[str, SslMode] = {mode: mode for mode in get_args(SslMode)}


def _ssl(url: URL) -> SslMode | None:
    """`?ssl=require`, say, as SQLAlchemy's asyncpg dialect passes it on."""
    given = url.query.get("ssl")
    if given is None:
        return None
    if not isinstance(given, str) or given not in _SSL_MODES:
        raise ConfigError(f"DATABASE_URL: ssl={given!r} is not one of {', '.join(_SSL_MODES)}")
    return _SSL_MODES[given]


def _port(url: URL) -> int | None:
    given = url.query.get("port")
    return int(given) if isinstance(given, str) and given.isdigit() else url.port


async def open_driver_pool(engine: AsyncEngine, settings: Settings) -> DriverPool:
    """asyncpg connections beside SQLAlchemy's pool, for the hot statements (PostgreSQL)."""
    import asyncpg

    url = engine.url

    async def connect() -> Any:
        conn = await asyncpg.connect(
            host=_host(url),
            port=_port(url),
            user=url.username,
            password=url.password,
            database=url.database,
            timeout=settings.db_timeout_seconds,
            # Hot statements are prepared once per connection and written so that any
            # plan is an index range scan; PostgreSQL's default would plan the facts
            # query anew on each call (0.45 ms of its CPU per call against 0.29 ms).
            server_settings={
                "timezone": "UTC",
                "plan_cache_mode": "force_generic_plan",
                **bounded_statements(settings),
            },
            ssl=_ssl(url),
        )
        await _driver_codecs(conn)
        return conn

    return DriverPool(connect, settings.db_pool_size, settings.db_timeout_seconds)


@dataclass(frozen=True)
class Database:
    """What a request needs: a session factory for reads and one for writes
    (the same on PostgreSQL; `BEGIN IMMEDIATE` on SQLite)."""

    engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    write_sessions: async_sessionmaker[AsyncSession]
    # PostgreSQL: asyncpg connections for hot statements (`runner`).
    driver_pool: DriverPool | None = None
    # Tests: the open connection whose transaction every request joins.
    joined: AsyncConnection | None = None
    # Called with the SQL of each hot statement run on the driver (tests count them).
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    # Per-worker caches of slowly changing rows, each checked against the database
    # before anything is written from it (bookings: `app.bookings.facts_cache`).
    caches: dict[str, Any] = field(default_factory=dict)

    def runner(self, *, write: bool = False) -> AbstractAsyncContextManager[Runner]:
        """One unit of work for hot statements. PostgreSQL: a driver connection in
        autocommit (each hot write is one atomic statement; the exclusion constraint
        guards conflicts). SQLite: a session, `BEGIN IMMEDIATE` when writing, so a
        check-then-insert is serialized."""
        if self.driver_pool is not None and self.joined is None:
            return _DriverUnit(self.driver_pool, self.engine.dialect, self.listeners)
        return self._runner(write)

    @asynccontextmanager
    async def _runner(self, write: bool) -> AsyncIterator[Runner]:
        dialect = self.engine.dialect
        if dialect.name == "postgresql" and self.joined is not None:
            raw = (await self.joined.get_raw_connection()).driver_connection
            assert raw is not None  # the test's connection is open
            # One connection for every request: simultaneous ones take turns.
            async with self.caches.setdefault("joined_turns", asyncio.Lock()), raw.transaction():
                # In a savepoint of the test's transaction.
                yield DriverRunner(raw, dialect, self.listeners)
            return
        maker = self.write_sessions if write else self.read_sessions
        async with maker() as session:
            yield SessionRunner(session)
            if session.in_transaction():
                await session.commit()

    async def close(self) -> None:
        if self.driver_pool is not None:
            await self.driver_pool.close()
        await self.engine.dispose()

    @classmethod
    def for_engine(cls, engine: AsyncEngine, driver_pool: DriverPool | None = None) -> Database:
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
            driver_pool=driver_pool,
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
        return cls(engine=conn.engine, read_sessions=maker, write_sessions=maker, joined=conn)
