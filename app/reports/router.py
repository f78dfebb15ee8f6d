"""Utilization reports (JSON or CSV)."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.deps import DatabaseDep, PrincipalDep
from app.core.heavy import HeavyReadsDep
from app.costs.export import (
    AcceptHeader,
    DateQuery,
    FromDateQuery,
    csv_response,
    period_read_op,
    wants_csv,
)
from app.reports import flows
from app.reports.schemas import GroupBy, Utilization, UtilizationRow

router = APIRouter(tags=["reports"])

UTILIZATION_FIELDS = ["key", "name", "booked_minutes", "bookings", "community_minutes",
                      "rental_fee_waived_cents", "custodial_cost_cents"]


@router.get(
    "/v1/reports/utilization",
    **period_read_op(
        "Use of the sites, the rent waived and the custodial cost",
        description="Over confirmed bookings with a site-local date in [from, to] (at most "
        "366 days), grouped by site, booking party or space. Managers see their party's sites "
        "and bookings.",
    ),
)
async def utilization_report(
    db: DatabaseDep,
    heavy: HeavyReadsDep,
    principal: PrincipalDep,
    from_: FromDateQuery,
    to: DateQuery,
    group_by: GroupBy = GroupBy.site,
    accept: AcceptHeader = None,
) -> Utilization:
    rows = await flows.utilization(
        db, heavy=heavy, principal=principal, from_date=from_, to_date=to, group_by=group_by
    )
    if wants_csv(accept):
        name = f"utilization-{group_by.value}-{from_.isoformat()}-{to.isoformat()}.csv"
        table = [[r[f] for f in UTILIZATION_FIELDS] for r in rows]
        return csv_response(UTILIZATION_FIELDS, table, name)  # type: ignore[return-value]
    report_rows = [UtilizationRow(**r) for r in rows]
    return Utilization(from_=from_, to=to, group_by=group_by, rows=report_rows)
