"""The booking rules of contract section 4, each a small pure function named after
the rule code it reports. Inputs are plain values: instants in UTC, a site's weekly
hours in local wall-clock minutes, its calendar, the agreement's terms and `now`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.agreements.terms import DEFAULT_TERMS, Terms
from app.core.time import WeeklyMinutes, day_windows_utc, local_days

DateRange = tuple[date, date]  # inclusive, site-local


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    detail: str
    start: datetime | None = None


@dataclass(frozen=True, slots=True)
class Held:
    """A held window [start, end): the booking plus its setup and cleanup."""

    start: datetime
    end: datetime

    def overlaps(self, other: Held) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class SiteCalendar:
    tz: ZoneInfo
    open_hours: WeeklyMinutes
    reserved_hours: WeeklyMinutes
    closures: tuple[DateRange, ...] = ()
    recesses: tuple[DateRange, ...] = ()

    def _in(self, day: date, ranges: Iterable[DateRange]) -> bool:
        return any(first <= day <= last for first, last in ranges)

    def closed_on(self, day: date) -> bool:
        return self._in(day, self.closures)

    def in_recess(self, day: date) -> bool:
        return self._in(day, self.recesses)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The booking (or one occurrence of a series) under check."""

    start: datetime
    end: datetime
    setup_minutes: int = 0
    cleanup_minutes: int = 0
    attendance: int = 0
    held: Held = field(init=False, repr=False, compare=False)  # with setup and cleanup

    def __post_init__(self) -> None:
        held = Held(
            self.start - timedelta(minutes=self.setup_minutes),
            self.end + timedelta(minutes=self.cleanup_minutes),
        )
        object.__setattr__(self, "held", held)


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# --- the rules ----------------------------------------------------------------


def rental_fee_prohibited(rental_fee_cents: int) -> Violation | None:
    if rental_fee_cents > 0:
        return Violation("rental-fee-prohibited", "the joint-use agreement charges no rental fees")
    return None


def outside_open_hours(held: Held, cal: SiteCalendar) -> Violation | None:
    """The held window must lie inside one open-hours window (touching windows count as
    one) of the site's local date on which it starts."""
    day = held.start.astimezone(cal.tz).date()
    for start, end in day_windows_utc(day, cal.open_hours, cal.tz, merge_touching=True):
        if start <= held.start and held.end <= end:
            return None
    return Violation(
        "outside-open-hours",
        f"held window {_local(held.start, cal.tz)} to {_local(held.end, cal.tz)} (site time) "
        "is not inside the site's open hours",
    )


def owner_priority(held: Held, cal: SiteCalendar) -> Violation | None:
    """A non-owner may not overlap the owner's reserved hours, except during a recess."""
    for day in local_days(held.start, held.end, cal.tz):
        if cal.in_recess(day):
            continue
        for start, end in day_windows_utc(day, cal.reserved_hours, cal.tz):
            if held.overlaps(Held(start, end)):
                return Violation(
                    "owner-priority",
                    f"overlaps the owner's reserved hours {_local(start, cal.tz)} to "
                    f"{_local(end, cal.tz)[11:]} (site time)",
                )
    return None


def site_closed(held: Held, cal: SiteCalendar) -> Violation | None:
    for day in local_days(held.start, held.end, cal.tz):
        if cal.closed_on(day):
            return Violation("site-closed", f"the site is closed on {day.isoformat()}")
    return None


def conflict(held: Held, others: Iterable[Held]) -> Violation | None:
    for other in others:
        if held.overlaps(other):
            return Violation(
                "conflict",
                f"overlaps another booking of the space held from {other.start.isoformat()} "
                f"to {other.end.isoformat()}",
            )
    return None


def notice_too_short(start: datetime, now: datetime, terms: Terms) -> Violation | None:
    if start - now < timedelta(hours=terms.min_notice_hours):
        return Violation(
            "notice-too-short", f"bookings need {terms.min_notice_hours} hours' notice"
        )
    return None


def too_far_ahead(start: datetime, now: datetime, terms: Terms) -> Violation | None:
    if start - now > timedelta(days=terms.max_advance_days):
        return Violation(
            "too-far-ahead", f"bookings open at most {terms.max_advance_days} days ahead"
        )
    return None


def too_long(start: datetime, end: datetime, terms: Terms) -> Violation | None:
    minutes = (end - start) / timedelta(minutes=1)
    if minutes > terms.max_occurrence_minutes:
        return Violation(
            "too-long",
            f"{minutes:g} minutes is longer than the {terms.max_occurrence_minutes} allowed",
        )
    return None


def over_capacity(attendance: int, capacity: int) -> Violation | None:
    if attendance > capacity:
        return Violation("over-capacity", f"attendance {attendance} exceeds capacity {capacity}")
    return None


def agreement_kind(
    kind: str, series_days: int | None, terms: Terms
) -> Violation | None:
    """Site development agreements carry no bookings; a blanket agreement covers
    series of at most `max_series_days` (a year-long program needs a long-term one)."""
    if kind == "site_development":
        return Violation("agreement-kind", "a site development agreement covers no bookings")
    if kind == "blanket" and series_days is not None and series_days > terms.max_series_days:
        return Violation(
            "agreement-kind",
            f"the series spans {series_days} days; a blanket agreement allows "
            f"{terms.max_series_days}: use a long_term agreement",
        )
    return None


# --- all together -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything the rules look at for one occurrence."""

    occurrence: Occurrence
    calendar: SiteCalendar
    capacity: int
    now: datetime
    is_owner: bool
    terms: Terms = DEFAULT_TERMS
    covered: bool = False  # an agreement covers this occurrence (irrelevant for the owner)
    rental_fee_cents: int = 0
    others: Sequence[Held] = field(default_factory=tuple)


def check(s: Situation) -> list[Violation]:
    """Every per-occurrence rule at once, in the contract's table order. (`agreement-kind`
    concerns the agreement and the whole series: the caller checks it once.)"""
    occ, held = s.occurrence, s.occurrence.held
    found: list[Violation | None] = [rental_fee_prohibited(s.rental_fee_cents)]
    if not s.is_owner and not s.covered:
        found.append(
            Violation(
                "no-agreement",
                "no active agreement covers this party and the site's owner on these dates",
            )
        )
    found.append(outside_open_hours(held, s.calendar))
    if not s.is_owner:
        found.append(owner_priority(held, s.calendar))
        found.append(site_closed(held, s.calendar))
    found.append(conflict(held, s.others))
    if not s.is_owner:
        found.append(notice_too_short(occ.start, s.now, s.terms))
    found.append(too_far_ahead(occ.start, s.now, s.terms))
    found.append(too_long(occ.start, occ.end, s.terms))
    found.append(over_capacity(occ.attendance, s.capacity))
    start = occ.start
    return [
        Violation(v.rule, v.detail, start) if v.start is None else v for v in found if v is not None
    ]
