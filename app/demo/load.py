"""Writing the demo to the database: the catalog as rows, the activity through the
services the API calls; `load_demo_data` is the `jointuse demo-data` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import typer
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

import app.models  # noqa: F401  (registers every table, so clearing covers them all)
from app.agreements.schemas import AgreementCreate
from app.agreements.service import create_agreement
from app.bookings.schemas import BookingCreate, SeriesCreate
from app.bookings.series import create_series
from app.bookings.service import act, create_booking
from app.core.auth import Principal, Role
from app.core.config import Settings
from app.core.db import Base, Database, create_engine
from app.core.errors import DomainError
from app.costs.schemas import CostCategory, CostItemCreate
from app.costs.service import create_cost_item, settle_in
from app.demo.build import build_demo_data, sacramento_today
from app.demo.seeds import BookingAction, BookingSeed, DemoData, SeriesSeed, SiteSeed
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space


class DatabaseNotEmpty(Exception):
    """The database already holds parties; demo data would mix with real data."""


class DatabaseNotMigrated(Exception):
    """The database has no jointuse tables: `jointuse migrate` comes first."""


Advance = Callable[[str], None]


async def has_schema(session: AsyncSession) -> bool:
    conn = await session.connection()
    return await conn.run_sync(lambda sync: inspect(sync).has_table(Party.__tablename__))


async def database_is_empty(session: AsyncSession) -> bool:
    return await session.scalar(select(Party.id).limit(1)) is None


async def clear_all_tables(session: AsyncSession) -> None:
    """Every row of every table, children first, including tables added later."""
    for table in reversed(Base.metadata.sorted_tables):
        await session.execute(table.delete())


def columns(seed: Any, *naming: str) -> dict[str, Any]:
    """A seed's fields as its row's columns: all but those `naming` other seeds."""
    return {f.name: getattr(seed, f.name) for f in fields(seed) if f.name not in naming}


def site_row(seed: SiteSeed, owner_party_id: int) -> Site:
    return Site(owner_party_id=owner_party_id, **columns(seed, "owner", "spaces"))


# The bootstrap admin: books for any party (named on each booking) and approves.
ADMIN = Principal(key_id=None, party_id=None, role=Role.admin)


class DemoDataRefused(Exception):
    """The API refused part of the demo's own plan: the plan is wrong, not the API."""


@contextmanager
def as_planned(what: str) -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise DemoDataRefused(f"{what}: {exc.detail} {exc.body()}") from exc


@dataclass
class Ids:
    parties: dict[str, int]
    sites: dict[str, int]
    spaces: dict[tuple[str, str], int]  # (site, space) names
    agreements: dict[str, int] = field(default_factory=dict)

    def space(self, site: str, space: str) -> int:
        return self.spaces[(site, space)]

    def agreement(self, name: str | None) -> int | None:
        return None if name is None else self.agreements[name]


async def write_catalog(session: AsyncSession, data: DemoData, advance: Advance) -> Ids:
    parties = {seed.name: Party(name=seed.name, kind=seed.kind) for seed in data.parties}
    session.add_all(parties.values())
    await session.flush()
    advance("parties")

    sites = {seed.name: site_row(seed, parties[seed.owner].id) for seed in data.sites}
    session.add_all(sites.values())
    await session.flush()
    advance("sites")

    spaces = {
        (seed.name, space.name): Space(site_id=sites[seed.name].id, **columns(space))
        for seed in data.sites
        for space in seed.spaces
    }
    session.add_all(spaces.values())
    await session.flush()
    advance("spaces")

    exceptions = [
        CalendarException(site_id=sites[seed.site].id, **columns(seed, "site"))
        for seed in data.calendar_exceptions
    ]
    session.add_all(exceptions)
    await session.flush()
    advance("calendar")
    return Ids(
        parties={name: p.id for name, p in parties.items()},
        sites={name: s.id for name, s in sites.items()},
        spaces={key: s.id for key, s in spaces.items()},
    )


async def write_agreements(session: AsyncSession, data: DemoData, ids: Ids) -> None:
    for seed in data.agreements:
        party_ids = [ids.parties[p] for p in seed.parties]
        request = AgreementCreate.model_validate(
            {
                "kind": seed.kind,
                "name": seed.name,
                "party_ids": party_ids,
                "direct_partner_ids": [ids.parties[p] for p in seed.direct_partners],
                "starts_on": seed.starts_on,
                "ends_on": seed.ends_on,
                "status": seed.status,
                "terms": dict(seed.terms),
                "cost_shares": {
                    str(p): pct for p, pct in zip(party_ids, seed.cost_shares, strict=True)
                },
            }
        )
        with as_planned(f"agreement {seed.name!r}"):
            view = await create_agreement(session, principal=ADMIN, data=request)
        ids.agreements[seed.name] = view.agreement.id


def request_fields(seed: BookingSeed | SeriesSeed, ids: Ids) -> dict[str, object]:
    """What a booking request and a series request share, in ids."""
    return {
        "space_id": ids.space(seed.site, seed.space),
        "party_id": ids.parties[seed.party],
        "start": seed.start,
        "end": seed.end,
        "purpose": seed.purpose,
        "attendance": seed.attendance,
        "agreement_id": ids.agreement(seed.agreement),
    }


def series_request(seed: SeriesSeed, ids: Ids) -> SeriesCreate:
    return SeriesCreate.model_validate(
        {**request_fields(seed, ids), "rrule": seed.rrule, "exdates": list(seed.exdates)}
    )


def booking_request(seed: BookingSeed, ids: Ids) -> BookingCreate:
    return BookingCreate.model_validate(
        {
            **request_fields(seed, ids),
            "setup_minutes": seed.setup_minutes,
            "cleanup_minutes": seed.cleanup_minutes,
        }
    )


async def write_activity(session: AsyncSession, data: DemoData, ids: Ids) -> dict[str, int]:
    """Series, bookings, approvals and cancellations in the order they happened, each
    through its service as of its own `now`: the rules, quotes, history and custodial
    charges are the API's own. Returns how many series and bookings were made."""
    steps: list[tuple[datetime, str, int, BookingAction | None]] = [
        *((s.booked_at, "series", i, None) for i, s in enumerate(data.series)),
        *((b.booked_at, "booking", i, None) for i, b in enumerate(data.bookings)),
        *((a.at, "action", i, a) for i, b in enumerate(data.bookings) for a in b.actions),
    ]
    steps.sort(key=lambda step: step[0])  # stable: a booking before its actions
    booking_ids: dict[int, int] = {}
    series_bookings = 0
    for now, kind, i, action in steps:
        if kind == "series":
            seed = data.series[i]
            with as_planned(f"series {seed.purpose!r} at {seed.site}"):
                _, made = await create_series(
                    session, principal=ADMIN, data=series_request(seed, ids), now=now
                )
            series_bookings += len(made)
        elif action is None:
            one = data.bookings[i]
            with as_planned(
                f"booking {one.purpose!r} at {one.site} on {one.start:%Y-%m-%d %H:%M}Z"
            ):
                booking = await create_booking(
                    session, principal=ADMIN, data=booking_request(one, ids), now=now
                )
            booking_ids[i] = booking.id
        else:
            with as_planned(f"{action.action} of {data.bookings[i].purpose!r}"):
                await act(
                    session,
                    principal=ADMIN,
                    booking_id=booking_ids[i],
                    action=action.action,
                    reason=action.reason,
                    now=now,
                )
    return {"series": len(data.series), "bookings": series_bookings + len(booking_ids)}


async def write_cost_items(session: AsyncSession, data: DemoData, ids: Ids) -> None:
    for seed in data.cost_items:
        request = CostItemCreate(
            category=CostCategory(seed.category),
            amount_cents=seed.amount_cents,
            incurred_by_party_id=ids.parties[seed.incurred_by],
            incurred_on=seed.incurred_on,
            description=seed.description,
            site_id=ids.sites[seed.site] if seed.site else None,
        )
        with as_planned(f"cost item {seed.description!r}"):
            await create_cost_item(
                session, principal=ADMIN, agreement_id=ids.agreements[seed.agreement], data=request
            )


async def write_demo_data(
    session: AsyncSession, data: DemoData, *, advance: Advance = lambda _step: None
) -> dict[str, int]:
    """Store the demo in the caller's transaction; flushes, never commits."""
    ids = await write_catalog(session, data, advance)
    await write_agreements(session, data, ids)
    advance("agreements")
    made = await write_activity(session, data, ids)
    advance("bookings")
    await write_cost_items(session, data, ids)
    # Bill every site date now, so the first statement read has nothing left to do.
    await settle_in(session, first=date.min, last=date.max)
    advance("cost items")
    return {
        "parties": len(data.parties),
        "sites": len(data.sites),
        "spaces": len(ids.spaces),
        "calendar exceptions": len(data.calendar_exceptions),
        "agreements": len(data.agreements),
        **made,
        "cost items": len(data.cost_items),
    }


LOAD_STEPS = (
    "checking",
    "parties",
    "sites",
    "spaces",
    "calendar",
    "agreements",
    "bookings",
    "cost items",
    "committed",
)


@contextmanager
def progress_bar(enabled: bool, steps: int) -> Iterator[Advance]:
    """A bar on stderr labelled with the step just done (stdout stays for the summary)."""
    if not enabled:
        yield lambda _step: None
        return
    with typer.progressbar(length=steps, label="demo data", file=sys.stderr) as bar:

        def advance(step: str) -> None:
            bar.label = f"demo data: {step}"
            bar.update(1)

        yield advance


async def load_demo_data(
    settings: Settings, *, force: bool = False, progress: bool = False, today: date | None = None
) -> dict[str, int]:
    """Load the demo partnership in one transaction: all of it or nothing.

    Refuses a database without the schema (`DatabaseNotMigrated`) and one that has
    parties (`DatabaseNotEmpty`) unless `force`, which first deletes every row of
    every table. Returns how many rows of each were made.
    """
    db = Database.for_engine(create_engine(settings))
    try:
        with progress_bar(progress, len(LOAD_STEPS)) as advance:
            async with db.write_sessions() as session, session.begin():
                if not await has_schema(session):
                    raise DatabaseNotMigrated("no tables: run `jointuse migrate` first")
                if not await database_is_empty(session):
                    if not force:
                        raise DatabaseNotEmpty("the database already has parties")
                    await clear_all_tables(session)
                # Built once the database is known to take it (a refusal is instant).
                data = build_demo_data(today or sacramento_today())
                advance("checking")
                counts = await write_demo_data(session, data, advance=advance)
            advance("committed")
        return counts
    finally:
        await db.engine.dispose()
