"""Cursor pagination: `limit` 1-200 (default 50), an opaque `cursor`, a stable order."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import ValidationFailed
from app.core.schemas import MAX_ID

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size (1-200)")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page"),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


def page(found: tuple[Sequence[Any], str | None], read: Callable[[Any], T]) -> Page[T]:
    """A service's rows and cursor as the page answered, each row shown by `read`."""
    rows, next_cursor = found
    return Page(items=[read(r) for r in rows], next_cursor=next_cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int, name: str = "cursor") -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationFailed(["query", name], "not a cursor this list returned")
    return values


def keyset(
    stmt: Select[Any],
    order: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    cursor: str | None,
    limit: int,
    parse: Sequence[Any] | None = None,
) -> Select[Any]:
    """Order `stmt` by `order` (ascending, unique as a whole) and start after `cursor`.
    Fetches one row more than `limit` so the caller can tell whether a page follows."""
    if cursor is not None:
        values = decode_cursor(cursor, len(order))
        if parse:
            try:
                values = [p(v) for p, v in zip(parse, values, strict=True)]
            except (TypeError, ValueError):
                raise ValidationFailed(
                    ["query", "cursor"], "not a cursor this list returned"
                ) from None
        stmt = stmt.where(tuple_(*order) > tuple_(*values))
    return stmt.order_by(*order).limit(limit + 1)


def page_of(rows: Sequence[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Trim the look-ahead row; the cursor is the key of the last row shown."""
    if len(rows) > limit:
        shown = list(rows[:limit])
        return shown, encode_cursor(key(shown[-1]))
    return list(rows), None


def as_int(value: Any) -> int:
    """An id from a cursor; out of the id range it would overflow the database's integer."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise ValueError("not an id")
    return value
