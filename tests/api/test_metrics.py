"""Contract section 7: GET /metrics, the Prometheus text format, for admin keys (or
anyone when JOINTUSE_METRICS_PUBLIC=1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.main import pool_use
from tests.api.support import assert_problem
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.conftest import ADMIN, settings_for
from tests.webhooks.test_webhooks import Receiver, make_webhook, worker_for

pytestmark = pytest.mark.dates


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await client.get("/metrics", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_need_an_admin_key(client):
    w = await world(client)
    assert_problem(await client.get("/metrics"), 401, "unauthenticated")
    assert_problem(await client.get("/metrics", headers=w.district_manager), 403, "forbidden")


async def test_metrics_may_be_made_public(client, apps, backend, database_urls):
    apps[backend].state.settings = settings_for(
        database_urls[backend], JOINTUSE_METRICS_PUBLIC=True
    )
    try:
        r = await client.get("/metrics")
    finally:
        apps[backend].state.settings = settings_for(database_urls[backend])
    assert r.status_code == 200
    assert "jointuse_http_requests_total" in r.text


async def test_requests_are_counted_by_route_template_method_and_status(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    before = await scrape(client)
    labels = {"route": "/v1/bookings/{booking_id}", "method": "GET", "status": "200"}
    for _ in range(3):
        assert (await client.get(f"/v1/bookings/{made['id']}", headers=ADMIN)).status_code == 200
    await client.get("/v1/no-such-thing/123", headers=ADMIN)
    after = await scrape(client)
    counted = "jointuse_http_requests_total"
    assert value(after, counted, **labels) - value(before, counted, **labels) == 3
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert value(after, counted, **unmatched) - value(before, counted, **unmatched) == 1
    timed = "jointuse_http_request_duration_seconds_count"
    route = {"route": "/v1/bookings/{booking_id}", "method": "GET"}
    assert value(after, timed, **route) - value(before, timed, **route) == 3


async def test_bookings_are_counted_by_outcome_and_violations_by_rule(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1))
    before = await scrape(client)
    await book(client, w.group_key, body)
    r = await client.post("/v1/bookings", json=body, headers=w.group_key)
    assert_problem(r, 409, "booking-conflict")
    r = await client.post(
        "/v1/bookings", json={**body, "attendance": 10_000}, headers=w.group_key
    )
    assert r.status_code == 422, r.text
    rules = [v["rule"] for v in r.json()["violations"]]
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    made = "jointuse_bookings_total"
    assert grew(made, operation="create", outcome="created") == 1
    assert grew(made, operation="create", outcome="conflict") == 1
    assert grew(made, operation="create", outcome="rules-violated") == 1
    assert grew("jointuse_booking_rule_violations_total", rule="conflict") >= 1
    for rule in rules:
        assert grew("jointuse_booking_rule_violations_total", rule=rule) >= 1


async def test_the_webhook_backlog_is_shown(client, db, database_urls, backend):
    w = await world(client)
    await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(2)))
    await worker_for(db, database_urls, backend, Receiver()).fan_out()
    samples = await scrape(client)
    assert value(samples, "jointuse_webhook_deliveries_pending") == 2
    assert value(samples, "jointuse_webhook_oldest_pending_seconds") >= 0
    assert ("jointuse_webhook_deliveries_failed", ()) in samples


async def test_pool_use_counts_the_connections_of_each_pool(apps, backend, client):
    await client.get("/healthz")
    use = pool_use(apps[backend])
    assert all(count >= 0 for count in use.values())
    assert {pool for pool, _ in use} <= {"sqlalchemy", "driver"}
