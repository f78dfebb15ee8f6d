"""Contract section 4 through the API: each rule, all failures at once, held windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import (
    add_calendar_exception,
    book,
    booking_body,
    booking_rows,
    evening,
    instant,
    listed,
    local,
    make_agreement,
    next_weekday,
    tomorrow,
    world,
)
from tests.factories import make_key, make_party, make_site, make_space

pytestmark = pytest.mark.dates


async def refused(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> list[str]:
    """The rules a refused booking broke (422 `booking-rules-violated`); nothing written."""
    r = await client.post("/v1/bookings", json=body, headers=headers)
    problem = assert_problem(r, 422, "booking-rules-violated")
    assert await listed(client) == []
    return sorted(v["rule"] for v in problem["violations"])


async def conflicting(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    r = await client.post("/v1/bookings", json=body, headers=headers)
    return assert_problem(r, 409, "booking-conflict")


# --- one rule at a time -------------------------------------------------------------


async def test_a_rental_fee_on_a_booking_is_prohibited(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), rental_fee_cents=2500)
    assert await refused(client, w.group_key, body) == ["rental-fee-prohibited"]


async def test_a_zero_rental_fee_on_a_booking_is_accepted(client):
    w = await world(client)
    made = await book(
        client, w.group_key, evening(w.gym["id"], next_weekday(1), rental_fee_cents=0)
    )
    assert made["quote"]["rental_fee_cents"] == 0


async def test_a_party_without_an_agreement_has_no_agreement(client):
    w = await world(client)
    stranger = await make_party(client, "community_group", "Not a direct partner")
    key = await make_key(client, stranger["id"], "partner")
    assert await refused(client, key, evening(w.gym["id"], next_weekday(1))) == ["no-agreement"]


async def test_a_site_development_agreement_carries_no_bookings(client):
    w = await world(client)
    project = await make_agreement(
        client,
        [w.city["id"], w.district["id"]],
        kind="site_development",
        name="New gym",
        starts_on="2020-08-01",
    )
    body = evening(w.gym["id"], next_weekday(1), agreement_id=project["id"])
    assert await refused(client, w.city_key, body) == ["agreement-kind"]


async def test_a_booking_after_closing_time_is_outside_open_hours(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), "21:00", "22:30")
    assert await refused(client, w.group_key, body) == ["outside-open-hours"]


async def test_setup_before_opening_time_is_outside_open_hours(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(5), "06:00", "08:00", setup_minutes=15)
    assert await refused(client, w.group_key, body) == ["outside-open-hours"]


async def test_a_booking_until_closing_time_is_inside_open_hours(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(5), "20:00", "22:00"))
    assert made["status"] == "confirmed"


async def test_a_non_owner_may_not_use_the_owners_reserved_hours(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), "14:00", "16:00")
    assert await refused(client, w.group_key, body) == ["owner-priority"]


async def test_cleanup_reaching_into_reserved_hours_breaks_owner_priority(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), "07:00", "07:50", cleanup_minutes=15)
    assert await refused(client, w.group_key, body) == ["owner-priority"]


async def test_reserved_hours_do_not_apply_during_a_recess(client):
    w = await world(client)
    day = next_weekday(1)
    await add_calendar_exception(
        client, w.site["id"], "recess", day - timedelta(days=1), day + timedelta(days=3)
    )
    made = await book(client, w.group_key, evening(w.gym["id"], day, "10:00", "14:00"))
    assert made["status"] == "confirmed"


async def test_a_non_owner_may_not_book_a_closed_site(client):
    w = await world(client)
    day = next_weekday(1)
    await add_calendar_exception(client, w.site["id"], "closure", day)
    assert await refused(client, w.group_key, evening(w.gym["id"], day)) == ["site-closed"]


async def test_a_booking_needs_the_agreements_notice(client):
    w = await world(client)
    body = evening(w.gym["id"], tomorrow(), "20:00", "21:00")
    assert await refused(client, w.group_key, body) == ["notice-too-short"]


async def test_the_notice_period_is_the_agreements_term(client):
    w = await world(client, terms={"min_notice_hours": 0})
    made = await book(client, w.group_key, evening(w.gym["id"], tomorrow(), "20:00", "21:00"))
    assert made["status"] == "confirmed"


async def test_a_booking_may_not_open_too_far_ahead(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(5, weeks_ahead=60), "18:00", "20:00")
    assert await refused(client, w.group_key, body) == ["too-far-ahead"]


async def test_a_booking_longer_than_the_maximum_occurrence_is_too_long(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(5), "06:00", "18:01")
    assert await refused(client, w.group_key, body) == ["too-long"]


async def test_a_booking_of_exactly_the_maximum_length_is_accepted(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(5), "06:00", "18:00"))
    assert made["status"] == "confirmed"


async def test_attendance_above_the_space_capacity_is_over_capacity(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), attendance=201)
    assert await refused(client, w.group_key, body) == ["over-capacity"]


async def test_attendance_equal_to_the_capacity_is_accepted(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), attendance=200))
    assert made["attendance"] == 200


async def test_local_rules_follow_the_sites_time_zone(client):
    w = await world(client)
    eastern = await make_site(
        client, w.district["id"], name="East Coast Annex", timezone="America/New_York"
    )
    gym = await make_space(client, eastern["id"])
    day = next_weekday(1)
    ny = ZoneInfo("America/New_York")
    late = datetime(day.year, day.month, day.day, 21, 30, tzinfo=ny)  # 18:30 in Los Angeles
    body = booking_body(gym["id"], late, late + timedelta(hours=1))
    assert await refused(client, w.group_key, body) == ["outside-open-hours"]
    morning = datetime(
        day.year, day.month, day.day, 9, 0, tzinfo=ny
    )  # reserved there; 06:00 in Los Angeles
    body = booking_body(gym["id"], morning, morning + timedelta(hours=1))
    assert await refused(client, w.group_key, body) == ["owner-priority"]


async def test_the_owner_is_held_to_open_hours_too(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), "21:30", "23:00")
    assert await refused(client, w.district_manager, body) == ["outside-open-hours"]


# --- every failure at once ------------------------------------------------------------


async def test_every_broken_rule_is_reported_together(client):
    w = await world(client)
    day = next_weekday(1)
    body = evening(w.gym["id"], day, "14:00", "22:30", attendance=500, rental_fee_cents=100)
    r = await client.post("/v1/bookings", json=body, headers=w.group_key)
    violations = assert_problem(r, 422, "booking-rules-violated")["violations"]
    assert sorted(v["rule"] for v in violations) == [
        "outside-open-hours",
        "over-capacity",
        "owner-priority",
        "rental-fee-prohibited",
    ]
    for v in violations:
        assert v["detail"]
        assert instant(v["start"]) == local(day, "14:00")
    assert await listed(client) == []


async def test_a_conflict_with_another_failure_is_a_rules_violation(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day))
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, attendance=999), headers=w.group_key
    )
    violations = assert_problem(r, 422, "booking-rules-violated")["violations"]
    assert sorted(v["rule"] for v in violations) == ["conflict", "over-capacity"]


# --- conflicts and held windows -------------------------------------------------------


async def test_an_overlapping_booking_of_the_same_space_conflicts(client):
    w = await world(client)
    day = next_weekday(1)
    first = await book(client, w.city_key, evening(w.gym["id"], day))
    problem = await conflicting(client, w.group_key, evening(w.gym["id"], day, "19:00", "21:00"))
    assert [v["rule"] for v in problem["violations"]] == ["conflict"]
    assert instant(problem["violations"][0]["start"]) == local(day, "19:00")
    assert [b["id"] for b in await listed(client)] == [first["id"]]


async def test_a_one_minute_overlap_conflicts(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day))
    await conflicting(client, w.group_key, evening(w.gym["id"], day, "19:59", "21:00"))


async def test_back_to_back_bookings_do_not_conflict(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day, "18:00", "19:00"))
    await book(client, w.group_key, evening(w.gym["id"], day, "19:00", "20:00"))
    assert len(await listed(client, space_id=w.gym["id"])) == 2


async def test_a_booking_whose_cleanup_overlaps_the_next_one_conflicts(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day, "19:15", "20:00"))
    await conflicting(
        client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00", cleanup_minutes=30)
    )


async def test_a_booking_whose_setup_overlaps_the_previous_one_conflicts(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day, "18:00", "19:00"))
    await conflicting(
        client, w.group_key, evening(w.gym["id"], day, "19:30", "20:30", setup_minutes=45)
    )


async def test_held_windows_that_only_touch_do_not_conflict(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day, "18:00", "19:00", cleanup_minutes=15))
    made = await book(
        client, w.group_key, evening(w.gym["id"], day, "19:30", "20:30", setup_minutes=15)
    )
    assert made["status"] == "confirmed"


async def test_the_same_time_in_another_space_does_not_conflict(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day))
    await book(client, w.group_key, evening(w.room["id"], day))


async def test_a_requested_booking_holds_its_space(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    assert (await book(client, w.city_key, evening(w.gym["id"], day)))["status"] == "requested"
    await conflicting(client, w.group_key, evening(w.gym["id"], day))


async def test_a_cancelled_booking_no_longer_holds_the_space(client):
    w = await world(client)
    day = next_weekday(1)
    first = await book(client, w.city_key, evening(w.gym["id"], day))
    assert (
        await client.post(f"/v1/bookings/{first['id']}/cancel", headers=w.city_key)
    ).status_code == 200
    made = await book(client, w.group_key, evening(w.gym["id"], day))
    assert made["status"] == "confirmed"


async def test_a_declined_booking_no_longer_holds_the_space(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    first = await book(client, w.city_key, evening(w.gym["id"], day))
    assert (
        await client.post(f"/v1/bookings/{first['id']}/decline", headers=w.district_manager)
    ).status_code == 200
    made = await book(client, w.group_key, evening(w.gym["id"], day))
    assert made["status"] == "requested"


async def test_the_owner_cannot_double_book_either(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day))
    await conflicting(client, w.district_manager, evening(w.gym["id"], day, "17:00", "18:30"))


# --- quoting without booking ----------------------------------------------------------


async def test_a_quote_answers_what_a_booking_would_cost_and_writes_nothing(client):
    w = await world(client)
    body = evening(w.gym["id"], next_weekday(1), "18:00", "19:05")
    r = await client.post("/v1/bookings/quote", json=body, headers=w.group_key)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["ok"] is True
    assert answer["violations"] == []
    made = await book(client, w.group_key, body)
    assert answer["quote"] == made["quote"]
    assert made["quote"]["custodial_minutes"] == 75


async def test_a_quote_reports_every_broken_rule_and_writes_nothing(client):
    w = await world(client)
    day = next_weekday(1)
    body = evening(w.gym["id"], day, "21:00", "22:30", attendance=300)
    r = await client.post("/v1/bookings/quote", json=body, headers=w.group_key)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["ok"] is False
    assert sorted(v["rule"] for v in answer["violations"]) == [
        "outside-open-hours",
        "over-capacity",
    ]
    assert await listed(client) == []


async def test_a_quote_reports_a_conflict(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day))
    r = await client.post("/v1/bookings/quote", json=evening(w.gym["id"], day), headers=w.group_key)
    assert r.json()["ok"] is False
    assert [v["rule"] for v in r.json()["violations"]] == ["conflict"]
    assert len(await listed(client)) == 1


async def test_a_quote_writes_no_booking_and_no_history(client, db):
    w = await world(client)
    await client.post(
        "/v1/bookings/quote", json=evening(w.gym["id"], next_weekday(1)), headers=w.group_key
    )
    assert await booking_rows(db) == {"bookings": 0, "booking_events": 0, "booking_series": 0}
