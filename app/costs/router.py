"""Cost items and statements (JSON or CSV)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.deps import DatabaseDep, PrincipalDep, SessionDep
from app.core.errors import RentalFeeProhibited
from app.core.heavy import HeavyReadsDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.core.time import utcnow
from app.costs import flows, service
from app.costs.export import (
    AcceptHeader,
    DateQuery,
    FromDateQuery,
    csv_response,
    period_read_op,
    wants_csv,
)
from app.costs.export import csv_cell as csv_cell  # where tests/costs reads it
from app.costs.schemas import (
    CostItemCreate,
    CostItemRead,
    CostItemVoid,
    PartyBalance,
    Settlement,
    Statement,
    StatementLine,
)

router = APIRouter(tags=["costs"])


# --- cost items -------------------------------------------------------------------

ITEMS = "/v1/agreements/{agreement_id}/cost-items"


@router.post(
    ITEMS,
    **op("Record a shared cost", 404, RentalFeeProhibited, status_code=201,
         description="Supplies, capital items and custodial adjustments, shared by the agreement's "
         "cost shares. Rent is refused with `rental-fee-prohibited`."),
)
async def create_cost_item(
    agreement_id: PathId,
    data: CostItemCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> CostItemRead:
    aid = parse_id(agreement_id, "agreement")
    item = await service.create_cost_item(session, principal=principal, agreement_id=aid, data=data)
    response.headers["Location"] = f"/v1/agreements/{aid}/cost-items/{item.id}"
    return CostItemRead.model_validate(item)


@router.get(ITEMS, **op("List an agreement's cost items", 404))
async def list_cost_items(
    agreement_id: PathId, session: SessionDep, principal: PrincipalDep,
    limit: LimitQuery = 50, cursor: CursorQuery = None,
) -> Page[CostItemRead]:
    aid = parse_id(agreement_id, "agreement")
    found = await service.list_cost_items(
        session, principal=principal, agreement_id=aid, limit=limit, cursor=cursor
    )
    return page(found, CostItemRead.model_validate)


@router.get(ITEMS + "/{item_id}", **op("Read a cost item", 404))
async def get_cost_item(
    agreement_id: PathId, item_id: PathId, session: SessionDep, principal: PrincipalDep
) -> CostItemRead:
    item = await service.get_cost_item(
        session, principal=principal, agreement_id=parse_id(agreement_id, "agreement"),
        item_id=parse_id(item_id, "cost item"),
    )
    return CostItemRead.model_validate(item)


@router.post(
    ITEMS + "/{item_id}/void",
    **op("Void a wrong cost item", 404, 409,
         description="A cost item is never edited or deleted: a wrong one is voided, with a "
         "reason, by an admin or a manager of the party that recorded it. Statements leave it "
         "out from then on; it stays listed, with `voided_at` and `void_reason`. Voiding it "
         "again is a 409 `invalid-transition`."),
)
async def void_cost_item(
    agreement_id: PathId,
    item_id: PathId,
    data: CostItemVoid,
    session: SessionDep,
    principal: PrincipalDep,
) -> CostItemRead:
    item = await service.void_cost_item(
        session, principal=principal, agreement_id=parse_id(agreement_id, "agreement"),
        item_id=parse_id(item_id, "cost item"), reason=data.reason, now=utcnow(),
    )
    return CostItemRead.model_validate(item)


# --- statements -------------------------------------------------------------------


@router.get(
    "/v1/agreements/{agreement_id}/statement",
    **period_read_op(
        "An agreement's statement", 404,
        description="Custodial charges and cost items over [from, to] (at most 366 days), what "
        "each party incurred and owes, and the settlement that squares them.",
    ),
)
async def agreement_statement(
    agreement_id: PathId,
    session: SessionDep,
    db: DatabaseDep,
    heavy: HeavyReadsDep,
    principal: PrincipalDep,
    from_: FromDateQuery,
    to: DateQuery,
    accept: AcceptHeader = None,
) -> Statement:
    aid = parse_id(agreement_id, "agreement")
    data = await flows.statement(
        session, db, heavy=heavy, principal=principal, agreement_id=aid, from_date=from_,
        to_date=to,
    )
    party_ids = data.agreement.party_ids
    if wants_csv(accept):
        header = ["date", "kind", "site_id", "booking_id", "cost_item_id", "minutes",
                  "amount_cents", *(f"share_{p}" for p in party_ids)]
        rows = [
            [line["date"].isoformat(), line["kind"], line["site_id"], line["booking_id"],
             line["cost_item_id"], line["minutes"], line["amount_cents"],
             *(line["shares_cents"][str(p)] for p in party_ids)]
            for line in data.lines
        ]
        name = f"statement-agreement-{data.agreement.id}-{from_.isoformat()}-{to.isoformat()}.csv"
        return csv_response(header, rows, name)  # type: ignore[return-value]
    return Statement(
        agreement_id=data.agreement.id,
        from_=from_,
        to=to,
        custodial_minutes=data.custodial_minutes,
        custodial_cost_cents=data.custodial_cost_cents,
        items_cost_cents=data.items_cost_cents,
        parties=[PartyBalance(**p) for p in data.parties],
        settlement=Settlement(**data.settlement) if data.settlement else None,
        lines=[StatementLine(**line) for line in data.lines],
    )

