"""Contract section 3, bookings: creating, the quote, which agreement covers, the owner."""

from __future__ import annotations

import pytest

from tests.api.support import assert_problem, error_paths
from tests.bookings.helpers import (
    add_calendar_exception,
    book,
    evening,
    instant,
    listed,
    local,
    make_agreement,
    next_weekday,
    tomorrow,
    world,
)
from tests.conftest import ADMIN
from tests.factories import make_key, make_party

pytestmark = pytest.mark.dates

# --- creating ---------------------------------------------------------------------


async def test_a_direct_partner_books_a_space(client):
    w = await world(client)
    day = next_weekday(1)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, attendance=40), headers=w.group_key
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["location"] == f"/v1/bookings/{made['id']}"
    assert r.headers["etag"]
    assert made["status"] == "confirmed"
    assert made["party_id"] == w.group["id"]
    assert made["space_id"] == w.gym["id"]
    assert made["site_id"] == w.site["id"]
    assert made["agreement_id"] == w.agreement["id"]
    assert made["series_id"] is None
    assert made["attendance"] == 40
    assert instant(made["start"]) == local(day, "18:00")
    assert instant(made["end"]) == local(day, "20:00")
    assert made["created_at"]
    got = await client.get(r.headers["location"], headers=w.group_key)
    assert got.json() == made
    assert got.headers["etag"] == r.headers["etag"]


async def test_setup_and_cleanup_default_to_zero(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (made["setup_minutes"], made["cleanup_minutes"]) == (0, 0)


async def test_an_unknown_space_cannot_be_booked(client):
    w = await world(client)
    r = await client.post(
        "/v1/bookings", json=evening(999999, next_weekday(1)), headers=w.group_key
    )
    assert_problem(r, 422, "validation-error")
    assert await listed(client) == []


async def test_booking_needs_a_key(client):
    w = await world(client)
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], next_weekday(1)))
    assert_problem(r, 401, "unauthenticated")
    assert await listed(client) == []


async def test_a_datetime_without_an_offset_is_refused(client):
    w = await world(client)
    day = next_weekday(1)
    body = {**evening(w.gym["id"], day), "start": f"{day.isoformat()}T18:00:00"}
    r = await client.post("/v1/bookings", json=body, headers=w.group_key)
    assert "body.start" in error_paths(assert_problem(r, 422, "validation-error"))
    assert await listed(client) == []


async def test_an_end_before_the_start_is_refused(client):
    w = await world(client)
    day = next_weekday(1)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, "20:00", "18:00"), headers=w.group_key
    )
    assert_problem(r, 422, "validation-error")
    assert await listed(client) == []


async def test_an_end_equal_to_the_start_is_refused(client):
    w = await world(client)
    r = await client.post(
        "/v1/bookings",
        json=evening(w.gym["id"], next_weekday(1), "18:00", "18:00"),
        headers=w.group_key,
    )
    assert_problem(r, 422, "validation-error")


async def test_only_an_admin_books_for_another_party(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), party_id=w.city["id"])
    assert_problem(
        await client.post("/v1/bookings", json=body, headers=w.group_key), 403, "forbidden"
    )
    assert await listed(client) == []


async def test_an_admin_books_for_a_named_party(client):
    w = await world(client)
    made = await book(client, ADMIN, evening(w.gym["id"], next_weekday(1), party_id=w.group["id"]))
    assert made["party_id"] == w.group["id"]
    assert made["agreement_id"] == w.agreement["id"]


async def test_an_admin_must_name_the_party_it_books_for(client):
    w = await world(client)
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], next_weekday(1)), headers=ADMIN)
    assert "body.party_id" in error_paths(assert_problem(r, 422, "validation-error"))
    assert await listed(client) == []


# --- the quote --------------------------------------------------------------------


async def test_the_quote_waives_the_standard_rate_for_every_hour(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(5), "09:00", "12:30"))
    assert made["quote"]["rental_fee_cents"] == 0
    assert made["quote"]["rental_fee_waived_cents"] == 7500 * 7 // 2  # 3.5 h at $75


async def test_a_booking_within_custodial_hours_costs_no_custodial_time(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "16:00", "17:30"))
    assert made["quote"]["custodial_minutes"] == 0
    assert made["quote"]["custodial_cost_cents"] == 0
    assert sum(made["quote"]["cost_shares_cents"].values()) == 0


async def test_an_evening_past_custodial_hours_is_quoted_its_custodial_cost(client):
    w = await world(client)
    # 18:00-19:05 extends the 06:00-18:00 custodial window: 65 minutes, rounded up to 75.
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "18:00", "19:05"))
    quote = made["quote"]
    assert quote["rental_fee_cents"] == 0
    assert quote["rental_fee_waived_cents"] == 8125  # 65 minutes at $75/h
    assert quote["custodial_minutes"] == 75
    assert quote["custodial_cost_cents"] == 75 * 4200 // 60
    assert quote["cost_shares_cents"] == {str(w.city["id"]): 2625, str(w.district["id"]): 2625}


async def test_a_callout_is_billed_the_minimum_minutes(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "19:00", "20:00"))
    assert made["quote"]["custodial_minutes"] == 120
    assert made["quote"]["custodial_cost_cents"] == 8400


async def test_a_day_without_custodial_hours_is_all_callout(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(5), "09:00", "12:30"))
    assert made["quote"]["custodial_minutes"] == 210
    assert made["quote"]["custodial_cost_cents"] == 210 * 70


async def test_the_callout_minimum_is_the_agreements_term(client):
    w = await world(client, terms={"min_callout_minutes": 180})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "19:00", "20:00"))
    assert made["quote"]["custodial_minutes"] == 180


async def test_the_custodial_cost_rounds_half_up_and_the_odd_cent_goes_to_the_first_party(client):
    w = await world(client)
    r = await client.patch(
        f"/v1/sites/{w.site['id']}", json={"custodial_rate_cents_per_hour": 4250}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    # 75 billed minutes at $42.50/h = 5312.5 cents -> 5313, split 2657 (city, listed first) / 2656.
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "18:00", "19:05"))
    assert made["quote"]["custodial_cost_cents"] == 5313
    assert made["quote"]["cost_shares_cents"] == {
        str(w.city["id"]): 2657,
        str(w.district["id"]): 2656,
    }


async def test_the_custodial_cost_is_split_by_the_cost_shares(client):
    w = await world(client)
    await client.patch(
        f"/v1/agreements/{w.agreement['id']}",
        json={"cost_shares": {str(w.city["id"]): 30, str(w.district["id"]): 70}},
        headers=ADMIN,
    )
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), "18:00", "19:05"))
    shares = made["quote"]["cost_shares_cents"]
    assert sum(shares.values()) == made["quote"]["custodial_cost_cents"] == 5250
    assert shares == {str(w.city["id"]): 1575, str(w.district["id"]): 3675}


async def test_setup_and_cleanup_count_toward_custodial_time_but_not_the_waived_rent(client):
    w = await world(client)
    body = evening(
        w.gym["id"], next_weekday(1), "18:00", "19:00", setup_minutes=30, cleanup_minutes=30
    )
    made = await book(client, w.group_key, body)
    assert made["quote"]["rental_fee_waived_cents"] == 7500
    assert made["quote"]["custodial_minutes"] == 90  # 17:30-19:30 is beyond 18:00 for 90 minutes


# --- which agreement covers ---------------------------------------------------------


async def test_a_blanket_agreement_is_preferred_over_a_long_term_one(client):
    w = await world(client)
    # Started long before the blanket one: the kind still decides first.
    long_term = await make_agreement(
        client, [w.city["id"], w.district["id"]], kind="long_term", starts_on="2020-08-01"
    )
    made = await book(client, w.city_key, evening(w.gym["id"], next_weekday(1)))
    assert made["agreement_id"] == w.agreement["id"] != long_term["id"]


async def test_among_blanket_agreements_the_one_that_started_first_covers(client):
    w = await world(client)
    earlier = await make_agreement(
        client, [w.district["id"], w.city["id"]], name="Older blanket", starts_on="2020-08-01"
    )
    made = await book(client, w.city_key, evening(w.gym["id"], next_weekday(1)))
    assert made["agreement_id"] == earlier["id"]


async def test_a_client_chooses_the_agreement_by_naming_it(client):
    w = await world(client)
    long_term = await make_agreement(
        client, [w.city["id"], w.district["id"]], kind="long_term", starts_on="2020-08-01"
    )
    made = await book(
        client, w.city_key, evening(w.gym["id"], next_weekday(1), agreement_id=long_term["id"])
    )
    assert made["agreement_id"] == long_term["id"]


async def test_a_named_agreement_that_does_not_cover_the_booking_is_no_agreement(client):
    w = await world(client)
    draft = await make_agreement(client, [w.city["id"], w.district["id"]], status="draft")
    body = evening(w.gym["id"], next_weekday(1), agreement_id=draft["id"])
    r = await client.post("/v1/bookings", json=body, headers=w.city_key)
    assert [v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]] == [
        "no-agreement"
    ]
    assert await listed(client) == []


async def test_a_named_agreement_of_other_parties_is_no_agreement(client):
    w = await world(client)
    other_district = await make_party(client, "school_district", "Twin Rivers Unified")
    theirs = await make_agreement(client, [w.city["id"], other_district["id"]])
    body = evening(w.gym["id"], next_weekday(1), agreement_id=theirs["id"])
    r = await client.post("/v1/bookings", json=body, headers=w.city_key)
    assert [v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]] == [
        "no-agreement"
    ]


async def test_an_agreement_that_has_not_started_yet_does_not_cover(client):
    w = await world(client, starts_on=(next_weekday(1, weeks_ahead=4)).isoformat())
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], next_weekday(1)), headers=w.group_key
    )
    assert [v["rule"] for v in assert_problem(r, 422, "booking-rules-violated")["violations"]] == [
        "no-agreement"
    ]


# --- the owner at its own site ------------------------------------------------------


async def test_the_owner_books_its_own_site_without_an_agreement(client):
    w = await world(client)
    made = await book(client, w.district_manager, evening(w.gym["id"], next_weekday(1)))
    assert made["party_id"] == w.district["id"]
    assert made["agreement_id"] is None
    assert made["status"] == "confirmed"
    assert made["quote"] == {
        "rental_fee_cents": 0,
        "rental_fee_waived_cents": 0,
        "custodial_minutes": 0,
        "custodial_cost_cents": 0,
        "cost_shares_cents": {},
    }


async def test_the_owner_is_confirmed_at_once_even_when_the_agreement_asks_for_approval(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.district_manager, evening(w.gym["id"], next_weekday(1)))
    assert made["status"] == "confirmed"


async def test_the_owner_books_during_its_reserved_hours(client):
    w = await world(client)
    made = await book(
        client, w.district_manager, evening(w.gym["id"], next_weekday(1), "09:00", "11:00")
    )
    assert made["status"] == "confirmed"


async def test_the_owner_books_on_a_closure_day(client):
    w = await world(client)
    day = next_weekday(1)
    await add_calendar_exception(client, w.site["id"], "closure", day)
    made = await book(client, w.district_manager, evening(w.gym["id"], day))
    assert made["status"] == "confirmed"


async def test_the_owner_needs_no_notice(client):
    w = await world(client)
    made = await book(
        client, w.district_manager, evening(w.gym["id"], tomorrow(), "20:00", "21:00")
    )
    assert made["status"] == "confirmed"


async def test_a_manager_of_another_party_books_a_school_site_under_the_agreement(client):
    w = await world(client)
    city_manager = await make_key(client, w.city["id"], "manager")
    made = await book(client, city_manager, evening(w.gym["id"], next_weekday(1)))
    assert made["party_id"] == w.city["id"]
    assert made["agreement_id"] == w.agreement["id"]
