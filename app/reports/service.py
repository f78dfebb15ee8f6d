"""Utilization: the use of the sites, the rent waived and the custodial cost. The SQL
is in `repository`; `flows` settles the period's charges before they are read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import Forbidden
from app.costs.service import check_range
from app.reports import repository as repo
from app.reports.schemas import GroupBy

# As statements: a report reads each site date of its period.
MAX_REPORT_DAYS = 366


def check_utilization(principal: Principal, *, from_date: date, to_date: date) -> None:
    """The period is bounded and the caller reads reports (admins and managers):
    checked before any work is done for it."""
    check_range(from_date, to_date, MAX_REPORT_DAYS)
    if not principal.is_admin and principal.role is not Role.manager:
        raise Forbidden("only admins and managers read reports")


async def utilization(
    session: AsyncSession,
    *,
    principal: Principal,
    from_date: date,
    to_date: date,
    group_by: GroupBy,
) -> list[dict[str, Any]]:
    """Confirmed bookings whose site-local date is in [from, to], summed in SQL, once
    the period is settled (`flows.utilization`). Each figure is traceable:
    `/v1/bookings?status=confirmed&site_id=...` lists the same bookings, and their
    custodial charges are the statement lines. Managers see their party's sites and
    bookings."""
    rows = await repo.utilization(
        session, from_date=from_date, to_date=to_date, group_by=group_by,
        party_id=None if principal.is_admin else principal.party_id,
    )
    return [
        {"key": k, "name": n, "booked_minutes": int(m or 0), "bookings": int(c),
         "community_minutes": int(cm or 0), "rental_fee_waived_cents": int(w or 0),
         "custodial_cost_cents": int(cc or 0)}
        for k, n, m, c, cm, w, cc in rows
    ]
