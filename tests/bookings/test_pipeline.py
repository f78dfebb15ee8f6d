"""One booking pipeline (read facts -> judge -> write) for every path: what it reads
is what the catalog triggers watch, the facts it keeps cannot be changed, a write
judged on facts that went stale is judged again, and a quote answers what the
booking itself would."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table
from sqlalchemy.sql import visitors

from app.agreements.terms import Terms
from app.bookings import repository as repo
from app.core.migrate import upgrade
from app.main import create_app
from tests.api.support import assert_problem
from tests.bookings.helpers import World, evening, instant, next_weekday, world
from tests.conftest import PostgresDatabases, _psycopg_dsn, settings_for

# --- the guard: facts that went stale between the read and the write -----------------


@pytest.fixture
async def committed(
    pg_databases: PostgresDatabases,
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The app on a database of its own whose requests commit (a second connection
    sees them), and that database's URL."""
    url = pg_databases.create(f"_pipeline_{secrets.token_hex(3)}")
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
    app = create_app(settings_for(url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, url


async def test_a_closure_committed_between_the_facts_read_and_the_insert_refuses_the_booking(
    committed, monkeypatch
):
    client, url = committed
    w = await world(client)
    day = next_weekday(2)
    insert_bookings = repo.insert_bookings
    closed = []

    async def closure_meanwhile(runner: Any, batch: Any) -> list[int | None]:
        if not closed:  # another client closes the site after this booking's facts were read
            with psycopg.connect(_psycopg_dsn(url), autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO calendar_exceptions"
                    " (site_id, kind, start_date, end_date, reason, created_at) "
                    "VALUES (%s, 'closure', %s, %s, 'a burst pipe', now())",
                    (w.site["id"], day, day),
                )
            closed.append(True)
        return await insert_bookings(runner, batch)

    monkeypatch.setattr(repo, "insert_bookings", closure_meanwhile)
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], day), headers=w.group_key)
    body = assert_problem(r, 422, "booking-rules-violated")
    assert [v["rule"] for v in body["violations"]] == ["site-closed"]
    listed = await client.get("/v1/bookings", params={"space_id": w.gym["id"]}, headers=w.group_key)
    assert listed.json()["items"] == []


async def test_a_key_revoked_between_the_facts_read_and_the_insert_books_nothing(
    committed, monkeypatch
):
    client, url = committed
    w = await world(client)
    insert_bookings = repo.insert_bookings

    async def revoked_meanwhile(runner: Any, batch: Any) -> list[int | None]:
        with psycopg.connect(_psycopg_dsn(url), autocommit=True) as conn:
            conn.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE id = %s", (batch[0].guard.key_id,)
            )
        return await insert_bookings(runner, batch)

    monkeypatch.setattr(repo, "insert_bookings", revoked_meanwhile)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], next_weekday(2)), headers=w.group_key
    )
    assert_problem(r, 401, "unauthenticated")


# --- what the facts read is what the catalog version watches ---------------------------

# Read by the facts statement but not watched, and why.
NOT_WATCHED = {
    "bookings": "held windows are never kept: the exclusion constraint judges them",
    "api_keys": "the insert checks the key itself (not revoked)",
    "catalog_version": "the version itself",
}


def tables_read_by_the_facts_statement() -> set[str]:
    stmt = repo._BOOKING_FACTS.statement("postgresql")
    return {t.name for t in visitors.iterate(stmt) if isinstance(t, Table)}


def test_every_table_the_facts_read_is_watched_or_judged_otherwise():
    read = tables_read_by_the_facts_statement()
    assert set(NOT_WATCHED) <= read
    assert {
        "spaces",
        "sites",
        "calendar_exceptions",
        "agreements",
        "agreement_direct_partners",
        "parties",
    } <= read


async def test_every_watched_table_has_its_catalog_version_trigger(db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite keeps no facts between requests: nothing to watch")
    async with db.read_sessions() as s:
        conn = await s.connection()
        triggers = (await conn.exec_driver_sql(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname = c.relname || '_bump_catalog_version'"
        )).scalars().all()
    assert set(triggers) == tables_read_by_the_facts_statement() - set(NOT_WATCHED)


# --- kept facts are immutable ----------------------------------------------------------


def test_agreement_terms_cannot_be_changed_in_place():
    terms = Terms.of({"min_notice_hours": 24})
    with pytest.raises(dataclasses.FrozenInstanceError):
        terms.min_notice_hours = 1  # type: ignore[misc]
    assert Terms.of({"min_notice_hours": 24}) is terms  # parsed once, shared safely


def test_booking_facts_hold_only_immutable_collections():
    for cls in (repo.BookingFacts, repo.AgreementFacts, repo.SpaceContext, repo.CallerFacts):
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    hints = {f.name: f.type for f in dataclasses.fields(repo.BookingFacts)}
    assert all("list" not in str(t) and "dict" not in str(t) for t in hints.values()), hints


# --- a quote answers what the booking would --------------------------------------------

asks = st.fixed_dictionaries({
    "key": st.sampled_from(["group_key", "city_key", "district_manager"]),
    "space": st.sampled_from(["gym", "room"]),
    "days": st.integers(0, 13),
    "start": st.integers(4 * 4, 23 * 4),  # quarter hours of the local day
    "minutes": st.integers(1, 64).map(lambda n: n * 15),
    "setup": st.sampled_from([0, 15, 30]),
    "cleanup": st.sampled_from([0, 15, 45]),
    "attendance": st.sampled_from([1, 30, 150, 500]),
    "agreement": st.sampled_from(["default", "named", "unknown"]),
    "cold": st.booleans(),
})


def body_of(w: World, a: dict[str, Any]) -> dict[str, Any]:
    day = next_weekday(0, weeks_ahead=1) + timedelta(days=a["days"])
    start = evening(w.gym["id"], day, "00:00", "00:00")["start"]
    body = evening(getattr(w, a["space"])["id"], day)
    first = instant(start) + timedelta(minutes=15 * a["start"])
    body["start"], body["end"] = (
        first.isoformat(),
        (first + timedelta(minutes=a["minutes"])).isoformat(),
    )
    body.update(setup_minutes=a["setup"], cleanup_minutes=a["cleanup"], attendance=a["attendance"])
    if a["agreement"] != "default":
        body["agreement_id"] = (
            w.agreement["id"] if a["agreement"] == "named" else w.agreement["id"] + 1000
        )
    return body


@pytest.fixture
async def partnership(client) -> World:
    return await world(client)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=asks)
async def test_a_quote_answers_what_booking_it_would(client, db, partnership, a):
    w = partnership
    body, headers = body_of(w, a), getattr(w, a["key"])
    if a["cold"]:
        db.caches.clear()
    quoted = await client.post("/v1/bookings/quote", json=body, headers=headers)
    made = await client.post("/v1/bookings", json=body, headers=headers)
    assert quoted.status_code == 200, quoted.text
    q = quoted.json()
    if made.status_code == 201:
        booking = made.json()
        assert (q["ok"], q["violations"]) == (True, [])
        assert (q["status"], q["agreement_id"], q["quote"]) == (
            booking["status"], booking["agreement_id"], booking["quote"]
        )
    else:
        problem = made.json()
        assert made.status_code in (409, 422), made.text
        assert (q["ok"], q["status"]) == (False, None)
        assert q["violations"] == problem["violations"]
