"""The agreement's first policy: no rental fees. Pure functions over plain data."""

from __future__ import annotations

import re
from typing import Any

from app.core.errors import RentalFeeProhibited

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_RENTAL_WORD = re.compile(r"(^|_)(rent|rental|rentals|fee|fees|rate|rates)(_|$)")


def is_rental_key(key: str) -> bool:
    """`rental_fee_cents`, `hourlyRate`, `fee`... (camelCase counts too)."""
    return bool(_RENTAL_WORD.search(_CAMEL.sub("_", key).lower().replace("-", "_")))


def _charges(value: Any) -> bool:
    """Whether `value` (under a rental-sounding key) charges anything above zero."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    if isinstance(value, int | float):
        return value != value or value > 0  # NaN is not a zero fee either
    if isinstance(value, str):
        # "$12.50", "12,50", "0.01": any non-zero digit is an amount ("0", "free" are not).
        return any(ch in "123456789" for ch in value)
    if isinstance(value, dict):
        return any(_charges(v) for v in value.values())
    if isinstance(value, list):
        return any(_charges(v) for v in value)
    return True


def strip_rental_charges(payload: Any, path: str = "") -> Any:
    """Refuse any rental fee or rate above zero anywhere in `payload`
    (`RentalFeeProhibited`); drop the zero ones, so they are not unknown-field errors."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and is_rental_key(key):
                if _charges(value):
                    raise RentalFeeProhibited(
                        f"{where}: the joint-use agreement charges no rental fees"
                    )
                continue
            out[key] = strip_rental_charges(value, where)
        return out
    if isinstance(payload, list):
        return [strip_rental_charges(v, f"{path}[{i}]") for i, v in enumerate(payload)]
    return payload
