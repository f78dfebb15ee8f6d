from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from app.core.schemas import ResponseModel, examples
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
    model_config = examples(
        {
            "from": "2027-01-01",
            "to": "2027-01-31",
            "group_by": "site",
            "rows": [
                {
                    "key": 1,
                    "name": "Washington Elementary",
                    "booked_minutes": 1440,
                    "bookings": 9,
                    "community_minutes": 1440,
                    "rental_fee_waived_cents": 165000,
                    "custodial_cost_cents": 9450,
                }
            ],
        }
    )

    from_: LocalDate = Field(serialization_alias="from")
    to: LocalDate
    group_by: GroupBy
    rows: list[UtilizationRow]
