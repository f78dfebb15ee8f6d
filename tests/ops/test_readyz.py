"""`/readyz` follows the database: 503 while it cannot be reached, 200 once it is
back, without restarting the app (the app's own engine, made by its lifespan)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.main import create_app
from tests.conftest import PostgresDatabases, settings_for
from tests.ops.conftest import fresh_pg_url

DB_TIMEOUT_SECONDS = 1


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `stop` closes the port and cuts every
    open connection, as a database going away would; `start` opens the same port again.
    With `hanging` set, connections are accepted and never answered (a lost network)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.hanging = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client_w)
        if self.hanging:
            with contextlib.suppress(ConnectionError):
                while await client_r.read(65536):
                    pass
            client_w.transport.abort()
            self._tasks.discard(task)
            return
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            self._tasks.discard(task)
            return
        self._writers.add(upstream_w)
        try:
            await asyncio.gather(_pipe(client_r, upstream_w), _pipe(upstream_r, client_w))
        finally:
            for w in (client_w, upstream_w):
                w.transport.abort()
                self._writers.discard(w)
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@contextlib.asynccontextmanager
async def running_app(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, as uvicorn would, so it makes its own engine."""
    app: FastAPI = create_app(settings_for(url, JOINTUSE_DB_TIMEOUT_SECONDS=DB_TIMEOUT_SECONDS))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def assert_not_ready(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert r.json()["code"] == "service-unavailable"
    assert r.json()["status"] == 503


def assert_ready(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}


@pytest.fixture
async def pg_proxy(pg_databases: PostgresDatabases) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A running proxy to the test PostgreSQL and a fresh database's URL through it."""
    direct = make_url(fresh_pg_url(pg_databases, "ready"))
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    await proxy.start()
    try:
        yield (
            proxy,
            direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        )
    finally:
        await proxy.stop()


async def test_readyz_is_503_while_postgresql_is_unreachable_and_200_once_it_is_back(
    pg_proxy: tuple[TcpProxy, str],
) -> None:
    proxy, url = pg_proxy
    async with running_app(url) as client:
        assert_ready(await client.get("/readyz"))

        await proxy.stop()
        assert_not_ready(await client.get("/readyz"))
        assert_not_ready(await client.get("/readyz"))

        await proxy.start()
        assert_ready(await client.get("/readyz"))


async def test_readyz_is_200_once_postgresql_comes_up_after_the_app_started(
    pg_proxy: tuple[TcpProxy, str],
) -> None:
    proxy, url = pg_proxy
    await proxy.stop()
    async with running_app(url) as client:
        assert_not_ready(await client.get("/readyz"))

        await proxy.start()
        assert_ready(await client.get("/readyz"))


async def test_readyz_is_503_within_the_timeout_while_postgresql_does_not_answer(
    pg_proxy: tuple[TcpProxy, str],
) -> None:
    proxy, url = pg_proxy
    proxy.hanging = True
    async with running_app(url) as client:
        started = asyncio.get_running_loop().time()
        assert_not_ready(await client.get("/readyz"))
        assert asyncio.get_running_loop().time() - started < DB_TIMEOUT_SECONDS + 2

        proxy.hanging = False
        assert_ready(await client.get("/readyz"))


async def test_healthz_stays_200_while_the_database_is_unreachable(
    pg_proxy: tuple[TcpProxy, str],
) -> None:
    proxy, url = pg_proxy
    await proxy.stop()
    async with running_app(url) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_is_503_while_the_sqlite_directory_is_missing_and_200_once_it_exists(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "not-yet"
    async with running_app(f"sqlite:///{directory / 'jointuse.db'}") as client:
        assert_not_ready(await client.get("/readyz"))

        directory.mkdir()
        assert_ready(await client.get("/readyz"))
