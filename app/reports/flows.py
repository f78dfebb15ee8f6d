"""A report's order of work: checked, its period settled in a unit of work of its
own (`costs.flows`), then read."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.core.auth import Principal
from app.core.db import Database
from app.core.heavy import HeavyReads
from app.costs.flows import settled_reads
from app.reports import service
from app.reports.schemas import GroupBy


async def utilization(
    db: Database,
    *,
    heavy: HeavyReads,
    principal: Principal,
    from_date: date,
    to_date: date,
    group_by: GroupBy,
) -> list[dict[str, Any]]:
    service.check_utilization(principal, from_date=from_date, to_date=to_date)
    async with settled_reads(db, first=from_date, last=to_date, heavy=heavy) as session:
        return await service.utilization(
            session, principal=principal, from_date=from_date, to_date=to_date, group_by=group_by
        )
