"""Ids in paths are opaque to clients: anything that is not one of ours is 404."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import WithJsonSchema
from starlette.convertors import CONVERTOR_TYPES, Convertor, register_url_convertor

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


class _Text(Convertor[str]):
    """A path id segment kept as text for `PathId`."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def id_beside(name: str, *fixed: str) -> str:
    """`{name:...}` for a path id beside fixed segments (`/v1/bookings/quote` beside
    `/v1/bookings/{booking_id}`): a fixed one is never taken for an id, so another method
    there is the document's 405, not the id route's answer; any other string is still the
    id route's (401 without a key, else 404)."""
    convertor = "id_beside_" + "_".join(fixed)
    if convertor not in CONVERTOR_TYPES:
        names = "|".join(re.escape(segment) for segment in fixed)

        class Beside(_Text):
            regex = f"(?!(?:{names})(?:/|$))[^/]+"

        register_url_convertor(convertor, Beside())
    return f"{{{name}:{convertor}}}"
