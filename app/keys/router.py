from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.deps import AdminDep, SessionDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.keys import service
from app.keys.schemas import ApiKeyCreate, ApiKeyCreated

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


@router.post(
    "",
    **op(
        "Create an API key",
        status_code=201,
        description="The response carries `secret`, the key itself, shown this once only.",
    ),
)
async def create_api_key(
    data: ApiKeyCreate, session: SessionDep, _: AdminDep, response: Response
) -> ApiKeyCreated:
    key, secret = await service.create_api_key(
        session, party_id=data.party_id, role=data.role, name=data.name
    )
    response.headers["Location"] = f"/v1/api-keys/{key.id}"
    return ApiKeyCreated(
        id=key.id,
        party_id=key.party_id,
        role=data.role,
        name=key.name,
        created_at=key.created_at,
        revoked_at=None,
        secret=secret,
    )


@router.delete("/{key_id}", **op("Revoke an API key", 404, status_code=204))
async def revoke_api_key(key_id: PathId, session: SessionDep, _: AdminDep) -> Response:
    await service.revoke_api_key(session, key_id=parse_id(key_id, "API key"))
    return Response(status_code=204)
