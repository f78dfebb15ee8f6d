"""The SQL of reports: sums over bookings and their custodial charges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings.models import Booking
from app.costs.models import CustodialCharge
from app.parties.models import Party
from app.reports.schemas import GroupBy
from app.sites.models import Site, Space


async def utilization(
    session: AsyncSession,
    *,
    from_date: date,
    to_date: date,
    group_by: GroupBy,
    party_id: int | None,
) -> Sequence[Row[int, str, Any, int, Any, Any, Any]]:
    """(key, name, booked minutes, bookings, community minutes, rent waived, custodial
    cost) per group of the confirmed bookings with a local date in [from, to], by key;
    with `party_id`, only the bookings at its sites or by it. The sums are as the database
    answers them: PostgreSQL's sum of bigints is numeric (a Decimal)."""
    charged = (
        select(CustodialCharge.booking_id, func.sum(CustodialCharge.cost_cents).label("cost"))
        .group_by(CustodialCharge.booking_id)
        .subquery()
    )
    key, name, join = {
        GroupBy.site: (Site.id, Site.name, None),
        GroupBy.party: (Party.id, Party.name, (Party, Party.id == Booking.party_id)),
        GroupBy.space: (Space.id, Space.name, (Space, Space.id == Booking.space_id)),
    }[group_by]
    community = case((Booking.party_id != Site.owner_party_id, Booking.booked_minutes), else_=0)
    stmt = (
        select(
            key.label("key"),
            name.label("name"),
            func.sum(Booking.booked_minutes),
            func.count(Booking.id),
            func.sum(community),
            func.sum(Booking.rental_fee_waived_cents),
            func.coalesce(func.sum(charged.c.cost), 0),
        )
        .select_from(Booking)
        .join(Site, Site.id == Booking.site_id)
        .outerjoin(charged, charged.c.booking_id == Booking.id)
        .where(
            Booking.status == "confirmed",
            Booking.local_date >= from_date,
            Booking.local_date <= to_date,
        )
        .group_by(key, name)
        .order_by(key)
    )
    if join is not None:
        stmt = stmt.join(*join)
    if party_id is not None:
        stmt = stmt.where(or_(Site.owner_party_id == party_id, Booking.party_id == party_id))
    return (await session.execute(stmt)).all()
