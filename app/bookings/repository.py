"""The SQL of bookings: the few indexed queries the rules and views need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement, DirectPartner
from app.bookings.models import HOLDING_STATUSES, Booking
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


async def space_context(session: AsyncSession, space_id: int) -> SpaceContext | None:
    row = (
        await session.execute(
            select(
                Space.capacity,
                Space.standard_rental_rate_cents_per_hour,
                Site.id,
                Site.owner_party_id,
                Site.timezone,
                Site.open_hours,
                Site.reserved_hours,
                Site.custodial_hours,
                Site.custodial_rate_cents_per_hour,
            )
            .join(Site, Site.id == Space.site_id)
            .where(Space.id == space_id)
        )
    ).first()
    if row is None:
        return None
    return SpaceContext(
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


async def calendar_ranges(
    session: AsyncSession, site_id: int, first_day: date, last_day: date
) -> tuple[tuple[DateRange, ...], tuple[DateRange, ...]]:
    """(closures, recesses) of a site overlapping [first_day, last_day]."""
    rows = await session.execute(
        select(CalendarException.kind, CalendarException.start_date, CalendarException.end_date).where(
            CalendarException.site_id == site_id,
            CalendarException.start_date <= last_day,
            CalendarException.end_date >= first_day,
        )
    )
    closures: list[DateRange] = []
    recesses: list[DateRange] = []
    for kind, start, end in rows.all():
        (closures if kind == "closure" else recesses).append((start, end))
    return tuple(closures), tuple(recesses)


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


async def candidate_agreements(
    session: AsyncSession, *, owner_party_id: int, party_id: int, first_day: date, last_day: date
) -> list[AgreementFacts]:
    """Active agreements binding the site owner and the party (as a party or a direct
    partner) that overlap [first_day, last_day]; best first."""
    rows = await session.execute(
        select(
            Agreement.id,
            Agreement.kind,
            Agreement.starts_on,
            Agreement.ends_on,
            Agreement.terms,
            Agreement.party_a_id,
            Agreement.share_a_percent,
            Agreement.party_b_id,
            Agreement.share_b_percent,
        ).where(
            Agreement.status == "active",
            or_(Agreement.party_a_id == owner_party_id, Agreement.party_b_id == owner_party_id),
            or_(
                Agreement.party_a_id == party_id,
                Agreement.party_b_id == party_id,
                exists().where(
                    DirectPartner.agreement_id == Agreement.id, DirectPartner.party_id == party_id
                ),
            ),
            Agreement.starts_on <= last_day,
            or_(Agreement.ends_on.is_(None), Agreement.ends_on >= first_day),
        )
    )
    facts = [
        AgreementFacts(r[0], r[1], r[2], r[3], r[4], ((r[5], r[6]), (r[7], r[8]))) for r in rows.all()
    ]
    return sorted(facts, key=lambda a: a.preference)


async def holding_windows(
    session: AsyncSession, space_id: int, lo: datetime, hi: datetime, exclude_id: int | None = None
) -> list[Held]:
    """Held windows of the space's requested/confirmed bookings overlapping [lo, hi),
    sorted by start."""
    stmt = select(Booking.held_start, Booking.held_end).where(
        Booking.space_id == space_id,
        Booking.held_start < hi,
        Booking.held_start > lo - MAX_HELD,
        Booking.held_end > lo,
        Booking.status.in_(HOLDING_STATUSES),
    )
    if exclude_id is not None:
        stmt = stmt.where(Booking.id != exclude_id)
    rows = await session.execute(stmt.order_by(Booking.held_start))
    return [Held(s, e) for s, e in rows.all()]


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


