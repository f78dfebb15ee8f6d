"""What every answer carries whatever the route: no content sniffing, no caching of
answers to a key, HEAD wherever GET is, no redirect built from the Host header, and
docs that need no internet."""

from __future__ import annotations

import re

import pytest

from tests.api.support import assert_problem
from tests.conftest import ADMIN

ANSWERS = [
    pytest.param("GET", "/healthz", None, {}, 200, id="public"),
    pytest.param("GET", "/v1/parties", None, ADMIN, 200, id="keyed"),
    pytest.param("POST", "/v1/parties", {"name": "City", "kind": "city"}, ADMIN, 201, id="made"),
    pytest.param("GET", "/v1/parties", None, {}, 401, id="no-key"),
    pytest.param("GET", "/v1/sites/987654321", None, {}, 404, id="not-found"),
    pytest.param("DELETE", "/v1/sites", None, {}, 405, id="method-not-allowed"),
    pytest.param("POST", "/v1/parties", {"kind": "castle"}, ADMIN, 422, id="invalid"),
    pytest.param("POST", "/v1/parties", {"name": "x" * 1_100_000}, ADMIN, 413, id="too-large"),
    pytest.param("POST", "/v1/bookings", {}, ADMIN, 422, id="fast-lane"),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), ANSWERS)
async def test_every_answer_forbids_content_sniffing(client, method, path, body, headers, status):
    r = await client.request(method, path, json=body, headers=headers)
    assert r.status_code == status
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), ANSWERS)
async def test_an_answer_to_a_key_is_never_stored(client, method, path, body, headers, status):
    r = await client.request(method, path, json=body, headers=headers)
    assert r.status_code == status
    expected = ["no-store"] if headers else []
    assert r.headers.get_list("cache-control") == expected


async def test_an_answer_to_a_bad_key_is_never_stored_either(client):
    r = await client.get("/v1/parties", headers={"Authorization": "Bearer not-a-key"})
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/v1/sites", {}), ("/v1/parties", ADMIN), ("/openapi.json", {}), ("/healthz", {})],
)
async def test_head_answers_what_get_answers_without_the_body(client, path, headers):
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


async def test_head_of_a_missing_resource_is_404(client):
    r = await client.head("/v1/sites/987654321")
    assert r.status_code == 404
    assert r.content == b""


async def test_head_where_there_is_no_get_is_405(client):
    r = await client.head("/v1/bookings/1/approve", headers=ADMIN)
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


@pytest.mark.parametrize("path", ["/v1/sites/", "/v1/parties/", "/healthz/"])
async def test_a_trailing_slash_is_not_found_never_redirected(client, path):
    r = await client.get(path, headers={"Host": "evil.example", **ADMIN})
    assert_problem(r, 404, "not-found")
    assert "location" not in r.headers


async def test_the_docs_load_swagger_ui_from_the_server_itself(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "https://" not in page.text and "http://" not in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3  # the script, the stylesheet, the icon
    kinds = set()
    for url in assets:
        r = await client.get(url)
        assert r.status_code == 200, url
        assert "immutable" in r.headers["cache-control"]
        kinds.add(r.headers["content-type"].split(";")[0])
    assert kinds == {"text/javascript", "text/css", "image/png"}
    assert "'/openapi.json'" in page.text


async def test_only_the_docs_own_assets_are_served(client):
    page = (await client.get("/docs")).text
    script = re.search(r'src="([^"]+)/swagger-ui-bundle.js"', page)
    assert script is not None
    for name in ("index.html", "swagger-initializer.js", "..%2F__init__.py", "x.js.map"):
        r = await client.get(f"{script.group(1)}/{name}")
        assert_problem(r, 404, "not-found")


async def test_redoc_is_not_served_from_a_cdn(client):
    assert (await client.get("/redoc")).status_code == 404
