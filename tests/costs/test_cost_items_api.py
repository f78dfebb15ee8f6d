"""Contract section 5, cost items: supplies, capital items and custodial adjustments
shared by the agreement's cost shares; rent is refused; who records and reads them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import make_agreement, world
from tests.clock import site_today
from tests.conftest import ADMIN
from tests.costs.helpers import add_item, item_body, statement
from tests.factories import make_key, make_party


def items_path(agreement_id: int) -> str:
    return f"/v1/agreements/{agreement_id}/cost-items"


async def listed_items(client, agreement_id: int) -> list[dict]:
    r = await client.get(items_path(agreement_id), headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# --- recording ----------------------------------------------------------------------


@pytest.mark.dates
async def test_an_admin_records_a_cost_item_shared_by_the_cost_shares(client):
    w = await world(client)
    r = await client.post(
        items_path(w.agreement["id"]), json=item_body(w, site_id=w.site["id"]), headers=ADMIN
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["location"] == f"{items_path(w.agreement['id'])}/{made['id']}"
    assert made["agreement_id"] == w.agreement["id"]
    assert (made["category"], made["amount_cents"], made["incurred_by_party_id"]) == (
        "supplies",
        10001,
        w.district["id"],
    )
    assert (made["incurred_on"], made["site_id"]) == (site_today().isoformat(), w.site["id"])
    assert made["description"] == "Floor cleaner and paper towels"
    # 50/50 of an odd amount: the odd cent goes to the city, listed first in party_ids.
    assert made["shares_cents"] == {str(w.city["id"]): 5001, str(w.district["id"]): 5000}


@pytest.mark.parametrize("category", ["supplies", "capital", "custodial_adjustment"])
async def test_each_cost_category_is_recorded(client, category):
    w = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w, category=category))
    assert made["category"] == category
    assert await listed_items(client, w.agreement["id"]) == [made]


async def test_a_cost_item_is_split_by_the_agreements_cost_shares(client):
    w = await world(client)
    r = await client.patch(
        f"/v1/agreements/{w.agreement['id']}",
        json={"cost_shares": {str(w.city["id"]): 30, str(w.district["id"]): 70}},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    made = await add_item(client, w.agreement["id"], item_body(w))
    # 3000.3 and 7000.7: the spare cent goes to the larger remainder.
    assert made["shares_cents"] == {str(w.city["id"]): 3000, str(w.district["id"]): 7001}


async def test_cost_shares_written_in_any_order_give_the_odd_cent_to_the_party_listed_first(client):
    city = await make_party(client, "city")
    district = await make_party(client, "school_district")
    agreement = await make_agreement(
        client,
        [city["id"], district["id"]],
        cost_shares={str(district["id"]): 50, str(city["id"]): 50},
    )
    body = {
        "category": "capital",
        "amount_cents": 10001,
        "incurred_by_party_id": district["id"],
        "incurred_on": site_today().isoformat(),
        "description": "Backboards",
    }
    made = await add_item(client, agreement["id"], body)
    assert made["shares_cents"] == {str(city["id"]): 5001, str(district["id"]): 5000}


async def test_a_cost_item_recorded_before_a_change_of_cost_shares_keeps_its_split(client):
    w = await world(client)
    before = await add_item(client, w.agreement["id"], item_body(w, amount_cents=10000))
    await client.patch(
        f"/v1/agreements/{w.agreement['id']}",
        json={"cost_shares": {str(w.city["id"]): 30, str(w.district["id"]): 70}},
        headers=ADMIN,
    )
    got = await client.get(f"{items_path(w.agreement['id'])}/{before['id']}", headers=ADMIN)
    assert got.json()["shares_cents"] == {str(w.city["id"]): 5000, str(w.district["id"]): 5000}


# --- no rent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "rental"},
        {"rental_fee_cents": 7500},
        {"hourly_rate_cents": 7500},
        {"rentalFeeCents": "75.00"},
    ],
    ids=["rental-category", "rental-fee", "hourly-rate", "camelCase-string"],
)
async def test_rent_is_refused_and_nothing_is_written(client, fields):
    w = await world(client)
    r = await client.post(items_path(w.agreement["id"]), json=item_body(w, **fields), headers=ADMIN)
    assert_problem(r, 422, "rental-fee-prohibited")
    assert await listed_items(client, w.agreement["id"]) == []


async def test_an_unknown_category_is_a_validation_error(client):
    w = await world(client)
    r = await client.post(
        items_path(w.agreement["id"]), json=item_body(w, category="catering"), headers=ADMIN
    )
    assert_problem(r, 422, "validation-error")
    assert await listed_items(client, w.agreement["id"]) == []


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100"])
async def test_the_amount_is_a_positive_integer_of_cents(client, amount):
    w = await world(client)
    r = await client.post(
        items_path(w.agreement["id"]), json=item_body(w, amount_cents=amount), headers=ADMIN
    )
    assert_problem(r, 422, "validation-error")
    assert await listed_items(client, w.agreement["id"]) == []


async def test_the_incurring_party_must_be_one_of_the_agreements_parties(client):
    w = await world(client)
    # The community group books under the agreement but is not a party to its costs.
    body = item_body(w, incurred_by_party_id=w.group["id"])
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert await listed_items(client, w.agreement["id"]) == []


# --- who records and reads ------------------------------------------------------------


async def test_a_manager_records_its_own_partys_costs(client):
    w = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w), headers=w.district_manager)
    assert made["incurred_by_party_id"] == w.district["id"]


async def test_a_manager_may_not_record_the_other_partys_costs(client):
    w = await world(client)
    body = item_body(w, incurred_by_party_id=w.city["id"])
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=w.district_manager)
    assert_problem(r, 403, "forbidden")
    assert await listed_items(client, w.agreement["id"]) == []


async def test_managers_of_both_parties_read_the_cost_items(client):
    w = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w))
    city_manager = await make_key(client, w.city["id"], "manager")
    for key in (city_manager, w.district_manager):
        assert (await client.get(items_path(w.agreement["id"]), headers=key)).json()["items"] == [
            made
        ]
        got = await client.get(f"{items_path(w.agreement['id'])}/{made['id']}", headers=key)
        assert got.json() == made


async def test_a_manager_of_a_party_outside_the_agreement_does_not_find_its_cost_items(client):
    w = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w))
    stranger = await make_key(
        client, (await make_party(client, "school_district"))["id"], "manager"
    )
    path = items_path(w.agreement["id"])
    assert_problem(await client.get(path, headers=stranger), 404, "not-found")
    assert_problem(await client.get(f"{path}/{made['id']}", headers=stranger), 404, "not-found")
    assert_problem(await client.post(path, json=item_body(w), headers=stranger), 404, "not-found")
    assert len(await listed_items(client, w.agreement["id"])) == 1


async def test_the_direct_partner_may_not_read_the_agreements_cost_items(client):
    # A partner's role may not, whatever the agreement (tests/costs/test_not_yours.py).
    w = await world(client)
    r = await client.get(items_path(w.agreement["id"]), headers=w.group_key)
    assert_problem(r, 403, "forbidden")


async def test_a_partner_key_of_a_party_may_not_record_or_read_cost_items(client):
    w = await world(client)
    path = items_path(w.agreement["id"])
    body = item_body(w, incurred_by_party_id=w.city["id"])
    assert_problem(await client.post(path, json=body, headers=w.city_key), 403, "forbidden")
    assert_problem(await client.get(path, headers=w.city_key), 403, "forbidden")
    assert await listed_items(client, w.agreement["id"]) == []


async def test_cost_items_need_a_key(client):
    w = await world(client)
    assert_problem(await client.get(items_path(w.agreement["id"])), 401, "unauthenticated")


# --- reading --------------------------------------------------------------------------


@pytest.mark.dates
async def test_cost_items_are_listed_by_the_date_they_were_incurred(client):
    w = await world(client)
    today = site_today()
    later = await add_item(client, w.agreement["id"], item_body(w, incurred_on=today.isoformat()))
    earlier = await add_item(
        client, w.agreement["id"], item_body(w, incurred_on=(today - timedelta(days=3)).isoformat())
    )
    assert await listed_items(client, w.agreement["id"]) == [earlier, later]


async def test_a_cost_item_is_not_found_under_another_agreement(client):
    w = await world(client)
    other = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w))
    r = await client.get(f"{items_path(other.agreement['id'])}/{made['id']}", headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_cost_items_of_an_unknown_agreement_are_not_found(client):
    assert_problem(await client.get(items_path(999999), headers=ADMIN), 404, "not-found")


@pytest.mark.dates
async def test_a_site_development_agreement_carries_cost_items(client):
    w = await world(client)
    playground = await make_agreement(
        client,
        [w.city["id"], w.district["id"]],
        kind="site_development",
        name="Playground at Washington",
    )
    body = item_body(
        w, category="capital", amount_cents=4_500_000, description="Play structure replacement"
    )
    made = await add_item(client, playground["id"], body)
    st = await statement(client, playground["id"], site_today())
    assert st["items_cost_cents"] == 4_500_000
    assert [(line["kind"], line["cost_item_id"], line["amount_cents"]) for line in st["lines"]] == [
        ("capital", made["id"], 4_500_000)
    ]
