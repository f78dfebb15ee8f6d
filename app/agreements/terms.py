"""An agreement's booking terms, parsed once into one immutable value with the
contract's defaults. Bookings keep the terms they were made under (a snapshot)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

# The largest `max_advance_days` an agreement may have: no booking starts later than
# this many days ahead, whatever its agreement (a series' expansion stops there).
LONGEST_ADVANCE_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms of contract section 2 (defaults as there). Immutable: a booking's
    snapshot and a worker's kept facts share one value safely."""

    min_notice_hours: int = 72
    max_advance_days: int = 365
    max_occurrence_minutes: int = 720
    max_series_days: int = 90
    auto_confirm: bool = True
    late_cancel_hours: int = 48
    min_callout_minutes: int = 120

    @staticmethod
    def of(stored: Mapping[str, Any] | None) -> Terms:
        """Terms from their stored JSON (a booking's snapshot or an agreement's row);
        a term not stored takes its default, an unknown key is ignored."""
        if not stored:
            return DEFAULT_TERMS
        return _parsed(tuple(sorted((k, v) for k, v in stored.items() if k in _NAMES)))

    def as_dict(self) -> dict[str, Any]:
        """As stored (JSON): every term, defaults included."""
        return asdict(self)


_NAMES = frozenset(f.name for f in fields(Terms))
DEFAULT_TERMS = Terms()


@lru_cache(maxsize=1024)
def _parsed(items: tuple[tuple[str, Any], ...]) -> Terms:
    return Terms(**dict(items))
