"""Ids in paths are opaque to clients: anything that is not one of ours is 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import WithJsonSchema
from starlette.convertors import Convertor, register_url_convertor

from app.core.errors import NotFound
from app.core.schemas import MAX_ID


def id_or_zero(raw: str) -> int:
    """The id, or 0 (which names nothing) for a string that cannot be one of ours."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 10:
        value = int(raw)
        if 1 <= value <= MAX_ID:
            return value
    return 0


def parse_id(raw: str, what: str = "resource") -> int:
    value = id_or_zero(raw)
    if value == 0:
        raise NotFound(f"no such {what}")
    return value


# Documented as the id a body carries (`schemas.IdRef`), so that a client passes the id
# of one answer to the next call as it is. Read as text: any string that is not one of
# ours, however long, is a 404 (the contract's "as if it did not exist").
PATH_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PATH_ID_DESCRIPTION = "Id, as answers give it"
PathId = Annotated[str, WithJsonSchema(PATH_ID_SCHEMA), Path(description=PATH_ID_DESCRIPTION)]


class _IdConvertor(Convertor[str]):
    """`{name:id}` in a route's path: ASCII digits, kept as text for `PathId`. A segment
    that is no number matches no such route, so a fixed sibling (`/v1/bookings/quote`) is
    never taken for an id: `PATCH /v1/bookings/quote` is a 405, as the document says."""

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("id", _IdConvertor())
