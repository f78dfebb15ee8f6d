"""Statements and reports are heavy reads: bounded in span (366 days, checked before any
work) and taking turns per worker (`core.heavy`), so that a burst of them is answered
503 with `Retry-After` instead of starving the bookings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from app.core import heavy as heavy_module
from app.core.heavy import HeavyReads
from tests.api.support import assert_problem, error_paths
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.clock import site_today
from tests.conftest import ADMIN
from tests.costs.helpers import span

REPORT = "/v1/reports/utilization"


@pytest.fixture
def one_turn(apps, backend) -> Iterator[HeavyReads]:
    """The test's app with one heavy read at a time and one waiting."""
    app = apps[backend]
    saved = app.state.heavy_reads
    app.state.heavy_reads = HeavyReads(at_once=1, waiting=1)
    try:
        yield app.state.heavy_reads
    finally:
        app.state.heavy_reads = saved


async def test_a_report_of_366_days_is_answered(client):
    first = site_today()
    r = await client.get(REPORT, params=span(first, first + timedelta(days=365)), headers=ADMIN)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("days", [367, 3660])
async def test_a_report_over_366_days_is_refused_before_any_work(client, one_turn, days):
    first = site_today()
    async with one_turn.turn():  # every turn taken: a refusal does not wait for one
        r = await client.get(
            REPORT, params=span(first, first + timedelta(days=days - 1)), headers=ADMIN
        )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["query.to"]


async def test_heavy_reads_past_the_waiting_room_are_503_with_retry_after(client, one_turn):
    w = await world(client)
    day = next_weekday(1)
    async with one_turn.turn():
        waiting = asyncio.create_task(client.get(REPORT, params=span(day), headers=ADMIN))
        while one_turn.waiting < 1:
            await asyncio.sleep(0.01)
        report = await client.get(REPORT, params=span(day), headers=ADMIN)
        statement = await client.get(
            f"/v1/agreements/{w.agreement['id']}/statement", params=span(day), headers=ADMIN
        )
        # Meanwhile everything else is answered as usual.
        booked = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
        sites = await client.get("/v1/sites")
    for r in (report, statement):
        assert_problem(r, 503, "service-unavailable")
        assert r.headers["retry-after"] == str(heavy_module.RETRY_AFTER_SECONDS)
    assert booked["status"] == "confirmed"
    assert sites.status_code == 200
    # The one that waited had its turn once the first was done.
    assert (await waiting).status_code == 200
    assert one_turn.waiting == 0


async def test_a_heavy_read_that_waits_too_long_is_503(client, one_turn, monkeypatch):
    monkeypatch.setattr(heavy_module, "WAIT_SECONDS", 0.05)
    async with one_turn.turn():
        r = await client.get(REPORT, params=span(next_weekday(1)), headers=ADMIN)
    assert_problem(r, 503, "service-unavailable")
    assert r.headers["retry-after"]
    assert one_turn.waiting == 0
    async with one_turn.turn():  # the turn it never had is not lost
        pass
