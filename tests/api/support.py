"""Assertions the API tests share: problem bodies, and proof that nothing was written."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text

from app.core.db import Database

PROBLEM = "application/problem+json"
CATALOG_TABLES = ("parties", "api_keys", "sites", "spaces", "calendar_exceptions")


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with the given status and stable `code`."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM, r.headers.get("content-type")
    body = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] and body["title"] and body["detail"]
    return body


def error_paths(body: dict[str, Any]) -> list[str]:
    """The dotted paths a `validation-error` names."""
    return [e["path"] for e in body["errors"]]


def raw_json(value: Any) -> bytes:
    """JSON as a careless client writes it: NaN allowed, lone surrogates escaped."""
    return json.dumps(value).encode()


async def row_counts(db: Database) -> dict[str, int]:
    async with db.read_sessions() as s:
        return {
            t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in CATALOG_TABLES
        }


async def list_all(client: httpx.AsyncClient, path: str, **kw: Any) -> list[dict[str, Any]]:
    """Every item of a collection, page by page."""
    items: list[dict[str, Any]] = []
    params = dict(kw.pop("params", {}))
    while True:
        r = await client.get(path, params=params, **kw)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def db_state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the catalog tables: equal before and after means nothing was written."""
    async with db.read_sessions() as s:
        return {
            t: sorted(tuple(row) for row in (await s.execute(text(f"SELECT * FROM {t}"))).all())
            for t in CATALOG_TABLES
        }
