from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from app.core.schemas import ResponseModel
from app.core.time import LocalDate


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
    from_: LocalDate = Field(serialization_alias="from")
    to: LocalDate
    group_by: GroupBy
    rows: list[UtilizationRow]
