from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictBool, model_validator
from pydantic.config import JsonDict

from app.agreements.rules import strip_rental_charges
from app.agreements.terms import DEFAULT_TERMS as D
from app.agreements.terms import LONGEST_ADVANCE_DAYS
from app.core.schemas import (
    IdMap,
    IdRef,
    Name,
    Omittable,
    RequestModel,
    ResponseModel,
    StrictInt,
    examples,
)
from app.core.time import LocalDate


class AgreementKind(StrEnum):
    blanket = "blanket"
    long_term = "long_term"
    site_development = "site_development"


class AgreementStatus(StrEnum):
    draft = "draft"
    active = "active"
    terminated = "terminated"


class Terms(RequestModel):
    """The agreement's booking terms; every one optional, with the contract's defaults.
    There is deliberately no rental-fee term."""

    # The defaults are the domain's (`agreements.terms.Terms`): one place.
    min_notice_hours: Annotated[StrictInt, Field(ge=0, le=24 * 365)] = D.min_notice_hours
    max_advance_days: Annotated[StrictInt, Field(ge=0, le=LONGEST_ADVANCE_DAYS)] = (
        D.max_advance_days
    )
    max_occurrence_minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)] = D.max_occurrence_minutes
    max_series_days: Annotated[StrictInt, Field(ge=1, le=3650)] = D.max_series_days
    auto_confirm: StrictBool = D.auto_confirm
    late_cancel_hours: Annotated[StrictInt, Field(ge=0, le=24 * 365)] = D.late_cancel_hours
    min_callout_minutes: Annotated[StrictInt, Field(ge=0, le=24 * 60)] = D.min_callout_minutes


class _NoRentalFees(RequestModel):
    @model_validator(mode="before")
    @classmethod
    def _no_rental_fees(cls, data: Any) -> Any:
        # Raised as `rental-fee-prohibited`, not as a schema error (not a ValueError).
        return strip_rental_charges(data)


CostShares = Annotated[
    IdMap[Annotated[StrictInt, Field(ge=0, le=100)]],
    Field(
        min_length=2,
        max_length=2,
        description="{party_id: percent} over the two parties, summing to 100",
    ),
]


# The one agreement of the examples, as it is sent and as it is read.
_CITYWIDE: JsonDict = {
    "kind": "blanket",
    "name": "Citywide blanket joint use agreement",
    "party_ids": [1, 2],
    "direct_partner_ids": [3],
    "starts_on": "2027-01-01",
    "ends_on": "2027-12-31",
    "status": "active",
}


class AgreementCreate(_NoRentalFees):
    model_config = examples(
        {
            **_CITYWIDE,
            "terms": {"auto_confirm": False, "min_notice_hours": 72},
            "cost_shares": {"1": 50, "2": 50},
        }
    )

    kind: AgreementKind
    name: Name
    party_ids: Annotated[
        list[IdRef],
        # `_consistent` refuses the same party twice.
        Field(min_length=2, max_length=2, json_schema_extra={"uniqueItems": True}),
    ]
    direct_partner_ids: Annotated[list[IdRef], Field(max_length=1000)] = []
    starts_on: LocalDate
    ends_on: LocalDate | None = None
    status: AgreementStatus = AgreementStatus.draft
    terms: Terms = Terms()
    cost_shares: CostShares | None = Field(None, description="Default 50/50")

    @model_validator(mode="after")
    def _consistent(self) -> AgreementCreate:
        if self.party_ids[0] == self.party_ids[1]:
            raise ValueError("party_ids must name two different parties")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class AgreementUpdate(_NoRentalFees):
    model_config = examples(
        {
            "ends_on": "2028-06-30",
            "terms": {"late_cancel_hours": 24},
            "cost_shares": {"1": 60, "2": 40},
        }
    )

    name: Omittable[Name] = None
    status: Omittable[AgreementStatus] = None
    ends_on: LocalDate | None = Field(None, description="null: no end")
    # The terms' own schema (their limits): only those given change, the others keep
    # their values (not the defaults).
    terms: Omittable[Terms] = Field(
        None, description="Terms to change; the others keep their values"
    )
    direct_partner_ids: Omittable[Annotated[list[IdRef], Field(max_length=1000)]] = None
    cost_shares: Omittable[CostShares] = None


class DirectPartnerAdd(RequestModel):
    model_config = examples({"party_id": 4})

    party_id: IdRef


class AgreementRead(ResponseModel):
    model_config = examples(
        {
            "id": 1,
            **_CITYWIDE,
            "terms": {
                "min_notice_hours": 72,
                "max_advance_days": 365,
                "max_occurrence_minutes": 720,
                "max_series_days": 90,
                "auto_confirm": False,
                "late_cancel_hours": 48,
                "min_callout_minutes": 120,
            },
            "cost_shares": {"1": 50, "2": 50},
        }
    )

    id: int
    kind: AgreementKind
    name: str
    party_ids: list[int]
    direct_partner_ids: list[int]
    starts_on: LocalDate
    ends_on: LocalDate | None
    status: AgreementStatus
    terms: Terms
    cost_shares: IdMap[int]
