"""`POST /v1/bookings` is called straight from the request-context middleware
(`hot.FastLane`): clients get exactly what the routed call gives them, errors
included, with the request id on every answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response

from app.bookings import service
from app.core.db import Database
from app.core.hot import FastLane, HotRoute, fast_lanes, hot
from app.main import create_app
from tests.api.support import assert_problem
from tests.bookings.helpers import evening, next_weekday, world
from tests.conftest import ADMIN, settings_for

# The booking id differs between the two calls, and so may its number of digits.
VOLATILE = ("date", "x-request-id", "etag", "location", "content-length")


@pytest.fixture
async def routed(
    db: Database, database_urls: dict[str, str], backend: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The same app without fast lanes: every request goes through FastAPI's routing."""
    app = create_app(settings_for(database_urls[backend]))
    next(m for m in app.user_middleware if "lanes" in m.kwargs).kwargs["lanes"] = {}
    app.state.db = db
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def shown(r: httpx.Response) -> tuple[int, dict[str, str], Any]:
    body = r.json()
    if isinstance(body, dict):
        body = {
            k: v
            for k, v in body.items()
            if k not in ("id", "created_at", "updated_at", "request_id")
        }
    return r.status_code, {k: v for k, v in r.headers.items() if k not in VOLATILE}, body


def test_the_booking_post_has_a_fast_lane(apps: dict[str, FastAPI]) -> None:
    for app in apps.values():
        lanes = next(m for m in app.user_middleware if "lanes" in m.kwargs).kwargs["lanes"]
        assert set(lanes) == {("POST", "/v1/bookings")}
        assert lanes[("POST", "/v1/bookings")].endpoint.__name__ == "create_booking"


async def test_the_fast_lane_answers_as_the_routed_call_does(client, routed):
    w = await world(client)
    day = next_weekday(1)
    cases: list[tuple[dict[str, str], Any]] = [
        (w.group_key, evening(w.gym["id"], day, "18:00", "19:00")),  # 201
        (w.group_key, evening(w.gym["id"], day, "18:30", "19:30")),  # 409 conflict
        (w.group_key, evening(w.gym["id"], day, "19:00", "20:00", attendance=9999)),  # 422 rules
        ({}, evening(w.gym["id"], day, "21:00", "22:00")),  # 401
        (w.group_key, evening(w.gym["id"], day, "21:00", "22:00", party_id=w.city["id"])),  # 403
        (w.group_key, {"space_id": "gym"}),  # 422 validation
        (w.group_key, b"{not json"),  # 422 validation
        ({"Authorization": "Bearer jk_forged"}, evening(w.gym["id"], day, "21:00", "22:00")),  # 401
    ]
    statuses = []
    for headers, body in cases:
        kw: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
        fast = await client.post("/v1/bookings", headers=headers, **kw)
        if fast.status_code == 201:
            # The routed call books the next hour: the same answer but for the times.
            assert (
                await client.post(f"/v1/bookings/{fast.json()['id']}/cancel", headers=headers)
            ).status_code == 200
        slow = await routed.post("/v1/bookings", headers=headers, **kw)
        assert shown(fast) == shown(slow)
        assert fast.headers["x-request-id"] and slow.headers["x-request-id"]
        statuses.append(fast.status_code)
    assert statuses == [201, 409, 422, 401, 403, 422, 422, 401]


async def test_a_created_booking_from_the_fast_lane_names_its_location(client):
    w = await world(client)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], next_weekday(1)), headers=w.group_key
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/v1/bookings/{r.json()['id']}"
    assert r.headers["etag"]


async def test_an_unexpected_error_in_the_fast_lane_is_a_500_problem_with_the_request_id(
    client, monkeypatch: pytest.MonkeyPatch
):
    async def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("boom: internals")

    monkeypatch.setattr(service, "make_booking", broken)
    r = await client.post(
        "/v1/bookings",
        json={
            "space_id": 1,
            "start": "2030-01-01T18:00:00Z",
            "end": "2030-01-01T19:00:00Z",
            "purpose": "x",
            "attendance": 1,
        },
        headers={**ADMIN, "x-request-id": "lane-500"},
    )
    body = assert_problem(r, 500, "internal-error")
    assert r.headers["x-request-id"] == "lane-500" and body["request_id"] == "lane-500"
    assert "boom" not in r.text


# --- which routes get a lane ---------------------------------------------------------


@hot(lane=True)
async def _laned(request: Request) -> Response:
    return Response(b"laned")


@hot()
async def _hot(request: Request) -> Response:
    return Response(b"hot")


async def _plain(request: Request) -> Response:
    return Response(b"plain")


def test_only_routes_declared_with_a_lane_get_one() -> None:
    routes = APIRouter(route_class=HotRoute)
    routes.add_api_route("/laned", _laned, methods=["POST"])
    routes.add_api_route("/hot", _hot, methods=["POST"])
    routes.add_api_route("/plain", _plain, methods=["POST"])  # the request alone, not declared
    lanes = fast_lanes(FastAPI(), [routes])
    assert set(lanes) == {("POST", "/laned")}
    assert isinstance(lanes[("POST", "/laned")], FastLane)


def test_a_lane_that_an_earlier_route_would_take_fails_when_the_app_is_made() -> None:
    earlier = APIRouter()
    earlier.add_api_route("/taken", _plain, methods=["POST"])
    routes = APIRouter(route_class=HotRoute)
    routes.add_api_route("/taken", _laned, methods=["POST"])
    with pytest.raises(ValueError, match="earlier route"):
        fast_lanes(FastAPI(), [earlier, routes])


def test_only_a_fixed_path_can_have_a_lane() -> None:
    @hot(path=["thing_id"], lane=True)
    async def thing(request: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="fixed path"):
        APIRouter(route_class=HotRoute).add_api_route("/things/{thing_id}", thing, methods=["GET"])
