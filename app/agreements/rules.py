"""The agreement's first policy: no rental fees. Pure functions over plain data."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from datetime import date
from typing import Any, Protocol, TypeVar

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


# --- which agreement covers a booking ------------------------------------------


class AgreementChoice(Protocol):
    """What choosing an agreement reads of one (facts read for a booking, or a plan)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...


def binds(
    owner: object, party: object, parties: Container[object], direct_partners: Container[object]
) -> bool:
    """The agreement (its `parties` and `direct_partners`) binds a site's `owner` and a
    booking `party`: the owner is a party to it, the booking party is one too or a direct
    partner. (What the booking facts' statement reads, in SQL, of the active ones.)"""
    return owner in parties and (party in parties or party in direct_partners)


def covers(agreement: AgreementChoice, first_day: date, last_day: date) -> bool:
    """In force on every local date from `first_day` to `last_day`."""
    return agreement.starts_on <= first_day and (
        agreement.ends_on is None or last_day <= agreement.ends_on
    )


def preference(agreement: AgreementChoice) -> tuple[bool, bool, date, int]:
    """A blanket agreement first, then the one that started first; site development
    agreements (which carry no bookings) last."""
    return (
        agreement.kind == "site_development",
        agreement.kind != "blanket",
        agreement.starts_on,
        agreement.id,
    )


A = TypeVar("A", bound=AgreementChoice)


def choose_agreement(
    candidates: Iterable[A], first_day: date, last_day: date, wanted: int | None
) -> A | None:
    """The agreement a booking from `first_day` to `last_day` is made under, among the
    active ones binding the site's owner and the booking party: the one named
    (`wanted`) if it covers the dates, else the most preferred that covers them."""
    covering = sorted((a for a in candidates if covers(a, first_day, last_day)), key=preference)
    if wanted is not None:
        return next((a for a in covering if a.id == wanted), None)
    return covering[0] if covering else None
