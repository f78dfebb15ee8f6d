"""Who commits what: services work in the session they are given and never commit it;
settling a period is a unit of work of its own, opened and committed by
`costs.flows`; a statement or report never commits the request's session."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import app
from app.core.auth import BOOTSTRAP_ADMIN
from app.core.db import Database, create_engine
from app.core.heavy import HeavyReads
from app.core.migrate import upgrade
from app.costs import flows, service
from app.costs.models import CostItem, CustodialCharge, PendingSiteDate
from app.costs.schemas import CostItemCreate
from app.main import create_app
from app.reports import flows as report_flows
from app.reports import service as reports
from app.reports.schemas import GroupBy
from tests.bookings.helpers import World, book, evening, next_weekday, world
from tests.conftest import PostgresDatabases, settings_for

HEAVY = HeavyReads(at_once=1, waiting=0)  # one at a time: these tests read one at a time


def no_commit(session: AsyncSession) -> AsyncSession:
    """The session, its `commit` refused."""

    async def refused() -> None:
        raise AssertionError("the caller's session was committed")

    session.commit = refused  # type: ignore[method-assign]
    return session


async def counts(db: Database) -> tuple[int, ...]:
    """(pending site dates, custodial charges, cost items), as a new reader sees them."""
    async with db.read_sessions() as session:
        return tuple(
            [int(await session.scalar(select(func.count()).select_from(t)) or 0)
             for t in (PendingSiteDate, CustodialCharge, CostItem)]
        )


async def booked_evening(client: httpx.AsyncClient) -> tuple[World, date]:
    """A booking past custodial hours: its site date is pending."""
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    return w, day


async def test_the_services_work_in_the_callers_session_and_never_commit_it(client, db):
    w, day = await booked_evening(client)
    async with db.write_sessions() as session:
        no_commit(session)
        assert await service.settle_in(session, first=day, last=day) == 1
        agreement = await service.statement_agreement(
            session,
            principal=BOOTSTRAP_ADMIN,
            agreement_id=w.agreement["id"],
            from_date=day,
            to_date=day,
        )
        st = await service.statement(session, agreement=agreement, from_date=day, to_date=day)
        reports.check_utilization(BOOTSTRAP_ADMIN, from_date=day, to_date=day)
        [row] = await reports.utilization(
            session, principal=BOOTSTRAP_ADMIN, from_date=day, to_date=day, group_by=GroupBy.site
        )
        item = CostItemCreate(
            category="supplies",
            amount_cents=500,
            incurred_by_party_id=w.district["id"],
            incurred_on=day,
        )
        await service.create_cost_item(
            session, principal=BOOTSTRAP_ADMIN, agreement_id=agreement.id, data=item
        )
        await service.mark_site_from(session, site_id=w.site["id"], first_day=day)
        await session.rollback()
    assert (st.custodial_minutes, row["custodial_cost_cents"]) == (120, 8400)
    # Rolled back by its owner: the mark is back, the charge and the item gone.
    assert await counts(db) == (1, 0, 0)


async def test_a_statement_and_a_report_settle_in_their_own_unit_of_work(client, db):
    w, day = await booked_evening(client)
    async with db.read_sessions() as request_session:
        no_commit(request_session)
        st = await flows.statement(
            request_session,
            db,
            heavy=HEAVY,
            principal=BOOTSTRAP_ADMIN,
            agreement_id=w.agreement["id"],
            from_date=day,
            to_date=day,
        )
        assert st.custodial_minutes == 120
        assert await counts(db) == (0, 1, 0)  # committed by the settlement itself
        later = day + timedelta(days=7)
        await book(client, w.group_key, evening(w.gym["id"], later, "18:00", "20:00"))
        [row] = await report_flows.utilization(
            db, heavy=HEAVY, principal=BOOTSTRAP_ADMIN, from_date=day, to_date=later,
            group_by=GroupBy.site,
        )
        assert row["custodial_cost_cents"] == 2 * 8400
        assert await counts(db) == (0, 2, 0)


@pytest.fixture
async def committed(
    backend: str, pg_databases: PostgresDatabases, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """An app on a database of its own whose requests commit for real (no test
    transaction around them), and its `Database`."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'committed.db'}"
    else:
        url = pg_databases.create(f"_uow_{secrets.token_hex(2)}")
    await asyncio.to_thread(upgrade, url)
    settings = settings_for(url)
    db = Database.for_engine(create_engine(settings))
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, db
    finally:
        await db.close()


async def test_a_statement_reads_the_settlement_its_request_had_not_seen(committed):
    """The request's session has read (its caller's key, say) before the settlement
    commits; on SQLite its read transaction would not see the settlement. The
    statement sees it, and the request's session is left to its dependency."""
    client, db = committed
    w, day = await booked_evening(client)
    async with db.read_sessions() as request_session:
        assert await request_session.scalar(select(func.count()).select_from(PendingSiteDate)) == 1
        no_commit(request_session)
        st = await flows.statement(
            request_session,
            db,
            heavy=HEAVY,
            principal=BOOTSTRAP_ADMIN,
            agreement_id=w.agreement["id"],
            from_date=day,
            to_date=day,
        )
        [row] = await report_flows.utilization(
            db, heavy=HEAVY, principal=BOOTSTRAP_ADMIN, from_date=day, to_date=day,
            group_by=GroupBy.site,
        )
    figures = (st.custodial_minutes, st.custodial_cost_cents, row["custodial_cost_cents"])
    assert figures == (120, 8400, 8400)
    assert await counts(db) == (0, 1, 0)


def test_no_service_or_repository_commits() -> None:
    root = Path(app.__file__).parent
    commits = [
        f"{path.relative_to(root.parent)}:{n}"
        for path in sorted(root.rglob("*.py"))
        if path.name in ("service.py", "repository.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "commit(" in line
    ]
    assert commits == []
