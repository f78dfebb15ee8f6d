"""Contract section 1, lists: `limit` 1-200 (default 50), an opaque `cursor`, a stable order."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.support import assert_problem, error_paths, list_all
from tests.conftest import ADMIN
from tests.factories import make_party, make_site, make_space

LISTS = [
    "/v1/parties", "/v1/sites", "/v1/spaces", "/v1/sites/{site}/spaces",
    "/v1/sites/{site}/calendar-exceptions",
]


def forged_cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


async def a_site(client) -> dict:
    district = await make_party(client)
    return await make_site(client, district["id"])


async def test_a_cursor_walks_every_item_exactly_once_in_a_stable_order(client):
    parties = [await make_party(client, name=f"Party {n}") for n in range(7)]
    seen: list[dict] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/parties", params=params, headers=ADMIN)).json()
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == parties
    assert pages == 4
    # The same walk again gives the same order.
    assert await list_all(client, "/v1/parties", headers=ADMIN, params={"limit": 3}) == parties


async def test_a_filtered_walk_keeps_its_filter_across_pages(client):
    groups = []
    for n in range(5):
        await make_party(client, "city", name=f"City {n}")
        groups.append(await make_party(client, "community_group", name=f"Group {n}"))
    walked = await list_all(
        client, "/v1/parties", headers=ADMIN, params={"kind": "community_group", "limit": 2}
    )
    assert walked == groups


async def test_the_last_full_page_has_no_next_cursor(client):
    for n in range(4):
        await make_party(client, name=f"Party {n}")
    first = (await client.get("/v1/parties", params={"limit": 2}, headers=ADMIN)).json()
    second = (
        await client.get(
            "/v1/parties", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ADMIN
        )
    ).json()
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


async def test_an_empty_list_is_one_empty_page(client):
    assert (await client.get("/v1/sites")).json() == {"items": [], "next_cursor": None}


async def test_a_list_holds_fifty_items_by_default(client):
    for n in range(51):
        await make_party(client, name=f"Party {n}")
    page = (await client.get("/v1/parties", headers=ADMIN)).json()
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", [1, 200])
async def test_limit_accepts_one_to_two_hundred(client, limit):
    await make_party(client)
    r = await client.get("/v1/parties", params={"limit": limit}, headers=ADMIN)
    assert r.status_code == 200


GARBAGE_CURSORS = [
    pytest.param("garbage", id="garbage"),
    pytest.param("!!!!", id="not-base64"),
    pytest.param("", id="empty"),
    pytest.param("\u0000", id="nul"),
    pytest.param("x" * 600, id="too-long"),
    pytest.param(forged_cursor({"id": 1}), id="object"),
    pytest.param(forged_cursor([]), id="no-values"),
    pytest.param(forged_cursor([1, 2, 3]), id="three-values"),
    pytest.param(forged_cursor(["1"]), id="string-id"),
    pytest.param(forged_cursor([True]), id="bool-id"),
    pytest.param(forged_cursor([None]), id="null-id"),
    pytest.param(forged_cursor([1.5]), id="float-id"),
    pytest.param(forged_cursor([10**30]), id="huge-id"),
    pytest.param(forged_cursor([-(10**30)]), id="huge-negative-id"),
    pytest.param(forged_cursor(["2027-01-01", 10**30]), id="date-and-huge-id"),
    pytest.param(forged_cursor(["not a date", 1]), id="bad-date"),
    pytest.param(forged_cursor([1, "2027-01-01"]), id="swapped"),
]


BAD_LIMITS = ["0", "201", "-1", "abc", "1.5", "99999999999999999999"]


@pytest.mark.parametrize(
    ("param", "value"),
    [*(pytest.param("limit", v, id=f"limit-{v}") for v in BAD_LIMITS),
     *(pytest.param("cursor", *c.values, id=f"cursor-{c.id}") for c in GARBAGE_CURSORS)],
)
async def test_a_limit_outside_1_to_200_or_a_cursor_not_ours_is_refused_by_every_list(
    client, param, value
):
    site = await a_site(client)
    for path in LISTS:
        r = await client.get(path.format(site=site["id"]), params={param: value}, headers=ADMIN)
        body = assert_problem(r, 422, "validation-error")
        assert error_paths(body) == [f"query.{param}"], path


async def test_calendar_pages_order_by_start_date_then_id(client):
    site = await a_site(client)
    path = f"/v1/sites/{site['id']}/calendar-exceptions"
    made = []
    for start in ("2027-05-01", "2027-01-01", "2027-05-01", "2027-03-01", "2027-01-01"):
        r = await client.post(
            path, json={"kind": "closure", "start_date": start, "end_date": start}, headers=ADMIN
        )
        made.append(r.json())
    expected = sorted(made, key=lambda e: (e["start_date"], e["id"]))
    assert await list_all(client, path, params={"limit": 2}) == expected


async def test_space_pages_walk_every_space_once(client):
    site = await a_site(client)
    spaces = [
        await make_space(client, site["id"], name=f"Room {n}", kind="classroom") for n in range(5)
    ]
    assert await list_all(client, "/v1/spaces", params={"limit": 2}) == spaces
    assert await list_all(client, f"/v1/sites/{site['id']}/spaces", params={"limit": 4}) == spaces
