"""The key lookup: the one statement that finds a caller's key row, alone or riding
on a hot path's own statement."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, literal, select, true

from app.keys.models import ApiKey


@cache
def key_lookup() -> Select[int, str, int | None, str]:
    return select(ApiKey.id, ApiKey.secret_hash, ApiKey.party_id, ApiKey.role).where(
        ApiKey.lookup_id == bindparam("lookup_id"), ApiKey.revoked_at.is_(None)
    )


KEY_COLUMNS = 4  # what `with_key` puts first in each row


def with_key(found: Select[Any]) -> Select[Any]:
    """`found` with the caller's key row in front (all NULL when there is none): the
    key check rides on a hot path's one statement instead of costing a round trip.
    Parameters: `lookup_id` and those of `found`."""
    one = select(literal(1).label("one")).subquery("one")
    key = key_lookup().subquery("caller")
    inner = found.subquery("found")
    return select(*key.c, *inner.c).select_from(one.outerjoin(key, true()).outerjoin(inner, true()))
