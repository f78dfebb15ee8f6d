"""Contract section 3, agreements: two parties, terms, cost shares, no rental fee."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem, list_all
from tests.bookings.helpers import book, evening, make_agreement, next_weekday, world
from tests.conftest import ADMIN
from tests.factories import make_key, make_party

DEFAULT_TERMS = {
    "min_notice_hours": 72,
    "max_advance_days": 365,
    "max_occurrence_minutes": 720,
    "max_series_days": 90,
    "auto_confirm": True,
    "late_cancel_hours": 48,
    "min_callout_minutes": 120,
}


async def city_and_district(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    return await make_party(client, "city", "City"), await make_party(
        client, "school_district", "District"
    )


def agreement_body(party_ids: list[int], **fields: Any) -> dict[str, Any]:
    return {
        "kind": "blanket",
        "name": "Blanket",
        "party_ids": party_ids,
        "starts_on": "2026-07-01",
        **fields,
    }


async def agreements(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return await list_all(client, "/v1/agreements", headers=ADMIN)


async def patch(
    client: httpx.AsyncClient, agreement: dict[str, Any], **changes: Any
) -> httpx.Response:
    return await client.patch(f"/v1/agreements/{agreement['id']}", json=changes, headers=ADMIN)


# --- creating ---------------------------------------------------------------------


async def test_an_admin_creates_an_agreement(client):
    city, district = await city_and_district(client)
    r = await client.post(
        "/v1/agreements", json=agreement_body([city["id"], district["id"]]), headers=ADMIN
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["location"] == f"/v1/agreements/{made['id']}"
    assert made["kind"] == "blanket"
    assert made["party_ids"] == [city["id"], district["id"]]
    assert made["starts_on"] == "2026-07-01"
    assert (await client.get(r.headers["location"], headers=ADMIN)).json() == made


async def test_an_agreement_gets_the_contract_default_terms_and_even_cost_shares(client):
    city, district = await city_and_district(client)
    r = await client.post(
        "/v1/agreements", json=agreement_body([city["id"], district["id"]]), headers=ADMIN
    )
    made = r.json()
    assert made["terms"] == DEFAULT_TERMS
    assert made["cost_shares"] == {str(city["id"]): 50, str(district["id"]): 50}
    assert made["direct_partner_ids"] == []
    assert made["ends_on"] is None


async def test_given_terms_replace_only_their_defaults(client):
    city, district = await city_and_district(client)
    body = agreement_body(
        [city["id"], district["id"]], terms={"min_notice_hours": 24, "auto_confirm": False}
    )
    made = (await client.post("/v1/agreements", json=body, headers=ADMIN)).json()
    assert made["terms"] == {**DEFAULT_TERMS, "min_notice_hours": 24, "auto_confirm": False}


async def test_a_city_and_a_charter_school_may_make_an_agreement(client):
    city = await make_party(client, "city")
    charter = await make_party(client, "charter_school")
    made = await make_agreement(client, [charter["id"], city["id"]])
    assert made["party_ids"] == [charter["id"], city["id"]]


@pytest.mark.parametrize(
    "kinds",
    [
        ("school_district", "school_district"),
        ("city", "city"),
        ("city", "community_group"),
        ("school_district", "charter_school"),
    ],
)
async def test_an_agreement_is_between_the_city_and_a_district_or_charter(client, kinds):
    a = await make_party(client, kinds[0])
    b = await make_party(client, kinds[1])
    r = await client.post("/v1/agreements", json=agreement_body([a["id"], b["id"]]), headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert await agreements(client) == []


async def test_an_agreement_has_exactly_two_parties(client):
    city, district = await city_and_district(client)
    other = await make_party(client, "school_district")
    for party_ids in (
        [city["id"]],
        [city["id"], district["id"], other["id"]],
        [city["id"], city["id"]],
    ):
        r = await client.post("/v1/agreements", json=agreement_body(party_ids), headers=ADMIN)
        assert_problem(r, 422, "validation-error")
    assert await agreements(client) == []


async def test_cost_shares_are_kept_as_given(client):
    city, district = await city_and_district(client)
    shares = {str(city["id"]): 70, str(district["id"]): 30}
    made = await make_agreement(client, [city["id"], district["id"]], cost_shares=shares)
    assert made["cost_shares"] == shares


async def test_cost_shares_must_name_exactly_the_two_parties(client):
    city, district = await city_and_district(client)
    stranger = await make_party(client, "school_district")
    for shares in (
        {str(city["id"]): 100},
        {str(city["id"]): 50, str(stranger["id"]): 50},
        {str(city["id"]): 40, str(district["id"]): 40, str(stranger["id"]): 20},
    ):
        body = agreement_body([city["id"], district["id"]], cost_shares=shares)
        r = await client.post("/v1/agreements", json=body, headers=ADMIN)
        assert_problem(r, 422, "validation-error")
    assert await agreements(client) == []


@pytest.mark.parametrize("percents", [(60, 30), (60, 50), (-10, 110)])
async def test_cost_shares_must_sum_to_100(client, percents):
    city, district = await city_and_district(client)
    shares = {str(city["id"]): percents[0], str(district["id"]): percents[1]}
    r = await client.post(
        "/v1/agreements",
        json=agreement_body([city["id"], district["id"]], cost_shares=shares),
        headers=ADMIN,
    )
    assert_problem(r, 422, "validation-error")
    assert await agreements(client) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"rental_fee_cents": 1000},
        {"terms": {"rental_fee_cents": 1}},
        {"terms": {"hourly_rate_cents": 2500}},
        {"rentalFeeCents": 500},
        {"terms": {"hourlyRate": 25}},
        {"rental_fee_cents": "12.50"},
        {"terms": {"rental_rate": "0.01"}},
        {"terms": {"rental_fee": "$12.50"}},
        {"hourly_rate": "12,50"},
    ],
    ids=[
        "top-level",
        "in-terms",
        "rate-in-terms",
        "camelCase",
        "camelCase-in-terms",
        "string",
        "string-in-terms",
        "currency-string",
        "decimal-comma-string",
    ],
)
async def test_a_rental_fee_anywhere_in_the_payload_is_prohibited(client, extra):
    city, district = await city_and_district(client)
    r = await client.post(
        "/v1/agreements", json=agreement_body([city["id"], district["id"]], **extra), headers=ADMIN
    )
    assert_problem(r, 422, "rental-fee-prohibited")
    assert await agreements(client) == []


async def test_a_zero_rental_fee_is_accepted(client):
    city, district = await city_and_district(client)
    body = agreement_body(
        [city["id"], district["id"]], rental_fee_cents=0, terms={"hourly_rate_cents": "0"}
    )
    r = await client.post("/v1/agreements", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert "rental_fee_cents" not in r.json()["terms"]


async def test_a_rental_fee_cannot_be_patched_into_the_terms(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    r = await patch(client, made, terms={"rental_fee_cents": 2000})
    assert_problem(r, 422, "rental-fee-prohibited")
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json() == made


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_only_an_admin_creates_agreements(client, role):
    city, district = await city_and_district(client)
    key = await make_key(client, city["id"], role)
    r = await client.post(
        "/v1/agreements", json=agreement_body([city["id"], district["id"]]), headers=key
    )
    assert_problem(r, 403, "forbidden")
    assert await agreements(client) == []


# --- reading ----------------------------------------------------------------------


async def test_managers_of_either_party_read_the_agreement(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    for party in (city, district):
        key = await make_key(client, party["id"], "manager")
        r = await client.get(f"/v1/agreements/{made['id']}", headers=key)
        assert r.status_code == 200, r.text
        assert r.json() == made
        assert [
            a["id"] for a in (await client.get("/v1/agreements", headers=key)).json()["items"]
        ] == [made["id"]]


async def test_a_manager_of_an_unrelated_party_does_not_find_the_agreement(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    other = await make_party(client, "school_district", "Elk Grove Unified")
    key = await make_key(client, other["id"], "manager")
    assert_problem(await client.get(f"/v1/agreements/{made['id']}", headers=key), 404, "not-found")
    assert (await client.get("/v1/agreements", headers=key)).json()["items"] == []


async def test_a_partner_key_may_not_read_agreements(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    key = await make_key(client, city["id"], "partner")
    assert_problem(await client.get(f"/v1/agreements/{made['id']}", headers=key), 403, "forbidden")


async def test_an_unknown_agreement_is_not_found(client):
    assert_problem(await client.get("/v1/agreements/999999", headers=ADMIN), 404, "not-found")


# --- changing ---------------------------------------------------------------------


async def test_an_admin_renames_an_agreement(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    r = await patch(client, made, name="Revised blanket agreement")
    assert r.status_code == 200, r.text
    assert r.json() == {**made, "name": "Revised blanket agreement"}


async def test_an_agreement_goes_from_draft_to_active_to_terminated(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]], status="draft")
    for status in ("active", "terminated"):
        r = await patch(client, made, status=status)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status


async def test_a_terminated_agreement_cannot_become_active_again(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]], status="terminated")
    assert_problem(await patch(client, made, status="active"), 409, "invalid-transition")
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json()[
        "status"
    ] == "terminated"


async def test_an_active_agreement_cannot_go_back_to_draft(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]], status="active")
    assert_problem(await patch(client, made, status="draft"), 409, "invalid-transition")


async def test_changed_terms_merge_with_the_others(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]], terms={"max_series_days": 60})
    r = await patch(client, made, terms={"min_notice_hours": 24})
    assert r.status_code == 200, r.text
    assert r.json()["terms"] == {**DEFAULT_TERMS, "max_series_days": 60, "min_notice_hours": 24}


async def test_changed_terms_are_validated(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    assert_problem(
        await patch(client, made, terms={"min_notice_hours": -1}), 422, "validation-error"
    )
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json() == made


async def test_an_admin_changes_the_cost_shares(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    shares = {str(city["id"]): 25, str(district["id"]): 75}
    r = await patch(client, made, cost_shares=shares)
    assert r.status_code == 200, r.text
    assert r.json()["cost_shares"] == shares


async def test_changed_cost_shares_must_still_sum_to_100(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    r = await patch(client, made, cost_shares={str(city["id"]): 25, str(district["id"]): 70})
    assert_problem(r, 422, "validation-error")
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json()[
        "cost_shares"
    ] == made["cost_shares"]


async def test_an_admin_replaces_the_direct_partners(client):
    city, district = await city_and_district(client)
    first = await make_party(client, "community_group", "Boys and Girls Club")
    second = await make_party(client, "community_group", "Little League")
    made = await make_agreement(
        client, [city["id"], district["id"]], direct_partner_ids=[first["id"]]
    )
    r = await patch(client, made, direct_partner_ids=[second["id"]])
    assert r.status_code == 200, r.text
    assert r.json()["direct_partner_ids"] == [second["id"]]


async def test_only_an_admin_changes_an_agreement(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    key = await make_key(client, district["id"], "manager")
    r = await client.patch(f"/v1/agreements/{made['id']}", json={"name": "Mine"}, headers=key)
    assert_problem(r, 403, "forbidden")
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json()["name"] == made[
        "name"
    ]


async def test_adding_a_direct_partner_answers_the_agreement(client):
    city, district = await city_and_district(client)
    group = await make_party(client, "community_group")
    made = await make_agreement(client, [city["id"], district["id"]])
    r = await client.post(
        f"/v1/agreements/{made['id']}/direct-partners",
        json={"party_id": group["id"]},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {**made, "direct_partner_ids": [group["id"]]}


async def test_only_an_admin_adds_a_direct_partner(client):
    city, district = await city_and_district(client)
    group = await make_party(client, "community_group")
    made = await make_agreement(client, [city["id"], district["id"]])
    key = await make_key(client, district["id"], "manager")
    r = await client.post(
        f"/v1/agreements/{made['id']}/direct-partners", json={"party_id": group["id"]}, headers=key
    )
    assert_problem(r, 403, "forbidden")
    assert (await client.get(f"/v1/agreements/{made['id']}", headers=ADMIN)).json()[
        "direct_partner_ids"
    ] == []


async def test_a_direct_partner_added_later_books_under_the_agreement(client):
    w = await world(client)
    newcomer = await make_party(client, "community_group", "Sacramento Chess Club")
    key = await make_key(client, newcomer["id"], "partner")
    body = evening(w.room["id"], next_weekday(1))
    r = await client.post("/v1/bookings", json=body, headers=key)
    assert [v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]] == [
        "no-agreement"
    ]
    await client.post(
        f"/v1/agreements/{w.agreement['id']}/direct-partners",
        json={"party_id": newcomer["id"]},
        headers=ADMIN,
    )
    assert (await book(client, key, body))["agreement_id"] == w.agreement["id"]


async def test_a_direct_partner_is_a_community_group(client):
    city, district = await city_and_district(client)
    other_district = await make_party(client, "school_district", "Elk Grove Unified")
    r = await client.post(
        "/v1/agreements",
        json=agreement_body(
            [city["id"], district["id"]], direct_partner_ids=[other_district["id"]]
        ),
        headers=ADMIN,
    )
    assert_problem(r, 422, "validation-error")
    assert await agreements(client) == []


async def test_a_party_of_the_agreement_is_not_its_own_direct_partner(client):
    city, district = await city_and_district(client)
    made = await make_agreement(client, [city["id"], district["id"]])
    r = await client.post(
        f"/v1/agreements/{made['id']}/direct-partners", json={"party_id": city["id"]}, headers=ADMIN
    )
    assert_problem(r, 422, "validation-error")


async def test_changed_terms_apply_to_bookings_made_after_the_change(client):
    w = await world(client)
    day = next_weekday(1)
    before = await book(client, w.group_key, evening(w.gym["id"], day))
    assert before["status"] == "confirmed"
    assert (await patch(client, w.agreement, terms={"auto_confirm": False})).status_code == 200
    after = await book(client, w.group_key, evening(w.room["id"], day))
    assert after["status"] == "requested"
    assert (await client.get(f"/v1/bookings/{before['id']}", headers=ADMIN)).json()[
        "status"
    ] == "confirmed"


async def test_changed_cost_shares_apply_to_bookings_made_after_the_change(client):
    w = await world(client)
    day = next_weekday(1)
    before = await book(client, w.group_key, evening(w.gym["id"], day, "19:00", "20:00"))
    shares = {str(w.city["id"]): 25, str(w.district["id"]): 75}
    assert (await patch(client, w.agreement, cost_shares=shares)).status_code == 200
    after = await book(client, w.group_key, evening(w.room["id"], day, "19:00", "20:00"))
    assert after["quote"]["cost_shares_cents"] == {
        str(w.city["id"]): 2100,
        str(w.district["id"]): 6300,
    }
    unchanged = (await client.get(f"/v1/bookings/{before['id']}", headers=ADMIN)).json()
    assert unchanged["quote"]["cost_shares_cents"] == {
        str(w.city["id"]): 4200,
        str(w.district["id"]): 4200,
    }


async def test_a_terminated_agreement_covers_no_new_booking(client):
    w = await world(client)
    await patch(client, w.agreement, status="terminated")
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], next_weekday(1)), headers=w.group_key
    )
    assert "no-agreement" in [
        v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]
    ]


async def test_an_agreement_covers_only_dates_up_to_its_end(client):
    w = await world(client)
    day = next_weekday(1)
    await patch(client, w.agreement, ends_on=(day - timedelta(days=1)).isoformat())
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], day), headers=w.group_key)
    assert "no-agreement" in [
        v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]
    ]
    assert date.fromisoformat(
        (await client.get(f"/v1/agreements/{w.agreement['id']}", headers=ADMIN)).json()["ends_on"]
    ) == day - timedelta(days=1)
