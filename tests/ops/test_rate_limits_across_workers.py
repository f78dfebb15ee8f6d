"""Contract section 8: a key's limit holds across worker processes (the count is in the
database), on SQLite and PostgreSQL, against a real server with two workers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from app.core import clock
from app.ratelimits import rules
from tests.conftest import ADMIN, ADMIN_KEY, BACKENDS, PostgresDatabases, bearer
from tests.ops.conftest import Served, migrated_url, serving

pytestmark = pytest.mark.slow

LIMIT = 40


@pytest.fixture(params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    pg_databases: PostgresDatabases,
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp(f"limits-{request.param}")
    url = migrated_url(request.param, workdir, pg_databases, "limits")
    with serving(
        url, workdir, workers=2, JOINTUSE_ADMIN_KEY=ADMIN_KEY,
        JOINTUSE_RATE_LIMIT_PER_MINUTE=str(LIMIT),
    ) as server:
        yield server


async def test_a_keys_limit_holds_across_two_workers(served: Served) -> None:
    async with httpx.AsyncClient(
        base_url=served.base_url, timeout=30, limits=httpx.Limits(max_connections=16)
    ) as http:
        party = await http.post(
            "/v1/parties", json={"name": "Oak Park", "kind": "community_group"}, headers=ADMIN
        )
        made = await http.post(
            "/v1/api-keys", json={"party_id": party.json()["id"], "role": "partner"},
            headers=ADMIN,
        )
        key = bearer(made.json()["secret"])
        # All in one window: start early in a minute (the server keeps real time).
        left = rules.seconds_left(clock.current().now())
        if left < 30:
            time.sleep(left + 0.5)
        answers = await asyncio.gather(
            *(http.get("/v1/parties", headers=key) for _ in range(3 * LIMIT))
        )
    statuses = Counter(r.status_code for r in answers)
    # 16 connections spread over the two workers, which each would admit 40 on their own:
    # together they admit the limit at most, and at most a slice per worker less
    # (rules.slice_to_take: 2 of 40).
    assert set(statuses) == {200, 429}, statuses
    assert LIMIT - 2 * rules.slice_to_take(LIMIT, 0) <= statuses[200] <= LIMIT, statuses
    assert {r.json()["code"] for r in answers if r.status_code == 429} == {"rate-limited"}
