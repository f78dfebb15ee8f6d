from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.agreements.rules import strip_rental_charges
from app.core.errors import RentalFeeProhibited
from app.core.schemas import IdRef, LongText, RequestModel, ResponseModel, StrictInt, examples
from app.core.time import Instant, LocalDate


class CostCategory(StrEnum):
    supplies = "supplies"
    capital = "capital"
    custodial_adjustment = "custodial_adjustment"


class CostItemCreate(RequestModel):
    model_config = examples(
        {
            "category": "supplies",
            "amount_cents": 12500,
            "incurred_by_party_id": 2,
            "incurred_on": "2027-01-12",
            "description": "Gym floor tape and cones",
            "site_id": 1,
        }
    )

    category: CostCategory
    amount_cents: Annotated[StrictInt, Field(ge=1, le=10**11, description="Integer cents")]
    incurred_by_party_id: IdRef
    incurred_on: LocalDate
    description: Annotated[LongText, Field(max_length=500)] = ""
    site_id: IdRef | None = Field(None, description="The site the cost is for, if any")

    @model_validator(mode="before")
    @classmethod
    def _no_rent(cls, data: Any) -> Any:
        # Rent is not a cost the agreement shares: refused as `rental-fee-prohibited`.
        category = data.get("category") if isinstance(data, dict) else None
        if isinstance(category, str) and "rent" in category.lower():
            raise RentalFeeProhibited("the joint-use agreement charges no rent")
        return strip_rental_charges(data)


class CostItemRead(ResponseModel):
    id: int
    agreement_id: int
    category: CostCategory
    amount_cents: int
    incurred_by_party_id: int
    incurred_on: LocalDate
    site_id: int | None
    description: str
    shares_cents: dict[str, int]
    created_at: Instant
    voided_at: Instant | None = Field(
        description="When the item was voided (null: it counts); statements leave it out"
    )
    void_reason: str | None


class CostItemVoid(RequestModel):
    model_config = examples({"reason": "Entered twice"})

    reason: Annotated[LongText, Field(min_length=1, max_length=500, description="Why it is void")]


class LineKind(StrEnum):
    custodial = "custodial"
    supplies = "supplies"
    capital = "capital"
    custodial_adjustment = "custodial_adjustment"


class StatementLine(ResponseModel):
    date: LocalDate
    kind: LineKind
    site_id: int | None
    booking_id: int | None
    cost_item_id: int | None
    minutes: int | None
    amount_cents: int
    shares_cents: dict[str, int]


class PartyBalance(ResponseModel):
    party_id: int
    incurred_cents: int
    share_cents: int
    balance_cents: int = Field(description="share - incurred; positive: owes")


class Settlement(ResponseModel):
    from_party_id: int
    to_party_id: int
    amount_cents: int


class Statement(ResponseModel):
    model_config = examples(
        {
            "agreement_id": 1,
            "from": "2027-01-01",
            "to": "2027-01-31",
            "custodial_minutes": 135,
            "custodial_cost_cents": 9450,
            "items_cost_cents": 12500,
            "parties": [
                {"party_id": 1, "incurred_cents": 0, "share_cents": 10975, "balance_cents": 10975},
                {"party_id": 2, "incurred_cents": 21950, "share_cents": 10975,
                 "balance_cents": -10975},
            ],
            "settlement": {"from_party_id": 1, "to_party_id": 2, "amount_cents": 10975},
            "lines": [
                {"date": "2027-01-12", "kind": "custodial", "site_id": 1, "booking_id": 101,
                 "cost_item_id": None, "minutes": 135, "amount_cents": 9450,
                 "shares_cents": {"1": 4725, "2": 4725}},
                {"date": "2027-01-12", "kind": "supplies", "site_id": 1, "booking_id": None,
                 "cost_item_id": 5, "minutes": None, "amount_cents": 12500,
                 "shares_cents": {"1": 6250, "2": 6250}},
            ],
        }
    )

    agreement_id: int
    from_: LocalDate = Field(serialization_alias="from")
    to: LocalDate
    custodial_minutes: int
    custodial_cost_cents: int
    items_cost_cents: int
    parties: list[PartyBalance]
    settlement: Settlement | None
    lines: list[StatementLine]

