"""Every request body in the OpenAPI document has a whole example, and each example,
sent as it is (its ids those of the world it names, set up here), succeeds; the main
responses' examples are what the document says such an answer is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.core import clock
from app.main import create_app
from tests.api.openapi_support import body_schema, conforms, documented, operations, resolve
from tests.conftest import ADMIN, settings_for
from tests.factories import make_party

# A Monday a week before the examples' bookings (Tuesday 12 January 2027 and on).
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))

SPEC = create_app(settings_for("sqlite:///never-opened.db")).openapi()
WITH_BODY = [(m, p) for m, p, op in operations(SPEC) if "requestBody" in op]

# The main answers, each with a whole example.
MAIN_RESPONSES = [
    "PartyRead", "ApiKeyCreated", "SiteRead", "SpaceRead", "CalendarExceptionRead",
    "AgreementRead", "BookingRead", "QuoteResult", "SeriesRead", "Availability", "Statement",
    "Utilization",
]


@pytest.fixture(autouse=True)
def examples_now() -> Iterator[None]:
    with clock.installed(clock.OffsetClock.starting_at(NOW)):
        yield


def example(method: str, path: str) -> dict[str, Any]:
    schema = body_schema(SPEC, SPEC["paths"][path][method.lower()])
    assert schema is not None and schema.get("examples"), (method, path)
    body: dict[str, Any] = schema["examples"][0]
    return body


@dataclass
class World:
    """What the examples name: example id -> id here, by kind."""

    ids: dict[str, dict[int, int]] = field(default_factory=dict)
    etag: str = ""

    def id(self, kind: str, example_id: int) -> int:
        return self.ids[kind][example_id]

    def add(self, kind: str, example_id: int, made: dict[str, Any]) -> None:
        self.ids.setdefault(kind, {})[example_id] = made["id"]


def kind_of(name: str) -> str | None:
    if name.endswith(("party_id", "party_ids", "partner_ids")):
        return "party"
    return {"space_id": "space", "site_id": "site", "agreement_id": "agreement"}.get(
        name.removesuffix("s")
    )


def in_world(body: dict[str, Any], w: World) -> dict[str, Any]:
    """The example with its ids replaced by the world's (map keys too: `cost_shares`)."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        kind = kind_of(name)
        if name == "cost_shares":
            out[name] = {str(w.id("party", int(p))): v for p, v in value.items()}
        elif kind and isinstance(value, int):
            out[name] = w.id(kind, value)
        elif kind and isinstance(value, list):
            out[name] = [w.id(kind, v) for v in value]
        else:
            out[name] = value
    return out


async def send(
    client: httpx.AsyncClient, w: World, method: str, path: str, url: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.request(
        method, url or path, json=in_world(example(method, path), w), headers=headers or ADMIN
    )


async def made(client: httpx.AsyncClient, w: World, path: str, url: str | None = None) -> Any:
    r = await send(client, w, "POST", path, url)
    assert r.status_code == 201, (path, r.text)
    documented(SPEC, "POST", path, r)
    return r


async def world(client: httpx.AsyncClient, path: str) -> tuple[World, dict[str, int]]:
    """The parties, site, spaces and agreement the examples name (made from their own
    examples), and what `path` acts on."""
    w = World()
    for example_id, kind in enumerate(
        ("city", "school_district", "community_group", "community_group"), start=1
    ):
        w.add("party", example_id, await make_party(client, kind, f"Party {example_id}"))
    site = (await made(client, w, "/v1/sites")).json()
    w.add("site", 1, site)
    spaces = f"/v1/sites/{site['id']}/spaces"
    w.add("space", 1, (await made(client, w, "/v1/sites/{site_id}/spaces", spaces)).json())
    w.add("agreement", 1, (await made(client, w, "/v1/agreements")).json())
    agreement = w.id("agreement", 1)
    on = {"site_id": site["id"], "space_id": w.id("space", 1), "agreement_id": agreement,
          "party_id": w.id("party", 3)}
    if "{booking_id}" in path:
        r = await made(client, w, "/v1/bookings")
        on["booking_id"], w.etag = r.json()["id"], r.headers["ETag"]
    if "{series_id}" in path:
        on["series_id"] = (await made(client, w, "/v1/booking-series")).json()["id"]
    if "{exception_id}" in path:
        calendar = f"/v1/sites/{site['id']}/calendar-exceptions"
        r = await made(client, w, "/v1/sites/{site_id}/calendar-exceptions", calendar)
        on["exception_id"] = r.json()["id"]
    if "{item_id}" in path:
        items = f"/v1/agreements/{agreement}/cost-items"
        r = await made(client, w, "/v1/agreements/{agreement_id}/cost-items", items)
        on["item_id"] = r.json()["id"]
    return w, on


@pytest.mark.parametrize(("method", "path"), WITH_BODY, ids=[f"{m} {p}" for m, p in WITH_BODY])
async def test_every_request_body_example_succeeds_as_documented(client, method, path):
    w, on = await world(client, path)
    url = path.format(**on)
    parameters = SPEC["paths"][path][method.lower()].get("parameters", [])
    needs_etag = any(p["name"] == "If-Match" for p in parameters)
    headers = {**ADMIN, "If-Match": w.etag} if needs_etag else ADMIN
    r = await send(client, w, method, path, url, headers)
    assert 200 <= r.status_code < 300, (method, path, r.text)
    body = documented(SPEC, method, path, r)
    if path == "/v1/bookings/quote":
        assert body["ok"] is True, body


def test_every_request_body_has_a_whole_example():
    assert len(WITH_BODY) >= 20
    for method, path in WITH_BODY:
        schema = body_schema(SPEC, SPEC["paths"][path][method.lower()])
        assert schema is not None
        body = example(method, path)
        assert set(schema.get("required", [])) <= set(body), (method, path)
        conforms(SPEC, schema, body)


@pytest.mark.parametrize("name", MAIN_RESPONSES)
def test_a_main_response_has_an_example_the_document_holds(name):
    schema = SPEC["components"]["schemas"][name]
    examples = schema.get("examples")
    assert examples, name
    for instance in examples:
        conforms(SPEC, schema, instance)
        assert set(schema.get("required", [])) <= set(instance), name


async def test_the_booking_example_answers_as_the_booking_read_example_says(client):
    """The example booking's answer is the `BookingRead` example, but for its ids and
    timestamps: its status, times and quote are the server's."""
    w, _ = await world(client, "/v1/bookings")
    r = await made(client, w, "/v1/bookings")
    answer = r.json()
    shown = resolve(SPEC, {"$ref": "#/components/schemas/BookingRead"})["examples"][0]
    generated = {"id", "created_at", "updated_at"}
    ours = {k: v for k, v in in_world(shown, w).items() if k not in generated}
    ours["quote"] = {
        **shown["quote"],
        "cost_shares_cents": {
            str(w.id("party", int(p))): c for p, c in shown["quote"]["cost_shares_cents"].items()
        },
    }
    assert {k: v for k, v in answer.items() if k not in generated} == ours
