"""The whole demo as plain values: no database, no clock but the `today` given."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

from app.core.time import DEFAULT_TIMEZONE, local_today, zone
from app.demo.agreements import build_agreements
from app.demo.calendar import build_closures, build_recesses, school_years_around
from app.demo.catalog import (
    CHARTER_SCHOOLS,
    CITY,
    CITY_FACILITIES,
    COMMUNITY_GROUPS,
    SCHOOL_DISTRICTS,
    SCHOOLS,
    build_facility,
    build_parties,
    build_school,
    custodial_rates,
)
from app.demo.costs import build_cost_items
from app.demo.examples import rule_examples
from app.demo.planner import Planner
from app.demo.programs import PROGRAM_HOSTS, build_programs, swim_season
from app.demo.seeds import (
    AgreementSeed,
    BookingSeed,
    CalendarExceptionSeed,
    CostItemSeed,
    DemoData,
    SeriesSeed,
    SiteSeed,
)
from app.demo.uses import (
    COMMUNITY_BOOKINGS,
    COMMUNITY_USES,
    OWNER_BOOKINGS,
    OWNER_USES,
    SCHOOL_AT_CITY_BOOKINGS,
    SCHOOL_AT_CITY_USES,
    approved,
    place_uses,
    with_cancellations,
)

# Same seed, same demo: capacities, rates, room numbers and closures never change.
SEED = 1990


def build_activity(
    rng: random.Random,
    today: date,
    sites: Sequence[SiteSeed],
    exceptions: Sequence[CalendarExceptionSeed],
) -> tuple[tuple[AgreementSeed, ...], list[SeriesSeed], list[BookingSeed], list[CostItemSeed]]:
    """Agreements, the programs of the school year under way (booked the week before
    it began), a swim season, then one-off uses around today."""
    year = school_years_around(today)[0]
    agreements = build_agreements(year, PROGRAM_HOSTS)
    planner = Planner(today, sites, exceptions, agreements)
    series = [*build_programs(planner, rng, year), swim_season(planner)]
    examples = rule_examples(planner, rng)
    by_groups = [e for e in examples if e.party in COMMUNITY_GROUPS]
    groups = place_uses(planner, rng, COMMUNITY_USES, COMMUNITY_BOOKINGS - len(by_groups))
    bookings = [
        *examples,
        *with_cancellations(rng, today, approved(planner, groups)),
        *place_uses(planner, rng, OWNER_USES, OWNER_BOOKINGS),
        *approved(planner, place_uses(planner, rng, SCHOOL_AT_CITY_USES, SCHOOL_AT_CITY_BOOKINGS)),
    ]
    return agreements, series, bookings, build_cost_items(rng, today, year)


def build_demo_data(today: date) -> DemoData:
    """The demo partnership; the same for the same `today`."""
    rng = random.Random(SEED)
    rates = custodial_rates(rng, (CITY, *SCHOOL_DISTRICTS, *CHARTER_SCHOOLS))
    schools = tuple(build_school(rng, plan, rates[plan.owner]) for plan in SCHOOLS)
    facilities = tuple(build_facility(rng, plan, rates[CITY]) for plan in CITY_FACILITIES)
    sites = (*schools, *facilities)
    calendar = (*build_recesses(today, schools), *build_closures(rng, today, schools))
    # Its own generator: the catalog stays the same whatever the activity draws.
    agreements, series, bookings, cost_items = build_activity(
        random.Random(f"{SEED}-activity"), today, sites, calendar
    )
    return DemoData(
        parties=build_parties(),
        sites=sites,
        calendar_exceptions=calendar,
        agreements=agreements,
        series=tuple(series),
        bookings=tuple(bookings),
        cost_items=tuple(cost_items),
    )


def sacramento_today() -> date:
    """The one clock the demo reads: the school calendar follows the current year."""
    return local_today(zone(DEFAULT_TIMEZONE))
