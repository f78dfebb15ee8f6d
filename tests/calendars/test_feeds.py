"""Contract section 8, calendars (RFC 5545): public busy-time feeds of a space and a
site, a party's feed with details, secret feed addresses; each read back by an
independent reader (icalendar's parser and `recurring_ical_events`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import text

from tests.api.support import assert_problem
from tests.bookings.helpers import (
    LA,
    book,
    evening,
    instant,
    local,
    new_key,
    next_dst_change,
    next_weekday,
    world,
)
from tests.clock import now, site_today
from tests.conftest import ADMIN

pytestmark = pytest.mark.dates


async def ics(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[Calendar, httpx.Response]:
    r = await client.get(url, headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(r.content), r


def occurrences(cal: Calendar) -> dict[int, Any]:
    """The feed's VEVENTs by booking id, as a reader expands them over the window."""
    start, end = now() - timedelta(days=31), now() + timedelta(days=367)
    found = recurring_ical_events.of(cal, skip_bad_series=False).between(start, end)
    return {int(str(e["UID"]).removeprefix("booking-").removesuffix("@jointuse")): e
            for e in found}


def span(event: Any) -> tuple[datetime, datetime]:
    return event["DTSTART"].dt, event["DTEND"].dt


async def patch(client: httpx.AsyncClient, booking: dict[str, Any], **change: Any) -> None:
    r = await client.get(f"/v1/bookings/{booking['id']}", headers=ADMIN)
    r = await client.patch(
        f"/v1/bookings/{booking['id']}", json=change,
        headers={**ADMIN, "If-Match": r.headers["etag"]},
    )
    assert r.status_code == 200, r.text


async def test_a_space_feed_holds_each_booking_over_its_held_window(client):
    w = await world(client)
    day = next_weekday(1)
    first = await book(client, w.group_key, evening(w.gym["id"], day, setup_minutes=15))
    second = await book(client, w.city_key, evening(w.gym["id"], day + timedelta(days=1)))
    await book(client, w.city_key, evening(w.room["id"], day))  # another space
    cal, _ = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    events = occurrences(cal)
    assert sorted(events) == sorted([first["id"], second["id"]])
    assert span(events[first["id"]]) == (
        instant(first["start"]) - timedelta(minutes=15), instant(first["end"])
    )
    assert span(events[second["id"]]) == (instant(second["start"]), instant(second["end"]))
    assert {str(e["STATUS"]) for e in events.values()} == {"CONFIRMED"}


async def test_a_site_feed_holds_every_space_of_the_site(client):
    w = await world(client)
    day = next_weekday(2)
    gym = await book(client, w.group_key, evening(w.gym["id"], day))
    room = await book(client, w.city_key, evening(w.room["id"], day))
    cal, _ = await ics(client, f"/v1/sites/{w.site['id']}/calendar.ics")
    events = occurrences(cal)
    assert sorted(events) == sorted([gym["id"], room["id"]])
    assert span(events[room["id"]]) == (instant(room["start"]), instant(room["end"]))


async def test_public_feeds_show_busy_time_and_no_names(client):
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1), purpose="Secret club"))
    for url in (f"/v1/spaces/{w.gym['id']}/calendar.ics", f"/v1/sites/{w.site['id']}/calendar.ics"):
        cal, r = await ics(client, url)
        assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Booked"]
        for hidden in ("Secret club", w.group["name"], "DESCRIPTION", "ORGANIZER", "ATTENDEE"):
            assert hidden not in r.text


async def test_a_feed_is_public(client):
    w = await world(client)
    r = await client.get(f"/v1/sites/{w.site['id']}/calendar.ics")
    assert r.status_code == 200


async def test_a_feed_of_no_such_space_is_not_found(client):
    assert_problem(await client.get("/v1/spaces/987654/calendar.ics"), 404, "not-found")
    assert_problem(await client.get("/v1/sites/nope/calendar.ics"), 404, "not-found")


async def test_a_requested_booking_is_tentative(client):
    w = await world(client, terms={"auto_confirm": False})
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert booking["status"] == "requested"
    cal, _ = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    assert str(occurrences(cal)[booking["id"]]["STATUS"]) == "TENTATIVE"


async def test_a_cancelled_booking_stays_in_the_feed_as_cancelled(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.post(f"/v1/bookings/{booking['id']}/cancel", headers=w.group_key)
    assert r.status_code == 200, r.text
    cal, _ = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    event = occurrences(cal)[booking["id"]]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


async def test_each_event_has_a_stable_uid_and_a_sequence_that_grows_with_each_change(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    before = occurrences((await ics(client, url))[0])[booking["id"]]
    await patch(client, booking, attendance=12)
    await patch(client, booking, end=local(next_weekday(1), "21:00").isoformat())
    after = occurrences((await ics(client, url))[0])[booking["id"]]
    assert str(before["UID"]) == str(after["UID"]) == f"booking-{booking['id']}@jointuse"
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 2)
    assert span(after)[1] == local(next_weekday(1), "21:00")


async def test_dtstamp_is_the_bookings_last_change_in_utc(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    cal, _ = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    stamp = next(iter(cal.walk("VEVENT")))["DTSTAMP"].dt
    assert stamp == instant(booking["updated_at"]).replace(microsecond=0)  # whole seconds
    assert stamp.utcoffset() == timedelta(0)


async def test_times_are_in_the_sites_zone_with_its_vtimezone(client):
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    cal, r = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    assert "DTSTART;TZID=America/Los_Angeles:" in r.text


async def test_bookings_on_both_sides_of_a_dst_change_keep_their_local_wall_time(client):
    w = await world(client)
    # The Saturday before and the Monday after, both past the 72 hours' notice.
    change = next_dst_change(site_today() + timedelta(days=5))
    days = [change - timedelta(days=1), change + timedelta(days=1)]
    ids = [(await book(client, w.group_key, evening(w.gym["id"], d)))["id"] for d in days]
    cal, _ = await ics(client, f"/v1/spaces/{w.gym['id']}/calendar.ics")
    events = occurrences(cal)
    walls = [span(events[i])[0].astimezone(LA).strftime("%H:%M") for i in ids]
    assert walls == ["18:00", "18:00"]
    offsets = {span(events[i])[0].astimezone(LA).utcoffset() for i in ids}
    assert len(offsets) == 2
    # Read with the calendar's own VTIMEZONE, not the reader's zone database.
    assert [span(events[i])[0].utcoffset() for i in ids] == [local(d, "18:00").utcoffset()
                                                            for d in days]


async def test_a_feed_answers_304_to_its_etag(client):
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    _, first = await ics(client, url)
    assert first.headers["last-modified"].endswith(" GMT")
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_a_change_gives_the_feed_a_new_etag(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    _, first = await ics(client, url)
    await patch(client, booking, attendance=5)
    r = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 200


# --- a party's feed ------------------------------------------------------------------


async def test_a_party_feed_shows_its_own_bookings_with_details(client):
    w = await world(client)
    day = next_weekday(3)
    mine = await book(client, w.group_key, evening(w.gym["id"], day, purpose="Soccer clinic"))
    await book(client, w.city_key, evening(w.room["id"], day))  # another party's
    cal, _ = await ics(client, f"/v1/parties/{w.group['id']}/calendar.ics", w.group_key)
    events = occurrences(cal)
    assert list(events) == [mine["id"]]
    event = events[mine["id"]]
    assert str(event["SUMMARY"]) == "Soccer clinic"
    assert str(event["LOCATION"]) == f"{w.gym['name']}, {w.site['name']}"
    assert span(event) == (instant(mine["start"]), instant(mine["end"]))
    assert "Status: confirmed" in str(event["DESCRIPTION"])


async def test_a_party_feed_matches_the_bookings_the_api_lists(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    made = [await book(client, w.group_key, evening(w.gym["id"], day + timedelta(days=i)))
            for i in range(3)]
    await client.post(f"/v1/bookings/{made[1]['id']}/approve", headers=w.district_manager)
    await client.post(f"/v1/bookings/{made[2]['id']}/decline", headers=w.district_manager,
                      json={"reason": "Floor refinishing"})
    r = await client.get("/v1/bookings", params={"party_id": w.group["id"]}, headers=ADMIN)
    api = {b["id"]: b for b in r.json()["items"]}
    cal, _ = await ics(client, f"/v1/parties/{w.group['id']}/calendar.ics", ADMIN)
    events = occurrences(cal)
    assert sorted(events) == sorted(api)
    status = {"requested": "TENTATIVE", "confirmed": "CONFIRMED", "declined": "CANCELLED"}
    for booking_id, b in api.items():
        assert span(events[booking_id]) == (instant(b["start"]), instant(b["end"]))
        assert str(events[booking_id]["STATUS"]) == status[b["status"]]


async def test_a_party_feed_needs_a_key(client):
    w = await world(client)
    r = await client.get(f"/v1/parties/{w.group['id']}/calendar.ics")
    assert_problem(r, 401, "unauthenticated")


async def test_another_partys_key_may_not_read_a_party_feed(client):
    w = await world(client)
    r = await client.get(f"/v1/parties/{w.group['id']}/calendar.ics", headers=w.city_key)
    assert_problem(r, 403, "forbidden")


async def test_a_party_feed_of_no_such_party_is_not_found(client):
    assert_problem(await client.get("/v1/parties/987654/calendar.ics", headers=ADMIN), 404,
                   "not-found")


# --- secret addresses ---------------------------------------------------------------


async def make_feed(client: httpx.AsyncClient, party_id: int, headers: dict[str, str]) -> Any:
    r = await client.post(f"/v1/parties/{party_id}/calendar-feeds", headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/v1/calendar-feeds/{r.json()['id']}"
    return r.json()


async def test_a_secret_address_serves_the_party_feed_without_a_key(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    feed = await make_feed(client, w.group["id"], w.group_key)
    assert feed["party_id"] == w.group["id"]
    cal, r = await ics(client, feed["url"])
    _, keyed = await ics(client, f"/v1/parties/{w.group['id']}/calendar.ics", w.group_key)
    assert list(occurrences(cal)) == [booking["id"]]
    assert r.content == keyed.content


async def test_a_deleted_secret_address_is_not_found(client):
    w = await world(client)
    feed = await make_feed(client, w.group["id"], w.group_key)
    r = await client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=w.group_key)
    assert r.status_code == 204
    assert_problem(await client.get(feed["url"]), 404, "not-found")


async def test_only_a_hash_of_the_token_is_kept(client, db):
    w = await world(client)
    feed = await make_feed(client, w.group["id"], ADMIN)
    token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    async with db.read_sessions() as s:
        stored = (await s.execute(text("SELECT token_hash FROM calendar_feeds"))).scalar_one()
    assert token not in stored
    assert len(stored) == 64


async def test_a_made_up_token_is_not_found(client):
    r = await client.get("/v1/calendar-feeds/" + "A" * 43 + ".ics")
    assert_problem(r, 404, "not-found")


async def test_a_key_of_another_party_cannot_make_a_feed_of_a_party_it_cannot_see(client):
    w = await world(client)
    r = await client.post(f"/v1/parties/{w.group['id']}/calendar-feeds", headers=w.city_key)
    assert_problem(r, 403, "forbidden")
    manager = await client.post(
        f"/v1/parties/{w.group['id']}/calendar-feeds", headers=w.district_manager
    )
    assert_problem(manager, 403, "forbidden")


async def test_a_key_of_another_party_cannot_delete_a_feed(client):
    w = await world(client)
    feed = await make_feed(client, w.group["id"], w.group_key)
    r = await client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=w.city_key)
    assert_problem(r, 404, "not-found")
    await ics(client, feed["url"])


async def test_a_feed_for_no_such_party_is_not_found(client):
    r = await client.post("/v1/parties/987654/calendar-feeds", headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_a_party_feed_can_be_made_by_any_key_of_the_party(client):
    w = await world(client)
    manager, _ = await new_key(client, w.group["id"], "manager")
    feed = await make_feed(client, w.group["id"], manager)
    await ics(client, feed["url"])
