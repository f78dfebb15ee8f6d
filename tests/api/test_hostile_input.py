"""Hostile input: wrong types, missing and unknown fields, huge and unstorable strings,
NaN, huge integers, bytes that are not UTF-8, nonsense query strings. None may
answer 500, and none may write anything (every catalog row is compared)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import PROBLEM, assert_problem, db_state, error_paths, raw_json
from tests.conftest import ADMIN
from tests.factories import make_party, make_site, make_space

NAN, INF = float("nan"), float("inf")
LONG = "x" * 10_000
JSON = {**ADMIN, "content-type": "application/json"}


async def make_world(client: httpx.AsyncClient) -> dict[str, Any]:
    party = await make_party(client)
    site = await make_site(client, party["id"])
    space = await make_space(client, site["id"])
    r = await client.post(
        f"/v1/sites/{site['id']}/calendar-exceptions",
        json={
            "kind": "closure",
            "start_date": "2027-12-24",
            "end_date": "2027-12-26",
            "reason": "Holidays",
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    return {
        "party": party["id"],
        "site": site["id"],
        "space": space["id"],
        "exception": r.json()["id"],
    }


# How each resource is created (a valid body to spoil) and changed.
RESOURCES: dict[str, dict[str, Any]] = {
    "party": {
        "create": ("/v1/parties", {"name": "P", "kind": "city"}),
        "change": "/v1/parties/{party}",
    },
    "site": {
        "create": ("/v1/sites", {"name": "S", "kind": "school", "owner_party_id": "{party}"}),
        "change": "/v1/sites/{site}",
    },
    "space": {
        "create": ("/v1/sites/{site}/spaces", {"name": "Gym", "kind": "gym", "capacity": 10}),
        "change": "/v1/spaces/{space}",
    },
    "calendar": {
        "create": (
            "/v1/sites/{site}/calendar-exceptions",
            {"kind": "recess", "start_date": "2027-03-29", "end_date": "2027-04-02"},
        ),
        "change": "/v1/sites/{site}/calendar-exceptions/{exception}",
    },
    "api-key": {
        "create": ("/v1/api-keys", {"party_id": "{party}", "role": "partner", "name": "k"}),
        "change": None,
    },
}

STRINGS = [
    ("int", 5), ("list", ["x"]), ("object", {"x": 1}), ("long", LONG), ("nul", "a\u0000b"),
    ("lone-surrogate", "\ud800"), ("blank", "   "), ("nan", NAN),
]
IDS = [
    ("string", "abc"), ("numeric-string", "1"), ("huge", 10**30), ("negative", -1), ("zero", 0),
    ("bool", True), ("float", 1.5), ("nan", NAN), ("infinity", INF), ("list", [1]),
    ("unknown", 2_000_000_000),
]
CENTS = [
    ("negative", -1), ("fraction", 12.5), ("float", 4200.0), ("string", "4200"), ("huge", 10**30),
    ("nan", NAN), ("infinity", INF), ("minus-infinity", -INF), ("bool", True),
    ("object", {"cents": 1}),
]
HOURS = [
    ("string", "all week"), ("list", []), ("unknown-day", {"funday": [["08:00", "09:00"]]}),
    ("hour-25", {"mon": [["25:00", "26:00"]]}), ("nan", NAN), ("nan-window", {"mon": [[NAN, 1]]}),
    ("too-many-windows", {"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(24)] * 3}),
    ("nul", {"mon": [["\u0000", "09:00"]]}), ("day-is-string", {"mon": "08:00-09:00"}),
    ("overlap", {"tue": [["08:00", "12:00"], ["11:00", "13:00"]]}),
    ("start-24", {"wed": [["24:00", "24:00"]]}), ("long-key", {LONG: []}),
]
DATES = [
    ("impossible", "2027-02-30"), ("words", "next tuesday"), ("int", 20270101), ("nan", NAN),
    ("year-10000", "10000-01-01"), ("year-1", "0001-01-01"), ("long", LONG),
    ("nul", "2027-01-01\u0000"),
]

# (resource, field) -> the hostile values tried for it, at create and at change.
FIELD_CASES: dict[tuple[str, str], list[tuple[str, Any]]] = {
    ("party", "name"): STRINGS,
    ("party", "kind"): [("unknown", "castle"), ("upper", "CITY"), ("int", 1), ("nan", NAN)],
    ("party", "unknown_field"): [("extra", 1)],
    ("site", "name"): STRINGS,
    ("site", "address"): [
        ("long", LONG),
        ("nul", "\u0000"),
        ("lone-surrogate", "\ud800"),
        ("int", 5),
    ],
    ("site", "kind"): [("unknown", "castle"), ("null", None), ("list", ["school"])],
    ("site", "owner_party_id"): IDS,
    ("site", "timezone"): [
        ("unknown", "Mars/Olympus_Mons"), ("empty", ""), ("long", LONG),
        ("nul", "America/Los_Angeles\u0000"), ("lone-surrogate", "\ud800"),
        ("path", "../../../etc/passwd"), ("int", 8), ("offset", "-08:00"),
    ],
    ("site", "open_hours"): HOURS,
    ("site", "custodial_rate_cents_per_hour"): CENTS,
    ("site", "unknown_field"): [("extra", {"nested": True})],
    ("space", "capacity"): CENTS,
    ("space", "standard_rental_rate_cents_per_hour"): CENTS,
    ("space", "kind"): [("unknown", "ballroom"), ("null", None)],
    ("space", "name"): STRINGS,
    ("space", "site_id"): [("not-changeable", 1)],
    ("calendar", "start_date"): DATES,
    ("calendar", "end_date"): [("before-start", "2000-01-01"), *DATES[:3]],
    ("calendar", "kind"): [("unknown", "holiday"), ("int", 1)],
    ("calendar", "reason"): [
        ("long", LONG),
        ("nul", "\u0000"),
        ("lone-surrogate", "\ud800"),
        ("object", {}),
    ],
    ("api-key", "party_id"): IDS,
    ("api-key", "role"): [("unknown", "root"), ("upper", "ADMIN"), ("null", None)],
    ("api-key", "name"): [("long", LONG), ("nul", "\u0000"), ("blank", " ")],
    ("api-key", "unknown_field"): [("extra", "x"), ("secret", "ju_mine_chosen")],
}


def fill(template: Any, world: dict[str, Any]) -> Any:
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in world:
            return world[template[1:-1]]  # an id placeholder standing alone keeps its type
        return template.format(**world)
    if isinstance(template, dict):
        return {k: fill(v, world) for k, v in template.items()}
    return template


@pytest.mark.parametrize(
    ("resource", "field"), [pytest.param(*k, id="-".join(k)) for k in FIELD_CASES]
)
async def test_hostile_values_of_a_field_are_refused_and_write_nothing(client, db, resource, field):
    world = await make_world(client)
    before = await db_state(db)
    spec = RESOURCES[resource]
    path, valid = spec["create"]
    for label, value in FIELD_CASES[resource, field]:
        attempts = [("POST", fill(path, world), {**fill(valid, world), field: value})]
        if spec["change"]:
            # A good change beside the bad one must not be applied either.
            good = {"reason": "Changed"} if resource == "calendar" else {"name": "Changed"}
            attempts.append(("PATCH", fill(spec["change"], world), {**good, field: value}))
        for method, url, body in attempts:
            r = await client.request(method, url, content=raw_json(body), headers=JSON)
            where = (label, method)
            assert r.status_code == 422, (where, r.text)
            problem = assert_problem(r, 422, "validation-error")
            paths = [e["path"] for e in problem["errors"]]
            assert any(p.startswith(f"body.{field}") for p in paths), (where, problem)
    assert await db_state(db) == before


# Fields a PATCH may leave out but not empty (only a site's `address` may be null).
NOT_NULLABLE = {
    "party": ["name", "kind"],
    "site": [
        "name", "kind", "owner_party_id", "timezone", "open_hours", "reserved_hours",
        "custodial_hours", "custodial_rate_cents_per_hour",
    ],
    "space": ["name", "kind", "capacity", "standard_rental_rate_cents_per_hour"],
    "calendar": ["kind", "start_date", "end_date", "reason"],
}


@pytest.mark.parametrize("resource", NOT_NULLABLE)
async def test_a_change_cannot_set_a_required_field_to_null(client, db, resource):
    world = await make_world(client)
    before = await db_state(db)
    for field in NOT_NULLABLE[resource]:
        r = await client.patch(
            fill(RESOURCES[resource]["change"], world), json={field: None}, headers=ADMIN
        )
        problem = assert_problem(r, 422, "validation-error")
        assert error_paths(problem) == [f"body.{field}"], field
    assert await db_state(db) == before


RAW_BODIES = [
    pytest.param(b"[]", id="array"),
    pytest.param(b'"a site"', id="string"),
    pytest.param(b"null", id="null"),
    pytest.param(b"42", id="number"),
    pytest.param(b"", id="empty"),
    pytest.param(b'{"name": ', id="truncated"),
    pytest.param(b"\xff\xfe", id="not-utf8"),
    pytest.param(b'{"name": "\xff\xfe\xfd"}', id="not-utf8-in-a-string"),
    pytest.param('{"name": "café"}'.encode("latin-1"), id="latin-1"),
    pytest.param(b'{"name": "a\x00b"}', id="raw-nul"),
    pytest.param(b"NaN", id="bare-nan"),
    pytest.param(b'{"capacity": NaN, "custodial_rate_cents_per_hour": Infinity}', id="nan-fields"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep-array"),
    pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="deep-object"),
    pytest.param(b'{"name": "a", "name": 5}', id="duplicate-keys"),
    pytest.param(b"\x00" * 1000, id="nul-bytes"),
]


@pytest.mark.parametrize("content", RAW_BODIES)
async def test_a_hostile_body_is_refused_everywhere_and_writes_nothing(client, db, content):
    world = await make_world(client)
    before = await db_state(db)
    for spec in RESOURCES.values():
        targets = [("POST", spec["create"][0])] + (
            [("PATCH", spec["change"])] if spec["change"] else []
        )
        for method, path in targets:
            r = await client.request(method, fill(path, world), content=content, headers=JSON)
            assert_problem(r, 422, "validation-error")
    assert await db_state(db) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ],
)
async def test_a_valid_body_in_another_media_type_writes_nothing(client, db, content_type):
    world = await make_world(client)
    before = await db_state(db)
    body = raw_json({"name": "Sneaky", "kind": "gym", "capacity": 1})
    r = await client.post(
        f"/v1/sites/{world['site']}/spaces",
        content=body,
        headers={**ADMIN, "content-type": content_type},
    )
    assert r.status_code in (415, 422), r.text
    assert r.headers["content-type"] == PROBLEM
    assert await db_state(db) == before


# Every list's filters and paging parameters, spoiled; the 422 names the parameter.
QUERIES = [
    "/v1/sites?owner_party_id=abc", "/v1/sites?owner_party_id=0", "/v1/spaces?site_id=-1",
    "/v1/sites?limit=abc", "/v1/sites?limit=NaN", "/v1/sites?limit=Infinity", "/v1/sites?limit=1e2",
    "/v1/sites?limit=0x10", "/v1/sites?limit=99999999999999999999", "/v1/sites?limit=-0.5",
    "/v1/sites?owner_party_id=99999999999999999999", "/v1/sites?owner_party_id=-5",
    "/v1/sites?owner_party_id=%00", "/v1/sites?owner_party_id=true", "/v1/sites?kind=castle",
    "/v1/sites?kind=SCHOOL", "/v1/sites?kind=%00", "/v1/sites?kind=%ED%A0%80",
    "/v1/sites?kind=%FF%FE", "/v1/sites?kind=" + "x" * 10_000, "/v1/sites?cursor=%FF",
    "/v1/spaces?site_id=99999999999999999999", "/v1/spaces?site_id=abc", "/v1/spaces?kind=castle",
    "/v1/parties?kind=castle", "/v1/parties?limit=201", "/v1/sites/{site}/spaces?kind=ballroom",
    "/v1/sites/{site}/calendar-exceptions?from=2027-13-01",
    "/v1/sites/{site}/calendar-exceptions?to=yesterday",
    "/v1/sites/{site}/calendar-exceptions?from=99999-01-01",
    "/v1/sites/{site}/calendar-exceptions?from=%00",
    "/v1/sites/{site}/calendar-exceptions?kind=holiday",
]


@pytest.mark.parametrize("url", QUERIES)
async def test_a_hostile_query_is_a_validation_error(client, url):
    if "{site}" in url:
        party = await make_party(client)
        url = url.format(site=(await make_site(client, party["id"]))["id"])
    r = await client.get(url, headers=ADMIN)
    problem = assert_problem(r, 422, "validation-error")
    param = url.partition("?")[2].partition("=")[0]
    assert error_paths(problem) == [f"query.{param}"], problem


PATH_IDS = [
    "-1", "0", "abc", "99999999999999999999", "1e3", "%00", "%FF", "%ED%A0%80", "..%2F..%2Fetc",
    "9" * 1000,
]


@pytest.mark.parametrize("raw_id", PATH_IDS)
async def test_a_hostile_id_in_a_change_is_not_found_and_writes_nothing(client, db, raw_id):
    world = await make_world(client)
    before = await db_state(db)
    for method, url, body in [
        ("PATCH", f"/v1/sites/{raw_id}", {"name": "x"}),
        ("PATCH", f"/v1/spaces/{raw_id}", {"name": "x"}),
        ("PATCH", f"/v1/parties/{raw_id}", {"name": "x"}),
        ("POST", f"/v1/sites/{raw_id}/spaces", {"name": "x", "kind": "gym", "capacity": 1}),
        (
            "POST",
            f"/v1/sites/{raw_id}/calendar-exceptions",
            {"kind": "closure", "start_date": "2027-01-01", "end_date": "2027-01-01"},
        ),
        ("PATCH", f"/v1/sites/{world['site']}/calendar-exceptions/{raw_id}", {"reason": "x"}),
        ("DELETE", f"/v1/sites/{world['site']}/calendar-exceptions/{raw_id}", None),
        ("DELETE", f"/v1/api-keys/{raw_id}", None),
    ]:
        r = await client.request(method, url, json=body, headers=ADMIN)
        assert_problem(r, 404, "not-found")
    assert await db_state(db) == before


@pytest.mark.parametrize(
    "authorization",
    [
        b"Bearer \xff\xfe", b"Bearer " + b"x" * 10_000, b"Bearer ju_\x00_x",
        b"Bearer ju_" + b"a" * 32 + b"_", b"\x00",
    ],
)
async def test_a_hostile_authorization_header_is_unauthenticated_and_writes_nothing(
    client, db, authorization
):
    before = await db_state(db)
    r = await client.post(
        "/v1/parties",
        json={"name": "Intruder", "kind": "city"},
        headers={"Authorization": authorization},
    )
    assert_problem(r, 401, "unauthenticated")
    assert await db_state(db) == before
