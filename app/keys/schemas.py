from __future__ import annotations

from pydantic import Field

from app.core.auth import Role
from app.core.schemas import IdRef, Name, RequestModel, ResponseModel
from app.core.time import Instant


class ApiKeyCreate(RequestModel):
    party_id: IdRef | None = Field(
        None, description="The party the key acts for; required except for admin keys"
    )
    role: Role
    name: Name = "api key"


class ApiKeyRead(ResponseModel):
    id: int
    party_id: int | None
    role: Role
    name: str
    created_at: Instant
    revoked_at: Instant | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself; shown only in this response")
