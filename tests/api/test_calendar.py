"""Contract section 3, site calendar: closures and recesses, dates inclusive."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem, error_paths, list_all, row_counts
from tests.conftest import ADMIN
from tests.factories import make_key, make_party, make_site


def calendar(site: dict[str, Any]) -> str:
    return f"/v1/sites/{site['id']}/calendar-exceptions"


async def add_exception(
    client: httpx.AsyncClient, site: dict[str, Any], kind: str, start: str, end: str,
    reason: str = "",
) -> dict[str, Any]:
    body = {"kind": kind, "start_date": start, "end_date": end, "reason": reason}
    r = await client.post(calendar(site), json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


async def a_site(client: httpx.AsyncClient) -> dict[str, Any]:
    district = await make_party(client)
    return await make_site(client, district["id"])


async def test_an_admin_adds_a_closure(client):
    site = await a_site(client)
    body = {
        "kind": "closure",
        "start_date": "2027-12-24",
        "end_date": "2027-12-26",
        "reason": "Holidays",
    }
    r = await client.post(calendar(site), json=body, headers=ADMIN)
    assert r.status_code == 201
    exc = r.json()
    assert {k: exc[k] for k in body} == body
    assert r.headers["location"] == f"{calendar(site)}/{exc['id']}"
    assert (await client.get(r.headers["location"])).json() == exc


async def test_a_one_day_recess_starts_and_ends_on_the_same_day(client):
    site = await a_site(client)
    exc = await add_exception(client, site, "recess", "2027-11-11", "2027-11-11")
    assert exc["start_date"] == exc["end_date"] == "2027-11-11"
    assert exc["reason"] == ""


async def test_an_exception_cannot_end_before_it_starts(client, db):
    site = await a_site(client)
    body = {"kind": "closure", "start_date": "2027-12-26", "end_date": "2027-12-24"}
    r = await client.post(calendar(site), json=body, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert (await row_counts(db))["calendar_exceptions"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "holiday"), ("start_date", "2027-02-30"), ("start_date", "next tuesday"),
        ("start_date", 20271224), ("end_date", "0001-01-01"), ("end_date", "9999-12-31"),
        ("reason", "x" * 501),
    ],
)
async def test_a_bad_calendar_field_is_refused(client, db, field, value):
    site = await a_site(client)
    body = {"kind": "closure", "start_date": "2027-12-24", "end_date": "2027-12-26", field: value}
    r = await client.post(calendar(site), json=body, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert f"body.{field}" in error_paths(body)
    assert (await row_counts(db))["calendar_exceptions"] == 0


async def test_the_calendar_of_an_unknown_site_is_not_found(client):
    assert_problem(await client.get("/v1/sites/987654321/calendar-exceptions"), 404, "not-found")
    r = await client.post(
        "/v1/sites/987654321/calendar-exceptions",
        json={"kind": "closure", "start_date": "2027-01-01", "end_date": "2027-01-01"},
        headers=ADMIN,
    )
    assert_problem(r, 404, "not-found")


async def test_exceptions_list_by_start_date_and_filter_by_kind_and_dates(client):
    site = await a_site(client)
    spring = await add_exception(client, site, "recess", "2027-03-29", "2027-04-02", "Spring break")
    winter = await add_exception(client, site, "recess", "2027-12-20", "2027-12-31", "Winter break")
    flood = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12", "Flooding")
    path = calendar(site)

    assert await list_all(client, path) == [flood, spring, winter]
    assert await list_all(client, path, params={"kind": "recess"}) == [spring, winter]
    assert await list_all(client, path, params={"kind": "closure"}) == [flood]
    # `from`/`to` keep the exceptions overlapping those days, ends included.
    assert await list_all(client, path, params={"from": "2027-04-02"}) == [spring, winter]
    assert await list_all(client, path, params={"to": "2027-03-29"}) == [flood, spring]
    assert await list_all(client, path, params={"from": "2027-01-13", "to": "2027-03-28"}) == []
    in_2027 = {"from": "2027-01-01", "to": "2027-12-31", "kind": "recess"}
    assert await list_all(client, path, params=in_2027) == [spring, winter]


async def test_a_sites_calendar_holds_only_its_own_exceptions(client):
    site = await a_site(client)
    other = await a_site(client)
    mine = await add_exception(client, site, "closure", "2027-01-10", "2027-01-10")
    await add_exception(client, other, "closure", "2027-01-10", "2027-01-10")
    assert await list_all(client, calendar(site)) == [mine]


async def test_an_exception_is_read_only_through_its_own_site(client):
    site = await a_site(client)
    other = await a_site(client)
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-10")
    assert_problem(await client.get(f"{calendar(other)}/{exc['id']}"), 404, "not-found")
    r = await client.patch(f"{calendar(other)}/{exc['id']}", json={"reason": "x"}, headers=ADMIN)
    assert_problem(r, 404, "not-found")
    assert_problem(
        await client.delete(f"{calendar(other)}/{exc['id']}", headers=ADMIN), 404, "not-found"
    )
    assert (await client.get(f"{calendar(site)}/{exc['id']}")).json() == exc


async def test_an_admin_changes_an_exception(client):
    site = await a_site(client)
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12", "Flooding")
    r = await client.patch(
        f"{calendar(site)}/{exc['id']}",
        json={"end_date": "2027-01-14", "kind": "recess"},
        headers=ADMIN,
    )
    assert r.status_code == 200
    changed = {**exc, "end_date": "2027-01-14", "kind": "recess"}
    assert r.json() == changed
    assert (await client.get(f"{calendar(site)}/{exc['id']}")).json() == changed


@pytest.mark.parametrize("change", [{"end_date": "2027-01-09"}, {"start_date": "2027-01-13"}])
async def test_a_change_cannot_make_an_exception_end_before_it_starts(client, change):
    site = await a_site(client)
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12")
    r = await client.patch(f"{calendar(site)}/{exc['id']}", json=change, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert (await client.get(f"{calendar(site)}/{exc['id']}")).json() == exc


async def test_an_admin_removes_an_exception(client):
    site = await a_site(client)
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12")
    r = await client.delete(f"{calendar(site)}/{exc['id']}", headers=ADMIN)
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(await client.get(f"{calendar(site)}/{exc['id']}"), 404, "not-found")
    assert await list_all(client, calendar(site)) == []
    assert_problem(
        await client.delete(f"{calendar(site)}/{exc['id']}", headers=ADMIN), 404, "not-found"
    )


async def test_the_owners_manager_manages_the_calendar(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    manager = await make_key(client, district["id"], "manager")
    r = await client.post(
        calendar(site),
        json={"kind": "recess", "start_date": "2027-06-10", "end_date": "2027-08-15"},
        headers=manager,
    )
    assert r.status_code == 201
    location = r.headers["location"]
    assert (
        await client.patch(location, json={"reason": "Summer"}, headers=manager)
    ).status_code == 200
    assert (await client.delete(location, headers=manager)).status_code == 204


@pytest.mark.parametrize(("role", "own"), [("manager", False), ("partner", True)])
async def test_only_the_owners_manager_manages_the_calendar(client, db, role, own):
    district = await make_party(client)
    other = await make_party(client, "city")
    site = await make_site(client, district["id"])
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12")
    headers = await make_key(client, district["id"] if own else other["id"], role)
    location = f"{calendar(site)}/{exc['id']}"
    body = {"kind": "closure", "start_date": "2027-02-01", "end_date": "2027-02-01"}

    assert_problem(await client.post(calendar(site), json=body, headers=headers), 403, "forbidden")
    assert_problem(
        await client.patch(location, json={"reason": "x"}, headers=headers), 403, "forbidden"
    )
    assert_problem(await client.delete(location, headers=headers), 403, "forbidden")
    assert await list_all(client, calendar(site)) == [exc]


async def test_changing_the_calendar_needs_a_key(client):
    site = await a_site(client)
    exc = await add_exception(client, site, "closure", "2027-01-10", "2027-01-12")
    location = f"{calendar(site)}/{exc['id']}"
    body = {"kind": "closure", "start_date": "2027-02-01", "end_date": "2027-02-01"}
    assert_problem(await client.post(calendar(site), json=body), 401, "unauthenticated")
    assert_problem(await client.patch(location, json={"reason": "x"}), 401, "unauthenticated")
    assert_problem(await client.delete(location), 401, "unauthenticated")
    assert await list_all(client, calendar(site)) == [exc]
