"""Booking series: all occurrences checked together (a bounded number of queries
whatever their number) and written all-or-nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings import repository as repo
from app.bookings.models import HOLDING_STATUSES, Booking, BookingSeries
from app.bookings.recurrence import RecurrenceError, expand
from app.bookings.rules import Occurrence
from app.bookings.schemas import SeriesCreate
from app.bookings.service import (
    adds_custodial_time,
    booking_target,
    booking_values,
    conflicts_as_problems,
    counts_in_coverage,
    evaluate,
    event,
    event_values,
    mark_cancelled,
    raise_for,
    rebill,
)
from app.core.auth import Principal, can_see_booking, require_may_change_booking
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.sql import SessionRunner
from app.core.time import zone
from app.sites.models import Site, Space


async def create_series(
    session: AsyncSession, *, principal: Principal, data: SeriesCreate, now: datetime
) -> tuple[BookingSeries, list[int]]:
    party_id = await booking_target(session, principal, data.party_id)
    tz = await series_zone(session, data.space_id)
    try:
        windows = expand(
            data.rrule, first_start=data.start, first_end=data.end, tz=tz, exdates=data.exdates
        )
    except RecurrenceError as exc:
        raise ValidationFailed(["body", "rrule"], str(exc)) from None
    occurrences = [
        Occurrence(s, e, data.setup_minutes, data.cleanup_minutes, data.attendance) for s, e in windows
    ]
    first_day = windows[0][0].astimezone(tz).date()
    last_day = windows[-1][0].astimezone(tz).date()
    ev = await evaluate(
        SessionRunner(session), space_id=data.space_id, party_id=party_id, occurrences=occurrences, now=now,
        agreement_id=data.agreement_id, rental_fee_cents=data.rental_fee_cents,
        series_days=(last_day - first_day).days + 1,
    )
    raise_for(ev.violations)
    series = BookingSeries(
        space_id=ev.ctx.space_id,
        site_id=ev.ctx.site_id,
        party_id=party_id,
        agreement_id=ev.agreement.id if ev.agreement else None,
        rrule=data.rrule.strip(),
        exdates=[e.isoformat() for e in data.exdates],
        start=data.start,
        end=data.end,
        purpose=data.purpose,
        attendance=data.attendance,
        setup_minutes=data.setup_minutes,
        cleanup_minutes=data.cleanup_minutes,
        status="active",
        created_at=now,
        created_by_key_id=principal.key_id,
    )
    session.add(series)
    await session.flush()
    rows = [
        booking_values(ev, occ, quote, purpose=data.purpose, now=now, principal=principal, series_id=series.id)
        for occ, quote in zip(occurrences, ev.quotes, strict=True)
    ]
    async with conflicts_as_problems():
        ids = await repo.insert_series_bookings(
            session, series.id, rows,
            event_values(None, series.id, ev.status, "created", principal, now),
        )
    await rebill(session, series.site_id, [row["local_date"] for row in rows if adds_custodial_time(row)])
    return series, ids


async def series_zone(session: AsyncSession, space_id: int) -> ZoneInfo:
    """The site's time zone, in which the RRULE is expanded."""
    name = await session.scalar(
        select(Site.timezone).join(Space, Space.site_id == Site.id).where(Space.id == space_id)
    )
    if name is None:
        raise ValidationFailed(["body", "space_id"], f"no space with id {space_id}")
    return zone(name)


async def _visible_series(
    session: AsyncSession, principal: Principal, series_id: int, *, for_update: bool = False
) -> tuple[BookingSeries, int]:
    stmt = (
        select(BookingSeries, Site.owner_party_id)
        .join(Site, Site.id == BookingSeries.site_id)
        .where(BookingSeries.id == series_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=BookingSeries, key_share=True)
    row = (await session.execute(stmt)).first()
    if row is None or not can_see_booking(principal, party_id=row[0].party_id, site_owner_id=row[1]):
        raise NotFound("no such booking series")
    return row[0], row[1]


async def booking_ids(session: AsyncSession, series_id: int) -> list[int]:
    rows = await session.scalars(
        select(Booking.id).where(Booking.series_id == series_id).order_by(Booking.start, Booking.id)
    )
    return list(rows.all())


async def get_series(
    session: AsyncSession, *, principal: Principal, series_id: int
) -> tuple[BookingSeries, list[int]]:
    series, _ = await _visible_series(session, principal, series_id)
    return series, await booking_ids(session, series.id)


async def cancel_series(
    session: AsyncSession, *, principal: Principal, series_id: int, reason: str | None, now: datetime
) -> tuple[BookingSeries, list[int]]:
    """Cancels every occurrence not yet started; past ones stay as they were."""
    series, owner_id = await _visible_series(session, principal, series_id, for_update=True)
    require_may_change_booking(principal, party_id=series.party_id, site_owner_id=owner_id)
    if series.status == "cancelled":
        raise InvalidTransition("the series is already cancelled")
    upcoming = (
        await session.scalars(
            select(Booking)
            .where(
                Booking.series_id == series.id,
                Booking.start > now,
                Booking.status.in_(HOLDING_STATUSES),
            )
            .order_by(Booking.start, Booking.id)
            .with_for_update(key_share=True)
        )
    ).all()
    rebilled = set()
    for booking in upcoming:
        counted = counts_in_coverage(booking)
        mark_cancelled(booking, now)
        booking.status = "cancelled"
        booking.updated_at = now
        if counted and not counts_in_coverage(booking):
            rebilled.add(booking.local_date)
        booking.version += 1
        session.add(event(booking, "cancelled", principal, now, reason=reason))
    series.status = "cancelled"
    await session.flush()
    await rebill(session, series.site_id, rebilled)
    return series, await booking_ids(session, series.id)
