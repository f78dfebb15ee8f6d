"""Custodial charges kept current, who reads the money, cost items and statements.
The SQL is in `repository`; `flows` gives settling its own unit of work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement
from app.agreements.terms import Terms
from app.core.auth import Principal, Role, acts_for, require_party_manager
from app.core.db import added
from app.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.core.money import largest_remainder
from app.core.pagination import as_int, keyset, page_of
from app.core.schemas import stored
from app.core.time import utcnow, weekly_minutes, zone
from app.costs import repository as repo
from app.costs.allocation import CoveringBooking, bill_site_date
from app.costs.models import CostItem
from app.costs.schemas import CostItemCreate
from app.sites.models import Site

MAX_STATEMENT_DAYS = 366


# --- custodial charges ------------------------------------------------------------


def _shares(snapshot: dict[str, Any], party_a: int, party_b: int) -> tuple[tuple[int, int], ...]:
    """The booking's cost shares (as when it was made) in `party_ids` order."""
    return ((party_a, int(snapshot[str(party_a)])), (party_b, int(snapshot[str(party_b)])))


async def mark_pending(session: AsyncSession, *, site_id: int, dates: Iterable[date]) -> None:
    """The site dates' charges must be computed again before they are read."""
    await repo.mark_pending(session, site_id=site_id, days=sorted(set(dates)))


async def mark_site_from(session: AsyncSession, *, site_id: int, first_day: date) -> None:
    """After a site's custodial hours, rate or zone change: its site dates from
    `first_day` on are pending (earlier ones were billed as things stood then)."""
    days = await repo.billed_dates_from(session, site_id=site_id, first_day=first_day)
    await mark_pending(session, site_id=site_id, dates=days)


async def settle_in(session: AsyncSession, *, first: date, last: date) -> int:
    """Re-bill every pending site date in [first, last] in the caller's transaction
    (never committed here: `flows.settle` gives it a unit of work of its own); returns
    how many there were. Per site: lock the site row (the order every writer of a site
    follows: site, then its pending dates), lock and read its pending dates, re-bill
    them from the bookings committed by then, and clear the marks whose `seq` is
    unchanged. A booking marked meanwhile keeps its date pending for the next reader;
    two settlers take turns on the site lock."""
    settled = 0
    for site_id in await repo.pending_sites(session, first=first, last=last):
        site = await repo.lock_site(session, site_id)
        pending = await repo.lock_pending(session, site_id=site_id, first=first, last=last)
        if not pending:
            continue  # settled by another reader meanwhile
        await _rebill(session, site_id, site, [day for day, _ in pending])
        seen = [(day, seq) for day, seq in pending]
        await repo.clear_pending(session, site_id=site_id, seen=seen)
        settled += len(pending)
    return settled


async def _rebill(
    session: AsyncSession, site_id: int, site: Row[str, dict[str, Any], int], days: list[date]
) -> None:
    """Bill the site dates again from the bookings that count in coverage now:
    confirmed agreement bookings and late cancellations. Three statements whatever
    the number of dates."""
    tz, hours, rate = zone(site[0]), weekly_minutes(site[1]), site[2]
    by_day: dict[date, list[CoveringBooking]] = defaultdict(list)
    agreement_of: dict[int, int] = {}
    for r in await repo.counting_bookings(session, site_id=site_id, days=days):
        agreement_of[r.id] = r.agreement_id
        by_day[r.local_date].append(
            CoveringBooking(
                r.id, r.start, r.held_start, r.held_end,
                Terms.of(r.terms).min_callout_minutes,
                _shares(r.cost_shares, r.party_a_id, r.party_b_id),
            )
        )
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
    await repo.replace_charges(session, site_id=site_id, days=days, charges=charges)


# --- who reads the money ----------------------------------------------------------


async def readable_agreement(
    session: AsyncSession, principal: Principal, agreement_id: int
) -> Agreement:
    """Statements and cost items: admin, or a manager of either party. One answer for
    "not yours", as `GET /v1/agreements/{id}` gives: any other role is refused (403)
    before the agreement is looked up, and a manager gets the same 404 for another
    parties' agreement as for one that does not exist."""
    if not principal.is_admin and principal.role is not Role.manager:
        raise Forbidden("only admins and managers of the agreement's parties read its money")
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None or not (
        principal.is_admin or any(acts_for(principal, p) for p in agreement.party_ids)
    ):
        raise NotFound("no such agreement")
    return agreement


# --- cost items -------------------------------------------------------------------


async def create_cost_item(
    session: AsyncSession, *, principal: Principal, agreement_id: int, data: CostItemCreate
) -> CostItem:
    agreement = await readable_agreement(session, principal, agreement_id)
    if data.incurred_by_party_id not in agreement.party_ids:
        raise ValidationFailed(
            ["body", "incurred_by_party_id"], "must be one of the agreement's parties"
        )
    # A manager records what its own party spent; an admin records for either.
    require_party_manager(principal, data.incurred_by_party_id)
    if data.site_id is not None:
        site = await session.get(Site, data.site_id)
        if site is None or site.owner_party_id not in agreement.party_ids:
            raise ValidationFailed(
                ["body", "site_id"], "must be a site of one of the agreement's parties"
            )
    shares = largest_remainder(data.amount_cents, list(agreement.cost_shares.items()))
    item = CostItem(
        agreement_id=agreement.id,
        **stored(data),
        shares_cents={str(p): v for p, v in shares.items()},
        created_by_key_id=principal.key_id,
    )
    return await added(session, item)


async def get_cost_item(
    session: AsyncSession, *, principal: Principal, agreement_id: int, item_id: int
) -> CostItem:
    await readable_agreement(session, principal, agreement_id)
    item = await session.get(CostItem, item_id)
    if item is None or item.agreement_id != agreement_id:
        raise NotFound("no such cost item")
    return item


async def void_cost_item(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: int,
    item_id: int,
    reason: str,
    now: datetime,
) -> CostItem:
    """A wrong item is voided, never edited: by an admin or a manager of the party that
    recorded it (its incurring party), once; statements leave it out from then on."""
    item = await get_cost_item(
        session, principal=principal, agreement_id=agreement_id, item_id=item_id
    )
    require_party_manager(principal, item.incurred_by_party_id)
    # Conditional, so that of two voids at once one wins and the other is a 409.
    voided = await session.execute(
        update(CostItem)
        .where(CostItem.id == item.id, CostItem.voided_at.is_(None))
        .values(voided_at=now, voided_by_key_id=principal.key_id, void_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], voided).rowcount != 1:
        raise InvalidTransition("the cost item is already void")
    await session.refresh(item)
    return item


async def list_cost_items(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: int,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[CostItem], str | None]:
    await readable_agreement(session, principal, agreement_id)
    stmt = keyset(
        select(CostItem).where(CostItem.agreement_id == agreement_id),
        [CostItem.incurred_on, CostItem.id], cursor, limit, [date.fromisoformat, as_int],
    )
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda i: [i.incurred_on.isoformat(), i.id])


# --- statements -------------------------------------------------------------------


def check_range(from_date: date, to_date: date, max_days: int) -> None:
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


async def statement_agreement(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: int,
    from_date: date,
    to_date: date,
) -> Agreement:
    """The agreement whose statement of [from, to] is asked for: the period bounded
    and the caller allowed before any work is done for it."""
    check_range(from_date, to_date, MAX_STATEMENT_DAYS)
    return await readable_agreement(session, principal, agreement_id)


async def statement(
    session: AsyncSession, *, agreement: Agreement, from_date: date, to_date: date
) -> StatementData:
    """Two queries whatever the period (its custodial charges, its cost items), read
    once its pending site dates are settled (`flows.statement`). The site owner
    incurs custodial cost; each party's balance is its share minus what it incurred,
    and the settlement squares them."""
    party_ids = agreement.party_ids
    charges = await repo.statement_charges(
        session, agreement_id=agreement.id, from_date=from_date, to_date=to_date
    )
    items = await repo.statement_items(
        session, agreement_id=agreement.id, from_date=from_date, to_date=to_date
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

    for day, site_id, booking_id, billed, cost, split, owner in charges:
        minutes += billed
        custodial += cost
        add(
            {"date": day, "kind": "custodial", "site_id": site_id, "booking_id": booking_id,
             "cost_item_id": None, "minutes": billed, "amount_cents": cost,
             "shares_cents": {str(p): int(split.get(str(p), 0)) for p in party_ids}},
            owner,
        )
    for item in items:
        items_total += item.amount_cents
        add(
            {"date": item.incurred_on, "kind": item.category, "site_id": item.site_id,
             "booking_id": None, "cost_item_id": item.id, "minutes": None,
             "amount_cents": item.amount_cents,
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
    return StatementData(
        agreement, from_date, to_date, lines, minutes, custodial, items_total, parties, settlement
    )
