from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from app.core.schemas import ResponseModel


class GroupBy(StrEnum):
    site = "site"
    party = "party"
    space = "space"


class UtilizationRow(ResponseModel):
    key: int
    name: str
    booked_minutes: int
    bookings: int
    community_minutes: int
    rental_fee_waived_cents: int
    custodial_cost_cents: int


class Utilization(ResponseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    group_by: GroupBy
    rows: list[UtilizationRow]
