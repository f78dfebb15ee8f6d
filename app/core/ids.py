"""Ids in paths are opaque to clients: anything that is not one of ours is 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

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


# No length limit: any string that is not one of ours, however long, is a 404.
PathId = Annotated[str, Path(description="Opaque id")]
