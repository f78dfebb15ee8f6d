"""One answer for "not yours": an agreement a key may not read, its statement and its
cost items answer exactly as an agreement that does not exist, so that no key learns
which agreements exist (contract section 2: a role that may not is 403 whatever the id;
a manager outside the agreement gets the 404 of a missing one)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.bookings.helpers import World, world
from tests.clock import site_today
from tests.conftest import ADMIN
from tests.costs.helpers import item_body, span
from tests.factories import make_key, make_party

MISSING = 987654321


async def answers(
    client: httpx.AsyncClient, w: World, agreement_id: int, key: dict[str, str]
) -> list[tuple[int, Any]]:
    """(status, code) of every read and write of an agreement's money, and of the
    agreement itself."""
    base = f"/v1/agreements/{agreement_id}"
    requests = [
        client.get(base, headers=key),
        client.get(f"{base}/statement", params=span(site_today()), headers=key),
        client.get(f"{base}/cost-items", headers=key),
        client.get(f"{base}/cost-items/1", headers=key),
        client.post(f"{base}/cost-items", json=item_body(w), headers=key),
    ]
    out = []
    for request in requests:
        r = await request
        out.append((r.status_code, r.json().get("code")))
    return out


@pytest.mark.parametrize(
    "who", ["partner of a party", "direct partner", "outside partner", "outside manager"]
)
async def test_an_agreement_that_is_not_yours_answers_as_one_that_does_not_exist(client, who):
    w = await world(client)
    other = await make_party(client, "school_district", "Twin Rivers Unified")
    key = {
        "partner of a party": w.city_key,
        "direct partner": w.group_key,
        "outside partner": await make_key(client, other["id"], "partner"),
        "outside manager": await make_key(client, other["id"], "manager"),
    }[who]
    theirs = await answers(client, w, w.agreement["id"], key)
    missing = await answers(client, w, MISSING, key)
    assert theirs == missing
    expected = 404 if who == "outside manager" else 403
    assert {status for status, _ in theirs} == {expected}


async def test_a_manager_of_a_party_reads_what_an_admin_reads(client):
    w = await world(client)
    base = f"/v1/agreements/{w.agreement['id']}"
    for path in (base, f"{base}/cost-items"):
        as_manager = await client.get(path, headers=w.district_manager)
        assert as_manager.status_code == 200, as_manager.text
        assert as_manager.json() == (await client.get(path, headers=ADMIN)).json()
    r = await client.get(f"{base}/statement", params=span(site_today()), headers=w.district_manager)
    assert r.status_code == 200, r.text
