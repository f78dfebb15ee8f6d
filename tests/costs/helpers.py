"""Helpers for the money tests: statements, cost items and reports read as a client
reads them."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import httpx

from tests.bookings.helpers import World
from tests.clock import site_today
from tests.conftest import ADMIN

CSV = {"Accept": "text/csv"}


def span(first: date, last: date | None = None) -> dict[str, str]:
    """`from`/`to` query parameters, inclusive dates."""
    return {"from": first.isoformat(), "to": (last or first).isoformat()}


async def statement(
    client: httpx.AsyncClient, agreement_id: int, first: date, last: date | None = None,
    headers: dict[str, str] = ADMIN,
) -> dict[str, Any]:
    r = await client.get(
        f"/v1/agreements/{agreement_id}/statement", params=span(first, last), headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def custodial_lines(st: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The statement's custodial lines by booking id."""
    return {line["booking_id"]: line for line in st["lines"] if line["kind"] == "custodial"}


def line_figures(line: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    """(minutes, amount, shares) of a custodial line, comparable with a quote."""
    return line["minutes"], line["amount_cents"], line["shares_cents"]


def quote_figures(booking: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    q = booking["quote"]
    return q["custodial_minutes"], q["custodial_cost_cents"], q["cost_shares_cents"]


def item_body(w: World, **fields: Any) -> dict[str, Any]:
    return {
        "category": "supplies",
        "amount_cents": 10001,
        "incurred_by_party_id": w.district["id"],
        "incurred_on": site_today().isoformat(),
        "description": "Floor cleaner and paper towels",
        **fields,
    }


async def add_item(
    client: httpx.AsyncClient,
    agreement_id: int,
    body: dict[str, Any],
    headers: dict[str, str] = ADMIN,
) -> dict[str, Any]:
    r = await client.post(f"/v1/agreements/{agreement_id}/cost-items", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def utilization(
    client: httpx.AsyncClient, first: date, last: date | None = None, group_by: str = "site",
    headers: dict[str, str] = ADMIN,
) -> list[dict[str, Any]]:
    r = await client.get(
        "/v1/reports/utilization",
        params={**span(first, last), "group_by": group_by},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def rows_of(text: str) -> list[list[str]]:
    """CSV records, RFC 4180 lines ending in CRLF."""
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


async def with_etag(client: httpx.AsyncClient, booking_id: int, headers: dict[str, str]) -> str:
    r = await client.get(f"/v1/bookings/{booking_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.headers["etag"]
