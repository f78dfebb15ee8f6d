"""Every API test runs on SQLite and on PostgreSQL.

Each run migrates its own SQLite file and its own uniquely named PostgreSQL
database (dropped afterwards), so runs never collide. Each test runs inside a
transaction that is rolled back; the app's sessions join it through savepoints.
PostgreSQL is never skipped silently: unreachable means the run fails.
The run's "now" is `tests/clock.py`'s, installed as the app's clock before any app is made.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import clock
from app.core.config import Settings
from app.core.db import Database, create_engine
from app.core.migrate import upgrade
from app.main import create_app
from tests import clock as suite

ADMIN_KEY = "test-admin-key-" + secrets.token_hex(8)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")

_pg_passed = 0


def _admin_pg_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


def _psycopg_dsn(url: str) -> str:
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def pytest_configure(config: pytest.Config) -> None:
    try:
        clock.install(suite.suite_clock())
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> str:
    at_sites = suite.now().astimezone(suite.SITE_ZONE).isoformat(timespec="seconds")
    chosen = f"{suite.ENV}={os.environ[suite.ENV]}" if suite.chosen_instant() else "real time"
    return f"now: {at_sites} at the sites ({chosen})"


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        with psycopg.connect(_psycopg_dsn(_admin_pg_url()), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {_admin_pg_url()} ({exc}).\n"
            "The suite runs on SQLite AND PostgreSQL; start PostgreSQL "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "
            "or point TEST_DATABASE_URL at one.",
            returncode=3,
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _pg_passed
    if report.when == "call" and report.passed and "postgresql" in report.nodeid:
        _pg_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ran_tests = session.testscollected > 0 and not session.config.option.collectonly
    if os.environ.get("CI", "").lower() == "true" and ran_tests and _pg_passed == 0:
        print("\nFAIL: no PostgreSQL test passed in this run (CI=true requires them).")
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"PostgreSQL tests passed: {_pg_passed}")


class PostgresDatabases:
    """Makes uniquely named databases on the test server and drops them at the end."""

    def __init__(self) -> None:
        self.admin_dsn = _psycopg_dsn(_admin_pg_url())
        self.prefix = f"jointuse_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.made: list[str] = []

    def create(self, suffix: str = "") -> str:
        name = f"{self.prefix}{suffix}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return make_url(_admin_pg_url()).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def database_urls(
    pg_databases: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """One migrated database per backend for the whole run."""
    sqlite_path = tmp_path_factory.mktemp("db") / "jointuse.db"
    urls = {"sqlite": f"sqlite:///{sqlite_path}", "postgresql": pg_databases.create()}
    for url in urls.values():
        upgrade(url)
    return urls


def settings_for(url: str, **overrides: object) -> Settings:
    """The suite's app: no rate limit (statement counts stay the operations' own;
    tests/ratelimits builds apps with one)."""
    given: dict[str, object] = {"JOINTUSE_RATE_LIMIT_PER_MINUTE": 0, **overrides}
    return Settings(DATABASE_URL=url, JOINTUSE_ADMIN_KEY=ADMIN_KEY, **given)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
async def engines(database_urls: dict[str, str]) -> AsyncIterator[dict[str, AsyncEngine]]:
    made = {name: create_engine(settings_for(url)) for name, url in database_urls.items()}
    yield made
    for engine in made.values():
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db(backend: str, engines: dict[str, AsyncEngine]) -> AsyncIterator[Database]:
    """Sessions bound to one connection whose transaction is rolled back after the test."""
    async with engines[backend].connect() as conn:
        trans = await conn.begin()
        try:
            yield Database.for_connection(conn)
        finally:
            await trans.rollback()


@pytest.fixture(scope="session")
def apps(database_urls: dict[str, str]) -> dict[str, FastAPI]:
    """One app per backend for the run: FastAPI builds each route's validators on the
    first request an app sees, so a fresh app per test would mostly measure that."""
    return {backend: create_app(settings_for(url)) for backend, url in database_urls.items()}


@pytest.fixture
async def client(
    db: Database, apps: dict[str, FastAPI], backend: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its sessions joined to this test's rolled-back transaction (the app
    keeps no other state between requests). Tests that change the app build their own."""
    app = apps[backend]
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def tmp_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.db'}"


def run(coro: object) -> object:  # pragma: no cover - helper for sync callers
    return asyncio.run(coro)  # type: ignore[arg-type]
