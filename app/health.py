"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from app.core import metrics
from app.core.auth import require_admin
from app.core.db import Database
from app.core.deps import OptionalPrincipalDep
from app.core.errors import ServiceUnavailable
from app.core.openapi import op

router = APIRouter(tags=["operations"])
log = logging.getLogger("jointuse.health")


@router.get("/healthz", **op("Liveness: the process answers", public=True, database=False))
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", **op("Readiness: the database answers", 503, public=True))
async def readyz(request: Request) -> dict[str, str]:
    db: Database = request.app.state.db
    try:
        async with asyncio.timeout(request.app.state.settings.db_timeout_seconds):
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to answer means not ready
        log.warning("database not ready", extra={"error": f"{type(exc).__name__}: {exc}"})
        raise ServiceUnavailable("the database does not answer") from None
    return {"status": "ok"}


@router.get(
    "/metrics",
    **op(
        "Prometheus metrics",
        description="The Prometheus text format: requests by route template, method and "
        "status with latency histograms, bookings by outcome and rule violations by rule, "
        "webhook deliveries pending and failed and the oldest pending's age, database "
        "pool use; every server process's together. For admin keys, or for anyone when "
        "`JOINTUSE_METRICS_PUBLIC=1`.",
        responses={
            200: {
                "description": "Prometheus text exposition format 0.0.4",
                "content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}},
            },
        },
    ),
)
async def prometheus_metrics(request: Request, principal: OptionalPrincipalDep) -> Response:
    if not request.app.state.settings.metrics_public:
        require_admin(principal)
    backlog_of = getattr(request.app.state, "webhook_backlog", None)
    db: Database = request.app.state.db
    body = await metrics.exposition(backlog_of(db) if backlog_of else None)
    return Response(body, media_type=metrics.CONTENT_TYPE)
