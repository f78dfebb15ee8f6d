"""create_app(): lifespan, error handlers, middleware and routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.pool import QueuePool

from app.agreements.router import router as agreements_router
from app.bookings.router import availability_router, series_router
from app.bookings.router import router as bookings_router
from app.calendars.router import router as calendars_router
from app.core.config import Settings, get_settings
from app.core.db import Database, create_engine, open_driver_pool
from app.core.deps import authenticate_first
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.heavy import HeavyReads
from app.core.hot import fast_lanes
from app.core.logs import configure_logging
from app.core.metrics import RequestMetrics
from app.core.middleware import RequestContextMiddleware
from app.core.openapi import install_openapi, operation_id
from app.costs.router import router as costs_router
from app.events.router import router as events_router
from app.health import router as health_router
from app.idempotency.service import IdempotentWrites
from app.keys.auth import authenticate
from app.keys.router import router as keys_router
from app.parties.router import router as parties_router
from app.ratelimits.service import KeyRateLimits
from app.reports.router import router as reports_router
from app.sites.router import router as sites_router
from app.webhooks.router import router as webhooks_router
from app.webhooks.service import backlog_of

DESCRIPTION = """\
Bookings of school sites and city facilities under a city/school-district joint-use
agreement: no rental fees, custodial coverage beyond scheduled hours shared by the
parties. Errors are RFC 9457 problem details with a stable `code`.
"""

TAGS = [
    {"name": "operations", "description": "Health and readiness"},
    {"name": "api keys", "description": "Keys act for a party in a role"},
    {"name": "parties", "description": "The city, districts, charter schools, community groups"},
    {"name": "sites", "description": "School sites and city facilities"},
    {"name": "spaces", "description": "Bookable spaces of a site"},
    {"name": "calendar", "description": "Closures and recesses of a site"},
    {
        "name": "agreements",
        "description": "Joint-use agreements: blanket, long-term, site development",
    },
    {"name": "bookings", "description": "Bookings of spaces under the agreements' rules"},
    {"name": "booking series", "description": "Recurring bookings (RFC 5545 RRULE)"},
    {"name": "availability", "description": "Free and busy time of a space"},
    {
        "name": "costs",
        "description": "Cost items and statements: custodial coverage and shared costs",
    },
    {"name": "reports", "description": "Utilization: use, rent waived and custodial cost"},
    {"name": "events", "description": "The change feed: what happened to bookings, oldest first"},
    {
        "name": "calendars",
        "description": "iCalendar (RFC 5545) feeds: busy time, a party's bookings",
    },
    {
        "name": "webhooks",
        "description": "The change feed's events POSTed to a receiver, signed (Standard "
        "Webhooks), by `jointuse worker`",
    },
]


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """`database` is given by tests (sessions joined to a rolled-back transaction);
    otherwise the app makes its engine at start-up and disposes it at shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        if database is None:
            engine = create_engine(settings, bounded=True)
            postgresql = engine.dialect.name == "postgresql"
            pool = await open_driver_pool(engine, settings) if postgresql else None
            app.state.db = Database.for_engine(engine, pool)
        # Start-up objects live forever: keep them out of the collector's way (p99).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if owned:
                await app.state.db.close()

    app = FastAPI(
        title="jointuse",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,  # `install_docs`: Swagger UI from the package, not a CDN
        redoc_url=None,
        # A path with a trailing slash is not a path of the contract: 404, not a redirect
        # (whose Location Starlette would build from the client's Host header).
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
    app.state.authenticate = authenticate  # for `core.deps` (core imports no domain)
    app.state.webhook_backlog = backlog_of  # for `GET /metrics`
    app.state.heavy_reads = HeavyReads(
        at_once=settings.heavy_reads, waiting=settings.heavy_reads_waiting
    )
    if database is not None:
        app.state.db = database
    install_error_handlers(app, caller_first=authenticate_first)
    install_openapi(app)
    # Routes are matched in order: the hot ones (bookings, availability) come first.
    routers = (
        availability_router,
        bookings_router,
        series_router,
        health_router,
        keys_router,
        parties_router,
        sites_router,
        agreements_router,
        costs_router,
        reports_router,
        events_router,
        calendars_router,
        webhooks_router,
    )
    for router in routers:
        app.include_router(router)
    install_docs(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        access_log=settings.access_log,
        lanes=fast_lanes(app, routers),
        caller_first=authenticate_first,
        metrics=RequestMetrics(lambda: pool_use(app)),
        keyed_writes=IdempotentWrites(keep_hours=settings.idempotency_keep_hours),
        key_limits=(
            KeyRateLimits(per_minute=settings.rate_limit_per_minute, admin_key=app.state.admin_key)
            if settings.rate_limit_per_minute
            else None
        ),
    )
    return app


def pool_use(app: FastAPI) -> dict[tuple[str, str], int]:
    """This process's database connections, for `GET /metrics`."""
    db: Database | None = getattr(app.state, "db", None)
    if db is None:
        return {}
    pool = db.engine.pool
    use: dict[tuple[str, str], int] = {}
    if isinstance(pool, QueuePool):
        use[("sqlalchemy", "in_use")] = pool.checkedout()
        use[("sqlalchemy", "idle")] = pool.checkedin()
    if db.driver_pool is not None:
        use[("driver", "in_use")] = db.driver_pool.in_use
        use[("driver", "idle")] = db.driver_pool.idle
    return use


def __getattr__(name: str) -> FastAPI:
    """`app.main:app` for uvicorn, built from the environment on first access only,
    so importing this module (tests, the CLI) has no side effects."""
    if name != "app":
        raise AttributeError(name)
    settings = get_settings()
    configure_logging(settings.log_level)
    application = create_app(settings)
    globals()["app"] = application
    return application
