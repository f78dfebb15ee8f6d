"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from sqlalchemy import text

from app.core.db import Database
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
