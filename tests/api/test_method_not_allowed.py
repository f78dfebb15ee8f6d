"""A method the path does not answer is a 405 `method-not-allowed` problem whose `Allow`
lists every method of the path (RFC 9110 section 15.5.6), over every path of the app."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.convertors import CONVERTOR_TYPES
from starlette.routing import Route

from app.main import create_app
from tests.api.support import assert_problem
from tests.conftest import ADMIN, settings_for

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def unconverted(template: str) -> str:
    """A route's path as the document writes it: `{booking_id:id_beside_quote}` is
    `{booking_id}`."""
    return re.sub(r":\w+\}", "}", template)


def routes() -> list[tuple[str, frozenset[str]]]:
    """(path template, methods) of every route of the app, those the document leaves out
    (`/openapi.json`, `/docs`) too."""
    app = create_app(settings_for("sqlite:///never-opened.db"))
    found: list[tuple[str, frozenset[str]]] = []
    for route in app.router.routes:
        for r in getattr(getattr(route, "original_router", None), "routes", [route]):
            if isinstance(r, (APIRoute, Route)) and r.methods:
                found.append((r.path, frozenset(r.methods)))
    documented = {
        (path, method.upper())
        for path, item in app.openapi()["paths"].items()
        for method in item
    }
    assert documented <= {(unconverted(p), m) for p, methods in found for m in methods}
    return found


ROUTES = routes()


def fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _segment(parameter: str) -> str:
    """A path parameter's pattern: any segment, or what its convertor takes (an
    `id_beside` parameter is never the fixed names it sits beside,
    `{feed_id:not_ics}` never a secret address `<token>.ics`)."""
    _, _, convertor = parameter[1:-1].partition(":")
    return CONVERTOR_TYPES[convertor].regex if convertor else "[^/]+"


def _matches(template: str, path: str) -> bool:
    pattern = "".join(
        _segment(part) if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{[^}]+\})", template)
    )
    return re.fullmatch(pattern, path) is not None


def methods_of(path: str) -> set[str]:
    """What the app answers at a concrete path: every route's methods whose template
    matches it (`/v1/bookings/quote` is not `/v1/bookings/{booking_id}`: `_segment`), and
    HEAD wherever GET is."""
    found = {m for template, methods in ROUTES if _matches(template, path) for m in methods}
    return found | {"HEAD"} if "GET" in found else found


def cases() -> list[tuple[str, str, set[str]]]:
    paths = sorted({fill(template) for template, _ in ROUTES})
    return [
        (method, path, methods_of(path))
        for path in paths
        for method in METHODS
        if method not in methods_of(path)
    ]


CASES = cases()


def allow(header: str) -> set[str]:
    return {m.strip() for m in header.split(",")}


@pytest.mark.parametrize(
    ("method", "path", "expected"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES]
)
async def test_a_method_the_path_does_not_answer_is_405_listing_every_method_of_the_path(
    client, method, path, expected
):
    for headers in ({}, ADMIN):
        r = await client.request(method, path, headers=headers)
        assert_problem(r, 405, "method-not-allowed")
        assert allow(r.headers["allow"]) == expected, (method, path, r.headers["allow"])


def test_the_walk_covers_the_paths_the_issue_names():
    assert ("DELETE", "/v1/bookings") in {(m, p) for m, p, _ in CASES}
    assert ("PUT", "/v1/sites/1/calendar-exceptions/1") in {(m, p) for m, p, _ in CASES}
    assert len(CASES) > 60


async def test_deleting_the_bookings_collection_lists_get_and_post(client):
    r = await client.delete("/v1/bookings", headers=ADMIN)
    assert_problem(r, 405, "method-not-allowed")
    assert allow(r.headers["allow"]) == {"GET", "HEAD", "POST"}


async def test_a_calendar_exception_lists_get_patch_and_delete(client):
    r = await client.put("/v1/sites/1/calendar-exceptions/1", headers=ADMIN)
    assert_problem(r, 405, "method-not-allowed")
    assert allow(r.headers["allow"]) == {"GET", "HEAD", "PATCH", "DELETE"}


async def test_a_cost_item_is_neither_edited_nor_deleted(client):
    for method in ("PATCH", "DELETE", "PUT"):
        r = await client.request(method, "/v1/agreements/1/cost-items/1", headers=ADMIN)
        assert_problem(r, 405, "method-not-allowed")
        assert allow(r.headers["allow"]) == {"GET", "HEAD"}
