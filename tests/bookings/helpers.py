"""Helpers for booking tests: a partnership with a school site, an agreement, keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import ADMIN
from tests.factories import make_key, make_party, make_site, make_space

LA = ZoneInfo("America/Los_Angeles")


def local(day: date, hhmm: str) -> datetime:
    """A wall-clock time at the site (Los Angeles) as an aware instant."""
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=LA)


def next_weekday(weekday: int, *, weeks_ahead: int = 2) -> date:
    """A date `weeks_ahead` weeks from now falling on `weekday` (0 = Monday)."""
    today = datetime.now(UTC).astimezone(LA).date() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


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


async def make_agreement(client: httpx.AsyncClient, party_ids: list[int], **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "blanket",
        "name": "Blanket joint use agreement",
        "party_ids": party_ids,
        "starts_on": (date.today() - timedelta(days=30)).isoformat(),
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
    room = await make_space(client, site["id"], name="Multipurpose room", kind="multipurpose", capacity=120)
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
