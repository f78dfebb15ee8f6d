"""Contract section 6, the utilization report: use of the sites by confirmed bookings,
the community's share of it, the rent waived and the custodial cost, grouped by site,
party or space; every figure traceable to `/v1/bookings` and the statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import World, book, evening, instant, listed, local, next_weekday, world
from tests.conftest import ADMIN
from tests.costs.helpers import CSV, custodial_lines, rows_of, span, statement, utilization
from tests.factories import make_key

FIELDS = [
    "key",
    "name",
    "booked_minutes",
    "bookings",
    "community_minutes",
    "rental_fee_waived_cents",
    "custodial_cost_cents",
]
REPORT = "/v1/reports/utilization"


@dataclass
class Evening:
    """One Tuesday at the school: the group in the gym 18:00-20:00, the city in the
    multipurpose room 19:00-21:00 (one coverage of 180 minutes, 12600 cents), the
    district in its own gym in the morning, and a booking cancelled early."""

    w: World
    day: date
    group: dict[str, Any]
    city: dict[str, Any]
    owner: dict[str, Any]


async def busy_evening(client) -> Evening:
    w = await world(client)
    day = next_weekday(1)
    group = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    city = await book(client, w.city_key, evening(w.room["id"], day, "19:00", "21:00"))
    owner = await book(client, w.district_manager, evening(w.gym["id"], day, "10:00", "11:00"))
    dropped = await book(client, w.group_key, evening(w.room["id"], day, "16:00", "18:00"))
    r = await client.post(f"/v1/bookings/{dropped['id']}/cancel", headers=w.group_key)
    assert r.status_code == 200, r.text
    return Evening(w, day, group, city, owner)


def row(key: int, name: str, *figures: int) -> dict[str, Any]:
    return dict(zip(FIELDS, (key, name, *figures), strict=True))


def minutes_between(start: str, end: str) -> int:
    return int((instant(end) - instant(start)) / timedelta(minutes=1))


def local_midnight(day: date) -> datetime:
    return local(day, "00:00")


# --- rows ---------------------------------------------------------------------------


async def test_a_site_row_sums_its_confirmed_bookings(client):
    e = await busy_evening(client)
    # 120 + 120 + 60 minutes; 240 of them by the city and the group, not the owner;
    # rent waived on the two agreement bookings (2 h at $75 each); one coverage.
    assert await utilization(client, e.day) == [
        row(e.w.site["id"], "Washington Elementary", 300, 3, 240, 30000, 12600)
    ]


async def test_rows_by_party_are_keyed_by_the_booking_party(client):
    e = await busy_evening(client)
    w = e.w
    assert await utilization(client, e.day, group_by="party") == [
        row(w.city["id"], "City of Sacramento", 120, 1, 120, 15000, 6300),
        row(w.district["id"], "Sacramento City Unified", 60, 1, 0, 0, 0),
        row(w.group["id"], "Oak Park Youth Soccer", 120, 1, 120, 15000, 6300),
    ]


async def test_rows_by_space_sum_each_spaces_bookings(client):
    e = await busy_evening(client)
    assert await utilization(client, e.day, group_by="space") == [
        row(e.w.gym["id"], "Gym", 180, 2, 120, 15000, 6300),
        row(e.w.room["id"], "Multipurpose room", 120, 1, 120, 15000, 6300),
    ]


async def test_rows_are_grouped_by_site_by_default(client):
    e = await busy_evening(client)
    r = await client.get(REPORT, params=span(e.day), headers=ADMIN)
    assert r.status_code == 200, r.text
    assert [x["key"] for x in r.json()["rows"]] == [e.w.site["id"]]


async def test_only_confirmed_bookings_are_counted(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    approved = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    await book(client, w.group_key, evening(w.gym["id"], day, "19:00", "20:00"))  # left requested
    declined = await book(client, w.group_key, evening(w.room["id"], day, "18:00", "19:00"))
    for booking, action in ((approved, "approve"), (declined, "decline")):
        r = await client.post(f"/v1/bookings/{booking['id']}/{action}", headers=w.district_manager)
        assert r.status_code == 200, r.text
    assert await utilization(client, day) == [
        row(w.site["id"], "Washington Elementary", 60, 1, 60, 7500, 4200)
    ]


@pytest.mark.dates
async def test_a_late_cancellation_is_not_counted_though_its_charge_stays_on_the_statement(client):
    w = await world(client, terms={"late_cancel_hours": 24 * 30})
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))
    r = await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    assert r.status_code == 200, r.text
    assert made["id"] in custodial_lines(await statement(client, w.agreement["id"], day))
    assert await utilization(client, day) == []


@pytest.mark.dates
async def test_the_reports_dates_are_inclusive_site_local_dates(client):
    w = await world(client)
    tuesday = next_weekday(1)
    for day in (
        tuesday - timedelta(days=1),
        tuesday,
        tuesday + timedelta(days=1),
        tuesday + timedelta(days=2),
    ):
        await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    [site] = await utilization(client, tuesday, tuesday + timedelta(days=1))
    assert (site["booked_minutes"], site["bookings"]) == (120, 2)


# --- traceable figures -------------------------------------------------------------


async def test_a_site_rows_minutes_and_count_are_what_the_bookings_list_shows(client):
    e = await busy_evening(client)
    first, last = e.day - timedelta(days=1), e.day + timedelta(days=1)
    [site] = await utilization(client, first, last)
    confirmed = await listed(
        client,
        site_id=e.w.site["id"],
        status="confirmed",
        **{
            "from": local_midnight(first).isoformat(),
            "to": local_midnight(last + timedelta(days=1)).isoformat(),
        },
    )
    assert site["bookings"] == len(confirmed) == 3
    assert site["booked_minutes"] == sum(minutes_between(b["start"], b["end"]) for b in confirmed)
    assert site["rental_fee_waived_cents"] == sum(
        b["quote"]["rental_fee_waived_cents"] for b in confirmed
    )


async def test_the_custodial_cost_of_each_party_row_is_the_sum_of_its_bookings_statement_lines(
    client,
):
    e = await busy_evening(client)
    lines = custodial_lines(await statement(client, e.w.agreement["id"], e.day))
    by_party = {
        r["key"]: r["custodial_cost_cents"]
        for r in await utilization(client, e.day, group_by="party")
    }
    booking_party = {b["id"]: b["party_id"] for b in (e.group, e.city, e.owner)}
    from_lines: dict[int, int] = dict.fromkeys(by_party, 0)
    for booking_id, line in lines.items():
        from_lines[booking_party[booking_id]] += line["amount_cents"]
    assert by_party == from_lines
    assert sum(by_party.values()) == 12600


# --- CSV ----------------------------------------------------------------------------


async def test_the_report_as_csv_has_a_header_row_of_the_field_names(client):
    e = await busy_evening(client)
    r = await client.get(
        REPORT, params={**span(e.day), "group_by": "space"}, headers={**ADMIN, **CSV}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert rows_of(r.text) == [
        FIELDS,
        [str(e.w.gym["id"]), "Gym", "180", "2", "120", "15000", "6300"],
        [str(e.w.room["id"]), "Multipurpose room", "120", "1", "120", "15000", "6300"],
    ]


async def test_a_name_with_a_comma_and_quotes_is_quoted_in_the_csv(client):
    e = await busy_evening(client)
    name = 'Washington Elementary, "Old" campus'
    r = await client.patch(f"/v1/sites/{e.w.site['id']}", json={"name": name}, headers=ADMIN)
    assert r.status_code == 200, r.text
    r = await client.get(REPORT, params=span(e.day), headers={**ADMIN, **CSV})
    assert '"Washington Elementary, ""Old"" campus"' in r.text
    assert rows_of(r.text)[1][:2] == [str(e.w.site["id"]), name]


async def test_an_empty_report_as_csv_is_its_header_row(client):
    r = await client.get(REPORT, params=span(next_weekday(1)), headers={**ADMIN, **CSV})
    assert rows_of(r.text) == [FIELDS]


# --- who reads ----------------------------------------------------------------------


async def test_a_manager_sees_only_the_rows_of_its_partys_sites(client):
    e = await busy_evening(client)
    other = await busy_evening(client)  # another district, its own school and bookings
    assert {r["key"] for r in await utilization(client, e.day)} == {
        e.w.site["id"],
        other.w.site["id"],
    }
    mine = await utilization(client, e.day, headers=e.w.district_manager)
    assert mine == [row(e.w.site["id"], "Washington Elementary", 300, 3, 240, 30000, 12600)]


async def test_a_manager_sees_only_the_parties_booking_at_its_sites_or_itself(client):
    e = await busy_evening(client)
    other = await busy_evening(client)
    keys = {
        r["key"]
        for r in await utilization(
            client, e.day, group_by="party", headers=other.w.district_manager
        )
    }
    assert keys == {other.w.city["id"], other.w.district["id"], other.w.group["id"]}


async def test_a_manager_of_the_booking_party_sees_its_own_bookings_elsewhere(client):
    e = await busy_evening(client)
    city_manager = await make_key(client, e.w.city["id"], "manager")
    rows = await utilization(client, e.day, group_by="party", headers=city_manager)
    assert row(e.w.city["id"], "City of Sacramento", 120, 1, 120, 15000, 6300) in rows


async def test_a_partner_key_may_not_read_reports(client):
    e = await busy_evening(client)
    r = await client.get(REPORT, params=span(e.day), headers=e.w.group_key)
    assert_problem(r, 403, "forbidden")


async def test_a_report_needs_a_key(client):
    r = await client.get(REPORT, params=span(next_weekday(1)))
    assert_problem(r, 401, "unauthenticated")


# --- the query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2027-03-02", "to": "2027-03-01"},
        {"from": "2027-03-01"},
        {"from": "2027-03-01", "to": "2027-03-02", "group_by": "agreement"},
    ],
    ids=["to-before-from", "no-to", "unknown-group-by"],
)
async def test_a_bad_report_query_is_a_validation_error(client, params):
    assert_problem(await client.get(REPORT, params=params, headers=ADMIN), 422, "validation-error")


async def test_a_report_date_with_a_time_is_a_validation_error(client):
    r = await client.get(
        "/v1/reports/utilization",
        params={"from": "2027-03-01T00:00:00Z", "to": "2027-03-31"},
        headers=ADMIN,
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation-error"
