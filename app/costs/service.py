"""Custodial charges kept current, cost items, statements and utilization reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement
from app.bookings.models import Booking
from app.core.auth import Principal, Role, acts_for, require_party_manager
from app.core.db import Database
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.money import largest_remainder
from app.core.pagination import as_int, keyset, page_of
from app.core.sql import Hot
from app.agreements.terms import Terms
from app.core.time import utcnow, weekly_minutes, zone
from app.costs.allocation import CoveringBooking, bill_site_date
from app.costs.models import CostItem, CustodialCharge, PendingSiteDate
from app.costs.schemas import CostItemCreate, GroupBy
from app.parties.models import Party
from app.sites.models import Site, Space

MAX_STATEMENT_DAYS = 366
MAX_REPORT_DAYS = 3660


# --- custodial charges ------------------------------------------------------------


def _shares(snapshot: dict[str, Any], party_a: int, party_b: int) -> tuple[tuple[int, int], ...]:
    """The booking's cost shares (as when it was made) in `party_ids` order."""
    return ((party_a, int(snapshot[str(party_a)])), (party_b, int(snapshot[str(party_b)])))


# Re-billing happens when charges are read (`settle`), not on the hot paths: a change
# only marks its site dates pending, in the same statement or transaction.

def marking(dialect: str, rows: Callable[[Any], Any]) -> Any:
    """An upsert of pending site dates: new ones at seq 1, known ones one seq on.
    `rows` completes the insert (`.values(...)` or `.from_select(...)`)."""
    table = PendingSiteDate.__table__
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    return rows(upsert(table)).on_conflict_do_update(
        index_elements=["site_id", "local_date"], set_={"seq": table.c.seq + 1}
    )


MARK_PENDING = Hot(
    lambda dialect: marking(
        dialect, lambda stmt: stmt.values(site_id=bindparam("site_id"), local_date=bindparam("local_date"), seq=1)
    )
)


async def mark_pending(session: AsyncSession, *, site_id: int, dates: Iterable[date]) -> None:
    """The site dates' charges must be computed again before they are read."""
    rows = [{"site_id": site_id, "local_date": d} for d in sorted(set(dates))]
    if rows:
        await session.execute(MARK_PENDING.statement(session.get_bind().dialect.name), rows)


async def mark_site_from(session: AsyncSession, *, site_id: int, first_day: date) -> None:
    """After a site's custodial hours, rate or zone change: its site dates from
    `first_day` on are pending (earlier ones were billed as things stood then)."""
    booked = select(Booking.local_date).where(
        Booking.site_id == site_id, Booking.local_date >= first_day, Booking.agreement_id.is_not(None)
    )
    charged = select(CustodialCharge.local_date).where(
        CustodialCharge.site_id == site_id, CustodialCharge.local_date >= first_day
    )
    days = await session.scalars(booked.union(charged))
    await mark_pending(session, site_id=site_id, dates=days.all())


_SITE_FOR_BILLING = (
    select(Site.timezone, Site.custodial_hours, Site.custodial_rate_cents_per_hour)
    .where(Site.id == bindparam("site_id"))
    .with_for_update(key_share=True)
)
_DAYS = bindparam("days", expanding=True)
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
        or_(Booking.status == "confirmed", and_(Booking.status == "cancelled", Booking.late_cancellation)),
    )
)
_CLEAR_CHARGES = delete(CustodialCharge.__table__).where(
    CustodialCharge.site_id == bindparam("site_id"), CustodialCharge.local_date.in_(_DAYS)
)
_PENDING_SITES = (
    select(PendingSiteDate.site_id)
    .where(PendingSiteDate.local_date >= bindparam("first"), PendingSiteDate.local_date <= bindparam("last"))
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
_CLEAR_PENDING = delete(PendingSiteDate.__table__).where(
    PendingSiteDate.site_id == bindparam("p_site"),
    PendingSiteDate.local_date == bindparam("p_date"),
    PendingSiteDate.seq == bindparam("p_seq"),
)


async def settle(db: Database, *, first: date, last: date) -> int:
    """Re-bill every pending site date in [first, last] in a transaction of its own
    (see `settle_in`); returns how many there were."""
    async with db.write_sessions() as session:
        settled = await settle_in(session, first=first, last=last)
        await session.commit()
    return settled


async def settle_in(session: AsyncSession, *, first: date, last: date) -> int:
    """Re-bill every pending site date in [first, last] in the caller's transaction.
    Per site: lock the site row (the order every writer of a site follows: site, then
    its pending dates), lock and read its pending dates, re-bill them from the
    bookings committed by then, and clear the marks whose `seq` is unchanged. A
    booking marked meanwhile keeps its date pending for the next reader; two settlers
    take turns on the site lock."""
    params = {"first": first, "last": last}
    settled = 0
    sites = (await session.scalars(_PENDING_SITES, params)).all()
    for site_id in sites:
        site = await _lock_site(session, site_id)
        pending = (await session.execute(_PENDING_OF_SITE, {**params, "site_id": site_id})).all()
        if not pending:
            continue  # settled by another reader meanwhile
        await _rebill(session, site_id, site, [day for day, _ in pending])
        await session.execute(
            _CLEAR_PENDING, [{"p_site": site_id, "p_date": day, "p_seq": seq} for day, seq in pending]
        )
        settled += len(pending)
    return settled


async def _lock_site(session: AsyncSession, site_id: int) -> Any:
    # FOR NO KEY UPDATE: it must not conflict with the key-share locks that inserting
    # a booking takes on its site, or two bookings at one site would deadlock.
    return (await session.execute(_SITE_FOR_BILLING, {"site_id": site_id})).one()


async def _rebill(session: AsyncSession, site_id: int, site: Any, days: list[date]) -> None:
    """Bill the site dates again from the bookings that count in coverage now:
    confirmed agreement bookings and late cancellations. Three statements whatever
    the number of dates."""
    params = {"site_id": site_id, "days": days}
    tz, hours, rate = zone(site[0]), weekly_minutes(site[1]), site[2]
    rows = await session.execute(_COUNTING_BOOKINGS, params)
    by_day: dict[date, list[CoveringBooking]] = defaultdict(list)
    agreement_of: dict[int, int] = {}
    for r in rows.all():
        agreement_of[r.id] = r.agreement_id
        by_day[r.local_date].append(
            CoveringBooking(
                r.id, r.start, r.held_start, r.held_end,
                Terms.of(r.terms).min_callout_minutes,
                _shares(r.cost_shares, r.party_a_id, r.party_b_id),
            )
        )
    await session.execute(_CLEAR_CHARGES, params)
    now = utcnow()
    charges = [
        {
            "booking_id": c.booking_id,
            "agreement_id": agreement_of[c.booking_id],
            "site_id": site_id,
            "local_date": day,
            "beyond_minutes": c.beyond_minutes,
            "billed_minutes": c.billed_minutes,
            "cost_cents": c.cost_cents,
            "shares_cents": {str(p): v for p, v in c.shares_cents.items()},
            "computed_at": now,
        }
        for day, bookings in by_day.items()
        for c in bill_site_date(day, tz, hours, rate, bookings).charges
    ]
    if charges:
        await session.execute(insert(CustodialCharge.__table__), charges)


async def _settled(session: AsyncSession, db: Database, first: date, last: date) -> None:
    if await settle(db, first=first, last=last):
        # A read transaction begun before the settlement (SQLite) would not see it.
        await session.commit()


# --- who reads the money ----------------------------------------------------------


async def readable_agreement(session: AsyncSession, principal: Principal, agreement_id: int) -> Agreement:
    """Statements and cost items: admin, or a manager of either party; others 404."""
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound("no such agreement")
    if principal.is_admin:
        return agreement
    if not any(acts_for(principal, p) for p in agreement.party_ids):
        raise NotFound("no such agreement")
    if principal.role is not Role.manager:
        raise Forbidden("only managers of the agreement's parties read its money")
    return agreement


# --- cost items -------------------------------------------------------------------


async def create_cost_item(
    session: AsyncSession, *, principal: Principal, agreement_id: int, data: CostItemCreate
) -> CostItem:
    agreement = await readable_agreement(session, principal, agreement_id)
    if data.incurred_by_party_id not in agreement.party_ids:
        raise ValidationFailed(["body", "incurred_by_party_id"], "must be one of the agreement's parties")
    # A manager records what its own party spent; an admin records for either.
    require_party_manager(principal, data.incurred_by_party_id)
    if data.site_id is not None and await session.get(Site, data.site_id) is None:
        raise ValidationFailed(["body", "site_id"], f"no site with id {data.site_id}")
    shares = largest_remainder(data.amount_cents, list(agreement.cost_shares.items()))
    item = CostItem(
        agreement_id=agreement.id,
        category=data.category.value,
        amount_cents=data.amount_cents,
        incurred_by_party_id=data.incurred_by_party_id,
        incurred_on=data.incurred_on,
        site_id=data.site_id,
        description=data.description,
        shares_cents={str(p): v for p, v in shares.items()},
        created_by_key_id=principal.key_id,
    )
    session.add(item)
    await session.flush()
    return item


async def get_cost_item(session: AsyncSession, *, principal: Principal, agreement_id: int, item_id: int) -> CostItem:
    await readable_agreement(session, principal, agreement_id)
    item = await session.get(CostItem, item_id)
    if item is None or item.agreement_id != agreement_id:
        raise NotFound("no such cost item")
    return item


async def list_cost_items(
    session: AsyncSession, *, principal: Principal, agreement_id: int, limit: int, cursor: str | None
) -> tuple[Sequence[CostItem], str | None]:
    await readable_agreement(session, principal, agreement_id)
    stmt = keyset(
        select(CostItem).where(CostItem.agreement_id == agreement_id),
        [CostItem.incurred_on, CostItem.id], cursor, limit, [date.fromisoformat, as_int],
    )
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda i: [i.incurred_on.isoformat(), i.id])


# --- statements -------------------------------------------------------------------


def _check_range(from_date: date, to_date: date, max_days: int) -> None:
    if to_date < from_date:
        raise ValidationFailed(["query", "to"], "`to` must not be before `from`")
    if (to_date - from_date).days + 1 > max_days:
        raise ValidationFailed(["query", "to"], f"at most {max_days} days from `from` to `to`")


@dataclass
class StatementData:
    agreement: Agreement
    from_date: date
    to_date: date
    lines: list[dict[str, Any]]
    custodial_minutes: int
    custodial_cost_cents: int
    items_cost_cents: int
    parties: list[dict[str, int]]
    settlement: dict[str, int] | None


async def statement(
    session: AsyncSession, db: Database, *, principal: Principal, agreement_id: int, from_date: date,
    to_date: date,
) -> StatementData:
    """Three queries whatever the period (the agreement, its custodial charges, its
    cost items), after the period's pending site dates are settled. The site owner
    incurs custodial cost; each party's balance is its share minus what it incurred,
    and the settlement squares them."""
    _check_range(from_date, to_date, MAX_STATEMENT_DAYS)
    agreement = await readable_agreement(session, principal, agreement_id)
    await _settled(session, db, from_date, to_date)
    party_ids = agreement.party_ids
    charges = await session.execute(
        select(
            CustodialCharge.local_date, CustodialCharge.site_id, CustodialCharge.booking_id,
            CustodialCharge.billed_minutes, CustodialCharge.cost_cents, CustodialCharge.shares_cents,
            Site.owner_party_id,
        )
        .join(Site, Site.id == CustodialCharge.site_id)
        .where(
            CustodialCharge.agreement_id == agreement.id,
            CustodialCharge.local_date >= from_date,
            CustodialCharge.local_date <= to_date,
        )
        .order_by(CustodialCharge.local_date, CustodialCharge.site_id, CustodialCharge.booking_id)
    )
    items = await session.scalars(
        select(CostItem)
        .where(CostItem.agreement_id == agreement.id, CostItem.incurred_on >= from_date, CostItem.incurred_on <= to_date)
        .order_by(CostItem.incurred_on, CostItem.id)
    )
    incurred = dict.fromkeys(party_ids, 0)
    shares = dict.fromkeys(party_ids, 0)
    lines: list[dict[str, Any]] = []
    minutes = custodial = items_total = 0

    def add(line: dict[str, Any], incurred_by: int) -> None:
        lines.append(line)
        incurred[incurred_by] = incurred.get(incurred_by, 0) + line["amount_cents"]
        for p in party_ids:
            shares[p] += int(line["shares_cents"].get(str(p), 0))

    for day, site_id, booking_id, billed, cost, split, owner in charges.all():
        minutes += billed
        custodial += cost
        add(
            {"date": day, "kind": "custodial", "site_id": site_id, "booking_id": booking_id,
             "cost_item_id": None, "minutes": billed, "amount_cents": cost,
             "shares_cents": {str(p): int(split.get(str(p), 0)) for p in party_ids}},
            owner,
        )
    for item in items.all():
        items_total += item.amount_cents
        add(
            {"date": item.incurred_on, "kind": item.category, "site_id": item.site_id, "booking_id": None,
             "cost_item_id": item.id, "minutes": None, "amount_cents": item.amount_cents,
             "shares_cents": {str(p): int(item.shares_cents.get(str(p), 0)) for p in party_ids}},
            item.incurred_by_party_id,
        )
    lines.sort(key=lambda line: (line["date"], line["kind"] != "custodial", line["site_id"] or 0,
                                 line["booking_id"] or 0, line["cost_item_id"] or 0))
    parties = [
        {"party_id": p, "incurred_cents": incurred[p], "share_cents": shares[p],
         "balance_cents": shares[p] - incurred[p]}
        for p in party_ids
    ]
    owing = next((p for p in parties if p["balance_cents"] > 0), None)
    settlement = None
    if owing is not None:
        other = next(p for p in parties if p is not owing)
        settlement = {"from_party_id": owing["party_id"], "to_party_id": other["party_id"],
                      "amount_cents": owing["balance_cents"]}
    return StatementData(agreement, from_date, to_date, lines, minutes, custodial, items_total, parties, settlement)


# --- utilization ------------------------------------------------------------------


async def utilization(
    session: AsyncSession, db: Database, *, principal: Principal, from_date: date, to_date: date, group_by: GroupBy
) -> list[dict[str, Any]]:
    """Confirmed bookings whose site-local date is in [from, to], summed in SQL. Each
    figure is traceable: `/v1/bookings?status=confirmed&site_id=...` lists the same
    bookings, and their custodial charges are the statement lines."""
    _check_range(from_date, to_date, MAX_REPORT_DAYS)
    if not principal.is_admin and principal.role is not Role.manager:
        raise Forbidden("only admins and managers read reports")
    await _settled(session, db, from_date, to_date)
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
        .where(Booking.status == "confirmed", Booking.local_date >= from_date, Booking.local_date <= to_date)
        .group_by(key, name)
        .order_by(key)
    )
    if join is not None:
        stmt = stmt.join(*join)
    if not principal.is_admin:
        pid = principal.party_id
        stmt = stmt.where(or_(Site.owner_party_id == pid, Booking.party_id == pid))
    rows = await session.execute(stmt)
    return [
        {"key": k, "name": n, "booked_minutes": int(m or 0), "bookings": int(c), "community_minutes": int(cm or 0),
         "rental_fee_waived_cents": int(w or 0), "custodial_cost_cents": int(cc or 0)}
        for k, n, m, c, cm, w, cc in rows.all()
    ]
