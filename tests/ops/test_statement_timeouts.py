"""Contract section 7: a database too busy to answer in time is a 503, not a hung worker.
On PostgreSQL the server's statements are bounded (`JOINTUSE_DB_STATEMENT_TIMEOUT_MS`,
`JOINTUSE_DB_LOCK_TIMEOUT_MS`): a request stuck behind another session's lock is
cancelled and answered 503 `service-unavailable` with `Retry-After`, and the next one,
once the lock is gone, is served as usual."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import evening, next_weekday
from tests.conftest import ADMIN, ADMIN_KEY, PostgresDatabases, _psycopg_dsn
from tests.ops.conftest import migrated_url, serving
from tests.ops.test_no_double_booking import _setup

pytestmark = pytest.mark.slow


@pytest.fixture(params=["lock", "statement"])
def bounded(
    request: pytest.FixtureRequest, tmp_path: Path, pg_databases: PostgresDatabases
) -> Iterator[dict[str, Any]]:
    """A server whose statements give up after 300 ms: by `lock_timeout` (statements
    unbounded) or by `statement_timeout` (locks unbounded)."""
    url = migrated_url("postgresql", tmp_path, pg_databases, "bounded")
    limits = (
        {"JOINTUSE_DB_LOCK_TIMEOUT_MS": "300", "JOINTUSE_DB_STATEMENT_TIMEOUT_MS": "0"}
        if request.param == "lock"
        else {"JOINTUSE_DB_LOCK_TIMEOUT_MS": "0", "JOINTUSE_DB_STATEMENT_TIMEOUT_MS": "300"}
    )
    with serving(url, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY, **limits) as served:
        yield {"url": url, "base_url": served.base_url}


def test_a_request_stuck_behind_a_lock_is_a_503_then_served_once_the_lock_is_gone(bounded):
    async def setup() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=bounded["base_url"], timeout=30) as c:
            made = await _setup(c)
            r = await c.post(
                "/v1/bookings",
                json=evening(made["gym"], next_weekday(1)) | {"purpose": "Practice"},
                headers=made["partner"],
            )
            assert r.status_code == 201, r.text
            return {**made, "booking": r.json()}

    made = asyncio.run(setup())
    path = f"/v1/bookings/{made['booking']['id']}"
    with httpx.Client(base_url=bounded["base_url"], timeout=30) as http:
        with psycopg.connect(_psycopg_dsn(bounded["url"])) as holder:
            holder.execute("LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            r = http.get(path, headers=ADMIN)
            waited = time.monotonic() - started
            body = assert_problem(r, 503, "service-unavailable")
            assert r.headers["Retry-After"].isdigit()
            assert "too busy" in body["detail"]
            assert waited < 10, "the statement was not bounded"
            moved = http.post(f"{path}/cancel", headers=made["partner"])
            assert_problem(moved, 503, "service-unavailable")
            holder.rollback()
        after = http.get(path, headers=ADMIN)
        assert after.status_code == 200, after.text
        # The refused cancel wrote nothing.
        assert after.json()["status"] == "confirmed"
        assert http.get("/readyz").status_code == 200
