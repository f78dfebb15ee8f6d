"""The SQL of bookings: the few indexed queries the rules and views need."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Select, exists, func, insert, literal, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement, DirectPartner
from app.bookings.models import HOLDING_STATUSES, Booking, BookingEvent
from app.bookings.rules import DateRange, Held, SiteCalendar
from app.core.auth import BookingScope
from app.core.time import WeeklyMinutes, weekly_minutes, zone
from app.sites.models import CalendarException, Site, Space

# A held window lies inside one open-hours window of one local date, so it is at
# most a (25-hour, DST) day long: range scans can start this far before `from`.
MAX_HELD = timedelta(hours=26)
EXCLUSION_VIOLATION = "23P01"


@dataclass(frozen=True, slots=True)
class SpaceContext:
    space_id: int
    capacity: int
    standard_rate_cents_per_hour: int
    site_id: int
    owner_party_id: int
    tz: ZoneInfo
    open_hours: WeeklyMinutes
    reserved_hours: WeeklyMinutes
    custodial_hours: WeeklyMinutes
    custodial_rate_cents_per_hour: int

    def calendar(self, closures: tuple[DateRange, ...], recesses: tuple[DateRange, ...]) -> SiteCalendar:
        return SiteCalendar(self.tz, self.open_hours, self.reserved_hours, closures, recesses)


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    id: int
    kind: str
    starts_on: date
    ends_on: date | None
    terms: dict[str, Any]
    shares: tuple[tuple[int, int], tuple[int, int]]  # (party_id, percent) in party_ids order

    def covers(self, first_day: date, last_day: date) -> bool:
        return self.starts_on <= first_day and (self.ends_on is None or last_day <= self.ends_on)

    @property
    def preference(self) -> tuple[bool, bool, date, int]:
        """A blanket agreement first, then the one that started first; site development
        agreements (which carry no bookings) last."""
        return (self.kind == "site_development", self.kind != "blanket", self.starts_on, self.id)


def _json_rows(dialect: str, *columns: Any) -> Any:
    """An aggregate of rows as a JSON array of arrays (one round trip for many facts)."""
    if dialect == "postgresql":
        return func.json_agg(func.json_build_array(*columns))
    # SQLite keeps JSON text as JSON only when it comes from a json function.
    return func.json_group_array(func.json_array(*columns))


def _json_value(dialect: str, column: Any) -> Any:
    return column if dialect == "postgresql" else func.json(column)


def _instant(value: str) -> datetime:
    # PostgreSQL renders timestamptz with an offset; SQLite stores naive UTC text.
    t = datetime.fromisoformat(value)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What the rules need about one space over a window, read in one round trip."""

    ctx: SpaceContext
    closures: tuple[DateRange, ...]
    recesses: tuple[DateRange, ...]
    agreements: list[AgreementFacts]  # best first
    held: list[Held]  # holding bookings of the space, sorted by start

    @property
    def calendar(self) -> SiteCalendar:
        return self.ctx.calendar(self.closures, self.recesses)


async def booking_facts(
    session: AsyncSession,
    *,
    space_id: int,
    lo: datetime,
    hi: datetime,
    party_id: int | None = None,
    exclude_id: int | None = None,
) -> BookingFacts | None:
    """The space and its site, the site's calendar around [lo, hi), the active
    agreements binding the owner and `party_id` (if given), and the held windows
    overlapping [lo, hi), all in one statement whatever the amount of data."""
    dialect = session.get_bind().dialect.name
    # Local dates are within a day of UTC ones; rules filter precisely afterwards.
    first_day, last_day = (lo - timedelta(days=1)).date(), (hi + timedelta(days=1)).date()
    calendar = (
        select(_json_rows(dialect, CalendarException.kind, CalendarException.start_date, CalendarException.end_date))
        .where(
            CalendarException.site_id == Site.id,
            CalendarException.start_date <= last_day,
            CalendarException.end_date >= first_day,
        )
        .scalar_subquery()
    )
    held = select(_json_rows(dialect, Booking.held_start, Booking.held_end)).where(
        Booking.space_id == space_id,
        Booking.held_start < hi,
        Booking.held_start > lo - MAX_HELD,
        Booking.held_end > lo,
        Booking.status.in_(HOLDING_STATUSES),
    )
    if exclude_id is not None:
        held = held.where(Booking.id != exclude_id)
    columns: list[Any] = [
        Space.capacity,
        Space.standard_rental_rate_cents_per_hour,
        Site.id,
        Site.owner_party_id,
        Site.timezone,
        Site.open_hours,
        Site.reserved_hours,
        Site.custodial_hours,
        Site.custodial_rate_cents_per_hour,
        type_coerce(calendar, JSON),
        type_coerce(held.scalar_subquery(), JSON),
    ]
    if party_id is not None:
        agreements = select(
            _json_rows(
                dialect,
                Agreement.id,
                Agreement.kind,
                Agreement.starts_on,
                Agreement.ends_on,
                _json_value(dialect, Agreement.terms),
                Agreement.party_a_id,
                Agreement.share_a_percent,
                Agreement.party_b_id,
                Agreement.share_b_percent,
            )
        ).where(
            Agreement.status == "active",
            or_(Agreement.party_a_id == Site.owner_party_id, Agreement.party_b_id == Site.owner_party_id),
            or_(
                Agreement.party_a_id == party_id,
                Agreement.party_b_id == party_id,
                exists().where(DirectPartner.agreement_id == Agreement.id, DirectPartner.party_id == party_id),
            ),
            Agreement.starts_on <= last_day,
            or_(Agreement.ends_on.is_(None), Agreement.ends_on >= first_day),
        )
        columns.append(type_coerce(agreements.scalar_subquery(), JSON))
    row = (
        await session.execute(
            select(*columns).join(Site, Site.id == Space.site_id).where(Space.id == space_id)
        )
    ).first()
    if row is None:
        return None
    ctx = SpaceContext(
        space_id=space_id,
        capacity=row[0],
        standard_rate_cents_per_hour=row[1],
        site_id=row[2],
        owner_party_id=row[3],
        tz=zone(row[4]),
        open_hours=weekly_minutes(row[5]),
        reserved_hours=weekly_minutes(row[6]),
        custodial_hours=weekly_minutes(row[7]),
        custodial_rate_cents_per_hour=row[8],
    )
    closures: list[DateRange] = []
    recesses: list[DateRange] = []
    for kind, start, end in row[9] or ():
        (closures if kind == "closure" else recesses).append((date.fromisoformat(start), date.fromisoformat(end)))
    windows = sorted((Held(_instant(s), _instant(e)) for s, e in row[10] or ()), key=lambda h: h.start)
    found = [
        AgreementFacts(
            r[0], r[1], date.fromisoformat(r[2]), date.fromisoformat(r[3]) if r[3] else None,
            r[4] if isinstance(r[4], dict) else json.loads(r[4]), ((r[5], r[6]), (r[7], r[8])),
        )
        for r in (row[11] if party_id is not None else None) or ()
    ]
    return BookingFacts(
        ctx, tuple(closures), tuple(recesses), sorted(found, key=lambda a: a.preference), windows
    )


async def insert_booking(session: AsyncSession, booking: dict[str, Any], event: dict[str, Any]) -> int:
    """Insert a booking and its `created` history row; one round trip on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        new = insert(Booking).values(**booking).returning(Booking.id).cte("new_booking")
        fields = {k: v for k, v in event.items() if k != "booking_id"}
        columns = [BookingEvent.__table__.c[k] for k in fields]
        stmt = insert(BookingEvent).from_select(
            ["booking_id", *fields],
            select(new.c.id, *(literal(v, c.type) for v, c in zip(fields.values(), columns, strict=True))),
        ).returning(BookingEvent.booking_id)
        return int((await session.execute(stmt)).scalar_one())
    booking_id = int((await session.execute(insert(Booking).values(**booking).returning(Booking.id))).scalar_one())
    await session.execute(insert(BookingEvent).values(**{**event, "booking_id": booking_id}))
    return booking_id


async def insert_series_bookings(
    session: AsyncSession, series_id: int, bookings: list[dict[str, Any]], event: dict[str, Any]
) -> list[int]:
    """A series' bookings and their `created` history rows in three statements
    (two batched inserts and one read of the new ids), whatever their number."""
    await session.execute(insert(Booking), bookings)
    ids = list(
        (
            await session.scalars(
                select(Booking.id).where(Booking.series_id == series_id).order_by(Booking.start, Booking.id)
            )
        ).all()
    )
    await session.execute(insert(BookingEvent), [{**event, "booking_id": i} for i in ids])
    return ids


def visible(stmt: Select[Any], scope: BookingScope | None) -> Select[Any]:
    """Restrict a bookings query to what a key may see."""
    if scope is None:
        return stmt
    own = Booking.party_id == scope.party_id
    if not scope.with_owned_sites:
        return stmt.where(own)
    owned_sites = select(Site.id).where(Site.owner_party_id == scope.party_id)
    return stmt.where(or_(own, Booking.site_id.in_(owned_sites)))


async def booking_with_owner(
    session: AsyncSession, booking_id: int, *, for_update: bool = False
) -> tuple[Booking, int] | None:
    stmt = (
        select(Booking, Site.owner_party_id)
        .join(Site, Site.id == Booking.site_id)
        .where(Booking.id == booking_id)
    )
    if for_update:
        # Serializes approve/decline/cancel/change of one booking (PostgreSQL; SQLite
        # write transactions are already exclusive).
        stmt = stmt.with_for_update(of=Booking)
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


def is_exclusion_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return code == EXCLUSION_VIOLATION


