"""Hot statements: built once with SQLAlchemy Core, run on the driver connection.

On this machine SQLAlchemy's per-execution machinery (session, cache key, result
objects, pool checkout) costs ~0.6 ms of CPU per statement, several times the
statement's own cost. The few statements of the hot paths (read a booking, check
and insert one, availability) are therefore `Hot`: one Core definition, compiled
once per dialect, executed directly on asyncpg on PostgreSQL with SQLAlchemy's own
bind and result processors (so rows come out exactly as through a session). On
SQLite they run through the session as every other statement does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Row = Sequence[Any]
Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement compiled for one dialect with positional (`$n`) parameters."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: tuple[Processor | None, ...]
    results: tuple[Processor | None, ...] | None  # None: no column needs one

    @classmethod
    def of(cls, stmt: Executable, dialect: Dialect) -> Compiled:
        assert isinstance(stmt, ClauseElement)  # every statement is; `Executable` says less
        compiled = stmt.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if any(b.expanding for b in compiled.binds.values()):
            raise ValueError("hot statements take no expanding (IN list) parameters")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side column defaults are computed by SQLAlchemy's execution
            # context, which hot statements bypass: they must give every value.
            raise ValueError("hot statements must set every column that has a Python-side default")
        names = tuple(compiled.positiontup or ())
        binds: list[Processor | None] = []
        for name in names:
            proc = compiled._bind_processors.get(name)
            if isinstance(proc, Sequence):  # one processor per element of a tuple value
                raise ValueError("hot statements take no tuple parameters")
            binds.append(proc)
        results = tuple(
            c.type._cached_result_processor(dialect, None) for c in compiled._result_columns
        )
        return cls(
            sql=str(compiled),
            names=names,
            # Literals in the statement ('confirmed', say) are bound parameters too.
            defaults={n: b.value for n, b in compiled.binds.items() if not b.required},
            binds=tuple(binds),
            results=results if any(results) else None,
        )

    def args(self, params: dict[str, Any]) -> list[Any]:
        defaults = self.defaults
        out = []
        for name, proc in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else defaults[name]
            out.append(value if proc is None else proc(value))
        return out

    def row(self, record: Row) -> Row:
        if self.results is None:
            return record
        return tuple(
            v if p is None or v is None else p(v) for p, v in zip(self.results, record, strict=True)
        )


class Hot:
    """A Core statement for the hot paths (or a function of the dialect's name that
    builds one), built once per dialect and compiled once per dialect object."""

    __slots__ = ("_build", "_compiled", "_statements")

    def __init__(self, build: Executable | Callable[[str], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[int, Compiled] = {}

    def statement(self, dialect_name: str) -> Executable:
        stmt = self._statements.get(dialect_name)
        if stmt is None:
            build = self._build
            stmt = self._statements[dialect_name] = (
                build if isinstance(build, Executable) else build(dialect_name)
            )
        return stmt

    def compiled(self, dialect: Dialect) -> Compiled:
        c = self._compiled.get(id(dialect))
        if c is None:
            c = self._compiled[id(dialect)] = Compiled.of(self.statement(dialect.name), dialect)
        return c


class Runner(Protocol):
    """Where a request's hot statements run: one connection, one unit of work."""

    dialect_name: str

    async def first(self, hot: Hot, params: dict[str, Any]) -> Row | None: ...

    async def all(self, hot: Hot, params: dict[str, Any]) -> list[Row]: ...

    async def execute(self, hot: Hot, params: dict[str, Any]) -> None: ...


class SessionRunner:
    """Through an AsyncSession (SQLite; and PostgreSQL outside HTTP, e.g. demo data)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect_name = session.get_bind().dialect.name

    async def first(self, hot: Hot, params: dict[str, Any]) -> Row | None:
        return (await self.session.execute(hot.statement(self.dialect_name), params)).first()

    async def all(self, hot: Hot, params: dict[str, Any]) -> list[Row]:
        return list((await self.session.execute(hot.statement(self.dialect_name), params)).all())

    async def execute(self, hot: Hot, params: dict[str, Any]) -> None:
        await self.session.execute(hot.statement(self.dialect_name), params)


class DriverRunner:
    """Straight on an asyncpg connection, in autocommit unless the caller opened a
    transaction (each hot write is one atomic statement)."""

    dialect_name = "postgresql"

    def __init__(
        self, conn: Any, dialect: Dialect, listeners: Sequence[Callable[[str], None]] = ()
    ) -> None:
        self.conn = conn
        self.dialect = dialect
        self.listeners = listeners

    async def first(self, hot: Hot, params: dict[str, Any]) -> Row | None:
        c = hot.compiled(self.dialect)
        for listen in self.listeners:
            listen(c.sql)
        record = await self.conn.fetchrow(c.sql, *c.args(params))
        return None if record is None else c.row(record)

    async def all(self, hot: Hot, params: dict[str, Any]) -> list[Row]:
        c = hot.compiled(self.dialect)
        for listen in self.listeners:
            listen(c.sql)
        records = await self.conn.fetch(c.sql, *c.args(params))
        return records if c.results is None else [c.row(r) for r in records]

    async def execute(self, hot: Hot, params: dict[str, Any]) -> None:
        c = hot.compiled(self.dialect)
        for listen in self.listeners:
            listen(c.sql)
        await self.conn.execute(c.sql, *c.args(params))
