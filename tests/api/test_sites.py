"""Contract section 3, sites: schools and city facilities, their weekly hours, who
may manage them (admin, or a manager of the owning party)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import assert_problem, error_paths, list_all, row_counts
from tests.conftest import ADMIN
from tests.factories import make_key, make_party, make_site, school_hours

SITE_FIELDS = {
    "id", "name", "kind", "owner_party_id", "timezone", "address", "open_hours",
    "reserved_hours", "custodial_hours", "custodial_rate_cents_per_hour",
}


def site_body(owner_party_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Hiram Johnson High",
        "kind": "school",
        "owner_party_id": owner_party_id,
        **fields,
    }


# --- create and read -------------------------------------------------------------------


async def test_an_admin_creates_a_school_site(client):
    district = await make_party(client)
    body = site_body(
        district["id"], address="6879 14th Ave", timezone="America/Los_Angeles",
        custodial_rate_cents_per_hour=4500, **school_hours(),
    )
    r = await client.post("/v1/sites", json=body, headers=ADMIN)
    assert r.status_code == 201
    site = r.json()
    assert site.keys() >= SITE_FIELDS
    assert r.headers["location"] == f"/v1/sites/{site['id']}"
    assert {k: site[k] for k in body} == body


async def test_a_site_reads_back_at_its_location_without_a_key(client):
    district = await make_party(client)
    r = await client.post("/v1/sites", json=site_body(district["id"]), headers=ADMIN)
    read = await client.get(r.headers["location"])
    assert read.status_code == 200
    assert read.json() == r.json()


async def test_a_site_without_hours_is_open_all_week_in_pacific_time(client):
    city = await make_party(client, "city")
    r = await client.post(
        "/v1/sites",
        json={
            "name": "Oak Park Community Center",
            "kind": "city_facility",
            "owner_party_id": city["id"],
        },
        headers=ADMIN,
    )
    site = r.json()
    assert r.status_code == 201
    assert site["timezone"] == "America/Los_Angeles"
    assert site["open_hours"] == {
        d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    assert site["reserved_hours"] == {}
    assert site["custodial_hours"] == {}
    assert site["custodial_rate_cents_per_hour"] == 0
    assert site["address"] is None


async def test_weekly_hours_are_kept_in_weekday_order_with_windows_sorted(client):
    district = await make_party(client)
    hours = {
        "sun": [["12:00", "14:00"]],
        "mon": [["18:00", "22:00"], ["06:00", "08:00"]],
        "wed": [],
    }
    site = await make_site(client, district["id"], open_hours=hours)
    assert list(site["open_hours"]) == ["mon", "sun"]
    assert site["open_hours"]["mon"] == [["06:00", "08:00"], ["18:00", "22:00"]]


async def test_back_to_back_windows_do_not_overlap(client):
    district = await make_party(client)
    site = await make_site(
        client, district["id"], open_hours={"sat": [["08:00", "12:00"], ["12:00", "24:00"]]}
    )
    assert site["open_hours"] == {"sat": [["08:00", "12:00"], ["12:00", "24:00"]]}


async def test_a_site_belongs_to_a_known_party(client, db):
    r = await client.post("/v1/sites", json=site_body(2_000_000_000), headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.owner_party_id"]
    assert (await row_counts(db))["sites"] == 0


async def test_an_unknown_site_kind_is_refused(client):
    district = await make_party(client)
    r = await client.post("/v1/sites", json=site_body(district["id"], kind="castle"), headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.kind"]


async def test_reading_an_unknown_site_is_not_found(client):
    r = await client.get("/v1/sites/987654321")
    assert_problem(r, 404, "not-found")


# --- weekly hours, time zone and money validation --------------------------------------------

BAD_HOURS = [
    pytest.param({"mon": [["8:00", "12:00"]]}, "body.open_hours.mon", id="one-digit-hour"),
    pytest.param({"mon": [["08:00", "25:00"]]}, "body.open_hours.mon", id="hour-25"),
    pytest.param({"tue": [["08:60", "12:00"]]}, "body.open_hours.tue", id="minute-60"),
    pytest.param({"wed": [["24:00", "24:00"]]}, "body.open_hours.wed", id="24-as-start"),
    pytest.param({"thu": [["23:00", "24:01"]]}, "body.open_hours.thu", id="past-24"),
    pytest.param({"fri": [["12:00", "08:00"]]}, "body.open_hours.fri", id="end-before-start"),
    pytest.param({"sat": [["08:00", "08:00"]]}, "body.open_hours.sat", id="empty-window"),
    pytest.param(
        {"sun": [["08:00", "12:00"], ["11:00", "13:00"]]}, "body.open_hours.sun", id="overlap"
    ),
    pytest.param(
        {"mon": [["08:00", "22:00"], ["09:00", "10:00"]]}, "body.open_hours.mon", id="nested"
    ),
    pytest.param({"tue": [["08h00", "12h00"]]}, "body.open_hours.tue", id="not-hh-mm"),
    pytest.param({"wed": [["０８:00", "12:00"]]}, "body.open_hours.wed", id="fullwidth-digits"),
    pytest.param({"thu": [["-1:00", "12:00"]]}, "body.open_hours.thu", id="negative"),
]


@pytest.mark.parametrize(("hours", "path"), BAD_HOURS)
async def test_bad_weekly_hours_are_refused_naming_the_weekday(client, db, hours, path):
    district = await make_party(client)
    r = await client.post(
        "/v1/sites", json=site_body(district["id"], open_hours=hours), headers=ADMIN
    )
    body = assert_problem(r, 422, "validation-error")
    assert any(p.startswith(path) for p in error_paths(body)), body
    assert (await row_counts(db))["sites"] == 0


@pytest.mark.parametrize("field", ["open_hours", "reserved_hours", "custodial_hours"])
async def test_every_weekly_hours_field_is_validated(client, field):
    district = await make_party(client)
    r = await client.post(
        "/v1/sites",
        json=site_body(district["id"], **{field: {"fri": [["10:00", "09:00"]]}}),
        headers=ADMIN,
    )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == [f"body.{field}.fri"]
    assert "fri" in body["detail"]


@pytest.mark.parametrize("day", ["monday", "Mon", "MON", "funday", "7", ""])
async def test_an_unknown_weekday_is_refused(client, day):
    district = await make_party(client)
    r = await client.post(
        "/v1/sites",
        json=site_body(district["id"], open_hours={day: [["08:00", "12:00"]]}),
        headers=ADMIN,
    )
    body = assert_problem(r, 422, "validation-error")
    assert any(e["loc"][:3] == ["body", "open_hours", day] for e in body["errors"]), body


@pytest.mark.parametrize(
    "windows",
    [
        [["08:00"]], [["08:00", "09:00", "10:00"]], "08:00-12:00", [[800, 1200]],
        [{"start": "08:00"}], None,
    ],
)
async def test_a_window_is_a_pair_of_times(client, windows):
    district = await make_party(client)
    r = await client.post(
        "/v1/sites", json=site_body(district["id"], open_hours={"mon": windows}), headers=ADMIN
    )
    body = assert_problem(r, 422, "validation-error")
    assert all(e["loc"][:3] == ["body", "open_hours", "mon"] for e in body["errors"]), body


@pytest.mark.parametrize(
    "tz",
    [
        "America/Sacramento", "PST", "Mars/Olympus_Mons", "", "../../etc/passwd",
        "america/los_angeles",
    ],
)
async def test_the_timezone_must_be_an_iana_name(client, db, tz):
    district = await make_party(client)
    r = await client.post("/v1/sites", json=site_body(district["id"], timezone=tz), headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.timezone"]
    assert (await row_counts(db))["sites"] == 0


@pytest.mark.parametrize("tz", ["localtime", "Factory"])
async def test_a_timezone_whose_rules_depend_on_the_host_is_refused(client, db, tz):
    district = await make_party(client)
    r = await client.post("/v1/sites", json=site_body(district["id"], timezone=tz), headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.timezone"]
    site = await make_site(client, district["id"])
    r = await client.patch(f"/v1/sites/{site['id']}", json={"timezone": tz}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.timezone"]
    assert (await client.get(f"/v1/sites/{site['id']}")).json()["timezone"] == site["timezone"]


@pytest.mark.parametrize("tz", ["America/New_York", "UTC", "Pacific/Honolulu"])
async def test_any_iana_timezone_is_accepted(client, tz):
    district = await make_party(client)
    site = await make_site(client, district["id"], timezone=tz)
    assert site["timezone"] == tz


@pytest.mark.parametrize("rate", [-1, 12.5, 4200.0, "4200", True, None, 10**30])
async def test_the_custodial_rate_is_a_non_negative_integer_of_cents(client, db, rate):
    district = await make_party(client)
    r = await client.post(
        "/v1/sites",
        json=site_body(district["id"], custodial_rate_cents_per_hour=rate),
        headers=ADMIN,
    )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.custodial_rate_cents_per_hour"]
    assert (await row_counts(db))["sites"] == 0


# --- list --------------------------------------------------------------------------


async def test_sites_filter_by_kind_and_owner(client):
    district = await make_party(client, "school_district")
    city = await make_party(client, "city")
    school = await make_site(client, district["id"], name="Bret Harte Elementary")
    pool = await make_site(client, city["id"], name="Tahoe Park Pool", kind="city_facility")
    library = await make_site(client, district["id"], name="District library", kind="city_facility")

    assert await list_all(client, "/v1/sites") == [school, pool, library]
    assert await list_all(client, "/v1/sites", params={"kind": "school"}) == [school]
    assert await list_all(client, "/v1/sites", params={"kind": "city_facility"}) == [pool, library]
    by_owner = {"owner_party_id": district["id"]}
    assert await list_all(client, "/v1/sites", params=by_owner) == [school, library]
    assert await list_all(
        client, "/v1/sites", params={"owner_party_id": district["id"], "kind": "city_facility"}
    ) == [library]


async def test_a_party_without_sites_lists_none(client):
    district = await make_party(client)
    await make_site(client, district["id"])
    assert await list_all(client, "/v1/sites", params={"owner_party_id": 2_000_000_000}) == []


# --- change --------------------------------------------------------------------------------


async def test_an_admin_changes_only_the_fields_sent(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    change = {
        "name": "Renamed",
        "custodial_hours": {"sat": [["08:00", "12:00"]]},
        "address": "1 Main St",
    }
    r = await client.patch(f"/v1/sites/{site['id']}", json=change, headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == {**site, **change}
    assert (await client.get(f"/v1/sites/{site['id']}")).json() == {**site, **change}


async def test_an_address_can_be_cleared(client):
    district = await make_party(client)
    site = await make_site(client, district["id"], address="1 Main St")
    r = await client.patch(f"/v1/sites/{site['id']}", json={"address": None}, headers=ADMIN)
    assert r.json()["address"] is None


async def test_bad_hours_in_a_change_are_refused_naming_the_weekday(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    r = await client.patch(
        f"/v1/sites/{site['id']}",
        json={"reserved_hours": {"thu": [["15:00", "08:00"]]}},
        headers=ADMIN,
    )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.reserved_hours.thu"]
    assert (await client.get(f"/v1/sites/{site['id']}")).json() == site


async def test_changing_an_unknown_site_is_not_found(client):
    r = await client.patch("/v1/sites/987654321", json={"name": "Ghost"}, headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_an_unknown_field_in_a_change_is_refused(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    r = await client.patch(f"/v1/sites/{site['id']}", json={"nmae": "Typo"}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.nmae"]


# --- who may manage a site -------------------------------------------------------------------

# Callers who may not create or change a district's site: (whose key, role, problem).
REFUSED_CALLERS = [
    pytest.param("other", "manager", 403, id="manager-of-another-party"),
    pytest.param("own", "partner", 403, id="partner-of-the-owner"),
    pytest.param(None, None, 401, id="no-key"),
]
PROBLEM_CODES = {401: "unauthenticated", 403: "forbidden"}


async def caller_headers(
    client, whose: str | None, role: str | None, own: dict, other: dict
) -> dict[str, str]:
    if whose is None:
        return {}
    return await make_key(client, (own if whose == "own" else other)["id"], role)


async def test_a_manager_creates_a_site_for_its_own_party(client):
    district = await make_party(client)
    manager = await make_key(client, district["id"], "manager")
    r = await client.post("/v1/sites", json=site_body(district["id"]), headers=manager)
    assert r.status_code == 201
    assert r.json()["owner_party_id"] == district["id"]


@pytest.mark.parametrize(("whose", "role", "status"), REFUSED_CALLERS)
async def test_who_may_not_create_a_districts_site(client, db, whose, role, status):
    district = await make_party(client)
    other = await make_party(client, "city")
    headers = await caller_headers(client, whose, role, district, other)
    r = await client.post("/v1/sites", json=site_body(district["id"]), headers=headers)
    assert_problem(r, status, PROBLEM_CODES[status])
    assert (await row_counts(db))["sites"] == 0


async def test_the_owners_manager_changes_its_site(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    manager = await make_key(client, district["id"], "manager")
    r = await client.patch(
        f"/v1/sites/{site['id']}", json={"custodial_rate_cents_per_hour": 5000}, headers=manager
    )
    assert r.status_code == 200
    assert r.json()["custodial_rate_cents_per_hour"] == 5000


@pytest.mark.parametrize(("whose", "role", "status"), REFUSED_CALLERS)
async def test_who_may_not_change_a_districts_site(client, whose, role, status):
    district = await make_party(client)
    other = await make_party(client, "city")
    site = await make_site(client, district["id"])
    headers = await caller_headers(client, whose, role, district, other)
    r = await client.patch(f"/v1/sites/{site['id']}", json={"name": "Annexed"}, headers=headers)
    assert_problem(r, status, PROBLEM_CODES[status])
    assert (await client.get(f"/v1/sites/{site['id']}")).json() == site


async def test_a_manager_cannot_hand_its_site_to_another_party(client):
    district = await make_party(client)
    other = await make_party(client, "city")
    site = await make_site(client, district["id"])
    manager = await make_key(client, district["id"], "manager")
    r = await client.patch(
        f"/v1/sites/{site['id']}", json={"owner_party_id": other["id"]}, headers=manager
    )
    assert_problem(r, 403, "forbidden")
    assert (await client.get(f"/v1/sites/{site['id']}")).json() == site


async def test_an_admin_hands_a_site_to_another_party(client):
    district = await make_party(client)
    other = await make_party(client, "city")
    site = await make_site(client, district["id"])
    r = await client.patch(
        f"/v1/sites/{site['id']}", json={"owner_party_id": other["id"]}, headers=ADMIN
    )
    assert r.json()["owner_party_id"] == other["id"]
    assert await list_all(client, "/v1/sites", params={"owner_party_id": other["id"]}) == [r.json()]


async def test_a_site_cannot_be_handed_to_an_unknown_party(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    r = await client.patch(
        f"/v1/sites/{site['id']}", json={"owner_party_id": 2_000_000_000}, headers=ADMIN
    )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.owner_party_id"]
    assert (await client.get(f"/v1/sites/{site['id']}")).json() == site
