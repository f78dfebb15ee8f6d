"""What the demo is made of: plain, frozen values, named rather than numbered
(the database gives the ids when the demo is written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.core.time import DEFAULT_TIMEZONE

WeeklyHours = dict[str, list[list[str]]]


@dataclass(frozen=True)
class PartySeed:
    name: str
    kind: str


@dataclass(frozen=True)
class SpaceSeed:
    name: str
    kind: str
    capacity: int
    standard_rental_rate_cents_per_hour: int


@dataclass(frozen=True)
class SiteSeed:
    name: str
    kind: str
    owner: str  # the owner party's name
    address: str
    open_hours: WeeklyHours
    reserved_hours: WeeklyHours
    custodial_hours: WeeklyHours
    custodial_rate_cents_per_hour: int
    spaces: tuple[SpaceSeed, ...]
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class CalendarExceptionSeed:
    site: str  # the site's name
    kind: str
    start_date: date
    end_date: date
    reason: str


@dataclass(frozen=True)
class AgreementSeed:
    name: str
    kind: str
    parties: tuple[str, str]  # the City first; `cost_shares` follow this order
    status: str
    starts_on: date
    ends_on: date | None = None
    direct_partners: tuple[str, ...] = ()
    terms: tuple[tuple[str, int | bool], ...] = ()  # those that differ from the defaults
    cost_shares: tuple[int, int] = (50, 50)


@dataclass(frozen=True)
class BookingAction:
    """An approve, decline or cancel, taken at `at`."""

    action: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class BookingSeed:
    site: str
    space: str
    party: str
    start: datetime
    end: datetime
    booked_at: datetime  # the request's `now`: the rules judge it as of then
    purpose: str
    attendance: int
    setup_minutes: int = 0
    cleanup_minutes: int = 0
    agreement: str | None = None  # named only where the API's own choice is not the one meant
    actions: tuple[BookingAction, ...] = ()


@dataclass(frozen=True)
class SeriesSeed:
    site: str
    space: str
    party: str
    start: datetime  # the first occurrence
    end: datetime
    rrule: str
    booked_at: datetime
    purpose: str
    attendance: int
    exdates: tuple[datetime, ...] = ()
    agreement: str | None = None


@dataclass(frozen=True)
class CostItemSeed:
    agreement: str
    category: str
    amount_cents: int
    incurred_by: str
    incurred_on: date
    description: str
    site: str | None = None


@dataclass(frozen=True)
class DemoData:
    parties: tuple[PartySeed, ...]
    sites: tuple[SiteSeed, ...]
    calendar_exceptions: tuple[CalendarExceptionSeed, ...]
    agreements: tuple[AgreementSeed, ...] = ()
    series: tuple[SeriesSeed, ...] = ()
    bookings: tuple[BookingSeed, ...] = ()
    cost_items: tuple[CostItemSeed, ...] = ()
