"""Contract section 1: instants are RFC 3339 with an offset and dates `YYYY-MM-DD`,
nothing else, in every body and every query (no path takes one). Each is one type,
`core.time.Instant` and `core.time.LocalDate`, used by every schema."""

from __future__ import annotations

import importlib
import pkgutil
import types
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import AwareDatetime, BaseModel, BeforeValidator, NaiveDatetime

import app
from app.core import time as core_time
from app.main import create_app
from tests.api.support import assert_problem, error_paths, row_counts
from tests.bookings.helpers import (
    add_calendar_exception,
    booking_rows,
    evening,
    next_weekday,
    world,
)
from tests.conftest import ADMIN, settings_for

EPOCH = 1800000000  # 2027-01-15T08:00:00Z
EPOCH_DAY = 1798761600  # 2027-01-01
# What pydantic alone would read as an instant, and the contract does not.
BAD_INSTANTS = [
    pytest.param(EPOCH, id="epoch-number"),
    pytest.param(str(EPOCH), id="epoch-string"),
    pytest.param(float(EPOCH), id="epoch-float"),
    pytest.param("2027-01-15T08:00:00", id="no-offset"),
    pytest.param("2027-01-15", id="a-date"),
    pytest.param("2027-01-15 08:00:00Z", id="space-for-T"),
    pytest.param("2027-01-15T08:00Z", id="no-seconds"),
    pytest.param("2027-01-15T08:00:00+0000", id="offset-without-colon"),
    pytest.param("2027-01-15T08:00:00,5Z", id="comma-fraction"),
]
BAD_DATES = [
    pytest.param(EPOCH_DAY, id="epoch-number"),
    pytest.param(str(EPOCH_DAY), id="epoch-string"),
    pytest.param("2027-01-01T00:00:00Z", id="a-date-time"),
    pytest.param("2027-01-01T00:00:00", id="a-date-time-without-offset"),
    pytest.param("20270101", id="basic-format"),
]
# Query strings carry text only: the spellings of a number are the ones above.
BAD_QUERY_INSTANTS = [str(EPOCH), "2027-01-15T08:00:00", "2027-01-15", "2027-01-15T08:00Z"]
BAD_QUERY_DATES = [str(EPOCH_DAY), "2027-01-01T00:00:00Z", "2027-01-01T00:00:00"]
TIME_FORMATS = ("date-time", "date")


def spec() -> dict[str, Any]:
    return create_app(settings_for("sqlite:///never-opened.db")).openapi()


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _time_format(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[str, bool] | None:
    """(format, is a list) of a property that takes an instant or a date, else None."""
    schema = _resolve(doc, schema)
    if schema.get("format") in TIME_FORMATS:
        return schema["format"], False
    if schema.get("type") == "array" and "items" in schema:
        found = _time_format(doc, schema["items"])
        return (found[0], True) if found else None
    for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
        if found := _time_format(doc, alternative):
            return found
    return None


def _fill(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


def body_fields() -> list[tuple[str, str, str, str, bool]]:
    """(method, path, field, format, is a list) of every request body field that takes
    an instant or a date, from the document."""
    doc = spec()
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            schema = _resolve(doc, body["schema"])
            for alternative in schema.get("anyOf", [schema]):  # an optional body
                for name, prop in _resolve(doc, alternative).get("properties", {}).items():
                    if fmt := _time_format(doc, prop):
                        found.append((method.upper(), path, name, *fmt))
    return found


def query_params() -> list[tuple[str, str, str]]:
    """(path, parameter, format) of every query parameter that takes an instant or a date."""
    doc = spec()
    return [
        (path, param["name"], fmt[0])
        for path, item in doc["paths"].items()
        for op in item.values()
        for param in op.get("parameters", [])
        if param["in"] == "query" and (fmt := _time_format(doc, param["schema"]))
    ]


def path_params() -> list[tuple[str, str]]:
    doc = spec()
    return [
        (path, param["name"])
        for path, item in doc["paths"].items()
        for op in item.values()
        for param in op.get("parameters", [])
        if param["in"] == "path" and _time_format(doc, param["schema"])
    ]


BODY_FIELDS = body_fields()
QUERY_PARAMS = query_params()


def test_the_walk_finds_every_instant_and_date_the_contract_names():
    fields = {(m, p, f) for m, p, f, _, _ in BODY_FIELDS}
    assert {
        ("POST", "/v1/bookings", "start"), ("POST", "/v1/bookings", "end"),
        ("POST", "/v1/bookings/quote", "start"), ("PATCH", "/v1/bookings/{booking_id}", "start"),
        ("POST", "/v1/booking-series", "exdates"),
        ("POST", "/v1/sites/{site_id}/calendar-exceptions", "start_date"),
        ("PATCH", "/v1/sites/{site_id}/calendar-exceptions/{exception_id}", "end_date"),
        ("POST", "/v1/agreements", "starts_on"),
        ("PATCH", "/v1/agreements/{agreement_id}", "ends_on"),
        ("POST", "/v1/agreements/{agreement_id}/cost-items", "incurred_on"),
    } <= fields
    assert {
        ("/v1/spaces/{space_id}/availability", "from"), ("/v1/bookings", "to"),
        ("/v1/sites/{site_id}/calendar-exceptions", "from"),
        ("/v1/agreements/{agreement_id}/statement", "from"), ("/v1/reports/utilization", "to"),
    } <= {(p, name) for p, name, _ in QUERY_PARAMS}


def test_no_path_takes_an_instant_or_a_date():
    # Were one added (`/custodial-shifts/{date}`), it would need the same refusals.
    assert path_params() == []


def _bodies() -> Iterator[Any]:
    for method, path, field, fmt, is_list in BODY_FIELDS:
        for bad in BAD_INSTANTS if fmt == "date-time" else BAD_DATES:
            value = bad.values[0]
            yield pytest.param(
                method, path, field, [value] if is_list else value, is_list,
                id=f"{method} {path} {field} {bad.id}",
            )


@pytest.mark.parametrize(("method", "path", "field", "value", "is_list"), list(_bodies()))
async def test_a_body_refuses_an_instant_or_date_the_contract_does_not_spell(
    client, db, method, path, field, value, is_list
):
    before = await row_counts(db)
    r = await client.request(method, _fill(path), json={field: value}, headers=ADMIN)
    problem = assert_problem(r, 422, "validation-error")
    assert (f"body.{field}[0]" if is_list else f"body.{field}") in error_paths(problem), problem
    assert await row_counts(db) == before


def _queries() -> Iterator[Any]:
    for path, name, fmt in QUERY_PARAMS:
        for bad in BAD_QUERY_INSTANTS if fmt == "date-time" else BAD_QUERY_DATES:
            yield pytest.param(path, name, bad, id=f"{path} {name} {bad}")


@pytest.mark.parametrize(("path", "name", "value"), list(_queries()))
async def test_a_query_refuses_an_instant_or_date_the_contract_does_not_spell(
    client, path, name, value
):
    r = await client.get(_fill(path), params={name: value}, headers=ADMIN)
    problem = assert_problem(r, 422, "validation-error")
    assert f"query.{name}" in error_paths(problem), problem


# --- the cases, end to end -------------------------------------------------


@pytest.mark.parametrize("start", [EPOCH, str(EPOCH)])
async def test_an_epoch_start_books_nothing(client, db, start):
    w = await world(client)
    body = {**evening(w.gym["id"], next_weekday(1)), "start": start}
    before = await booking_rows(db)
    r = await client.post("/v1/bookings", json=body, headers=w.group_key)
    problem = assert_problem(r, 422, "validation-error")
    assert error_paths(problem) == ["body.start"]
    assert await booking_rows(db) == before


async def test_availability_refuses_an_epoch_from(client):
    w = await world(client)
    r = await client.get(
        f"/v1/spaces/{w.gym['id']}/availability",
        params={"from": str(EPOCH), "to": "2027-01-16T08:00:00Z"},
    )
    problem = assert_problem(r, 422, "validation-error")
    assert error_paths(problem) == ["query.from"]


async def test_a_calendar_exception_with_an_epoch_start_date_is_not_created(client, db):
    w = await world(client)
    before = await row_counts(db)
    r = await client.post(
        f"/v1/sites/{w.site['id']}/calendar-exceptions",
        json={"kind": "closure", "start_date": EPOCH_DAY, "end_date": "2027-01-02"},
        headers=ADMIN,
    )
    problem = assert_problem(r, 422, "validation-error")
    assert error_paths(problem) == ["body.start_date"]
    assert await row_counts(db) == before


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2027-01-12T18:00:00-08:00", "2027-01-12T19:00:00-08:00"),
        ("2027-01-13T02:00:00Z", "2027-01-13T03:00:00z"),
        ("2027-01-13t02:00:00.000Z", "2027-01-13T03:00:00.000000+00:00"),
    ],
)
async def test_every_rfc_3339_spelling_with_an_offset_is_an_instant(client, start, end):
    w = await world(client)
    r = await client.get(
        f"/v1/spaces/{w.gym['id']}/availability", params={"from": start, "to": end}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["from"], r.json()["to"]) == ("2027-01-13T02:00:00Z", "2027-01-13T03:00:00Z")


async def test_a_date_is_read_as_written(client):
    w = await world(client)
    made = await add_calendar_exception(client, w.site["id"], "recess", date(2027, 1, 4))
    assert (made["start_date"], made["end_date"]) == ("2027-01-04", "2027-01-04")


# --- one type each ---------------------------------------------------------------------


def _schema_models() -> Iterator[type[BaseModel]]:
    for info in pkgutil.walk_packages(app.__path__, "app."):
        if info.name.rsplit(".", 1)[-1] != "schemas":
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type) and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                yield value


TEMPORAL = (datetime, date, AwareDatetime, NaiveDatetime)


def _temporal_leaves(annotation: Any, metadata: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Each date or datetime inside a field's type, with the metadata it carries."""
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        yield from _temporal_leaves(base, [*metadata, *extra])
    elif get_origin(annotation) in (Union, types.UnionType, list, tuple, dict, set, frozenset):
        for arg in get_args(annotation):
            yield from _temporal_leaves(arg, [])
    elif isinstance(annotation, type) and issubclass(annotation, TEMPORAL):
        yield annotation, metadata


def _checked_by(metadata: list[Any]) -> set[Any]:
    return {m.func for m in metadata if isinstance(m, BeforeValidator)}


def test_every_schema_field_that_is_an_instant_or_a_date_is_the_one_core_type():
    strict = {core_time._rfc3339_text, core_time._full_date_text}
    seen = 0
    for model in _schema_models():
        for name, field in model.model_fields.items():
            for base, metadata in _temporal_leaves(field.annotation, list(field.metadata)):
                seen += 1
                assert _checked_by(metadata) & strict, f"{model.__name__}.{name}: {base}"
    assert seen >= 30  # the walk sees the schemas' fields (booking, series, costs, ...)
