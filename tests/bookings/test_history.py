"""Contract section 8, history: every state change of a booking, who, when, oldest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests import clock as suite
from tests.api.support import assert_problem
from tests.bookings.helpers import book, evening, instant, local, new_key, next_weekday, world
from tests.conftest import ADMIN

pytestmark = pytest.mark.dates


async def history(
    client: httpx.AsyncClient, booking: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    r = await client.get(f"/v1/bookings/{booking['id']}/history", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_making_a_booking_is_recorded_with_who_and_when(client):
    w = await world(client)
    key, key_id = await new_key(client, w.group["id"], "partner")
    before = suite.now()
    made = await book(client, key, evening(w.gym["id"], next_weekday(1)))
    [created] = await history(client, made, key)
    assert created["booking_id"] == made["id"]
    assert created["action"] == "created"
    assert created["status"] == "confirmed"
    assert created["actor_key_id"] == key_id
    assert created["actor_party_id"] == w.group["id"]
    assert created["actor_role"] == "partner"
    assert before - timedelta(seconds=1) <= instant(created["occurred_at"]) <= suite.now()


async def test_approval_is_recorded_after_the_request(client):
    w = await world(client, terms={"auto_confirm": False})
    manager, manager_id = await new_key(client, w.district["id"], "manager")
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.post(f"/v1/bookings/{made['id']}/approve", headers=manager)
    events = await history(client, made, ADMIN)
    assert [(e["action"], e["status"]) for e in events] == [
        ("created", "requested"),
        ("approved", "confirmed"),
    ]
    assert (events[1]["actor_key_id"], events[1]["actor_party_id"], events[1]["actor_role"]) == (
        manager_id,
        w.district["id"],
        "manager",
    )


async def test_a_key_id_is_shown_to_admins_and_the_key_s_own_party_only(client):
    w = await world(client, terms={"auto_confirm": False})
    partner, partner_id = await new_key(client, w.group["id"], "partner")
    manager, manager_id = await new_key(client, w.district["id"], "manager")
    made = await book(client, partner, evening(w.gym["id"], next_weekday(1)))
    await client.post(f"/v1/bookings/{made['id']}/approve", headers=manager)
    # (created by the group's key, approved by the district's)
    seen = {
        "admin": [e["actor_key_id"] for e in await history(client, made, ADMIN)],
        "group": [e["actor_key_id"] for e in await history(client, made, w.group_key)],
        "district": [e["actor_key_id"] for e in await history(client, made, manager)],
    }
    assert seen == {
        "admin": [partner_id, manager_id],
        "group": [partner_id, None],
        "district": [None, manager_id],
    }
    # Who acted, by party and role, is still there for everyone who sees the booking.
    group_view = await history(client, made, w.group_key)
    assert [(e["actor_party_id"], e["actor_role"]) for e in group_view] == [
        (w.group["id"], "partner"),
        (w.district["id"], "manager"),
    ]


async def test_a_decline_is_recorded_with_its_reason(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.post(
        f"/v1/bookings/{made['id']}/decline",
        json={"reason": "Gym floor refinishing"},
        headers=w.district_manager,
    )
    events = await history(client, made, w.district_manager)
    assert [(e["action"], e["status"], e["reason"]) for e in events] == [
        ("created", "requested", None),
        ("declined", "declined", "Gym floor refinishing"),
    ]


async def test_a_cancellation_is_recorded_with_its_reason(client):
    w = await world(client)
    key, key_id = await new_key(client, w.group["id"], "partner")
    made = await book(client, key, evening(w.gym["id"], next_weekday(1)))
    await client.post(
        f"/v1/bookings/{made['id']}/cancel", json={"reason": "Team disbanded"}, headers=key
    )
    cancelled = (await history(client, made, key))[-1]
    assert (cancelled["action"], cancelled["status"], cancelled["reason"]) == (
        "cancelled",
        "cancelled",
        "Team disbanded",
    )
    assert cancelled["actor_key_id"] == key_id


async def test_a_cancellation_without_a_reason_is_recorded_too(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    assert [(e["action"], e["reason"]) for e in await history(client, made, w.group_key)] == [
        ("created", None),
        ("cancelled", None),
    ]


async def test_a_change_is_recorded_with_the_old_and_new_values_of_what_changed(client):
    w = await world(client)
    day = next_weekday(1)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, attendance=30), headers=w.group_key
    )
    made = r.json()
    change = {
        "start": local(day, "18:30").isoformat(),
        "attendance": 45,
        "purpose": made["purpose"],
    }
    patched = await client.patch(
        f"/v1/bookings/{made['id']}",
        json=change,
        headers={**w.group_key, "If-Match": r.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    changed = (await history(client, made, w.group_key))[-1]
    assert changed["action"] == "changed"
    assert changed["status"] == "confirmed"
    assert changed["changes"]["attendance"] == {"old": 30, "new": 45}
    assert instant(changed["changes"]["start"]["old"]) == local(day, "18:00")
    assert instant(changed["changes"]["start"]["new"]) == local(day, "18:30")
    assert set(changed["changes"]) == {"start", "attendance"}


async def test_a_change_that_changes_nothing_records_no_change(client):
    w = await world(client)
    r = await client.post(
        "/v1/bookings",
        json=evening(w.gym["id"], next_weekday(1), attendance=30),
        headers=w.group_key,
    )
    made = r.json()
    same = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 30, "start": made["start"]},
        headers={**w.group_key, "If-Match": r.headers["etag"]},
    )
    assert same.status_code == 200, same.text
    assert [e["action"] for e in await history(client, made, w.group_key)] == ["created"]


async def test_history_is_oldest_first(client):
    w = await world(client)
    day = next_weekday(1)
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], day), headers=w.group_key)
    made = r.json()
    etag = r.headers["etag"]
    for attendance in (31, 32):
        p = await client.patch(
            f"/v1/bookings/{made['id']}",
            json={"attendance": attendance},
            headers={**w.group_key, "If-Match": etag},
        )
        etag = p.headers["etag"]
    await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.district_manager)
    events = await history(client, made, ADMIN)
    assert [e["action"] for e in events] == ["created", "changed", "changed", "cancelled"]
    assert [e["changes"]["attendance"]["new"] for e in events[1:3]] == [31, 32]
    assert [instant(e["occurred_at"]) for e in events] == sorted(
        instant(e["occurred_at"]) for e in events
    )
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


async def test_a_refused_action_writes_no_history(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.post(
        f"/v1/bookings/{made['id']}/approve", headers=w.district_manager
    )  # already confirmed: 409
    assert [e["action"] for e in await history(client, made, ADMIN)] == ["created"]


async def test_an_admins_action_is_recorded_as_the_admins(client):
    w = await world(client)
    made = await book(client, ADMIN, evening(w.gym["id"], next_weekday(1), party_id=w.group["id"]))
    [created] = await history(client, made, ADMIN)
    assert (created["actor_role"], created["actor_party_id"]) == ("admin", None)


async def test_each_occurrence_of_a_series_has_its_own_history(client):
    w = await world(client)
    body = {**evening(w.gym["id"], next_weekday(1)), "rrule": "FREQ=WEEKLY;COUNT=2"}
    series = (await client.post("/v1/booking-series", json=body, headers=w.group_key)).json()
    await client.post(
        f"/v1/booking-series/{series['id']}/cancel",
        json={"reason": "Season over"},
        headers=w.group_key,
    )
    for booking_id in series["booking_ids"]:
        events = await history(client, {"id": booking_id}, w.group_key)
        assert [(e["action"], e["reason"]) for e in events] == [
            ("created", None),
            ("cancelled", "Season over"),
        ]


async def test_the_owners_manager_reads_the_history_of_bookings_at_its_site(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert [e["action"] for e in await history(client, made, w.district_manager)] == ["created"]


async def test_history_is_not_found_for_a_key_that_may_not_see_the_booking(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.get(f"/v1/bookings/{made['id']}/history", headers=w.city_key)
    assert_problem(r, 404, "not-found")


async def test_history_of_an_unknown_booking_is_not_found(client):
    assert_problem(await client.get("/v1/bookings/999999/history", headers=ADMIN), 404, "not-found")
