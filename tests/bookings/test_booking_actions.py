"""Contract section 3 (approve, decline, cancel) and section 8 (PATCH with If-Match)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import (
    World,
    book,
    evening,
    instant,
    listed,
    local,
    next_weekday,
    world,
)
from tests.conftest import ADMIN
from tests.factories import make_key


async def act(
    client: httpx.AsyncClient,
    booking: dict[str, Any],
    action: str,
    headers: dict[str, str],
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/bookings/{booking['id']}/{action}", json=body or None, headers=headers
    )


async def status_of(client: httpx.AsyncClient, booking: dict[str, Any]) -> str:
    return (await client.get(f"/v1/bookings/{booking['id']}", headers=ADMIN)).json()["status"]


# --- approve, decline, cancel -------------------------------------------------------


async def test_a_booking_under_an_agreement_without_auto_confirm_is_requested(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert made["status"] == "requested"


async def test_the_owners_manager_approves_a_requested_booking(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await act(client, made, "approve", w.district_manager)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed"
    assert r.json()["id"] == made["id"]
    assert r.headers["etag"]
    assert await status_of(client, made) == "confirmed"


async def test_the_owners_manager_declines_a_requested_booking(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await act(client, made, "decline", w.district_manager, reason="Gym floor refinishing")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined"


async def test_an_admin_approves_a_requested_booking(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (await act(client, made, "approve", ADMIN)).json()["status"] == "confirmed"


async def test_approving_a_confirmed_booking_is_an_invalid_transition(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert_problem(
        await act(client, made, "approve", w.district_manager), 409, "invalid-transition"
    )
    assert await status_of(client, made) == "confirmed"


async def test_declining_a_confirmed_booking_is_an_invalid_transition(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert_problem(
        await act(client, made, "decline", w.district_manager), 409, "invalid-transition"
    )
    assert await status_of(client, made) == "confirmed"


async def test_declining_a_cancelled_booking_is_an_invalid_transition(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await act(client, made, "cancel", w.group_key)
    assert_problem(
        await act(client, made, "decline", w.district_manager), 409, "invalid-transition"
    )
    assert await status_of(client, made) == "cancelled"


async def test_approving_a_declined_booking_is_an_invalid_transition(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await act(client, made, "decline", w.district_manager)
    assert_problem(
        await act(client, made, "approve", w.district_manager), 409, "invalid-transition"
    )
    assert await status_of(client, made) == "declined"


async def test_cancelling_twice_is_an_invalid_transition(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (await act(client, made, "cancel", w.group_key)).status_code == 200
    assert_problem(await act(client, made, "cancel", w.group_key), 409, "invalid-transition")


async def test_cancelling_a_declined_booking_is_an_invalid_transition(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await act(client, made, "decline", w.district_manager)
    assert_problem(await act(client, made, "cancel", w.group_key), 409, "invalid-transition")


async def test_a_partner_cannot_approve_its_own_booking(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert_problem(await act(client, made, "approve", w.group_key), 403, "forbidden")
    assert await status_of(client, made) == "requested"


async def test_a_partner_cannot_decline_its_own_booking(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert_problem(await act(client, made, "decline", w.group_key), 403, "forbidden")
    assert await status_of(client, made) == "requested"


async def test_the_booking_manager_of_another_party_cannot_approve_at_a_site_it_does_not_own(
    client,
):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.city_key, evening(w.gym["id"], next_weekday(1)))
    city_manager = await make_key(client, w.city["id"], "manager")
    assert_problem(await act(client, made, "approve", city_manager), 403, "forbidden")
    assert await status_of(client, made) == "requested"


async def test_the_booking_party_cancels_its_own_booking(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await act(client, made, "cancel", w.group_key, reason="Team disbanded")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


async def test_the_owners_manager_cancels_a_booking_at_its_site(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (await act(client, made, "cancel", w.district_manager)).json()["status"] == "cancelled"


async def test_a_requested_booking_may_be_cancelled(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (await act(client, made, "cancel", w.group_key)).json()["status"] == "cancelled"


async def test_an_action_needs_no_body(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    assert r.status_code == 200, r.text


async def test_an_action_on_an_unknown_booking_is_not_found(client):
    w = await world(client)
    assert_problem(
        await client.post("/v1/bookings/999999/approve", headers=w.district_manager),
        404,
        "not-found",
    )


# --- PATCH with If-Match --------------------------------------------------------------


async def made_with_etag(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    r = await client.post("/v1/bookings", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json(), r.headers["etag"]


async def test_a_booking_is_changed_with_its_etag(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], day))
    change = {
        "start": local(day, "19:00").isoformat(),
        "end": local(day, "21:00").isoformat(),
        "attendance": 50,
        "purpose": "Scrimmage",
    }
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json=change, headers={**w.group_key, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert instant(changed["start"]) == local(day, "19:00")
    assert instant(changed["end"]) == local(day, "21:00")
    assert (changed["attendance"], changed["purpose"]) == (50, "Scrimmage")
    assert r.headers["etag"] != etag
    got = await client.get(f"/v1/bookings/{made['id']}", headers=w.group_key)
    assert got.json() == changed
    assert got.headers["etag"] == r.headers["etag"]


async def test_a_changed_booking_gets_a_new_quote(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(
        client, w.group_key, evening(w.gym["id"], day, "16:00", "17:00")
    )
    assert made["quote"]["custodial_minutes"] == 0
    change = {"end": local(day, "19:00").isoformat()}
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json=change, headers={**w.group_key, "If-Match": etag}
    )
    assert r.json()["quote"]["custodial_minutes"] == 60
    assert r.json()["quote"]["rental_fee_waived_cents"] == 3 * 7500


async def test_changing_a_booking_without_if_match_is_refused(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json={"attendance": 10}, headers=w.group_key
    )
    assert_problem(r, 428, "precondition-required")
    assert (await client.get(f"/v1/bookings/{made['id']}", headers=ADMIN)).json()[
        "attendance"
    ] == made["attendance"]


async def test_changing_a_booking_with_a_stale_etag_is_refused(client):
    w = await world(client)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    first = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 10},
        headers={**w.group_key, "If-Match": etag},
    )
    assert first.status_code == 200, first.text
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 20},
        headers={**w.group_key, "If-Match": etag},
    )
    assert_problem(r, 412, "precondition-failed")
    assert (await client.get(f"/v1/bookings/{made['id']}", headers=ADMIN)).json()[
        "attendance"
    ] == 10


async def test_an_action_changes_the_etag(client):
    w = await world(client, terms={"auto_confirm": False})
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await act(client, made, "approve", w.district_manager)
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 10},
        headers={**w.group_key, "If-Match": etag},
    )
    assert_problem(r, 412, "precondition-failed")


async def test_moving_a_booking_onto_another_conflicts(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.city_key, evening(w.gym["id"], day, "18:00", "20:00"))
    made, etag = await made_with_etag(
        client, w.group_key, evening(w.gym["id"], day, "20:00", "21:00")
    )
    change = {"start": local(day, "19:30").isoformat()}
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json=change, headers={**w.group_key, "If-Match": etag}
    )
    assert [v["rule"] for v in assert_problem(r, 409, "booking-conflict")["violations"]] == [
        "conflict"
    ]
    got = await client.get(f"/v1/bookings/{made['id']}", headers=ADMIN)
    assert instant(got.json()["start"]) == local(day, "20:00")
    assert got.headers["etag"] == etag


async def test_a_change_rechecks_every_rule(client):
    w = await world(client)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 500, "cleanup_minutes": 150},
        headers={**w.group_key, "If-Match": etag},
    )
    violations = assert_problem(r, 422, "booking-rules-violated")["violations"]
    assert sorted(v["rule"] for v in violations) == ["outside-open-hours", "over-capacity"]


async def test_a_booking_does_not_conflict_with_itself(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(
        client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00")
    )
    change = {
        "start": local(day, "18:30").isoformat(),
        "end": local(day, "20:30").isoformat(),
        "setup_minutes": 30,
    }
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json=change, headers={**w.group_key, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert [b["id"] for b in await listed(client)] == [made["id"]]


async def test_a_change_may_not_put_the_end_before_the_start(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], day))
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"end": local(day, "17:00").isoformat()},
        headers={**w.group_key, "If-Match": etag},
    )
    assert_problem(r, 422, "validation-error")


async def test_a_change_without_an_offset_is_refused(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], day))
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"end": f"{day.isoformat()}T21:00:00"},
        headers={**w.group_key, "If-Match": etag},
    )
    assert_problem(r, 422, "validation-error")


async def test_a_cancelled_booking_cannot_be_changed(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await act(client, made, "cancel", w.group_key)
    change = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 5},
        headers={**w.group_key, "If-Match": r.headers["etag"]},
    )
    assert_problem(change, 409, "invalid-transition")


async def test_another_partner_cannot_change_a_booking(client):
    w = await world(client)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"attendance": 5},
        headers={**w.city_key, "If-Match": etag},
    )
    assert_problem(r, 404, "not-found")


async def test_a_change_with_seconds_is_refused(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], day))
    r = await client.patch(
        f"/v1/bookings/{made['id']}",
        json={"start": local(day, "18:00").replace(second=30).isoformat()},
        headers={**w.group_key, "If-Match": etag},
    )
    assert [e["path"] for e in assert_problem(r, 422, "validation-error")["errors"]] == [
        "body.start"
    ]
    got = await client.get(f"/v1/bookings/{made['id']}", headers=ADMIN)
    assert instant(got.json()["start"]) == local(day, "18:00")


# --- a change to what was approved (contract section 8) --------------------------------


async def approved(client: httpx.AsyncClient) -> tuple[World, date, dict[str, Any], str]:
    """A 1-hour booking for 5 people under an agreement without auto_confirm, approved."""
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    made = await book(
        client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00", attendance=5)
    )
    r = await act(client, made, "approve", w.district_manager)
    assert r.json()["status"] == "confirmed", r.text
    return w, day, made, r.headers["etag"]


async def change(
    client: httpx.AsyncClient, booking: dict[str, Any], etag: str, headers: dict[str, str], **body
) -> dict[str, Any]:
    r = await client.patch(
        f"/v1/bookings/{booking['id']}", json=body, headers={**headers, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_tournament_made_of_an_approved_practice_needs_approval_again(client):
    w, _, made, etag = await approved(client)
    saturday = next_weekday(5)
    changed = await change(
        client,
        made,
        etag,
        w.group_key,
        start=local(saturday, "14:00").isoformat(),
        end=local(saturday, "18:00").isoformat(),
        attendance=58,
    )
    assert changed["status"] == "requested"
    assert await status_of(client, made) == "requested"
    r = await act(client, made, "approve", w.district_manager)
    assert r.json()["status"] == "confirmed", r.text


@pytest.mark.parametrize(
    "field",
    ["start", "end", "setup_minutes", "cleanup_minutes", "attendance"],
)
async def test_each_change_to_what_was_approved_needs_approval_again(client, field):
    w, day, made, etag = await approved(client)
    value = {
        "start": local(day, "17:30").isoformat(),
        "end": local(day, "19:30").isoformat(),
        "setup_minutes": 15,
        "cleanup_minutes": 15,
        "attendance": 6,
    }[field]
    assert (await change(client, made, etag, w.group_key, **{field: value}))["status"] == (
        "requested"
    )


@pytest.mark.parametrize(("field", "value"), [("purpose", "Practice (U10)"), ("attendance", 4)])
async def test_a_new_purpose_or_fewer_people_keeps_the_approval(client, field, value):
    w, _, made, etag = await approved(client)
    assert (await change(client, made, etag, w.group_key, **{field: value}))["status"] == (
        "confirmed"
    )


async def test_a_change_by_the_owners_manager_needs_approval_again_too(client):
    """The contract names no one whose change keeps the approval."""
    w, day, made, etag = await approved(client)
    moved = await change(
        client, made, etag, w.district_manager, end=local(day, "19:30").isoformat()
    )
    assert moved["status"] == "requested"


async def test_a_change_under_auto_confirm_stays_confirmed(client):
    w = await world(client)
    day = next_weekday(1)
    made, etag = await made_with_etag(client, w.group_key, evening(w.gym["id"], day))
    moved = await change(client, made, etag, w.group_key, end=local(day, "21:00").isoformat())
    assert moved["status"] == "confirmed"


async def test_the_lapsed_approval_is_in_the_history(client):
    w, day, made, etag = await approved(client)
    await change(client, made, etag, w.group_key, attendance=20)
    r = await client.get(f"/v1/bookings/{made['id']}/history", headers=w.group_key)
    changed = r.json()["items"][-1]
    assert (changed["action"], changed["status"]) == ("changed", "requested")
    assert changed["changes"] == {
        "attendance": {"old": 5, "new": 20},
        "status": {"old": "confirmed", "new": "requested"},
    }


async def test_a_booking_requested_again_leaves_the_custodial_coverage(client):
    """Only confirmed bookings are covered (section 5): its site date is billed again."""
    w, day, made, etag = await approved(client)
    path = f"/v1/agreements/{w.agreement['id']}/statement"
    period = {"from": day.isoformat(), "to": day.isoformat()}
    before = (await client.get(path, params=period, headers=ADMIN)).json()
    assert [line["booking_id"] for line in before["lines"]] == [made["id"]]
    await change(client, made, etag, w.group_key, end=local(day, "19:30").isoformat())
    after = (await client.get(path, params=period, headers=ADMIN)).json()
    assert (after["lines"], after["custodial_minutes"]) == ([], 0)
