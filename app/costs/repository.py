"""The SQL of custodial cost sharing: site dates marked pending, the charges that
settle them, and what a statement reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import BindParameter, Row, Table, and_, bindparam, delete, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement
from app.bookings.models import Booking
from app.core.sql import Hot
from app.costs.models import CostItem, CustodialCharge, PendingSiteDate
from app.sites.models import Site

# Declarative types `__table__` as any FromClause; these models are mapped to tables.
_CHARGES_TABLE = cast(Table, CustodialCharge.__table__)
_PENDING_TABLE = cast(Table, PendingSiteDate.__table__)

# --- pending site dates -----------------------------------------------------------

# Re-billing happens when charges are read (`service.settle_in`), not on the hot
# paths: a change only marks its site dates pending, in the same statement or transaction.


def marking(dialect: str, rows: Callable[[Any], Any]) -> Any:
    """An upsert of pending site dates: new ones at seq 1, known ones one seq on.
    `rows` completes the insert (`.values(...)` or `.from_select(...)`)."""
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    return rows(upsert(_PENDING_TABLE)).on_conflict_do_update(
        index_elements=["site_id", "local_date"], set_={"seq": _PENDING_TABLE.c.seq + 1}
    )


MARK_PENDING = Hot(
    lambda dialect: marking(
        dialect,
        lambda stmt: stmt.values(
            site_id=bindparam("site_id"), local_date=bindparam("local_date"), seq=1
        ),
    )
)


async def mark_pending(session: AsyncSession, *, site_id: int, days: Sequence[date]) -> None:
    if days:
        await session.execute(
            MARK_PENDING.statement(session.get_bind().dialect.name),
            [{"site_id": site_id, "local_date": d} for d in days],
        )


async def billed_dates_from(
    session: AsyncSession, *, site_id: int, first_day: date
) -> Sequence[date]:
    """The site's dates from `first_day` on with an agreement booking or a charge."""
    booked = select(Booking.local_date).where(
        Booking.site_id == site_id,
        Booking.local_date >= first_day,
        Booking.agreement_id.is_not(None),
    )
    charged = select(CustodialCharge.local_date).where(
        CustodialCharge.site_id == site_id, CustodialCharge.local_date >= first_day
    )
    return (await session.scalars(booked.union(charged))).all()


# --- settling ---------------------------------------------------------------------

_SITE_FOR_BILLING = (
    select(Site.timezone, Site.custodial_hours, Site.custodial_rate_cents_per_hour)
    .where(Site.id == bindparam("site_id"))
    .with_for_update(key_share=True)
)
_DAYS: BindParameter[date] = bindparam("days", expanding=True)
_COUNTING_BOOKINGS = (
    select(
        Booking.id, Booking.start, Booking.held_start, Booking.held_end, Booking.local_date,
        Booking.agreement_id, Booking.terms, Booking.cost_shares,
        Agreement.party_a_id, Agreement.party_b_id,
    )
    .join(Agreement, Agreement.id == Booking.agreement_id)
    .where(
        Booking.site_id == bindparam("site_id"),
        Booking.local_date.in_(_DAYS),
        or_(
            Booking.status == "confirmed",
            and_(Booking.status == "cancelled", Booking.late_cancellation),
        ),
    )
)
_CLEAR_CHARGES = delete(_CHARGES_TABLE).where(
    CustodialCharge.site_id == bindparam("site_id"), CustodialCharge.local_date.in_(_DAYS)
)
_PENDING_SITES = (
    select(PendingSiteDate.site_id)
    .where(
        PendingSiteDate.local_date >= bindparam("first"),
        PendingSiteDate.local_date <= bindparam("last"),
    )
    .distinct()
    .order_by(PendingSiteDate.site_id)
)
_PENDING_OF_SITE = (
    select(PendingSiteDate.local_date, PendingSiteDate.seq)
    .where(
        PendingSiteDate.site_id == bindparam("site_id"),
        PendingSiteDate.local_date >= bindparam("first"),
        PendingSiteDate.local_date <= bindparam("last"),
    )
    .order_by(PendingSiteDate.local_date)
    .with_for_update()
)
_CLEAR_PENDING = delete(_PENDING_TABLE).where(
    PendingSiteDate.site_id == bindparam("p_site"),
    PendingSiteDate.local_date == bindparam("p_date"),
    PendingSiteDate.seq == bindparam("p_seq"),
)


async def pending_sites(session: AsyncSession, *, first: date, last: date) -> Sequence[int]:
    """The sites with a pending date in [first, last] in id order, the order settlers lock them."""
    return (await session.scalars(_PENDING_SITES, {"first": first, "last": last})).all()


async def lock_site(session: AsyncSession, site_id: int) -> Row[str, dict[str, Any], int]:
    """The site's billing figures (zone, custodial hours, rate), its row locked."""
    # FOR NO KEY UPDATE: it must not conflict with the key-share locks that inserting
    # a booking takes on its site, or two bookings at one site would deadlock.
    return (await session.execute(_SITE_FOR_BILLING, {"site_id": site_id})).one()


async def lock_pending(
    session: AsyncSession, *, site_id: int, first: date, last: date
) -> Sequence[Row[date, int]]:
    """The site's pending (local_date, seq) in [first, last], by date, their rows locked."""
    params = {"site_id": site_id, "first": first, "last": last}
    return (await session.execute(_PENDING_OF_SITE, params)).all()


async def counting_bookings(
    session: AsyncSession, *, site_id: int, days: Sequence[date]
) -> Sequence[Row[Any]]:
    """The bookings that count in the site dates' coverage now: confirmed agreement
    bookings and late cancellations, with their agreement's parties."""
    params = {"site_id": site_id, "days": days}
    return (await session.execute(_COUNTING_BOOKINGS, params)).all()


async def replace_charges(
    session: AsyncSession, *, site_id: int, days: Sequence[date], charges: Sequence[dict[str, Any]]
) -> None:
    """The site dates' charges are `charges` from now on (two statements)."""
    await session.execute(_CLEAR_CHARGES, {"site_id": site_id, "days": days})
    if charges:
        await session.execute(insert(_CHARGES_TABLE), charges)


async def clear_pending(
    session: AsyncSession, *, site_id: int, seen: Sequence[tuple[date, int]]
) -> None:
    """Clear the site's marks still at the `seq` seen: one made since has moved on."""
    marks = [{"p_site": site_id, "p_date": day, "p_seq": seq} for day, seq in seen]
    await session.execute(_CLEAR_PENDING, marks)


# --- statements -------------------------------------------------------------------


async def statement_charges(
    session: AsyncSession, *, agreement_id: int, from_date: date, to_date: date
) -> Sequence[Row[date, int, int, int, int, dict[str, Any], int]]:
    """The agreement's custodial charges over [from, to] with their site's owner: (date,
    site, booking, billed minutes, cost, shares, owner), by date, site and booking."""
    rows = await session.execute(
        select(
            CustodialCharge.local_date,
            CustodialCharge.site_id,
            CustodialCharge.booking_id,
            CustodialCharge.billed_minutes,
            CustodialCharge.cost_cents,
            CustodialCharge.shares_cents,
            Site.owner_party_id,
        )
        .join(Site, Site.id == CustodialCharge.site_id)
        .where(
            CustodialCharge.agreement_id == agreement_id,
            CustodialCharge.local_date >= from_date,
            CustodialCharge.local_date <= to_date,
        )
        .order_by(CustodialCharge.local_date, CustodialCharge.site_id, CustodialCharge.booking_id)
    )
    return rows.all()


async def statement_items(
    session: AsyncSession, *, agreement_id: int, from_date: date, to_date: date
) -> Sequence[CostItem]:
    """The agreement's cost items incurred over [from, to] and not void, by date and id."""
    items = await session.scalars(
        select(CostItem)
        .where(
            CostItem.agreement_id == agreement_id,
            CostItem.incurred_on >= from_date,
            CostItem.incurred_on <= to_date,
            CostItem.voided_at.is_(None),
        )
        .order_by(CostItem.incurred_on, CostItem.id)
    )
    return items.all()
