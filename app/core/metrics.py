"""Prometheus metrics (contract section 7), with `prometheus-client`.

Requests by route template, method and status, with latency histograms; bookings made
by outcome and rule violations by rule; database pool use. Webhook backlog gauges are
read from the database when scraped (`app.webhooks.service.backlog_of`, given by
`create_app`).
Several server processes (`jointuse serve --workers N`) share one view through
prometheus-client's multiprocess mode: `serve` points `PROMETHEUS_MULTIPROC_DIR` at a
fresh folder before the workers start."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "jointuse_http_requests_total",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "jointuse_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKINGS = Counter(
    "jointuse_bookings_total",
    "Booking requests (POST /v1/bookings, POST /v1/booking-series) by outcome: created, "
    "conflict, rules-violated, refused (any other 4xx), error (5xx)",
    ["operation", "outcome"],
)
VIOLATIONS = Counter(
    "jointuse_booking_rule_violations_total",
    "Booking rule violations answered (a request may break several), by rule",
    ["rule"],
)
POOL = Gauge(
    "jointuse_db_pool_connections",
    "Database connections of a server process's pools, by pool and state",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
WEBHOOK_PENDING = Gauge(
    "jointuse_webhook_deliveries_pending",
    "Webhook deliveries not yet made (the outbox's backlog)",
    multiprocess_mode="mostrecent",
)
WEBHOOK_FAILED = Gauge(
    "jointuse_webhook_deliveries_failed",
    "Webhook deliveries given up after 24 hours of tries",
    multiprocess_mode="mostrecent",
)
WEBHOOK_OLDEST = Gauge(
    "jointuse_webhook_oldest_pending_seconds",
    "Age of the oldest webhook delivery not yet made (0: none)",
    multiprocess_mode="mostrecent",
)

# Label values of requests no route matched: one series, whatever the path.
UNMATCHED = "<unmatched>"
_BOOKING_OPERATIONS = {
    ("POST", "/v1/bookings"): "create",
    ("POST", "/v1/booking-series"): "series",
}


def _outcome(status: int) -> str:
    if status < 400:
        return "created"
    if status == 409:
        return "conflict"
    if status == 422:
        return "rules-violated"
    return "refused" if status < 500 else "error"


class RequestMetrics:
    """What the request middleware records per answer: label children are kept, so
    that a request costs two dictionary lookups and two updates."""

    def __init__(self, pools: Callable[[], dict[tuple[str, str], int]] | None = None) -> None:
        self._requests: dict[tuple[str, str, int], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}
        self.pools = pools
        self._pools_read = 0.0

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counter = self._requests.get(key)
        if counter is None:
            counter = self._requests[key] = REQUESTS.labels(route, method, str(status))
        counter.inc()
        timer = self._latency.get((route, method))
        if timer is None:
            timer = self._latency[(route, method)] = LATENCY.labels(route, method)
        timer.observe(seconds)
        operation = _BOOKING_OPERATIONS.get((method, route))
        if operation is not None:
            BOOKINGS.labels(operation, _outcome(status)).inc()
        now = time.monotonic()
        # Pool use is sampled, at most once a second per process.
        if self.pools is not None and now - self._pools_read > 1.0:
            self._pools_read = now
            for (pool, state), count in self.pools().items():
                POOL.labels(pool, state).set(count)


def violated(rules: list[str]) -> None:
    for rule in rules:
        VIOLATIONS.labels(rule).inc()


Backlog = Callable[[], Awaitable[tuple[int, int, float]]]


async def exposition(backlog: Backlog | None) -> bytes:
    """The text format: this process's metrics, or every server process's."""
    if backlog is not None:
        pending, failed, oldest = await backlog()
        WEBHOOK_PENDING.set(pending)
        WEBHOOK_FAILED.set(failed)
        WEBHOOK_OLDEST.set(oldest)
    if MULTIPROCESS:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
