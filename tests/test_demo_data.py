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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from app import demo
from app.cli import cli
from app.core.auth import Role
from app.core.config import get_settings
from app.core.db import Base, Database, create_engine
from app.core.migrate import upgrade
from app.demo import (
    CalendarExceptionSeed,
    DatabaseNotEmpty,
    DatabaseNotMigrated,
    DemoData,
    PartySeed,
    SiteSeed,
    SpaceSeed,
    build_demo_data,
    load_demo_data,
    school_years_around,
)
from app.keys.service import create_api_key
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space
from app.sites.schemas import CalendarExceptionCreate, SiteCreate, SpaceCreate
from tests.conftest import BACKENDS, PostgresDatabases, settings_for

# A Monday in the 2026-27 school year: the calendar assertions below are exact for it.
TODAY = date(2026, 11, 23)
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
    """One fresh database taken through the command's life: a load that fails midway,
    a load, a refused load once someone added their own party and key, a forced load.
    What each step returned and what the database then held."""

    rows_after_failed_load: dict[str, int]
    first_counts: dict[str, int]
    first: DemoData
    refused: bool
    after_refusal: DemoData
    forced_counts: dict[str, int]
    after_force: DemoData
    rows_after_force: dict[str, int]


async def load_failing_midway(url: str) -> None:
    """A load whose writing breaks after every row was flushed."""
    write = demo.write_demo_data

    async def write_then_fail(*args: Any, **kwargs: Any) -> dict[str, int]:
        await write(*args, **kwargs)
        raise RuntimeError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "write_demo_data", write_then_fail)
        with pytest.raises(RuntimeError, match="disk full"):
            await load_demo_data(settings_for(url), today=TODAY)


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
    """Told once per backend (fresh databases are the slow part); tests only read it."""
    url = await fresh_database(
        str(request.param), tmp_path_factory.mktemp("story"), sqlite_template, pg_databases
    )
    await load_failing_midway(url)
    rows_after_failed_load = await count_rows(url)
    first_counts = await load_demo_data(settings_for(url), today=TODAY)
    first = await read_back(url)
    await add_community_group_with_key(url)
    refused = await refused_load(url)
    after_refusal = await read_back(url)
    forced_counts = await load_demo_data(settings_for(url), force=True, today=TODAY)
    return Story(
        rows_after_failed_load=rows_after_failed_load,
        first_counts=first_counts,
        first=first,
        refused=refused,
        after_refusal=after_refusal,
        forced_counts=forced_counts,
        after_force=await read_back(url),
        rows_after_force=await count_rows(url),
    )


@pytest.fixture
def stored(story: Story) -> DemoData:
    return story.first


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


def test_the_database_holds_exactly_the_built_demo(story: Story) -> None:
    assert story.first == canonical(build_demo_data(TODAY))
    assert story.first_counts == {
        "parties": len(story.first.parties),
        "sites": len(story.first.sites),
        "spaces": sum(len(s.spaces) for s in story.first.sites),
        "calendar exceptions": len(story.first.calendar_exceptions),
    }


def test_the_same_day_builds_the_same_demo() -> None:
    assert build_demo_data(TODAY) == build_demo_data(TODAY)


def test_another_day_moves_only_the_calendar() -> None:
    later = build_demo_data(TODAY + timedelta(days=200))
    assert later.parties == build_demo_data(TODAY).parties
    assert later.sites == build_demo_data(TODAY).sites


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


@pytest.mark.parametrize(
    ("today", "first_fall"),
    [
        (date(2026, 11, 23), 2026),  # in the school year
        (date(2027, 3, 1), 2026),  # its spring
        (date(2027, 8, 5), 2026),  # its summer recess, still going on
        (date(2027, 8, 20), 2027),  # the next school year has begun
    ],
)
def test_the_calendar_covers_the_school_year_still_in_progress_and_the_next(
    today: date, first_fall: int
) -> None:
    assert [year.fall for year in school_years_around(today)] == [first_fall, first_fall + 1]


def test_a_summer_recess_under_way_is_in_the_calendar() -> None:
    today = date(2027, 8, 5)
    data = build_demo_data(today)
    assert any(
        e.reason.startswith("Summer") and e.start_date <= today <= e.end_date
        for e in data.calendar_exceptions
    )


# --- refusing, replacing, all or nothing ------------------------------------------


def test_a_load_that_fails_midway_writes_nothing(story: Story) -> None:
    assert set(story.rows_after_failed_load.values()) == {0}


def test_a_database_with_any_party_is_refused_and_nothing_is_written(story: Story) -> None:
    assert story.refused
    hand_made = PartySeed("Hand-made Bowling League", "community_group")
    assert story.after_refusal == canonical(
        replace(story.first, parties=(*story.first.parties, hand_made))
    )


def test_a_forced_load_replaces_every_table_instead_of_doubling(story: Story) -> None:
    assert story.forced_counts == story.first_counts
    assert "Hand-made Bowling League" not in {p.name for p in story.after_force.parties}
    assert story.rows_after_force["api_keys"] == 0


def test_every_load_stores_the_same_rows(story: Story) -> None:
    assert story.after_force == story.first


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
def sqlite_path(tmp_path: Path, sqlite_template: Path, fresh_settings: None) -> Path:
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
