"""Contract section 8, rate limits: per API key, `JOINTUSE_RATE_LIMIT_PER_MINUTE`
requests a minute; past it 429 `rate-limited` with `Retry-After`; every answer to a key
carries `RateLimit-Policy` and `RateLimit`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.main import create_app
from app.ratelimits import rules
from tests.api.support import assert_problem
from tests.conftest import ADMIN, settings_for
from tests.factories import make_key, make_party

LIMIT = 5
POLICY = f'"default";q={LIMIT};w=60'


@pytest.fixture(scope="session")
def limited_apps(database_urls: dict[str, str]) -> dict[str, FastAPI]:
    return {
        backend: create_app(settings_for(url, JOINTUSE_RATE_LIMIT_PER_MINUTE=LIMIT))
        for backend, url in database_urls.items()
    }


@pytest.fixture
async def limited(
    db: Database, limited_apps: dict[str, FastAPI], backend: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = limited_apps[backend]
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    # Each test starts at the beginning of a window of its own, so that its requests
    # fall in one window whatever the second the test runs at.
    with clock.installed(clock.OffsetClock.starting_at(_next_window_start())):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


_windows_used = [0]


def _next_window_start() -> datetime:
    _windows_used[0] += 1
    now = clock.current().now()
    start = now - timedelta(seconds=now.timestamp() % 60)
    return start + timedelta(minutes=10 * _windows_used[0], seconds=1)


async def key_of(client: httpx.AsyncClient) -> dict[str, str]:
    party = await make_party(client, "community_group", "Oak Park Youth Soccer")
    return await make_key(client, party["id"], "partner")


async def test_answers_to_a_key_carry_the_policy_and_what_is_left(limited):
    key = await key_of(limited)
    seen = []
    for _ in range(LIMIT):
        r = await limited.get("/v1/parties", headers=key)
        assert r.status_code == 200
        assert r.headers["ratelimit-policy"] == POLICY
        seen.append(r.headers["ratelimit"].split(";")[1])
    assert seen == [f"r={n}" for n in range(LIMIT - 1, -1, -1)]


async def test_past_the_limit_a_key_is_refused_with_retry_after(limited):
    key = await key_of(limited)
    for _ in range(LIMIT):
        assert (await limited.get("/v1/parties", headers=key)).status_code == 200
    r = await limited.get("/v1/parties", headers=key)
    assert_problem(r, 429, "rate-limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["ratelimit"] == f'"default";r=0;t={r.headers["retry-after"]}'
    assert r.headers["x-request-id"]


async def test_a_refused_write_writes_nothing(limited):
    key = await key_of(limited)
    for _ in range(LIMIT):
        await limited.get("/v1/parties", headers=key)
    r = await limited.post(
        "/v1/parties", json={"name": "Too many", "kind": "community_group"}, headers=key
    )
    assert_problem(r, 429, "rate-limited")
    names = [p["name"] for p in (await limited.get("/v1/parties", headers=ADMIN)).json()["items"]]
    assert "Too many" not in names


async def test_one_keys_limit_does_not_touch_anothers(limited):
    spent, other = await key_of(limited), await key_of(limited)
    for _ in range(LIMIT + 1):
        await limited.get("/v1/parties", headers=spent)
    r = await limited.get("/v1/parties", headers=other)
    assert r.status_code == 200
    assert r.headers["ratelimit"].startswith(f'"default";r={LIMIT - 1};')


async def test_the_next_minute_admits_the_key_again(limited):
    key = await key_of(limited)
    for _ in range(LIMIT + 1):
        await limited.get("/v1/parties", headers=key)
    later = clock.current().now() + timedelta(seconds=rules.seconds_left(clock.current().now()))
    with clock.installed(clock.OffsetClock.starting_at(later + timedelta(seconds=1))):
        r = await limited.get("/v1/parties", headers=key)
    assert r.status_code == 200


async def test_the_bootstrap_admin_key_is_not_limited(limited):
    for _ in range(LIMIT + 2):
        r = await limited.get("/v1/parties", headers=ADMIN)
        assert r.status_code == 200
    assert "ratelimit" not in r.headers


async def test_a_forged_key_is_counted_too_and_answered_401(limited):
    forged = {"Authorization": "Bearer ju_forged"}
    r = await limited.get("/v1/parties", headers=forged)
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["ratelimit-policy"] == POLICY


async def test_an_answer_without_a_key_carries_no_rate_limit(limited):
    r = await limited.get("/healthz")
    assert "ratelimit" not in r.headers


async def test_with_limits_off_no_answer_carries_them(client):
    key = await key_of(client)
    r = await client.get("/v1/parties", headers=key)
    assert r.status_code == 200
    assert "ratelimit" not in r.headers and "ratelimit-policy" not in r.headers
