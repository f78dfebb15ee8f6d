"""Contract section 5, correcting cost items: the site an item names is one of the
agreement's parties' sites, and a wrong item is not edited but voided (`POST
.../cost-items/{id}/void {reason}`, admin or the recording party's manager), after
which statements leave it out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.db import Database
from tests.api.support import assert_problem, error_paths
from tests.bookings.helpers import World, make_agreement, new_key, world
from tests.clock import now, site_today
from tests.conftest import ADMIN
from tests.costs.helpers import CSV, add_item, item_body, rows_of, span, statement
from tests.factories import make_key, make_party, make_site


def items_path(agreement_id: int) -> str:
    return f"/v1/agreements/{agreement_id}/cost-items"


def void_path(agreement_id: int, item_id: int) -> str:
    return f"{items_path(agreement_id)}/{item_id}/void"


async def listed_items(client: httpx.AsyncClient, agreement_id: int) -> list[dict[str, Any]]:
    r = await client.get(items_path(agreement_id), headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def void(
    client: httpx.AsyncClient, w: World, item: dict[str, Any], headers: dict[str, str] = ADMIN,
    reason: str = "Entered twice",
) -> httpx.Response:
    return await client.post(
        void_path(w.agreement["id"], item["id"]), json={"reason": reason}, headers=headers
    )


def item_lines(st: dict[str, Any]) -> list[int]:
    return [line["cost_item_id"] for line in st["lines"] if line["cost_item_id"] is not None]


# --- the site an item names ---------------------------------------------------------


async def test_a_manager_may_not_name_a_site_of_a_party_outside_the_agreement(client):
    w = await world(client)
    outsider = await make_party(client, "school_district", "Another district")
    their_site = await make_site(client, outsider["id"], name="Another school")
    body = item_body(w, site_id=their_site["id"])
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=w.district_manager)
    problem = assert_problem(r, 422, "validation-error")
    assert error_paths(problem) == ["body.site_id"]
    assert await listed_items(client, w.agreement["id"]) == []


async def test_an_admin_may_not_name_a_site_of_a_party_outside_the_agreement_either(client):
    w = await world(client)
    outsider = await make_party(client, "charter_school")
    body = item_body(w, site_id=(await make_site(client, outsider["id"]))["id"])
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=ADMIN)
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["body.site_id"]
    assert await listed_items(client, w.agreement["id"]) == []


async def test_a_direct_partners_site_is_not_a_site_of_the_agreement(client):
    w = await world(client)  # the community group books under it but is not a party
    group_site = await make_site(client, w.group["id"], kind="city_facility", name="Clubhouse")
    body = item_body(w, site_id=group_site["id"])
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=ADMIN)
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["body.site_id"]


async def test_an_item_naming_an_unknown_site_is_refused(client):
    w = await world(client)
    body = item_body(w, site_id=999_999)
    r = await client.post(items_path(w.agreement["id"]), json=body, headers=ADMIN)
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["body.site_id"]


async def test_an_item_may_name_a_site_of_either_party(client):
    w = await world(client)
    city_site = await make_site(client, w.city["id"], kind="city_facility", name="Rec center")
    for site_id in (w.site["id"], city_site["id"]):
        made = await add_item(client, w.agreement["id"], item_body(w, site_id=site_id))
        assert made["site_id"] == site_id


# --- voiding --------------------------------------------------------------------------


async def test_an_admin_voids_an_item_and_the_statement_leaves_it_out(client):
    w = await world(client)
    wrong = await add_item(client, w.agreement["id"], item_body(w, amount_cents=90_000))
    right = await add_item(client, w.agreement["id"], item_body(w, amount_cents=9_000))
    today = site_today()
    assert sorted(item_lines(await statement(client, w.agreement["id"], today))) == sorted(
        [wrong["id"], right["id"]]
    )
    r = await void(client, w, wrong, reason="  Typed one zero too many  ")
    assert r.status_code == 200, r.text
    voided = r.json()
    assert voided["id"] == wrong["id"]
    assert voided["void_reason"] == "Typed one zero too many"
    assert voided["voided_at"] is not None
    st = await statement(client, w.agreement["id"], today)
    assert item_lines(st) == [right["id"]]
    assert st["items_cost_cents"] == 9_000
    incurred = {p["party_id"]: p["incurred_cents"] for p in st["parties"]}
    assert incurred[w.district["id"]] == 9_000


async def test_a_void_is_recorded_with_when_and_by_which_key(client, db: Database):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w), headers=w.district_manager)
    key, key_id = await new_key(client, w.district["id"], "manager")
    before = now()
    r = await void(client, w, item, headers=key)
    after = now()
    assert r.status_code == 200, r.text
    async with db.read_sessions() as s:
        row = (
            await s.execute(
                text("SELECT voided_by_key_id, void_reason FROM cost_items WHERE id = :id"),
                {"id": item["id"]},
            )
        ).one()
    assert tuple(row) == (key_id, "Entered twice")
    # When: the clock's "now" as the request was answered.
    assert before <= datetime.fromisoformat(r.json()["voided_at"]) <= after


async def test_a_voided_item_stays_listed_and_readable_with_its_void(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    voided = (await void(client, w, item)).json()
    assert await listed_items(client, w.agreement["id"]) == [voided]
    got = await client.get(f"{items_path(w.agreement['id'])}/{item['id']}", headers=ADMIN)
    assert got.json() == voided
    assert {k: v for k, v in voided.items() if k not in ("voided_at", "void_reason")} == {
        k: v for k, v in item.items() if k not in ("voided_at", "void_reason")
    }


async def test_a_new_item_is_not_void(client):
    w = await world(client)
    made = await add_item(client, w.agreement["id"], item_body(w))
    assert (made["voided_at"], made["void_reason"]) == (None, None)


async def test_a_voided_item_is_left_out_of_the_statement_csv(client):
    w = await world(client)
    wrong = await add_item(client, w.agreement["id"], item_body(w))
    assert (await void(client, w, wrong)).status_code == 200
    r = await client.get(
        f"/v1/agreements/{w.agreement['id']}/statement",
        params=span(site_today()), headers={**ADMIN, **CSV},
    )
    assert r.status_code == 200, r.text
    assert len(rows_of(r.text)) == 1  # the header row alone


async def test_the_recording_partys_manager_voids_its_item(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w), headers=w.district_manager)
    r = await void(client, w, item, headers=w.district_manager)
    assert r.status_code == 200, r.text


async def test_the_recording_partys_manager_voids_an_item_an_admin_recorded_for_it(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))  # incurred by the district
    assert (await void(client, w, item, headers=w.district_manager)).status_code == 200


async def test_the_other_partys_manager_may_not_void_an_item(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w), headers=w.district_manager)
    city_manager = await make_key(client, w.city["id"], "manager")
    assert_problem(await void(client, w, item, headers=city_manager), 403, "forbidden")
    assert (await listed_items(client, w.agreement["id"]))[0]["voided_at"] is None


async def test_a_partner_key_may_not_void_an_item(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    district_partner = await make_key(client, w.district["id"], "partner")
    for key in (district_partner, w.group_key):
        assert_problem(await void(client, w, item, headers=key), 403, "forbidden")
    assert (await listed_items(client, w.agreement["id"]))[0]["voided_at"] is None


async def test_a_manager_outside_the_agreement_does_not_find_the_item_to_void(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    stranger = await make_key(client, (await make_party(client))["id"], "manager")
    assert_problem(await void(client, w, item, headers=stranger), 404, "not-found")


async def test_voiding_needs_a_key(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    assert_problem(await void(client, w, item, headers={}), 401, "unauthenticated")


async def test_voiding_an_item_twice_is_an_invalid_transition_and_keeps_the_first_void(client):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    first = (await void(client, w, item, reason="Entered twice")).json()
    again = await void(client, w, item, reason="Something else")
    assert_problem(again, 409, "invalid-transition")
    assert (await listed_items(client, w.agreement["id"])) == [first]


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": None},
     {"reason": "ok", "amount_cents": 1}],
    ids=["missing", "empty", "blank", "too-long", "null", "unknown-field"],
)
async def test_a_void_needs_a_reason(client, body):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    r = await client.post(void_path(w.agreement["id"], item["id"]), json=body, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert (await listed_items(client, w.agreement["id"]))[0]["voided_at"] is None


async def test_voiding_an_item_of_another_agreement_is_not_found(client):
    w = await world(client)
    city = w.city["id"]
    other = await make_agreement(client, [city, (await make_party(client))["id"]])
    item = await add_item(client, w.agreement["id"], item_body(w))
    r = await client.post(void_path(other["id"], item["id"]), json={"reason": "x"}, headers=ADMIN)
    assert_problem(r, 404, "not-found")
    assert (await listed_items(client, w.agreement["id"]))[0]["voided_at"] is None


@pytest.mark.parametrize("item_id", ["999999", "abc", "0"])
async def test_voiding_an_unknown_item_is_not_found(client, item_id):
    w = await world(client)
    r = await client.post(
        f"{items_path(w.agreement['id'])}/{item_id}/void", json={"reason": "x"}, headers=ADMIN
    )
    assert_problem(r, 404, "not-found")


async def test_the_database_refuses_a_void_without_its_reason(client, db: Database):
    w = await world(client)
    item = await add_item(client, w.agreement["id"], item_body(w))
    with pytest.raises(IntegrityError):
        async with db.write_sessions() as s:
            await s.execute(
                text("UPDATE cost_items SET voided_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"id": item["id"]},
            )
    assert (await listed_items(client, w.agreement["id"]))[0]["voided_at"] is None
