"""Booking series: all occurrences checked together (a bounded number of queries
whatever their number) and written all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.terms import LONGEST_ADVANCE_DAYS
from app.bookings import repository as repo
from app.bookings.access import can_see_booking, require_may_change_booking
from app.bookings.errors import BookingConflict
from app.bookings.models import HOLDING_STATUSES, Booking, BookingEvent, BookingSeries
from app.bookings.recurrence import RecurrenceError, expand
from app.bookings.rules import Occurrence
from app.bookings.schemas import SeriesCreate
from app.bookings.service import (
    STILL_CHANGING,
    WRITE_ATTEMPTS,
    Ask,
    Evaluation,
    counts_in_coverage,
    event,
    event_values,
    judge,
    mark_cancelled,
    new_bookings,
    raise_for,
    read,
    rebill,
)
from app.bookings.views import series_data
from app.core.auth import Principal
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.sql import SessionRunner
from app.core.time import zone
from app.sites.models import Site, Space


class _NotAllWritten(Exception):
    """Some occurrence's guard failed: the series is judged again on fresh facts."""


@dataclass(frozen=True, slots=True)
class Occurrences:
    """A series' occurrences as UTC (start, end) windows, and its site's time zone."""

    tz: ZoneInfo
    windows: list[tuple[datetime, datetime]]


async def occurrences(session: AsyncSession, *, data: SeriesCreate, now: datetime) -> Occurrences:
    """The series' occurrences, expanded in its site's time zone: bounded work, done
    before the series is judged and written (and, on SQLite, before the write lock is
    taken: `bookings.flows.create_series`). No occurrence may start later than the
    longest `max_advance_days` any agreement has; the agreement's own is checked once
    it is known (`write_series`)."""
    tz = await series_zone(session, data.space_id)
    try:
        windows = expand(
            data.rrule,
            first_start=data.start,
            first_end=data.end,
            tz=tz,
            latest=now + timedelta(days=LONGEST_ADVANCE_DAYS),
            exdates=data.exdates,
        )
    except RecurrenceError as exc:
        raise ValidationFailed(["body", "rrule"], str(exc)) from None
    return Occurrences(tz, windows)


async def create_series(
    session: AsyncSession, *, principal: Principal, data: SeriesCreate, now: datetime
) -> tuple[BookingSeries, list[int]]:
    """The series expanded and written in one session (the demo loader, benchmarks;
    the API expands before it takes a write lock: `bookings.flows.create_series`)."""
    planned = await occurrences(session, data=data, now=now)
    return await write_series(session, principal=principal, data=data, planned=planned, now=now)


async def write_series(
    session: AsyncSession,
    *,
    principal: Principal,
    data: SeriesCreate,
    planned: Occurrences,
    now: datetime,
) -> tuple[BookingSeries, list[int]]:
    """The series and every occurrence (`occurrences`), through the booking pipeline,
    all or nothing."""
    windows = planned.windows
    first_day = windows[0][0].astimezone(planned.tz).date()
    last_day = windows[-1][0].astimezone(planned.tz).date()
    ask = Ask(
        data.space_id,
        data.party_id,
        tuple(
            Occurrence(s, e, data.setup_minutes, data.cleanup_minutes, data.attendance)
            for s, e in windows
        ),
        data.purpose,
        data.agreement_id,
        data.rental_fee_cents,
        series_days=(last_day - first_day).days + 1,
    )
    runner = SessionRunner(session)
    for _ in range(WRITE_ATTEMPTS):
        facts = await read(runner, caller=principal, ask=ask, now=now)
        ev = judge(facts, ask, now)
        _refuse_too_far_ahead(ev)
        raise_for(ev.violations)
        try:
            async with session.begin_nested():  # undone unless every occurrence is written
                series = _series_of(data, ev, facts.party_id, principal, now)
                session.add(series)
                await session.flush()
                ids = await repo.insert_bookings(
                    runner, new_bookings(ev, facts, ask, now, series_id=series.id)
                )
                if None in ids:
                    raise _NotAllWritten
                made = [i for i in ids if i is not None]
                session.add(series_event(series, made, "created", principal, now))
        except _NotAllWritten:
            continue
        return series, made
    raise BookingConflict([{"rule": "conflict", "detail": STILL_CHANGING, "start": None}])


def _refuse_too_far_ahead(ev: Evaluation) -> None:
    """Contract section 3: a rule's occurrences are all within `max_advance_days` (of
    the agreement, known once the facts are read), else a 422 `validation-error`."""
    far = next((v for v in ev.violations if v.rule == "too-far-ahead"), None)
    if far is not None and far.start is not None:
        day = far.start.astimezone(ev.ctx.tz).date().isoformat()
        raise ValidationFailed(
            ["body", "rrule"], f"the occurrence of {day} is too far ahead: {far.detail}"
        )


def _series_of(
    data: SeriesCreate, ev: Evaluation, party_id: int, principal: Principal, now: datetime
) -> BookingSeries:
    return BookingSeries(
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
    if row is None or not can_see_booking(
        principal, party_id=row[0].party_id, site_owner_id=row[1]
    ):
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
    session: AsyncSession,
    *,
    principal: Principal,
    series_id: int,
    reason: str | None,
    now: datetime,
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
    ids = await booking_ids(session, series.id)
    session.add(series_event(series, ids, "cancelled", principal, now, reason=reason))
    await session.flush()
    return series, ids


def series_event(
    series: BookingSeries,
    booking_ids: list[int],
    action: str,
    principal: Principal,
    now: datetime,
    **kw: Any,
) -> BookingEvent:
    """A series' own event (its occurrences have theirs), naming no booking."""
    return BookingEvent(
        **event_values(None, series.id, series.status, action, principal, now, **kw),
        data=series_data(series, booking_ids),
    )
