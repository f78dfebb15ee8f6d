"""Bookings that show every booking rule at work: at its limits, or its exceptions."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.demo.calendar import at, days_between, is_holiday, local_day
from app.demo.catalog import (
    BASKETBALL,
    CHESS,
    FOOTBALL,
    GIRL_SCOUTS,
    OAK_PARK,
    SCHOOL_OWNER,
    SCHOOLS,
    SCOUTS,
    SCUSD,
    SWIM_CLUB,
    TWIN_RIVERS,
)
from app.demo.planner import Planner
from app.demo.seeds import BookingAction, BookingSeed


def first_fit(
    planner: Planner, candidates: Iterable[Sequence[BookingSeed]], what: str
) -> list[BookingSeed]:
    """The first candidate bookings that all pass the rules, planned together."""
    for seeds in candidates:
        if seeds and all(
            not is_holiday(local_day(s.start)) and not planner.problems(s) for s in seeds
        ):
            for s in seeds:
                planner.hold(s)
            return list(seeds)
    raise ValueError(f"found no place for {what}")


def schools_with(planner: Planner, owner: str, level: str, space: str) -> list[str]:
    return [
        p.name
        for p in SCHOOLS
        if p.owner == owner and p.level == level and (p.name, space) in planner.spaces
    ]


BookedAt = datetime | Callable[[date], datetime] | None


@dataclass(frozen=True)
class OneOff:
    """A one-off use to place at some site on some day. `hours` as "HH:MM-HH:MM";
    attendance None: a full house; booked ahead as usual unless `booked_at` says when
    (or how, from the day)."""

    space: str
    party: str
    hours: str
    purpose: str
    attendance: int | None
    booked_at: BookedAt = None
    cleanup_minutes: int = 0


class Examples:
    """Plans the rule examples, each at the first site and day where it passes."""

    def __init__(self, planner: Planner, rng: random.Random) -> None:
        self.planner, self.rng = planner, rng
        self.found: list[BookingSeed] = []

    def booking(self, site: str, day: date, use: OneOff) -> BookingSeed:
        booked_at = use.booked_at(day) if callable(use.booked_at) else use.booked_at
        capacity = self.planner.spaces[(site, use.space)].capacity
        return BookingSeed(
            site=site,
            space=use.space,
            party=use.party,
            start=at(day, use.hours[:5]),
            end=at(day, use.hours[6:]),
            booked_at=booked_at or self.planner.booked_ahead(self.rng, day),
            purpose=use.purpose,
            attendance=capacity if use.attendance is None else use.attendance,
            cleanup_minutes=use.cleanup_minutes,
        )

    def fit(self, what: str, candidates: Iterable[Sequence[BookingSeed]]) -> None:
        self.found.extend(first_fit(self.planner, candidates, what))

    def fit_one(
        self, what: str, sites: Iterable[str], days: Iterable[date], use: OneOff
    ) -> BookingSeed:
        """The booking on the first of `days`, at the first of `sites`, where it fits."""
        sites = list(sites)
        self.fit(what, ([self.booking(site, day, use)] for day in days for site in sites))
        return self.found[-1]


def rule_examples(planner: Planner, rng: random.Random) -> list[BookingSeed]:
    """Bookings that show the rules at work: at their limits, or their exceptions."""
    today, ex = planner.today, Examples(planner, rng)
    soon = [today + timedelta(days=n) for n in range(10, 130)]
    weeks_ago = [today - timedelta(days=n) for n in range(14, 100)]
    saturdays = [d for d in soon if d.weekday() == 5]
    three_days_ago = at(today - timedelta(days=3), "10:00")
    high = schools_with(planner, SCUSD, "high", "Main Gym")
    calendar = planner.calendars[high[0]]  # one district, one school calendar
    recess = [d for d in soon if d.weekday() < 5 and calendar.in_recess(d) and not is_holiday(d)]

    # owner-priority does not bind in a recess: a day camp in school hours, and a
    # tournament as long as too-long allows (12 hours).
    camp = OneOff("Main Gym", BASKETBALL, "09:00-15:00", "Basketball camp in the recess", 60)
    ex.fit("a recess camp", ([ex.booking(site, d, camp) for d in recess[:3]] for site in high))
    ex.fit_one(
        "a 12-hour tournament",
        reversed(high),
        recess,
        OneOff("Main Gym", BASKETBALL, "09:00-21:00", "Holiday Classic tournament", 600),
    )
    # conflict: back to back is no overlap.
    games = OneOff("Gym", BASKETBALL, "08:00-12:00", "Youth basketball games", 120)
    fundraiser = OneOff("Gym", SCOUTS, "12:00-16:00", "Troop 50 dodgeball fundraiser", 80)
    ex.fit(
        "back-to-back bookings",
        (
            [ex.booking(site, d, games), ex.booking(site, d, fundraiser)]
            for d in saturdays
            for site in schools_with(planner, SCUSD, "middle", "Gym")
        ),
    )
    # too-far-ahead: a jamboree booked a year ahead, to the day.
    a_year_on = today - timedelta(days=3) + timedelta(days=365)
    ex.fit_one(
        "a booking a year ahead",
        high,
        [
            d
            for d in days_between(a_year_on - timedelta(days=35), a_year_on)[::-1]
            if d.weekday() == 5
        ],
        OneOff(
            "Stadium Field",
            FOOTBALL,
            "08:00-18:00",
            "Season kickoff jamboree",
            1200,
            booked_at=three_days_ago,
        ),
    )
    # notice-too-short: booked 72 hours ahead, the shortest notice.
    ex.fit_one(
        "a booking at the shortest notice",
        schools_with(planner, SCUSD, "elementary", "Library"),
        weeks_ago,
        OneOff(
            "Library",
            CHESS,
            "18:30-21:00",
            "Chess club night",
            20,
            booked_at=lambda d: at(d, "18:30") - timedelta(hours=72),
        ),
    )
    # over-capacity: a full house.
    ex.fit_one(
        "a full house",
        schools_with(planner, SCUSD, "middle", "Multipurpose Room"),
        weeks_ago,
        OneOff("Multipurpose Room", OAK_PARK, "18:30-20:30", "Town hall on public safety", None),
    )
    # outside-open-hours: cleaned up by closing time (22:00).
    ex.fit_one(
        "a booking cleaned up at closing time",
        schools_with(planner, SCUSD, "high", "Pool"),
        weeks_ago,
        OneOff("Pool", SWIM_CLUB, "20:00-21:45", "Masters swim practice", 30, cleanup_minutes=15),
    )
    # Twin Rivers approves each use (auto_confirm off): three wait, one was declined.
    tr_high = schools_with(planner, TWIN_RIVERS, "high", "Main Gym")
    waiting = [
        (
            schools_with(planner, TWIN_RIVERS, "elementary", "Library"),
            [d for d in soon if d.weekday() < 5],
            OneOff("Library", GIRL_SCOUTS, "18:30-20:00", "Troop meeting", 20, three_days_ago),
        ),
        (
            tr_high,
            saturdays,
            OneOff(
                "Main Gym", BASKETBALL, "09:00-14:00", "Youth basketball games", 150, three_days_ago
            ),
        ),
        (
            tr_high,
            saturdays,
            OneOff(
                "Stadium Field",
                FOOTBALL,
                "09:00-13:00",
                "Youth football games",
                250,
                three_days_ago,
            ),
        ),
    ]
    for sites, days, use in waiting:
        ex.fit_one("a request awaiting approval", sites, days, use)
    request = ex.fit_one(
        "a declined request",
        schools_with(planner, TWIN_RIVERS, "high", "Pool"),
        [d for d in weeks_ago if d.weekday() < 5],
        OneOff("Pool", SWIM_CLUB, "18:30-20:30", "Swim team practice", 40),
    )
    decline = BookingAction(
        "decline", request.booked_at + timedelta(days=1), "The pool is closed for repairs that week"
    )
    ex.found[-1] = replace(request, actions=(decline,))
    # site-closed binds others, not the owner: contractors stage in the gym.
    closure = next(e for e in planner.closures if e.reason == "HVAC replacement")
    owner, gym = SCHOOL_OWNER[closure.site], planner.space_of(closure.site, ("gym",)).name
    ex.fit_one(
        "an owner's use of its closed site",
        [closure.site],
        [closure.start_date],
        OneOff(gym, owner, "07:00-17:00", "Contractor staging for HVAC work", 10, three_days_ago),
    )
    return ex.found
