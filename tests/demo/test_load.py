"""`jointuse demo-data`: the Sacramento partnership, loaded whole or not at all,
on SQLite and PostgreSQL, into fresh databases (not the rolled-back test ones)."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from app.agreements.models import Agreement, DirectPartner
from app.agreements.schemas import Terms
from app.agreements.terms import LONGEST_ADVANCE_DAYS
from app.bookings.models import Booking, BookingSeries
from app.bookings.recurrence import expand
from app.cli import cli
from app.core.auth import Role
from app.core.config import get_settings
from app.core.db import Base, Database, create_engine
from app.core.heavy import HeavyReads
from app.core.migrate import upgrade
from app.costs.flows import statement
from app.costs.models import CostItem
from app.demo import (
    AgreementSeed,
    BookingSeed,
    CalendarExceptionSeed,
    CostItemSeed,
    DatabaseNotEmpty,
    DatabaseNotMigrated,
    DemoData,
    PartySeed,
    SeriesSeed,
    SiteSeed,
    SpaceSeed,
    load_demo_data,
)
from app.demo import load as demo_load
from app.demo.agreements import blanket_name
from app.demo.calendar import PACIFIC, local_day
from app.demo.catalog import CITY, SCHOOL_DISTRICTS, SCHOOL_LEVEL
from app.demo.load import ADMIN
from app.demo.planner import Planner
from app.keys.service import create_api_key
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space
from app.sites.schemas import CalendarExceptionCreate, SiteCreate, SpaceCreate
from tests.conftest import BACKENDS, PostgresDatabases, settings_for
from tests.demo.conftest import TODAY

SCHOOL_DAYS = ("mon", "tue", "wed", "thu", "fri")
SCUSD = "Sacramento City Unified School District"


# --- fresh databases and reading them back ----------------------------------------


@pytest.fixture(scope="module")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file that tests copy: migrating each one would be slow."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    # Alembic's env runs its own event loop: give it a thread.
    await asyncio.to_thread(upgrade, f"sqlite:///{path}")
    return path


def sqlite_file(path: Path) -> closing[sqlite3.Connection]:
    """A plain connection, closed (and not just committed) at the end of the block."""
    return closing(sqlite3.connect(path, isolation_level=None))


def copy_of(template: Path, directory: Path) -> Path:
    path = directory / f"demo_{secrets.token_hex(3)}.db"
    # The backup API copies a consistent database, WAL or not.
    with sqlite_file(template) as source, sqlite_file(path) as target:
        source.backup(target)
    return path


async def fresh_database(
    backend: str, directory: Path, template: Path, pg_databases: PostgresDatabases
) -> str:
    """A new, migrated, empty database of the backend."""
    if backend == "sqlite":
        return f"sqlite:///{copy_of(template, directory)}"
    url = pg_databases.create(f"_demo_{secrets.token_hex(3)}")
    await asyncio.to_thread(upgrade, url)
    return url


def canonical(data: DemoData) -> DemoData:
    """The demo in name order, so a database's row order does not matter."""
    return DemoData(
        parties=tuple(sorted(data.parties, key=lambda p: p.name)),
        sites=tuple(
            replace(site, spaces=tuple(sorted(site.spaces, key=lambda space: space.name)))
            for site in sorted(data.sites, key=lambda site: site.name)
        ),
        calendar_exceptions=tuple(
            sorted(data.calendar_exceptions, key=lambda e: (e.site, e.start_date, e.kind))
        ),
    )


async def read_back(url: str) -> DemoData:
    """What the database holds, in the demo's own terms (names instead of ids)."""
    db = Database.for_engine(create_engine(settings_for(url)))
    try:
        async with db.read_sessions() as session:
            parties = (await session.scalars(select(Party))).all()
            sites = (await session.scalars(select(Site))).all()
            spaces = (await session.scalars(select(Space))).all()
            exceptions = (await session.scalars(select(CalendarException))).all()
    finally:
        await db.engine.dispose()
    party_names = {p.id: p.name for p in parties}
    site_names = {s.id: s.name for s in sites}
    spaces_of: dict[int, list[SpaceSeed]] = defaultdict(list)
    for space in spaces:
        spaces_of[space.site_id].append(
            SpaceSeed(
                space.name, space.kind, space.capacity, space.standard_rental_rate_cents_per_hour
            )
        )
    return canonical(
        DemoData(
            parties=tuple(PartySeed(p.name, p.kind) for p in parties),
            sites=tuple(
                SiteSeed(
                    name=s.name,
                    kind=s.kind,
                    owner=party_names[s.owner_party_id],
                    address=s.address or "",
                    open_hours=s.open_hours,
                    reserved_hours=s.reserved_hours,
                    custodial_hours=s.custodial_hours,
                    custodial_rate_cents_per_hour=s.custodial_rate_cents_per_hour,
                    spaces=tuple(spaces_of[s.id]),
                    timezone=s.timezone,
                )
                for s in sites
            ),
            calendar_exceptions=tuple(
                CalendarExceptionSeed(
                    site_names[e.site_id], e.kind, e.start_date, e.end_date, e.reason
                )
                for e in exceptions
            ),
        )
    )


async def count_rows(url: str) -> dict[str, int]:
    """Rows of every table, by table name."""
    db = Database.for_engine(create_engine(settings_for(url)))
    try:
        async with db.read_sessions() as session:
            return {
                table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables
            }
    finally:
        await db.engine.dispose()


@dataclass(frozen=True)
class BookingRow:
    """A stored booking in the demo's terms: names, local times."""

    site: str
    site_kind: str
    owner: str
    space: str
    capacity: int
    party: str
    party_kind: str
    agreement: str | None
    agreement_kind: str | None
    status: str
    late_cancellation: bool
    start: datetime
    end: datetime
    held_start: datetime
    held_end: datetime
    booked_at: datetime
    attendance: int


@dataclass(frozen=True)
class SeriesRow:
    purpose: str
    site: str
    party: str
    agreement_kind: str | None
    bookings: int


@dataclass(frozen=True)
class Activity:
    """What the load made through the services: agreements, series, bookings, cost items."""

    agreements: tuple[AgreementSeed, ...]
    series: tuple[SeriesRow, ...]
    bookings: tuple[BookingRow, ...]
    cost_items: tuple[CostItemSeed, ...]

    def agreement(self, name: str) -> AgreementSeed:
        return next(a for a in self.agreements if a.name == name)


def comparable(agreement: AgreementSeed) -> AgreementSeed:
    """Terms as set (defaults left out) and partners in name order."""
    defaults = Terms().model_dump()
    return replace(
        agreement,
        terms=tuple(sorted((k, v) for k, v in agreement.terms if defaults[k] != v)),
        direct_partners=tuple(sorted(agreement.direct_partners)),
    )


async def read_activity(url: str) -> Activity:
    db = Database.for_engine(create_engine(settings_for(url)))
    try:
        async with db.read_sessions() as session:
            parties = {p.id: p for p in (await session.scalars(select(Party))).all()}
            partners: dict[int, list[str]] = defaultdict(list)
            for link in (await session.scalars(select(DirectPartner))).all():
                partners[link.agreement_id].append(parties[link.party_id].name)
            agreements = (await session.scalars(select(Agreement))).all()
            sites = {s.id: s for s in (await session.scalars(select(Site))).all()}
            spaces = {s.id: s for s in (await session.scalars(select(Space))).all()}
            series = (
                await session.execute(
                    select(
                        BookingSeries.purpose,
                        BookingSeries.site_id,
                        BookingSeries.party_id,
                        Agreement.kind,
                        func.count(Booking.id),
                    )
                    .join(Booking, Booking.series_id == BookingSeries.id)
                    .outerjoin(Agreement, Agreement.id == BookingSeries.agreement_id)
                    .group_by(BookingSeries.id, Agreement.kind)
                )
            ).all()
            bookings = (await session.scalars(select(Booking))).all()
            items = (await session.scalars(select(CostItem))).all()
    finally:
        await db.engine.dispose()
    by_id = {a.id: a for a in agreements}

    def name(party_id: int) -> str:
        return parties[party_id].name

    def local(t: datetime) -> datetime:
        return t.astimezone(PACIFIC)

    return Activity(
        agreements=tuple(
            comparable(
                AgreementSeed(
                    name=a.name,
                    kind=a.kind,
                    parties=(name(a.party_a_id), name(a.party_b_id)),
                    status=a.status,
                    starts_on=a.starts_on,
                    ends_on=a.ends_on,
                    direct_partners=tuple(partners[a.id]),
                    terms=tuple(a.terms.items()),
                    cost_shares=(a.share_a_percent, a.share_b_percent),
                )
            )
            for a in agreements
        ),
        series=tuple(
            SeriesRow(purpose, sites[site].name, name(party), kind, n)
            for purpose, site, party, kind, n in series
        ),
        bookings=tuple(
            BookingRow(
                site=sites[b.site_id].name,
                site_kind=sites[b.site_id].kind,
                owner=name(sites[b.site_id].owner_party_id),
                space=spaces[b.space_id].name,
                capacity=spaces[b.space_id].capacity,
                party=name(b.party_id),
                party_kind=parties[b.party_id].kind,
                agreement=by_id[b.agreement_id].name if b.agreement_id else None,
                agreement_kind=by_id[b.agreement_id].kind if b.agreement_id else None,
                status=b.status,
                late_cancellation=b.late_cancellation,
                start=local(b.start),
                end=local(b.end),
                held_start=local(b.held_start),
                held_end=local(b.held_end),
                booked_at=local(b.created_at),
                attendance=b.attendance,
            )
            for b in bookings
        ),
        cost_items=tuple(
            CostItemSeed(
                agreement=by_id[i.agreement_id].name,
                category=i.category,
                amount_cents=i.amount_cents,
                incurred_by=name(i.incurred_by_party_id),
                incurred_on=i.incurred_on,
                description=i.description,
                site=sites[i.site_id].name if i.site_id else None,
            )
            for i in items
        ),
    )


async def add_community_group_with_key(url: str) -> None:
    """Data someone made by hand: a party and an API key that refers to it."""
    db = Database.for_engine(create_engine(settings_for(url)))
    try:
        async with db.write_sessions() as session, session.begin():
            party = Party(name="Hand-made Bowling League", kind="community_group")
            session.add(party)
            await session.flush()
            await create_api_key(session, party_id=party.id, role=Role.partner, name="bowling")
    finally:
        await db.engine.dispose()


# --- one database per backend taken through the command's life --------------------


@dataclass(frozen=True)
class Story:
    """One fresh database taken through the command's life: someone adds their own
    party and key, a load is refused, a forced load replaces everything (the one full
    load: it is the slow part), then a forced load that fails midway changes nothing.
    What each step returned and what the database then held."""

    url: str
    refused: bool
    after_refusal: DemoData
    counts: dict[str, int]
    loaded: DemoData
    rows: dict[str, int]
    activity: Activity
    failed_midway: bool
    rows_after_failed_load: dict[str, int]


async def load_failing_midway(url: str) -> bool:
    """A forced load that breaks once the old rows are deleted and the catalog and
    agreements are written, before the bookings. Says whether it got that far."""
    reached = []

    async def fail(*args: Any, **kwargs: Any) -> dict[str, int]:
        reached.append(True)
        raise RuntimeError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_load, "write_activity", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            await load_demo_data(settings_for(url), force=True, today=TODAY)
    return bool(reached)


async def refused_load(url: str) -> bool:
    try:
        await load_demo_data(settings_for(url), today=TODAY)
    except DatabaseNotEmpty:
        return True
    return False


@pytest.fixture(scope="module", params=BACKENDS)
async def story(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_databases: PostgresDatabases,
) -> Story:
    """Told once per backend (loading is the slow part); tests only read it."""
    url = await fresh_database(
        str(request.param), tmp_path_factory.mktemp("story"), sqlite_template, pg_databases
    )
    await add_community_group_with_key(url)
    refused = await refused_load(url)
    after_refusal = await read_back(url)
    counts = await load_demo_data(settings_for(url), force=True, today=TODAY)
    loaded, rows, activity = await read_back(url), await count_rows(url), await read_activity(url)
    failed_midway = await load_failing_midway(url)
    return Story(
        url=url,
        refused=refused,
        after_refusal=after_refusal,
        counts=counts,
        loaded=loaded,
        rows=rows,
        activity=activity,
        failed_midway=failed_midway,
        rows_after_failed_load=await count_rows(url),
    )


@pytest.fixture
def stored(story: Story) -> DemoData:
    return story.loaded


def parties_of_kind(data: DemoData, kind: str) -> list[str]:
    return [p.name for p in data.parties if p.kind == kind]


def sites_of_kind(data: DemoData, kind: str) -> list[SiteSeed]:
    return [s for s in data.sites if s.kind == kind]


def recesses(data: DemoData, site: str, reason: str) -> list[CalendarExceptionSeed]:
    return [
        e
        for e in data.calendar_exceptions
        if e.site == site and e.kind == "recess" and e.reason.startswith(reason)
    ]


# --- the load stores exactly the built demo ---------------------------------------


def windows(series: SeriesSeed) -> list[tuple[datetime, datetime]]:
    """The series' occurrences, as the API expands them."""
    return expand(
        series.rrule,
        first_start=series.start,
        first_end=series.end,
        tz=PACIFIC,
        latest=series.booked_at + timedelta(days=LONGEST_ADVANCE_DAYS),
        exdates=series.exdates,
    )


def occurrences(series: SeriesSeed) -> int:
    return len(windows(series))


def item_order(item: CostItemSeed) -> tuple[date, str, str, int]:
    return (item.incurred_on, item.agreement, item.description, item.amount_cents)


def test_the_database_holds_exactly_the_built_demo(story: Story, built: DemoData) -> None:
    assert story.loaded == canonical(built)
    assert sorted(story.activity.agreements, key=lambda a: a.name) == sorted(
        map(comparable, built.agreements), key=lambda a: a.name
    )
    assert sorted(story.activity.cost_items, key=item_order) == sorted(
        built.cost_items, key=item_order
    )
    assert len(story.activity.bookings) == len(built.bookings) + sum(map(occurrences, built.series))
    assert story.counts == {
        "parties": len(built.parties),
        "sites": len(built.sites),
        "spaces": sum(len(s.spaces) for s in built.sites),
        "calendar exceptions": len(built.calendar_exceptions),
        "agreements": len(built.agreements),
        "series": len(built.series),
        "bookings": story.rows["bookings"],
        "cost items": len(built.cost_items),
    }


def test_the_services_wrote_every_history_row_and_the_custodial_charges(
    story: Story, built: DemoData
) -> None:
    actions = sum(len(b.actions) for b in built.bookings)
    # and each series its `series.created` (the demo cancels no series)
    assert story.rows["booking_events"] == (
        story.rows["bookings"] + actions + story.rows["booking_series"]
    )
    assert story.rows["custodial_charges"] > 0


# --- the shape of the partnership -------------------------------------------------


def test_the_city_of_sacramento_is_the_one_city(stored: DemoData) -> None:
    assert parties_of_kind(stored, "city") == ["City of Sacramento"]


def test_seven_school_districts_including_sacramento_city_unified(stored: DemoData) -> None:
    districts = parties_of_kind(stored, "school_district")
    assert len(districts) == 7
    assert SCUSD in districts


def test_a_few_charter_schools_including_st_hope(stored: DemoData) -> None:
    charters = parties_of_kind(stored, "charter_school")
    assert 3 <= len(charters) <= 4
    assert "St. HOPE Public Schools" in charters


def test_about_a_dozen_community_groups(stored: DemoData) -> None:
    assert 10 <= len(parties_of_kind(stored, "community_group")) <= 14


def test_about_forty_school_sites_most_of_them_sacramento_city_unified(stored: DemoData) -> None:
    schools = sites_of_kind(stored, "school")
    owners = [s.owner for s in schools]
    assert 35 <= len(schools) <= 45
    assert owners.count(SCUSD) > len(schools) / 2
    assert set(parties_of_kind(stored, "school_district")) <= set(owners)
    assert sum(owner in parties_of_kind(stored, "charter_school") for owner in owners) >= 2


def test_about_eight_city_facilities_all_owned_by_the_city(stored: DemoData) -> None:
    facilities = sites_of_kind(stored, "city_facility")
    assert 6 <= len(facilities) <= 10
    assert {s.owner for s in facilities} == {"City of Sacramento"}
    kinds = {space.kind for s in facilities for space in s.spaces}
    assert {"gym", "pool", "meeting_room", "field", "kitchen", "library"} <= kinds


def test_every_site_has_spaces_and_an_address_in_los_angeles_time(stored: DemoData) -> None:
    for site in stored.sites:
        assert site.spaces, site.name
        assert site.address, site.name
        assert site.timezone == "America/Los_Angeles"


def test_every_school_lends_classrooms_and_a_library(stored: DemoData) -> None:
    for school in sites_of_kind(stored, "school"):
        kinds = [space.kind for space in school.spaces]
        assert kinds.count("classroom") >= 2, school.name
        assert "library" in kinds, school.name


def test_middle_and_high_schools_have_a_gym(stored: DemoData) -> None:
    upper = [s for s in sites_of_kind(stored, "school") if s.name.endswith(("High", "Middle"))]
    assert len(upper) >= 10
    for school in upper:
        assert "gym" in {space.kind for space in school.spaces}, school.name


def test_every_school_reserves_8_to_15_on_weekdays_for_instruction(stored: DemoData) -> None:
    weekdays_8_to_15 = {day: [["08:00", "15:00"]] for day in SCHOOL_DAYS}
    for school in sites_of_kind(stored, "school"):
        assert school.reserved_hours == weekdays_8_to_15, school.name


def test_every_school_opens_6_to_22_on_weekdays_and_saturdays_with_custodians_6_to_18(
    stored: DemoData,
) -> None:
    for school in sites_of_kind(stored, "school"):
        assert all(school.open_hours[day] == [["06:00", "22:00"]] for day in SCHOOL_DAYS)
        assert school.open_hours["sat"] == [["08:00", "18:00"]]
        assert school.custodial_hours == {day: [["06:00", "18:00"]] for day in SCHOOL_DAYS}
    assert any("sun" in s.open_hours for s in sites_of_kind(stored, "school"))


def test_city_facilities_reserve_little_or_nothing(stored: DemoData) -> None:
    for facility in sites_of_kind(stored, "city_facility"):
        assert facility.custodial_hours, facility.name
        for windows in facility.reserved_hours.values():
            assert all(end <= "18:00" and start >= "06:00" for start, end in windows)
            assert len(windows) == 1


def test_custodial_rates_are_35_to_50_dollars_an_hour(stored: DemoData) -> None:
    for site in stored.sites:
        assert 3500 <= site.custodial_rate_cents_per_hour <= 5000, site.name


@pytest.mark.parametrize(("kind", "low", "high"), [("gym", 6000, 12000), ("classroom", 2500, 4000)])
def test_rental_rates_are_what_an_outside_group_would_pay(
    stored: DemoData, kind: str, low: int, high: int
) -> None:
    rates = [sp.standard_rental_rate_cents_per_hour for s in stored.sites for sp in s.spaces]
    assert all(rate > 0 for rate in rates)
    of_kind = [
        sp.standard_rental_rate_cents_per_hour
        for s in stored.sites
        for sp in s.spaces
        if sp.kind == kind
    ]
    assert of_kind and all(low <= rate <= high for rate in of_kind)


def test_every_row_passes_the_api_validation(stored: DemoData) -> None:
    """What the demo stores, a client could have sent: weekly hours in their
    normalized form, known kinds, ordered dates."""
    for site in stored.sites:
        fields = {k: v for k, v in vars(site).items() if k not in ("owner", "spaces")}
        checked = SiteCreate.model_validate({**fields, "owner_party_id": 1})
        assert checked.hours_json() == {
            "open_hours": site.open_hours,
            "reserved_hours": site.reserved_hours,
            "custodial_hours": site.custodial_hours,
        }
        for space in site.spaces:
            SpaceCreate.model_validate(vars(space))
    exceptions = TypeAdapter(list[CalendarExceptionCreate])
    exceptions.validate_python(
        [{k: v for k, v in vars(e).items() if k != "site"} for e in stored.calendar_exceptions]
    )


# --- the school calendar around today ---------------------------------------------


def test_every_school_has_winter_recess_dec_21_to_jan_1_this_year_and_next(
    stored: DemoData,
) -> None:
    for school in sites_of_kind(stored, "school"):
        winters = [(e.start_date, e.end_date) for e in recesses(stored, school.name, "Winter")]
        assert winters == [
            (date(2026, 12, 21), date(2027, 1, 1)),
            (date(2027, 12, 21), date(2028, 1, 1)),
        ]


def test_every_school_has_a_spring_recess_week_in_late_march_or_april(stored: DemoData) -> None:
    for school in sites_of_kind(stored, "school"):
        springs = recesses(stored, school.name, "Spring")
        assert [e.start_date.year for e in springs] == [2027, 2028]
        for e in springs:
            assert e.start_date.weekday() == 0 and (e.end_date - e.start_date).days == 4
            assert date(e.start_date.year, 3, 25) <= e.start_date <= date(e.start_date.year, 4, 30)


def test_every_school_has_summer_recess_mid_june_to_mid_august(stored: DemoData) -> None:
    for school in sites_of_kind(stored, "school"):
        summers = recesses(stored, school.name, "Summer")
        assert [e.start_date.year for e in summers] == [2027, 2028]
        for e in summers:
            assert date(e.start_date.year, 6, 8) <= e.start_date <= date(e.start_date.year, 6, 20)
            assert date(e.end_date.year, 8, 8) <= e.end_date <= date(e.end_date.year, 8, 20)


def test_city_facilities_have_no_recess(stored: DemoData) -> None:
    facilities = {s.name for s in sites_of_kind(stored, "city_facility")}
    assert not [
        e for e in stored.calendar_exceptions if e.kind == "recess" and e.site in facilities
    ]


def test_a_few_sites_close_for_a_week_in_the_weeks_ahead(stored: DemoData) -> None:
    closures = [e for e in stored.calendar_exceptions if e.kind == "closure"]
    assert 3 <= len(closures) <= 8
    assert any("floor refinishing" in e.reason for e in closures)
    for e in closures:
        assert TODAY < e.start_date < TODAY + timedelta(days=365)
        assert (e.end_date - e.start_date).days == 6


# --- the partnership's agreements and activity ------------------------------------


def district_blankets(activity: Activity) -> list[AgreementSeed]:
    return [
        a for a in activity.agreements if a.kind == "blanket" and a.parties[1] in SCHOOL_DISTRICTS
    ]


def community_bookings(activity: Activity) -> list[BookingRow]:
    return [b for b in activity.bookings if b.party_kind == "community_group"]


def test_three_of_the_seven_districts_have_an_active_blanket_agreement(story: Story) -> None:
    blankets = district_blankets(story.activity)
    assert sorted(a.parties[1] for a in blankets) == sorted(SCHOOL_DISTRICTS)
    assert {a.parties[0] for a in blankets} == {CITY}
    active = {a.parties[1] for a in blankets if a.status == "active"}
    assert len(active) == 3 and SCUSD in active
    assert {a.status for a in blankets if a.parties[1] not in active} == {"draft", "terminated"}


def test_most_community_groups_are_direct_partners_of_the_scusd_blanket(story: Story) -> None:
    partners = story.activity.agreement(blanket_name(SCUSD)).direct_partners
    groups = parties_of_kind(story.loaded, "community_group")
    assert set(partners) <= set(groups)
    assert len(partners) > len(groups) / 2


def test_a_charter_school_has_an_active_agreement_with_the_city(story: Story) -> None:
    charters = set(parties_of_kind(story.loaded, "charter_school"))
    assert [
        a
        for a in story.activity.agreements
        if a.parties[0] == CITY
        and a.parties[1] in charters
        and a.status == "active"
        and a.kind in ("blanket", "long_term")
    ]


@pytest.mark.parametrize(
    ("purpose", "sites", "levels"),
    [
        ("START after-school program", 22, {"elementary", "k8"}),
        ("Passages middle school program", 8, {"middle", "k8"}),
        ("4th R child care", 16, {"elementary", "k8"}),
    ],
)
def test_the_programs_run_as_school_year_series_under_long_term_agreements(
    story: Story, purpose: str, sites: int, levels: set[str]
) -> None:
    series = [s for s in story.activity.series if s.purpose == purpose]
    assert len(series) == len({s.site for s in series}) == sites
    assert {SCHOOL_LEVEL[s.site] for s in series} <= levels
    assert {(s.party, s.agreement_kind) for s in series} == {(CITY, "long_term")}
    assert all(150 <= s.bookings <= 500 for s in series)  # school days but recesses


def test_a_few_hundred_community_bookings_by_direct_partners_under_blanket_agreements(
    story: Story,
) -> None:
    bookings = community_bookings(story.activity)
    assert 200 <= len(bookings) <= 500
    assert {(b.site_kind, b.agreement_kind) for b in bookings} == {("school", "blanket")}
    for b in bookings:
        assert (
            b.agreement is not None
            and b.party in story.activity.agreement(b.agreement).direct_partners
        )
    assert len({b.party for b in bookings}) >= 10
    assert {b.start.weekday() for b in bookings} == set(range(7))  # evenings and weekends
    assert sum(b.start.date() < TODAY for b in bookings) > len(bookings) / 2  # history


def test_requests_await_approval_some_were_declined_and_some_cancelled_late(story: Story) -> None:
    bookings = community_bookings(story.activity)
    waiting = [b for b in bookings if b.status == "requested"]
    assert len(waiting) >= 3
    assert all(b.start.date() > TODAY for b in waiting)
    for b in waiting:
        assert b.agreement is not None
        assert ("auto_confirm", False) in story.activity.agreement(b.agreement).terms
    assert [b for b in bookings if b.status == "declined"]
    cancelled = [b for b in bookings if b.status == "cancelled"]
    assert sum(b.late_cancellation for b in cancelled) >= 2
    assert sum(not b.late_cancellation for b in cancelled) >= 2


def test_owners_book_their_own_sites_without_an_agreement(story: Story) -> None:
    own = [b for b in story.activity.bookings if b.party == b.owner]
    assert len(own) >= 20
    assert {(b.agreement, b.status) for b in own} == {(None, "confirmed")}
    assert {CITY, SCUSD} <= {b.party for b in own}


def test_school_districts_book_city_facilities_under_their_blanket_agreements(story: Story) -> None:
    at_city = [
        b
        for b in story.activity.bookings
        if b.site_kind == "city_facility" and b.party_kind == "school_district"
    ]
    assert len(at_city) >= 10
    assert {b.agreement_kind for b in at_city} == {"blanket"}
    assert [s for s in story.activity.series if s.agreement_kind == "blanket"]  # a swim season


def test_cost_items_share_supplies_and_the_capital_items_the_city_funded(story: Story) -> None:
    items = story.activity.cost_items
    assert {i.category for i in items} == {"supplies", "capital", "custodial_adjustment"}
    capital = [i.description for i in items if i.category == "capital" and i.incurred_by == CITY]
    assert "Gym floor refinishing" in capital
    assert capital.count("Play structure replacement") >= 2


def test_a_site_development_agreement_carries_cost_items_and_no_bookings(story: Story) -> None:
    projects = {a.name for a in story.activity.agreements if a.kind == "site_development"}
    assert projects
    assert {i.agreement for i in story.activity.cost_items} & projects
    assert not [b for b in story.activity.bookings if b.agreement in projects]


def test_every_booking_is_under_the_agreement_the_planner_chose(
    story: Story, built: DemoData
) -> None:
    """The planner's choice (the API's `choose_agreement` over the plan) is the one the
    services made, booking by booking: one-off ones and every occurrence of a series."""
    planner = Planner(TODAY, built.sites, built.calendar_exceptions, built.agreements)
    stored = {(b.site, b.space, b.start): b.agreement for b in story.activity.bookings}
    assert len(stored) == len(story.activity.bookings)
    planned: list[tuple[BookingSeed | SeriesSeed, datetime]] = [
        *((b, b.start) for b in built.bookings),
        *((s, start) for s in built.series for start, _ in windows(s)),
    ]
    assert len(planned) == len(stored)
    for seed, start in planned:
        chosen = planner.agreement_for(seed.party, seed.site, local_day(start), seed.agreement)
        expected = None if chosen is None else chosen.name
        assert stored[(seed.site, seed.space, start)] == expected, seed


def test_every_booking_rule_has_an_example(story: Story, built: DemoData) -> None:
    bookings = story.activity.bookings
    others = [b for b in bookings if b.party != b.owner]
    # no-agreement: owners need none, and a group that is no one's partner books nothing.
    partners = {p for a in story.activity.agreements for p in a.direct_partners}
    loners = set(parties_of_kind(story.loaded, "community_group")) - partners
    assert loners and not [b for b in bookings if b.party in loners]
    # agreement-kind: a year of school days needs a long-term agreement; a blanket one
    # carries a season of at most 90 days.
    assert {s.agreement_kind for s in story.activity.series} == {"long_term", "blanket"}
    # owner-priority: programs start as school lets out, and reserved hours do not
    # bind in a recess (a day camp in school hours).
    assert [b for b in others if b.site_kind == "school" and b.start.time() == time(15)]
    assert [
        b for b in others if b.site_kind == "school" and b.start.weekday() < 5 and b.start.hour < 15
    ]
    # site-closed binds others, not the owner.
    closures = [
        (e.site, e.start_date, e.end_date) for e in built.calendar_exceptions if e.kind == "closure"
    ]
    assert [
        b
        for b in bookings
        if b.party == b.owner
        and any(b.site == s and f <= b.start.date() <= t for s, f, t in closures)
    ]
    # conflict: back to back is no overlap.
    holding = sorted(
        (b.site, b.space, b.held_start, b.held_end)
        for b in bookings
        if b.status in ("requested", "confirmed")
    )
    assert [1 for a, b in pairwise(holding) if a[:2] == b[:2] and a[3] == b[2]]
    # notice-too-short and too-far-ahead at their limits.
    assert [b for b in others if b.start - b.booked_at == timedelta(hours=72)]
    assert [
        b for b in others if timedelta(days=360) <= b.start - b.booked_at <= timedelta(days=365)
    ]
    # too-long, over-capacity and outside-open-hours at their limits.
    assert [b for b in bookings if b.end - b.start == timedelta(hours=12)]
    assert [b for b in bookings if b.attendance == b.capacity]
    assert [b for b in bookings if b.held_end.time() == time(22)]


async def test_the_scusd_blanket_statement_of_the_past_months_settles_custodial_and_item_costs(
    story: Story,
) -> None:
    db = Database.for_engine(create_engine(settings_for(story.url)))
    try:
        async with db.read_sessions() as session:
            agreement_id = await session.scalar(
                select(Agreement.id).where(Agreement.name == blanket_name(SCUSD))
            )
            assert agreement_id is not None
            result = await statement(
                session,
                db,
                heavy=HeavyReads(at_once=1, waiting=0),
                principal=ADMIN,
                agreement_id=agreement_id,
                from_date=TODAY - timedelta(days=150),
                to_date=TODAY - timedelta(days=1),
            )
    finally:
        await db.engine.dispose()
    custodial = [line for line in result.lines if line["kind"] == "custodial"]
    assert len(custodial) >= 20
    assert result.custodial_cost_cents == sum(line["amount_cents"] for line in custodial) > 0
    assert result.items_cost_cents > 0
    # Both incur: the district at its schools, the City at its pool and on capital items.
    assert all(p["incurred_cents"] > 0 for p in result.parties)
    assert sum(p["balance_cents"] for p in result.parties) == 0
    assert result.settlement is not None and result.settlement["amount_cents"] > 0


# --- refusing, replacing, all or nothing ------------------------------------------


def test_a_database_with_any_party_is_refused_and_nothing_is_written(story: Story) -> None:
    assert story.refused
    hand_made = PartySeed("Hand-made Bowling League", "community_group")
    assert story.after_refusal == DemoData(parties=(hand_made,), sites=(), calendar_exceptions=())


def test_a_forced_load_replaces_every_table_instead_of_doubling(story: Story) -> None:
    assert "Hand-made Bowling League" not in {p.name for p in story.loaded.parties}
    assert story.rows["parties"] == len(story.loaded.parties)
    assert story.rows["api_keys"] == 0


def test_a_load_that_fails_midway_changes_nothing(story: Story) -> None:
    assert story.failed_midway
    assert story.rows_after_failed_load == story.rows


async def test_a_database_without_the_schema_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotMigrated, match="jointuse migrate"):
        await load_demo_data(settings_for(f"sqlite:///{tmp_path / 'unmigrated.db'}"))


# --- the command ------------------------------------------------------------------

# None unsets a variable for the command, so a developer's exports do not leak in.
UNSET = {"JOINTUSE_ADMIN_KEY": None, "JOINTUSE_LOG_LEVEL": None}


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings are cached per process: the command reads them afresh, from a
    directory with no `.env`."""
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def catalog_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's tests load the catalog and agreements but not the bookings: the
    story loads the whole demo once per backend, and a load is the slow part."""

    async def no_activity(*_args: Any, **_kwargs: Any) -> dict[str, int]:
        return {"series": 0, "bookings": 0}

    monkeypatch.setattr(demo_load, "write_activity", no_activity)


@pytest.fixture
def sqlite_path(
    tmp_path: Path, sqlite_template: Path, fresh_settings: None, catalog_only: None
) -> Path:
    return copy_of(sqlite_template, tmp_path)


def demo_data(path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["demo-data", *args], env={**UNSET, "DATABASE_URL": f"sqlite:///{path}"}
    )


def party_count(path: Path) -> int:
    with sqlite_file(path) as conn:
        return int(conn.execute("SELECT count(*) FROM parties").fetchone()[0])


def add_party(path: Path) -> None:
    """Someone's own data, so the database is not empty."""
    with sqlite_file(path) as conn:
        conn.execute(
            "INSERT INTO parties (name, kind, created_at) "
            "VALUES ('Hand-made Bowling League', 'community_group', datetime('now'))"
        )


def test_cli_loads_the_demo_and_says_what_it_loaded(sqlite_path: Path) -> None:
    result = demo_data(sqlite_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("loaded: 24 parties, 49 sites, ")
    assert "demo data" in result.stderr  # the progress bar's label
    assert party_count(sqlite_path) == 24


def test_cli_refuses_a_non_empty_database_with_a_clear_message(sqlite_path: Path) -> None:
    add_party(sqlite_path)
    result = demo_data(sqlite_path)
    assert result.exit_code != 0
    assert "not empty" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.output
    assert party_count(sqlite_path) == 1


def test_cli_if_empty_succeeds_and_leaves_a_non_empty_database_alone(sqlite_path: Path) -> None:
    add_party(sqlite_path)
    result = demo_data(sqlite_path, "--if-empty")
    assert result.exit_code == 0, result.output
    assert "already has data" in result.stdout
    assert party_count(sqlite_path) == 1


def test_cli_force_replaces_the_data(sqlite_path: Path) -> None:
    add_party(sqlite_path)
    result = demo_data(sqlite_path, "--force")
    assert result.exit_code == 0, result.output
    assert party_count(sqlite_path) == 24
