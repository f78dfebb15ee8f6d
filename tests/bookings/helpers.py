"""Helpers for booking tests: a partnership with a school site, an agreement, keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from app.core.db import Database
from tests.api.support import list_all
from tests.clock import SITE_ZONE, site_today
from tests.conftest import ADMIN, bearer
from tests.factories import make_key, make_party, make_site, make_space

LA = SITE_ZONE


def local(day: date, hhmm: str) -> datetime:
    """A wall-clock time at the site (Los Angeles) as an aware instant."""
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=LA)


def next_weekday(weekday: int, *, weeks_ahead: int = 2) -> date:
    """`weekday` (0 = Monday) in the Monday-to-Sunday week `weeks_ahead` weeks after
    this one: every weekday falls in the same week, so `next_weekday(1) <
    next_weekday(3)` whatever today is. For 2 weeks that is 8 to 20 days ahead, past
    the default 72 hours' notice and inside every 30-day window."""
    today = site_today()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=weekday)


def tomorrow() -> date:
    """The site's next local date: well within any notice period."""
    return site_today() + timedelta(days=1)


def next_dst_change(after: date) -> date:
    """The first DST change in Los Angeles (second Sunday of March, first Sunday of
    November) on or after `after`."""
    candidates = []
    for year in (after.year, after.year + 1):
        march, november = date(year, 3, 8), date(year, 11, 1)
        candidates += [d + timedelta(days=(6 - d.weekday()) % 7) for d in (march, november)]
    return min(d for d in candidates if d >= after)


@dataclass
class World:
    city: dict[str, Any]
    district: dict[str, Any]
    group: dict[str, Any]
    site: dict[str, Any]
    gym: dict[str, Any]
    room: dict[str, Any]
    agreement: dict[str, Any]
    city_key: dict[str, str]
    district_manager: dict[str, str]
    group_key: dict[str, str]


async def make_agreement(
    client: httpx.AsyncClient, party_ids: list[int], **fields: Any
) -> dict[str, Any]:
    body = {
        "kind": "blanket",
        "name": "Blanket joint use agreement",
        "party_ids": party_ids,
        "starts_on": (site_today() - timedelta(days=30)).isoformat(),
        "status": "active",
        **fields,
    }
    r = await client.post("/v1/agreements", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


async def world(client: httpx.AsyncClient, **agreement_fields: Any) -> World:
    city = await make_party(client, "city", "City of Sacramento")
    district = await make_party(client, "school_district", "Sacramento City Unified")
    group = await make_party(client, "community_group", "Oak Park Youth Soccer")
    site = await make_site(client, district["id"])
    gym = await make_space(client, site["id"])
    room = await make_space(
        client, site["id"], name="Multipurpose room", kind="multipurpose", capacity=120
    )
    agreement = await make_agreement(
        client, [city["id"], district["id"]], direct_partner_ids=[group["id"]], **agreement_fields
    )
    return World(
        city=city,
        district=district,
        group=group,
        site=site,
        gym=gym,
        room=room,
        agreement=agreement,
        city_key=await make_key(client, city["id"], "partner"),
        district_manager=await make_key(client, district["id"], "manager"),
        group_key=await make_key(client, group["id"], "partner"),
    )


def booking_body(space_id: int, start: datetime, end: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "space_id": space_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "purpose": "Youth basketball practice",
        "attendance": 30,
        **fields,
    }


# --- requests as a client makes them ---------------------------------------------


def evening(
    space_id: int, day: date, start: str = "18:00", end: str = "20:00", **fields: Any
) -> dict[str, Any]:
    """A booking body for site-local wall-clock times on `day`."""
    return booking_body(space_id, local(day, start), local(day, end), **fields)


async def book(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    r = await client.post("/v1/bookings", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def new_key(
    client: httpx.AsyncClient, party_id: int, role: str
) -> tuple[dict[str, str], int]:
    """A key's headers and its id (history names the key that acted)."""
    r = await client.post(
        "/v1/api-keys", json={"party_id": party_id, "role": role, "name": role}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["secret"]), r.json()["id"]


async def add_calendar_exception(
    client: httpx.AsyncClient, site_id: int, kind: str, first: date, last: date | None = None
) -> dict[str, Any]:
    body = {"kind": kind, "start_date": first.isoformat(), "end_date": (last or first).isoformat()}
    r = await client.post(f"/v1/sites/{site_id}/calendar-exceptions", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **params: Any
) -> list[dict[str, Any]]:
    """Every booking a key lists with these filters, all pages."""
    return await list_all(client, "/v1/bookings", params=params, headers=headers)


def instant(text: str) -> datetime:
    """An RFC 3339 instant from a response (`Z` or an offset)."""
    return datetime.fromisoformat(text)


def local_time(text: str) -> str:
    """The site-local wall-clock `HH:MM` of a response instant."""
    return instant(text).astimezone(LA).strftime("%H:%M")


async def booking_rows(db: Database) -> dict[str, int]:
    """Rows in the booking tables: proof that a refused request wrote nothing."""
    async with db.read_sessions() as s:
        return {
            t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in ("bookings", "booking_events", "booking_series")
        }
