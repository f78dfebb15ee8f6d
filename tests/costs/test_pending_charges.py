"""Custodial charges are settled when read: a change marks its site date pending (in
the same statement or transaction); a statement or report re-bills the pending dates
of its period first, and clears only the marks it has seen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.core.db import Database
from app.costs import flows, repository
from app.costs.models import CustodialCharge, PendingSiteDate
from app.costs.service import mark_pending
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.costs.helpers import statement


async def pending(db: Database) -> list[tuple[int, object, int]]:
    async with db.read_sessions() as session:
        rows = await session.execute(
            select(PendingSiteDate.site_id, PendingSiteDate.local_date, PendingSiteDate.seq)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def charges(db: Database) -> list[tuple[int, int]]:
    async with db.read_sessions() as session:
        rows = await session.execute(
            select(CustodialCharge.booking_id, CustodialCharge.billed_minutes)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_booking_past_custodial_hours_marks_its_site_date_pending(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    assert await pending(db) == [(w.site["id"], day, 1)]
    assert await charges(db) == []


async def test_a_booking_inside_custodial_hours_marks_nothing(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "15:00", "16:00"))
    assert await pending(db) == []


async def test_the_statement_bills_the_pending_date_and_clears_the_mark(client, db):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    st = await statement(client, w.agreement["id"], day)
    assert st["custodial_minutes"] == 120
    assert await pending(db) == []
    assert await charges(db) == [(made["id"], 120)]


async def test_a_statement_settles_only_its_own_period(client, db):
    w = await world(client)
    day = next_weekday(1)
    later = day + timedelta(days=7)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    await book(client, w.group_key, evening(w.gym["id"], later, "18:00", "20:00"))
    await statement(client, w.agreement["id"], day)
    assert [d for _, d, _ in await pending(db)] == [later]


async def test_each_new_mark_of_a_pending_date_moves_its_seq_on(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    await book(client, w.group_key, evening(w.gym["id"], day, "20:00", "21:00"))
    assert await pending(db) == [(w.site["id"], day, 2)]


async def test_a_mark_made_after_a_settler_read_it_survives_the_settlement(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    (seen,) = await pending(db)
    async with db.write_sessions() as session:
        # A booking marks the date again while a settler works from what it saw.
        await mark_pending(session, site_id=w.site["id"], dates=[day])
        await repository.clear_pending(session, site_id=seen[0], seen=[(seen[1], seen[2])])
        await session.commit()
    assert await pending(db) == [(w.site["id"], day, 2)]
    assert await flows.settle(db, first=day, last=day) == 1
    assert await pending(db) == []
