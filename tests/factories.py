"""Plain helpers that make resources through the API, as a client would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, bearer

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def school_hours() -> dict[str, Any]:
    return {
        "open_hours": {d: [["06:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
        "reserved_hours": {d: [["08:00", "15:00"]] for d in WEEKDAYS},
        "custodial_hours": {d: [["06:00", "18:00"]] for d in WEEKDAYS},
    }


async def make_party(
    client: httpx.AsyncClient, kind: str = "school_district", name: str | None = None
) -> dict[str, Any]:
    r = await client.post(
        "/v1/parties", json={"name": name or f"A {kind}", "kind": kind}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return r.json()


async def make_key(client: httpx.AsyncClient, party_id: int | None, role: str) -> dict[str, str]:
    r = await client.post(
        "/v1/api-keys",
        json={"party_id": party_id, "role": role, "name": f"{role} key"},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["secret"])


async def make_site(
    client: httpx.AsyncClient, owner_party_id: int, **fields: Any
) -> dict[str, Any]:
    body = {
        "name": "Washington Elementary",
        "kind": "school",
        "owner_party_id": owner_party_id,
        "custodial_rate_cents_per_hour": 4200,
        **school_hours(),
        **fields,
    }
    r = await client.post("/v1/sites", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


async def make_space(client: httpx.AsyncClient, site_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Gym",
        "kind": "gym",
        "capacity": 200,
        "standard_rental_rate_cents_per_hour": 7500,
        **fields,
    }
    r = await client.post(f"/v1/sites/{site_id}/spaces", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()
