"""On PostgreSQL the database itself refuses overlapping holding bookings of a space,
whatever the application checks (the last line of defence against double booking)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bookings.models import Booking
from app.bookings.repository import is_exclusion_violation
from app.parties.models import Party
from app.sites.models import Site, Space

START = datetime(2031, 1, 14, 2, 0, tzinfo=UTC)


def _booking(
    space_id: int, site_id: int, party_id: int, start: datetime, hours: int, status: str
) -> dict:
    return {
        "space_id": space_id,
        "site_id": site_id,
        "party_id": party_id,
        "status": status,
        "start": start,
        "end": start + timedelta(hours=hours),
        "setup_minutes": 0,
        "cleanup_minutes": 0,
        "held_start": start,
        "held_end": start + timedelta(hours=hours),
        "local_date": date(2031, 1, 13),
        "booked_minutes": 60 * hours,
        "purpose": "",
        "attendance": 0,
        "rental_fee_waived_cents": 0,
        "custodial_minutes": 0,
        "custodial_cost_cents": 0,
        "cost_shares_cents": {},
        "version": 1,
    }


@pytest.fixture
async def pg(engines: dict[str, AsyncEngine]):  # type: ignore[no-untyped-def]
    async with engines["postgresql"].connect() as conn:
        trans = await conn.begin()
        party = (
            await conn.execute(
                insert(Party)
                .values(name="SCUSD", kind="school_district", created_at=START)
                .returning(Party.id)
            )
        ).scalar_one()
        site = (
            await conn.execute(
                insert(Site)
                .values(
                    name="Hiram Johnson",
                    kind="school",
                    owner_party_id=party,
                    timezone="America/Los_Angeles",
                    open_hours={},
                    reserved_hours={},
                    custodial_hours={},
                    custodial_rate_cents_per_hour=0,
                    created_at=START,
                    updated_at=START,
                )
                .returning(Site.id)
            )
        ).scalar_one()
        space = (
            await conn.execute(
                insert(Space)
                .values(
                    site_id=site,
                    name="Gym",
                    kind="gym",
                    capacity=10,
                    standard_rental_rate_cents_per_hour=0,
                    created_at=START,
                )
                .returning(Space.id)
            )
        ).scalar_one()
        yield conn, (space, site, party)
        await trans.rollback()


async def test_the_database_refuses_two_overlapping_holding_bookings_of_a_space(pg):  # type: ignore[no-untyped-def]
    conn, ids = pg
    await conn.execute(insert(Booking).values(**_booking(*ids, START, 2, "confirmed")))
    with pytest.raises(IntegrityError) as refused:
        async with conn.begin_nested():
            await conn.execute(
                insert(Booking).values(
                    **_booking(*ids, START + timedelta(minutes=119), 1, "requested")
                )
            )
    assert is_exclusion_violation(refused.value)


async def test_the_database_allows_back_to_back_and_cancelled_overlaps(pg):  # type: ignore[no-untyped-def]
    conn, ids = pg
    await conn.execute(insert(Booking).values(**_booking(*ids, START, 2, "confirmed")))
    await conn.execute(
        insert(Booking).values(**_booking(*ids, START + timedelta(hours=2), 1, "confirmed"))
    )
    await conn.execute(insert(Booking).values(**_booking(*ids, START, 2, "cancelled")))
    await conn.execute(insert(Booking).values(**_booking(*ids, START, 2, "declined")))
