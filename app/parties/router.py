from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.deps import AdminDep, PrincipalDep, SessionDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.parties import service
from app.parties.schemas import PartyCreate, PartyKind, PartyRead, PartyUpdate

router = APIRouter(prefix="/v1/parties", tags=["parties"])


@router.post("", **op("Create a party", status_code=201))
async def create_party(
    data: PartyCreate, session: SessionDep, _: AdminDep, response: Response
) -> PartyRead:
    party = await service.create_party(session, data=data)
    response.headers["Location"] = f"/v1/parties/{party.id}"
    return PartyRead.model_validate(party)


@router.get("", **op("List parties"))
async def list_parties(
    session: SessionDep,
    _: PrincipalDep,
    kind: PartyKind | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PartyRead]:
    found = await service.list_parties(session, kind=kind, limit=limit, cursor=cursor)
    return page(found, PartyRead.model_validate)


@router.get("/{party_id}", **op("Read a party", 404))
async def get_party(party_id: PathId, session: SessionDep, _: PrincipalDep) -> PartyRead:
    party = await service.get_party(session, party_id=parse_id(party_id, "party"))
    return PartyRead.model_validate(party)


@router.patch("/{party_id}", **op("Change a party", 404))
async def update_party(
    party_id: PathId, data: PartyUpdate, session: SessionDep, _: AdminDep
) -> PartyRead:
    party = await service.update_party(session, party_id=parse_id(party_id, "party"), data=data)
    return PartyRead.model_validate(party)
