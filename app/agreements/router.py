from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.agreements import service
from app.agreements.schemas import (
    AgreementCreate,
    AgreementKind,
    AgreementRead,
    AgreementStatus,
    AgreementUpdate,
    DirectPartnerAdd,
)
from app.core.deps import PrincipalDep, SessionDep
from app.core.errors import RentalFeeProhibited
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.core.schemas import MAX_ID

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


@router.post(
    "",
    **op(
        "Create an agreement",
        RentalFeeProhibited,
        status_code=201,
        description="Admin only. Any rental fee or rate above zero in the payload is "
        "refused with `rental-fee-prohibited`.",
    ),
)
async def create_agreement(
    data: AgreementCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> AgreementRead:
    view = await service.create_agreement(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/agreements/{view.agreement.id}"
    return view.read()


@router.get("", **op("List agreements"))
async def list_agreements(
    session: SessionDep,
    principal: PrincipalDep,
    status: AgreementStatus | None = None,
    kind: AgreementKind | None = None,
    party_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AgreementRead]:
    found = await service.list_agreements(
        session, principal=principal, status=status, kind=kind, party_id=party_id,
        limit=limit, cursor=cursor,
    )
    return page(found, lambda v: v.read())


@router.get("/{agreement_id}", **op("Read an agreement", 404))
async def get_agreement(
    agreement_id: PathId, session: SessionDep, principal: PrincipalDep
) -> AgreementRead:
    view = await service.get_agreement(
        session, principal=principal, agreement_id=parse_id(agreement_id, "agreement")
    )
    return view.read()


@router.patch(
    "/{agreement_id}",
    **op(
        "Change an agreement",
        404,
        409,
        RentalFeeProhibited,
        description="Admin only. Changes apply to bookings made afterwards. Status goes "
        "draft -> active -> terminated (409 `invalid-transition` otherwise).",
    ),
)
async def update_agreement(
    agreement_id: PathId, data: AgreementUpdate, session: SessionDep, principal: PrincipalDep
) -> AgreementRead:
    view = await service.update_agreement(
        session, principal=principal, agreement_id=parse_id(agreement_id, "agreement"), data=data
    )
    return view.read()


@router.post("/{agreement_id}/direct-partners", **op("Add a direct partner", 404))
async def add_direct_partner(
    agreement_id: PathId, data: DirectPartnerAdd, session: SessionDep, principal: PrincipalDep
) -> AgreementRead:
    view = await service.add_direct_partner(
        session,
        principal=principal,
        agreement_id=parse_id(agreement_id, "agreement"),
        party_id=data.party_id,
    )
    return view.read()
