"""Contract section 7: while PostgreSQL cannot be reached, requests get 503
`service-unavailable` with `Retry-After` (never a 500) and `/readyz` answers 503; once
it is back the server recovers by itself, with no booking answered 201 lost. The
database "goes away" behind a TCP proxy the test cuts: every connection is reset and
no new one is accepted, as when the server restarts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core.migrate import upgrade
from tests.bookings.helpers import evening, next_weekday
from tests.conftest import ADMIN, ADMIN_KEY, PostgresDatabases
from tests.ops.conftest import Served, free_port, fresh_pg_url, poll, serving
from tests.ops.test_no_double_booking import _setup

pytestmark = pytest.mark.slow


class CuttableProxy:
    """127.0.0.1:`port` -> PostgreSQL, in a thread of its own; `cut()` resets every
    connection and refuses new ones until `restore()`."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._call(self._listen())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def _cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.links:
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def close(self) -> None:
        self._call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def proxied(tmp_path, pg_databases: PostgresDatabases) -> Iterator[tuple[Served, CuttableProxy]]:
    url = fresh_pg_url(pg_databases, "outage")
    upgrade(url)
    target = make_url(url)
    proxy = CuttableProxy(target.port or 5432)
    through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        with serving(
            through, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY, JOINTUSE_DB_TIMEOUT_SECONDS="2"
        ) as served:
            yield served, proxy
    finally:
        proxy.close()


def ready(http: httpx.Client) -> bool | None:
    return True if http.get("/readyz").status_code == 200 else None


async def test_while_the_database_is_away_requests_are_503_and_it_recovers_by_itself(proxied):
    served, proxy = proxied
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        world = await _setup(http)
        day = next_weekday(1, weeks_ahead=2)

        async def book(start: str) -> httpx.Response:
            body = {**evening(world["gym"], day, start, f"{int(start[:2]) + 1}:00")}
            return await http.post("/v1/bookings", json=body, headers=world["partner"])

        before = await book("16:00")
        assert before.status_code == 201, before.text
        proxy.cut()
        answers = [
            await book("17:00"),
            await http.get(f"/v1/bookings/{before.json()['id']}", headers=world["partner"]),
            await http.get("/v1/bookings", headers=world["partner"]),
            await http.get("/v1/parties", headers=ADMIN),
        ]
        for r in answers:
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "service-unavailable"
            assert int(r.headers["retry-after"]) > 0
        assert (await http.get("/readyz")).status_code == 503
        proxy.restore()
    with httpx.Client(base_url=served.base_url, timeout=30) as sync_http:
        poll(lambda: ready(sync_http), timeout=15, what="/readyz to answer 200 again")
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        after = await book("18:00")
        assert after.status_code == 201, after.text
        listed = await http.get(
            "/v1/bookings", params={"space_id": world["gym"]}, headers=world["partner"]
        )
    ids = {b["id"] for b in listed.json()["items"]}
    assert {before.json()["id"], after.json()["id"]} <= ids
    assert "internal-error" not in served.process.output()
